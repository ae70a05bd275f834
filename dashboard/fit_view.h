// The coupling law fitted to a sweep's runs and its recommendation at the spec's target size,
// computed as `mixlaw recommend SWEEP` computes them (study/sweep_fit.h, the same options), so
// that the dashboard shows the same numbers. A fit takes seconds, so it runs on a thread of its
// own: started when a model size's runs have all ended since the last fit, or when asked.
#ifndef MIXLAW_DASHBOARD_FIT_VIEW_H_
#define MIXLAW_DASHBOARD_FIT_VIEW_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "fitter/fit.h"
#include "nlohmann/json.hpp"
#include "orchestrator/store.h"

namespace mixlaw {

class FitView {
 public:
  // `store` must outlive the view. `options`: how every fit runs (recommend's defaults: 200
  // bootstrap resamples). Which sizes have finished is read from the store again when it
  // changed and the last read is at least `refresh_ms` old, and twenty times as old as it took.
  FitView(Store* store, FitOptions options, int64_t refresh_ms = 0);
  // Waits for a fit in progress.
  ~FitView();
  FitView(const FitView&) = delete;
  FitView& operator=(const FitView&) = delete;

  // The sweep's fit as it stands: {"state": "waiting" (no model size has finished) | "fitting" |
  // "ready" | "failed", "finished_sizes": [params...], "fitted_sizes": [...], "fitted_unix_ms",
  // "recommendation": recommend's --json (ready), "error": why (failed)}. Starts a fit first
  // when a size finished since the last one, or with `refit`. NotFound for an unknown sweep.
  absl::StatusOr<nlohmann::json> Get(int64_t sweep_id, bool refit);

 private:
  struct State {
    bool checked = false;  // finished_sizes was read from the store
    uint64_t checked_version = 0;
    std::chrono::steady_clock::time_point checked_at;
    std::chrono::steady_clock::duration check_cost{};
    std::vector<double> finished_sizes;  // as last read
    std::string finished;    // the finished sizes the latest requested fit reads, "1e6,4e6"
    bool queued = false;     // a fit of this sweep waits or runs
    bool requested = false;  // asked again while one ran: fit again when it ends
    nlohmann::json result;   // the latest fit's fields (state ready or failed), or null
  };
  void Work();
  // One fit of the sweep as it is now: the fields of a ready or failed result.
  nlohmann::json Fit(int64_t sweep_id);

  Store* store_;
  const FitOptions options_;
  const int64_t refresh_ms_;
  Mutex mutex_;
  std::map<int64_t, State> sweeps_ ABSL_GUARDED_BY(mutex_);
  std::deque<int64_t> queue_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread worker_;
};

}  // namespace mixlaw

#endif  // MIXLAW_DASHBOARD_FIT_VIEW_H_
