#include "dashboard/fit_view.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json_fields.h"
#include "common/thread_priority.h"
#include "common/time.h"
#include "fitter/recommend.h"
#include "orchestrator/run_state.h"
#include "study/sweep_fit.h"

namespace mixlaw {

namespace {

// The sizes with no open run, ascending.
std::vector<double> FinishedSizes(const std::map<double, int64_t>& open_by_size) {
  std::vector<double> finished;
  for (const auto& [size, open] : open_by_size) {
    if (open == 0) finished.push_back(size);
  }
  return finished;
}

// The model sizes (params) whose every run has ended, ascending.
std::vector<double> FinishedSizes(const std::vector<v1::Run>& runs) {
  std::map<double, int64_t> open;
  for (const v1::Run& r : runs) open[r.params()] += IsTerminal(r.state()) ? 0 : 1;
  return FinishedSizes(open);
}

std::string Key(const std::vector<double>& sizes) {
  return absl::StrJoin(sizes, ",",
                       [](std::string* out, double s) { out->append(FormatNumber(s)); });
}

}  // namespace

FitView::FitView(Store* store, FitOptions options, int64_t refresh_ms)
    : store_(store), options_(options), refresh_ms_(refresh_ms) {
  worker_ = std::thread([this] { Work(); });
}

FitView::~FitView() {
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
  }
  mutex_.NotifyAll();
  worker_.join();
}

absl::StatusOr<nlohmann::json> FitView::Get(int64_t sweep_id, bool refit) {
  const uint64_t version = store_->version();
  const auto now = std::chrono::steady_clock::now();
  bool fresh = false;
  {
    MutexLock lock(&mutex_);
    auto found = sweeps_.find(sweep_id);
    // As the views (dashboard/views.h): a check that takes long is made at most a twentieth of
    // the time.
    fresh = found != sweeps_.end() && found->second.checked &&
            (found->second.checked_version == version ||
             now - found->second.checked_at <
                 std::max<std::chrono::steady_clock::duration>(
                     std::chrono::milliseconds(refresh_ms_), 20 * found->second.check_cost));
  }
  if (!fresh) {
    absl::StatusOr<std::map<double, int64_t>> open = store_->OpenRunsBySize(sweep_id);
    if (!open.ok()) return open.status();
    MutexLock lock(&mutex_);
    State& checked = sweeps_[sweep_id];
    checked.checked = true;
    checked.checked_version = version;
    checked.checked_at = now;
    checked.check_cost = std::chrono::steady_clock::now() - now;
    checked.finished_sizes = FinishedSizes(*open);
  }
  MutexLock lock(&mutex_);
  State& state = sweeps_[sweep_id];
  const std::vector<double> finished = state.finished_sizes;
  const std::string key = Key(finished);
  const bool changed = !finished.empty() && key != state.finished;
  if (changed || (refit && !finished.empty())) {
    state.finished = key;
    if (state.queued) {
      state.requested = true;
    } else {
      state.queued = true;
      queue_.push_back(sweep_id);
      mutex_.NotifyAll();
    }
  }
  nlohmann::json j = state.result.is_null() ? nlohmann::json::object() : state.result;
  j["finished_sizes"] = finished;
  if (finished.empty()) {
    j["state"] = "waiting";
  } else if (state.queued) {
    j["state"] = "fitting";
  }
  return j;
}

void FitView::Work() {
  RunInBackground();  // a fit takes seconds of both cores; the leases come first
  while (true) {
    int64_t sweep_id = 0;
    {
      MutexLock lock(&mutex_);
      mutex_.AwaitWithTimeout(
          [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stopping_ || !queue_.empty(); },
          std::chrono::hours(24));
      if (stopping_) return;
      if (queue_.empty()) continue;
      sweep_id = queue_.front();
      queue_.pop_front();
    }
    nlohmann::json result = Fit(sweep_id);
    MutexLock lock(&mutex_);
    State& state = sweeps_[sweep_id];
    state.result = std::move(result);
    if (state.requested) {
      state.requested = false;
      queue_.push_back(sweep_id);
    } else {
      state.queued = false;
    }
  }
}

nlohmann::json FitView::Fit(int64_t sweep_id) {
  nlohmann::json j;
  absl::StatusOr<SweepData> data = ReadSweep(*store_, sweep_id, /*with_points=*/false);
  const std::vector<double> fitted = data.ok() ? FinishedSizes(data->runs) : std::vector<double>{};
  j["fitted_sizes"] = fitted;
  j["fitted_unix_ms"] = UnixMillis();
  auto failed = [&j](const absl::Status& status) {
    j["state"] = "failed";
    j["error"] = std::string(status.message());
    return j;
  };
  if (!data.ok()) return failed(data.status());
  absl::StatusOr<ObservationSet> set = SweepObservations(*data);
  if (!set.ok()) return failed(set.status());
  RecommendOptions recommend;
  recommend.max_lr_over_best = SpecMaxLrOverBest(data->sweep);
  absl::StatusOr<LawFit> fit = FitForRecommendation(*set, recommend, options_);
  if (!fit.ok()) return failed(fit.status());
  recommend.target_params = data->sweep.target_params();
  if (recommend.target_params <= 0) {
    return failed(absl::FailedPreconditionError(absl::StrCat(
        "sweep ", sweep_id, "'s spec sets no fit.target_params: run `mixlaw recommend ", sweep_id,
        " --target-params N` for a recommendation")));
  }
  absl::StatusOr<Recommendation> rec = Recommend(*fit, recommend);
  if (!rec.ok()) return failed(rec.status());
  j["state"] = "ready";
  j["recommendation"] = RecommendationReplyJson(*fit, *rec);
  return j;
}

}  // namespace mixlaw
