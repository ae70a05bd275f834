#include "orchestrator/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace mixlaw {
namespace {

class StoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mixlaw-store-test-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "store.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The store at path_, with workers w1 to w8 registered (again, on a reopen: ids only grow).
  std::unique_ptr<Store> Open() {
    auto store = Store::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    for (int i = 0; i < 8; ++i) EXPECT_TRUE((*store)->RegisterWorker("host", {"cpu"}, 1).ok());
    return std::move(*store);
  }

  // A sweep of `almr` x 2 LRs, optionally with a pretraining run the others depend on.
  int64_t Submit(Store& store, int n_almr, bool pretrain, int max_attempts = 3) {
    nlohmann::json spec = {{"name", "t"},
                           {"models", {{{"name", "s1"}, {"params", 1e6}}}},
                           {"grid", {{"almr", nlohmann::json::array()}, {"lr", {1e-3, 1e-2}}}},
                           {"training", {{"tokens", 2048 * 4}}},
                           {"trainer", {{"kind", "synthetic"}}},
                           {"max_attempts", max_attempts}};
    for (int i = 0; i < n_almr; ++i) spec["grid"]["almr"].push_back(0.01 * (i + 1));
    if (pretrain) spec["pretrain"] = {{"lr", 3e-3}, {"training", {{"tokens", 2048 * 4}}}};
    auto parsed = ParseSweepSpec(spec.dump(), "t.json", dir_.string());
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    auto result = store.CreateSweep(*parsed, ExpandSweep(*parsed), false, 1000);
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

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(StoreTest, ConcurrentLeasesNeverHandOutARunTwice) {
  auto store = Open();
  Submit(*store, 100, false);  // 200 runs
  std::mutex mutex;
  std::multiset<int64_t> leased;
  std::vector<std::thread> threads;
  for (int w = 0; w < 8; ++w) {
    threads.emplace_back([&, w] {
      std::string worker = "w" + std::to_string(w + 1);
      while (true) {
        auto lease = store->LeaseNextRun(worker, {"cpu"}, 2000, 60000);
        ASSERT_TRUE(lease.ok()) << lease.status();
        if (!lease->has_value()) return;
        std::lock_guard<std::mutex> lock(mutex);
        leased.insert((*lease)->run_id());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(leased.size(), 200u);
  for (int64_t id : leased) EXPECT_EQ(leased.count(id), 1u) << "run " << id << " leased twice";
}

TEST_F(StoreTest, LeasesOnlyToWorkersItRegistered) {
  auto store = Open();
  Submit(*store, 1, false);
  for (const char* id : {"nobody", "", "w", "w0", "w-3", "w012", "w99999999999999999999", "w3x"}) {
    auto lease = store->LeaseNextRun(id, {"cpu"}, 2000, 60000);
    ASSERT_FALSE(lease.ok()) << id;
    EXPECT_EQ(lease.status().code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_NE(lease.status().message().find(std::string("'") + id + "'"), std::string::npos)
        << lease.status();
  }
  auto unregistered = store->LeaseNextRun("w42", {"cpu"}, 2000, 60000);
  ASSERT_FALSE(unregistered.ok());
  EXPECT_EQ(unregistered.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unregistered.status().message().find("w42 is not registered"), std::string::npos);
  // Nothing was claimed: both runs are still there for a registered worker.
  auto runs = store->ListRuns(1);
  ASSERT_TRUE(runs.ok()) << runs.status();
  for (const v1::Run& r : *runs) EXPECT_EQ(r.state(), v1::RUN_STATE_PENDING) << r.name();
  EXPECT_TRUE(store->LeaseNextRun("w1", {"cpu"}, 2000, 60000).value().has_value());
  EXPECT_TRUE(store->LeaseNextRun("w8", {"cpu"}, 2000, 60000).value().has_value());
}

TEST_F(StoreTest, ResentPointsAreStoredOnce) {
  auto store = Open();
  Submit(*store, 1, false);
  auto lease = store->LeaseNextRun("w1", {"cpu"}, 2000, 60000);
  ASSERT_TRUE(lease.ok() && lease->has_value());
  v1::HeartbeatRequest hb;
  hb.set_worker_id("w1");
  hb.set_run_id((*lease)->run_id());
  hb.set_lease_id((*lease)->lease_id());
  for (int step = 1; step <= 100; ++step)
    *hb.add_points() = Point("train", step, 5.0 - step * 0.01);
  *hb.add_points() = Point("eval/additional", 100, 3.25);
  auto first = store->Heartbeat(hb, 2100, 60000);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->stored_points, 101);
  auto again = store->Heartbeat(hb, 2200, 60000);  // a batch resent after a lost answer
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored_points, 0);
  auto points = store->RunPoints((*lease)->run_id());
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(points->size(), 101u);
  auto runs = store->ListRuns(1);
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->at(0).state(), v1::RUN_STATE_RUNNING);
  EXPECT_DOUBLE_EQ(runs->at(0).final_loss().at("eval/additional"), 3.25);
}

TEST_F(StoreTest, ExpiredLeaseGoesBackThenFailsAfterMaxAttempts) {
  auto store = Open();
  Submit(*store, 1, false, /*max_attempts=*/2);
  auto first = store->LeaseNextRun("w1", {"cpu"}, 1000, 500);
  ASSERT_TRUE(first.ok() && first->has_value());
  int64_t run = (*first)->run_id();
  EXPECT_EQ(store->ExpireLeases(1400).value(), 0);
  EXPECT_EQ(store->ExpireLeases(1600).value(), 1);
  auto runs = store->ListRuns(1).value();
  EXPECT_EQ(runs[0].state(), v1::RUN_STATE_STALE);
  EXPECT_NE(runs[0].failure_reason().find("lease of worker w1 expired"), std::string::npos);

  // The old holder is refused; the run is leased again with the attempt counted.
  v1::HeartbeatRequest late;
  late.set_worker_id("w1");
  late.set_run_id(run);
  late.set_lease_id((*first)->lease_id());
  EXPECT_EQ(store->Heartbeat(late, 1700, 500).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto second = store->LeaseNextRun("w2", {"cpu"}, 1700, 500);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->run_id(), run);
  EXPECT_EQ(store->ListRuns(1).value()[0].attempts(), 2);
  EXPECT_EQ(store->ExpireLeases(2300).value(), 1);
  runs = store->ListRuns(1).value();
  EXPECT_EQ(runs[0].state(), v1::RUN_STATE_FAILED);
  EXPECT_NE(runs[0].failure_reason().find("failed after 2 attempts"), std::string::npos);
}

TEST_F(StoreTest, DependentRunsWaitAndReceiveTheCheckpoint) {
  auto store = Open();
  Submit(*store, 1, true);  // pretrain + 2 CPT runs
  auto pretrain = store->LeaseNextRun("w1", {"cpu"}, 1000, 60000);
  ASSERT_TRUE(pretrain.ok() && pretrain->has_value());
  EXPECT_EQ((*pretrain)->run_name(), "s1/pretrain");
  // Nothing else is leasable until the base model exists.
  EXPECT_FALSE(store->LeaseNextRun("w2", {"cpu"}, 1000, 60000).value().has_value());
  v1::CompleteRunRequest done;
  done.set_worker_id("w1");
  done.set_run_id((*pretrain)->run_id());
  done.set_lease_id((*pretrain)->lease_id());
  (*done.mutable_artifacts())["checkpoint"] = "/ckpt/base.safetensors";
  ASSERT_TRUE(store->CompleteRun(done, 1100).ok());
  ASSERT_TRUE(store->CompleteRun(done, 1200).ok()) << "a resent completion is accepted";
  auto cpt = store->LeaseNextRun("w2", {"cpu"}, 1300, 60000);
  ASSERT_TRUE(cpt.ok() && cpt->has_value());
  auto config = nlohmann::json::parse((*cpt)->run_config_json());
  EXPECT_EQ(config["init_checkpoint"], "/ckpt/base.safetensors");
  EXPECT_EQ(config["run_id"], (*cpt)->run_id());
}

TEST_F(StoreTest, FailedDependencyFailsItsDependents) {
  auto store = Open();
  Submit(*store, 1, true, /*max_attempts=*/1);
  auto pretrain = store->LeaseNextRun("w1", {"cpu"}, 1000, 60000).value();
  v1::FailRunRequest fail;
  fail.set_worker_id("w1");
  fail.set_run_id(pretrain->run_id());
  fail.set_lease_id(pretrain->lease_id());
  fail.set_kind(v1::FAILURE_KIND_ERROR);
  fail.set_reason("out of memory");
  ASSERT_TRUE(store->FailRun(fail, 1100).ok());
  auto runs = store->ListRuns(1).value();
  EXPECT_EQ(runs[0].state(), v1::RUN_STATE_FAILED);
  EXPECT_NE(runs[0].failure_reason().find("out of memory"), std::string::npos);
  for (size_t i = 1; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].state(), v1::RUN_STATE_FAILED);
    EXPECT_NE(runs[i].failure_reason().find("dependency"), std::string::npos);
  }
  EXPECT_EQ(store->GetSweep(1).value().state(), v1::SWEEP_STATE_FINISHED);
}

TEST_F(StoreTest, CudaRunsGoOnlyToCudaWorkers) {
  auto store = Open();
  nlohmann::json spec = {{"name", "g"},
                         {"models", {{{"name", "s1"}, {"params", 1e6}}}},
                         {"grid", {{"almr", {0.5}}, {"lr", {1e-3}}}},
                         {"training", {{"tokens", 4096}}},
                         {"trainer", {{"kind", "synthetic"}, {"device", "cuda"}}}};
  auto parsed = ParseSweepSpec(spec.dump(), "g.json", "/");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(store->CreateSweep(*parsed, ExpandSweep(*parsed), false, 1).ok());
  EXPECT_FALSE(store->LeaseNextRun("w1", {"cpu"}, 10, 1000).value().has_value());
  EXPECT_TRUE(store->LeaseNextRun("w2", {"cpu", "cuda:0"}, 10, 1000).value().has_value());
}

TEST_F(StoreTest, SurvivesReopenAndRefusesASecondOpener) {
  {
    auto store = Open();
    Submit(*store, 2, false);
    EXPECT_EQ(Store::Open(path_).status().code(), absl::StatusCode::kFailedPrecondition)
        << "a second orchestrator on the same file";
  }
  auto store = Open();
  EXPECT_EQ(store->ListRuns(1).value().size(), 4u);
}

TEST_F(StoreTest, RefusesFilesThatAreNotItsOwn) {
  { std::ofstream(path_) << "this is not a database, just text that is long enough to matter"; }
  auto garbage = Store::Open(path_);
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("not a mixlaw store"), std::string::npos)
      << garbage.status();
  std::filesystem::remove(path_);

  { Open(); }
  // A store from a newer mixlaw.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto newer = Store::Open(path_);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.status().message().find("newer mixlaw (schema version 99"), std::string::npos)
      << newer.status();
}

TEST_F(StoreTest, RefusesACorruptFile) {
  {
    auto store = Open();
    Submit(*store, 50, false);
  }
  // Overwrite a whole b-tree page in the middle of the file: the integrity check must catch it.
  auto size = std::filesystem::file_size(path_);
  ASSERT_GT(size, 4096u * 3);
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 2);
    std::string junk(4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto store = Store::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("store.db"), std::string::npos) << store.status();
}

TEST_F(StoreTest, CancelWithdrawsPendingRunsAndFlagsLeasedOnes) {
  auto store = Open();
  Submit(*store, 2, false);
  auto lease = store->LeaseNextRun("w1", {"cpu"}, 1000, 60000).value();
  EXPECT_EQ(store->CancelSweep(1, 1100).value(), 4);
  v1::HeartbeatRequest hb;
  hb.set_worker_id("w1");
  hb.set_run_id(lease->run_id());
  hb.set_lease_id(lease->lease_id());
  EXPECT_TRUE(store->Heartbeat(hb, 1200, 60000).value().cancel);
  EXPECT_FALSE(store->LeaseNextRun("w2", {"cpu"}, 1300, 60000).value().has_value());
  EXPECT_FALSE(store->SweepEnded(1).value()) << "a trainer is still stopping";
  v1::FailRunRequest stopped;
  stopped.set_worker_id("w1");
  stopped.set_run_id(lease->run_id());
  stopped.set_lease_id(lease->lease_id());
  stopped.set_kind(v1::FAILURE_KIND_CANCELLED);
  ASSERT_TRUE(store->FailRun(stopped, 1400).ok());
  EXPECT_TRUE(store->SweepEnded(1).value());
  EXPECT_EQ(store->GetSweep(1).value().state(), v1::SWEEP_STATE_CANCELLED);
}

// StopRun: a held run is told at its next heartbeat and ends stopped with the stop's reason and
// its points, however its trainer ends; a waiting run stops at once; an ended run is left alone;
// a stop asked before a lease expires or before the workers' process is gone still ends stopped.
TEST_F(StoreTest, StopRunEndsARunEarlyKeepingItsPointsAndReason) {
  auto store = Open();
  Submit(*store, 3, false);  // runs 1..6
  auto held = store->LeaseNextRun("w1", {"cpu"}, 1000, 60000).value();
  ASSERT_TRUE(held.has_value());
  v1::HeartbeatRequest hb;
  hb.set_worker_id("w1");
  hb.set_run_id(held->run_id());
  hb.set_lease_id(held->lease_id());
  hb.set_step(3);
  hb.set_total_steps(8);
  *hb.add_points() = Point("eval/additional", 2, 4.5);
  *hb.add_points() = Point("eval/additional", 3, 4.2);
  EXPECT_FALSE(store->Heartbeat(hb, 1100, 60000).value().cancel);

  EXPECT_EQ(store->StopRun(held->run_id(), "predicted worse than s1/lr1e-02", 1200).value(),
            v1::RUN_STATE_RUNNING)
      << "a held run stops once its trainer has";
  hb.clear_points();
  EXPECT_TRUE(store->Heartbeat(hb, 1300, 60000).value().cancel) << "its worker is told";
  v1::FailRunRequest ended;
  ended.set_worker_id("w1");
  ended.set_run_id(held->run_id());
  ended.set_lease_id(held->lease_id());
  ended.set_kind(v1::FAILURE_KIND_CANCELLED);
  ended.set_reason("cancelled");
  ASSERT_TRUE(store->FailRun(ended, 1400).ok());

  // A waiting run stops now; a succeeded one is left as it is; an unknown one is NotFound.
  const int64_t waiting = held->run_id() + 1;
  EXPECT_EQ(store->StopRun(waiting, "", 1500).value(), v1::RUN_STATE_STOPPED);
  auto done = store->LeaseNextRun("w2", {"cpu"}, 1600, 60000).value();
  ASSERT_TRUE(done.has_value());
  EXPECT_NE(done->run_id(), waiting) << "a stopped run is not leased";
  v1::CompleteRunRequest complete;
  complete.set_worker_id("w2");
  complete.set_run_id(done->run_id());
  complete.set_lease_id(done->lease_id());
  ASSERT_TRUE(store->CompleteRun(complete, 1700).ok());
  EXPECT_EQ(store->StopRun(done->run_id(), "too late", 1800).value(), v1::RUN_STATE_SUCCEEDED);
  EXPECT_EQ(store->StopRun(999, "x", 1800).status().code(), absl::StatusCode::kNotFound);

  // Asked to stop, then the lease expires; asked to stop, then the workers' process is gone.
  auto expiring = store->LeaseNextRun("w3", {"cpu"}, 2000, 100).value();
  auto released = store->LeaseNextRun("w4", {"cpu"}, 2000, 60000).value();
  ASSERT_TRUE(expiring.has_value() && released.has_value());
  ASSERT_TRUE(store->StopRun(expiring->run_id(), "far above", 2010).ok());
  ASSERT_TRUE(store->StopRun(released->run_id(), "far below", 2010).ok());
  EXPECT_EQ(store->ExpireLeases(5000).value(), 1);
  ASSERT_TRUE(store->ReleaseAllLeases(5100).ok());

  std::map<int64_t, v1::Run> runs;
  const std::vector<v1::Run> listed = store->ListRuns(1).value();
  for (const v1::Run& r : listed) runs[r.id()] = r;
  EXPECT_EQ(runs[held->run_id()].state(), v1::RUN_STATE_STOPPED);
  EXPECT_EQ(runs[held->run_id()].failure_reason(), "predicted worse than s1/lr1e-02");
  EXPECT_EQ(runs[held->run_id()].step(), 3);
  EXPECT_EQ(store->RunPoints(held->run_id()).value().size(), 2u) << "its points are kept";
  EXPECT_EQ(runs[waiting].state(), v1::RUN_STATE_STOPPED);
  EXPECT_EQ(runs[waiting].failure_reason(), "stopped early");
  EXPECT_EQ(runs[done->run_id()].state(), v1::RUN_STATE_SUCCEEDED);
  EXPECT_EQ(runs[expiring->run_id()].state(), v1::RUN_STATE_STOPPED);
  EXPECT_EQ(runs[expiring->run_id()].failure_reason(), "far above");
  EXPECT_EQ(runs[released->run_id()].state(), v1::RUN_STATE_STOPPED);
  EXPECT_EQ(runs[released->run_id()].failure_reason(), "far below");
  EXPECT_EQ(RunStateName(v1::RUN_STATE_STOPPED), std::string("stopped"));
  EXPECT_TRUE(IsTerminal(v1::RUN_STATE_STOPPED));
}

// A store written before StopRun (schema 1) is migrated: its runs keep their states and can be
// stopped.
TEST_F(StoreTest, AStoreOfSchemaOneIsMigratedAndItsRunsCanBeStopped) {
  {
    auto store = Open();
    Submit(*store, 1, false);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE runs DROP COLUMN stop_requested; PRAGMA user_version=1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ListRuns(1).value().size(), 2u);
  EXPECT_EQ(store->StopRun(1, "by hand", 2000).value(), v1::RUN_STATE_STOPPED);
}

}  // namespace
}  // namespace mixlaw

namespace mixlaw {
namespace {

// Queries bind their ids instead of carrying them in the SQL: one cached statement however many
// ids are asked for, and no read left open after the answer.
TEST(DatabaseTest, QueriesBindTheirParametersAndReuseOneStatement) {
  const std::string path = (std::filesystem::path(testing::TempDir()) /
                            ("mixlaw-sqlite-" + std::to_string(getpid()) + ".db"))
                               .string();
  std::filesystem::remove(path);
  auto db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(
      (*db)
          ->Exec("PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
          .ok());
  for (int64_t id = 1; id <= 50; ++id) {
    Statement* insert = *(*db)->Prepare("INSERT INTO t (id, name) VALUES (?1, ?2)");
    ASSERT_TRUE(insert->Bind(1, id).Bind(2, "run" + std::to_string(id)).Run().ok());
  }
  const size_t before = (*db)->cached_statements();
  for (int64_t id = 1; id <= 50; ++id) {
    EXPECT_EQ(*(*db)->QueryText("SELECT name FROM t WHERE id = ?1", {id}),
              "run" + std::to_string(id));
    EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(*) FROM t WHERE id >= ?1 AND id < ?2", {id, id + 3}),
              std::min<int64_t>(3, 51 - id));
  }
  EXPECT_EQ((*db)->cached_statements(), before + 2);
  EXPECT_EQ(*(*db)->QueryText("SELECT name FROM t WHERE id = ?1", {99}), std::nullopt);
  EXPECT_EQ(*(*db)->QueryInt("SELECT id FROM t WHERE id = ?1", {99}), 0);
  // Nothing is left mid-read: the file can be checkpointed and truncated at once.
  absl::StatusOr<int64_t> busy = (*db)->QueryInt("PRAGMA wal_checkpoint(TRUNCATE)");
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_EQ(*busy, 0);
  absl::StatusOr<int64_t> bad = (*db)->QueryInt("SELECT nope FROM t");
  EXPECT_FALSE(bad.ok());
  db->reset();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace mixlaw
