// The dashboard's JSON views of the store (docs/dashboard.md): the sweeps, one sweep with its
// runs and their latest losses, one run's points. However many browsers poll, each view is read
// from the store at most once per refresh interval, and a view that takes long to read (a sweep
// of many thousand runs) at most a twentieth of the time, so that readers cost the leases little.
// Each carries the store version it was read at, which is also its ETag.
#ifndef MIXLAW_DASHBOARD_VIEWS_H_
#define MIXLAW_DASHBOARD_VIEWS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "nlohmann/json.hpp"
#include "orchestrator/store.h"

namespace mixlaw {

class Views {
 public:
  // `store` must outlive the views. A view is read again when the store changed and its last
  // read is at least `refresh_ms` old, and twenty times as old as that read took.
  Views(Store* store, int64_t refresh_ms) : store_(store), refresh_ms_(refresh_ms) {}
  Views(const Views&) = delete;
  Views& operator=(const Views&) = delete;

  struct Body {
    std::string json;
    std::string gzip;  // json, gzip-compressed once for every browser that accepts it
    std::string etag;  // "\"v<store version>\""
  };
  // Shared by every asker until the view is read again.
  using BodyPtr = std::shared_ptr<const Body>;
  // {"version", "sweeps": [sweep export JSON...]}
  absl::StatusOr<BodyPtr> Sweeps();
  // {"version", "sweep", "columns": [names], "runs": [[one value a column], ...]}: each run's
  // coordinates, state and progress, and "latest": {split: [step, loss]}. NotFound for an
  // unknown sweep.
  absl::StatusOr<BodyPtr> Sweep(int64_t sweep_id);
  // {"version", "run_id", "splits": {split: [[step, loss], ...]}} in step order; a NaN loss is
  // null.
  absl::StatusOr<BodyPtr> RunPoints(int64_t run_id);

 private:
  using Build = std::function<absl::StatusOr<nlohmann::json>()>;
  absl::StatusOr<BodyPtr> Cached(const std::string& key, const Build& build);

  struct Entry {
    uint64_t version = 0;
    std::chrono::steady_clock::time_point read;
    std::chrono::steady_clock::duration cost{};  // how long the read took
    BodyPtr body;                                // null until the first read ends
    bool reading = false;                        // an asker reads it from the store now
  };
  Store* store_;
  const int64_t refresh_ms_;
  Mutex mutex_;
  std::map<std::string, Entry> cache_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mixlaw

#endif  // MIXLAW_DASHBOARD_VIEWS_H_
