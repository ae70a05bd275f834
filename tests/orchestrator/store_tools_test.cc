// The store's tools on real store files: the check finds each broken invariant by name, and a
// backup taken while the store is open (its lock held, as an orchestrator holds it) is a store.
#include "orchestrator/store_tools.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "orchestrator/sqlite.h"
#include "orchestrator/store.h"

namespace mixlaw {
namespace {

class StoreToolsTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mixlaw-store-tools-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "store.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A store with a two-run sweep: one run leased by w1 with a point, one pending.
  std::unique_ptr<Store> Filled() {
    auto store = Store::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    nlohmann::json spec = {{"name", "t"},
                           {"models", {{{"name", "s1"}, {"params", 1e6}}}},
                           {"grid", {{"almr", {0.5}}, {"lr", {1e-3, 1e-2}}}},
                           {"training", {{"tokens", 2048 * 4}}},
                           {"trainer", {{"kind", "synthetic"}}}};
    auto parsed = ParseSweepSpec(spec.dump(), "t.json", dir_.string());
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE((*store)->CreateSweep(*parsed, ExpandSweep(*parsed), false, 1000).ok());
    EXPECT_TRUE((*store)->RegisterWorker("host", {"cpu"}, 1000).ok());
    auto lease = (*store)->LeaseNextRun("w1", {"cpu"}, 2000, 60000);
    EXPECT_TRUE(lease.ok() && lease->has_value());
    v1::HeartbeatRequest hb;
    hb.set_worker_id("w1");
    hb.set_run_id((*lease)->run_id());
    hb.set_lease_id((*lease)->lease_id());
    v1::MetricPoint* p = hb.add_points();
    p->set_split("train");
    p->set_step(1);
    p->set_loss(4.5);
    p->set_tokens(2048);
    p->set_lr(1e-3);
    EXPECT_TRUE((*store)->Heartbeat(hb, 2100, 60000).ok());
    return std::move(*store);
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(StoreToolsTest, CheckFindsEachBrokenInvariantByName) {
  Filled().reset();
  absl::StatusOr<StoreCheck> clean = CheckStoreFile(path_);
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_TRUE(clean->problems.empty())
      << clean->problems[0].check << ": " << clean->problems[0].detail;
  EXPECT_EQ(clean->runs, 2);
  EXPECT_EQ(clean->points, 1);
  EXPECT_GE(clean->checks.size(), 10u);

  {
    // Damage written behind the store's back (foreign keys off, as a bare connection has them).
    auto db = Database::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)
                    ->Exec("UPDATE runs SET lease_expires_ms = NULL WHERE id = 1;"
                           "UPDATE runs SET lease_expires_ms = 5, attempts = 9 WHERE id = 2;"
                           "INSERT INTO metrics VALUES (999, 1, 1, 1.0, 1, 0.1);"
                           "INSERT INTO sweeps (name, spec_json, spec_dir, state, created_ms) "
                           "VALUES ('empty', '{}', '/', 1, 1);"
                           "INSERT INTO sweeps (name, spec_json, spec_dir, state, created_ms) "
                           "VALUES ('odd', '{}', '/', 42, 1);")
                    .ok());
  }
  absl::StatusOr<StoreCheck> broken = CheckStoreFile(path_);
  ASSERT_TRUE(broken.ok()) << broken.status();
  std::map<std::string, std::vector<std::string>> found;
  for (const StoreProblem& p : broken->problems) found[p.check].push_back(p.detail);
  auto has = [&](const std::string& check, const std::string& detail) {
    for (const std::string& d : found[check]) {
      if (d.find(detail) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("a leased or running run has a worker and a lease expiry", "run 1 ("));
  EXPECT_TRUE(has("no other run holds a lease", "run 2 (s1/almr0.5/lr0.01/seed0)"));
  EXPECT_TRUE(has("attempts are within 0 to max_attempts, and at least 1 once leased",
                  "run 2 (s1/almr0.5/lr0.01/seed0): 9 attempts of 3"));
  EXPECT_TRUE(has("points belong to known runs and splits", "1 points of unknown run 999"));
  EXPECT_TRUE(has("foreign keys", "metrics row"));
  EXPECT_TRUE(has("an active sweep has a run to finish", "sweep 2 (empty)"));
  EXPECT_TRUE(has("every state is a known one", "sweep 3: state 42"));
  EXPECT_EQ(found.size(), 7u) << broken->problems.size() << " problems";
}

TEST_F(StoreToolsTest, CheckRefusesWhatIsNotAStore) {
  auto missing = CheckStoreFile((dir_ / "none.db").string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  std::ofstream(dir_ / "text.db") << "not a database at all, just text that is long enough\n";
  auto text = CheckStoreFile((dir_ / "text.db").string());
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("text.db: not a mixlaw store"), std::string::npos)
      << text.status();
}

TEST_F(StoreToolsTest, BackupOfAnOpenStoreIsAStoreWithEverythingCommitted) {
  std::unique_ptr<Store> open = Filled();  // holds the file's lock, as a serving orchestrator
  const std::string copy = (dir_ / "copy.db").string();
  absl::StatusOr<StoreBackup> backup = BackupStoreFile(path_, copy);
  ASSERT_TRUE(backup.ok()) << backup.status();
  EXPECT_GT(backup->pages, 0);
  EXPECT_EQ(backup->bytes, static_cast<int64_t>(std::filesystem::file_size(copy)));
  EXPECT_EQ(BackupStoreFile(path_, copy).status().code(), absl::StatusCode::kAlreadyExists)
      << "a backup never overwrites";

  auto restored = Store::Open(copy);
  ASSERT_TRUE(restored.ok()) << restored.status();
  auto original_runs = open->ListRuns(1);
  auto copied_runs = (*restored)->ListRuns(1);
  ASSERT_TRUE(original_runs.ok() && copied_runs.ok());
  ASSERT_EQ(copied_runs->size(), original_runs->size());
  EXPECT_EQ(backup->handed_back, 1);
  // The leased run is handed back in the copy, its attempt not counted; the other is as it was.
  EXPECT_EQ((*original_runs)[0].state(), v1::RUN_STATE_RUNNING);
  EXPECT_EQ((*copied_runs)[0].state(), v1::RUN_STATE_PENDING);
  EXPECT_EQ((*copied_runs)[0].attempts(), 0);
  EXPECT_EQ((*copied_runs)[0].failure_reason(), "handed back by a backup");
  EXPECT_EQ((*copied_runs)[1].DebugString(), (*original_runs)[1].DebugString());
  auto points = (*restored)->RunPoints(1);
  ASSERT_TRUE(points.ok()) << points.status();
  ASSERT_EQ(points->size(), 1u);
  EXPECT_EQ((*points)[0].loss(), 4.5);
  restored->reset();
  absl::StatusOr<StoreCheck> check = CheckStoreFile(copy);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->problems.empty());
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename().string().find(".partial-"), std::string::npos)
        << "left behind: " << entry.path();
  }
}

}  // namespace
}  // namespace mixlaw
