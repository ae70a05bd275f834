#include "dashboard/views.h"

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json_fields.h"
#include "orchestrator/export.h"

namespace mixlaw {

namespace {

constexpr size_t kMaxCachedViews = 512;

nlohmann::json Loss(double loss) {
  return std::isfinite(loss) ? nlohmann::json(loss) : nlohmann::json();
}

}  // namespace

absl::StatusOr<Views::Body> Views::Cached(const std::string& key, const Build& build) {
  MutexLock lock(&mutex_);
  const auto now = std::chrono::steady_clock::now();
  const uint64_t version = store_->version();
  auto found = cache_.find(key);
  if (found != cache_.end() &&
      (found->second.version == version ||
       now - found->second.read < std::chrono::milliseconds(refresh_ms_))) {
    return found->second.body;
  }
  absl::StatusOr<nlohmann::json> view = build();
  if (!view.ok()) return view.status();
  (*view)["version"] = version;
  if (cache_.size() >= kMaxCachedViews) {
    // The views of runs no browser follows any more: the oldest reads.
    for (auto it = cache_.begin(); it != cache_.end();) {
      it = now - it->second.read > std::chrono::seconds(60) ? cache_.erase(it) : std::next(it);
    }
    if (cache_.size() >= kMaxCachedViews) cache_.clear();
  }
  Entry& entry = cache_[key];
  entry.version = version;
  entry.read = now;
  entry.body = {view->dump(), absl::StrCat("\"v", version, "\"")};
  return entry.body;
}

absl::StatusOr<Views::Body> Views::Sweeps() {
  return Cached("sweeps", [this]() -> absl::StatusOr<nlohmann::json> {
    absl::StatusOr<std::vector<v1::Sweep>> sweeps = store_->ListSweeps();
    if (!sweeps.ok()) return sweeps.status();
    nlohmann::json list = nlohmann::json::array();
    for (const v1::Sweep& s : *sweeps) list.push_back(SweepJson(s));
    return nlohmann::json{{"sweeps", list}};
  });
}

absl::StatusOr<Views::Body> Views::Sweep(int64_t sweep_id) {
  return Cached(absl::StrCat("sweep/", sweep_id),
                [this, sweep_id]() -> absl::StatusOr<nlohmann::json> {
                  absl::StatusOr<v1::Sweep> sweep = store_->GetSweep(sweep_id);
                  if (!sweep.ok()) return sweep.status();
                  absl::StatusOr<std::vector<v1::Run>> runs = store_->ListRuns(sweep_id);
                  if (!runs.ok()) return runs.status();
                  auto latest = store_->LatestPoints(sweep_id);
                  if (!latest.ok()) return latest.status();
                  nlohmann::json rows = nlohmann::json::array();
                  for (const v1::Run& run : *runs) {
                    nlohmann::json row = RunJson(run);
                    nlohmann::json last = nlohmann::json::object();
                    auto points = latest->find(run.id());
                    if (points != latest->end()) {
                      for (const auto& [split, p] : points->second) {
                        last[split] = {{"step", p.step()}, {"loss", Loss(p.loss())}};
                      }
                    }
                    row["latest"] = last;
                    rows.push_back(row);
                  }
                  return nlohmann::json{{"sweep", SweepJson(*sweep)}, {"runs", rows}};
                });
}

absl::StatusOr<Views::Body> Views::RunPoints(int64_t run_id) {
  return Cached(absl::StrCat("run/", run_id), [this, run_id]() -> absl::StatusOr<nlohmann::json> {
    absl::StatusOr<std::vector<v1::MetricPoint>> points = store_->RunPoints(run_id);
    if (!points.ok()) return points.status();
    nlohmann::json splits = nlohmann::json::object();
    for (const v1::MetricPoint& p : *points) {
      splits[p.split()].push_back(nlohmann::json::array({p.step(), Loss(p.loss())}));
    }
    return nlohmann::json{{"run_id", run_id}, {"splits", splits}};
  });
}

}  // namespace mixlaw
