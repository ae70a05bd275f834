// A real store in a scratch directory for the dashboard's tests, with a one-size synthetic sweep
// whose runs the test leases and reports itself, as a worker would.
#ifndef MIXLAW_TESTS_DASHBOARD_STORE_FIXTURE_H_
#define MIXLAW_TESTS_DASHBOARD_STORE_FIXTURE_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "orchestrator/store.h"
#include "orchestrator/sweep_spec.h"

namespace mixlaw::testing_support {

class StoreFixture : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mixlaw-dashboard-test-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = Store::Open((dir_ / "store.db").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto worker = store_->RegisterWorker("host", {"cpu"}, 1);
    ASSERT_TRUE(worker.ok()) << worker.status();
    worker_ = *worker;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A sweep of one 1M model over 2 ALMRs x 2 LRs (4 runs) aimed at a 1e7 target.
  int64_t Submit() {
    nlohmann::json spec = {{"name", "views"},
                           {"models", {{{"name", "s1"}, {"params", 1e6}}}},
                           {"grid", {{"almr", {0.25, 0.5}}, {"lr", {1e-3, 1e-2}}}},
                           {"training", {{"tokens", 2048 * 4}}},
                           {"trainer", {{"kind", "synthetic"}}},
                           {"fit", {{"target_params", 1e7}}}};
    auto parsed = ParseSweepSpec(spec.dump(), "views.json", dir_.string());
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    auto result = store_->CreateSweep(*parsed, ExpandSweep(*parsed), false, 1000);
    EXPECT_TRUE(result.ok()) << result.status();
    return result->sweep_id;
  }

  static v1::MetricPoint Point(const std::string& split, int64_t step, double loss) {
    v1::MetricPoint p;
    p.set_split(split);
    p.set_step(step);
    p.set_loss(loss);
    p.set_tokens(step * 2048);
    p.set_lr(1e-3);
    return p;
  }

  // Leases the next run and reports `steps` train points, the loss falling from 4 by `slope` a
  // step, and both eval splits at the last; completes it when `complete`. Returns the run id.
  int64_t Train(int steps, double slope, bool complete) {
    auto lease = store_->LeaseNextRun(worker_, {"cpu"}, 2000, 60000);
    EXPECT_TRUE(lease.ok() && lease->has_value());
    if (!lease.ok() || !lease->has_value()) return 0;
    v1::HeartbeatRequest beat;
    beat.set_worker_id(worker_);
    beat.set_run_id((*lease)->run_id());
    beat.set_lease_id((*lease)->lease_id());
    beat.set_step(steps);
    beat.set_total_steps(4);
    for (int s = 1; s <= steps; ++s) *beat.add_points() = Point("train", s, 4 - slope * s);
    for (const char* split : {"eval/additional", "eval/base"}) {
      *beat.add_points() = Point(split, steps, 3 - slope * steps);
    }
    EXPECT_TRUE(store_->Heartbeat(beat, 2100, 60000).ok());
    leases_[(*lease)->run_id()] = (*lease)->lease_id();
    if (complete) Complete((*lease)->run_id());
    return (*lease)->run_id();
  }

  // Completes run `run_id`, trained by Train.
  void Complete(int64_t run_id) {
    v1::CompleteRunRequest done;
    done.set_worker_id(worker_);
    done.set_run_id(run_id);
    done.set_lease_id(leases_.at(run_id));
    EXPECT_TRUE(store_->CompleteRun(done, 2200).ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::string worker_;
  std::map<int64_t, int64_t> leases_;  // run id -> the lease Train took
};

}  // namespace mixlaw::testing_support

#endif  // MIXLAW_TESTS_DASHBOARD_STORE_FIXTURE_H_
