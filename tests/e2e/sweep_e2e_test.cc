// The orchestrator and workers as real processes on loopback, with real SQLite files: sweeps
// finish with every point stored once, through worker and orchestrator crashes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "absl/cleanup/cleanup.h"
#include "tests/e2e/cluster.h"

namespace mixlaw {
namespace {

using testing_support::Cluster;
using testing_support::Mixlaw;
using testing_support::SyntheticPoints;
using testing_support::SyntheticSpec;
using testing_support::TestDir;

// Fast leases for the crash tests: a silent worker loses its run after 1.5 s.
const std::vector<std::string> kFastLeases = {"--lease-timeout", "1.5", "--heartbeat-interval",
                                              "0.3"};

// Every run succeeded, the sweep holds all `expected_points`, and each of `before` (points
// acknowledged at some earlier moment) is there with its value; `when` names that moment.
void ExpectCompleteWith(Cluster& cluster, int64_t sweep, size_t expected_points,
                        const std::map<std::string, double>& before, const std::string& when) {
  auto got = cluster.Get(sweep);
  for (const auto& run : got.runs()) {
    EXPECT_EQ(run.state(), v1::RUN_STATE_SUCCEEDED) << run.name() << ": " << run.failure_reason();
  }
  std::map<std::string, double> after = cluster.Points(sweep);
  EXPECT_EQ(after.size(), expected_points);
  for (const auto& [key, loss] : before) {
    ASSERT_TRUE(after.contains(key)) << key << " was acknowledged " << when << ", then lost";
    EXPECT_EQ(after.at(key), loss) << key;
  }
}

// Removes a store file with its WAL and shared-memory files.
void RemoveStore(const std::filesystem::path& db) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(db.string() + suffix);
  }
}

TEST(SweepE2ETest, ThreeWorkersStoreEveryPointOnce) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer(kFastLeases);
  for (int i = 0; i < 3; ++i) cluster.StartWorker();
  int64_t sweep = cluster.Submit(SyntheticSpec("three", {0.1, 0.5}, {1e-3, 3e-3, 1e-2}, 40, 10));
  ASSERT_TRUE(cluster.WaitForEnd(sweep, 120)) << cluster.ServerLog();
  auto result = cluster.Get(sweep);
  EXPECT_EQ(result.sweep().state(), v1::SWEEP_STATE_FINISHED);
  std::set<std::string> workers;
  for (const auto& run : result.runs()) {
    EXPECT_EQ(run.state(), v1::RUN_STATE_SUCCEEDED) << run.name() << ": " << run.failure_reason();
    EXPECT_EQ(run.attempts(), 1);
    EXPECT_EQ(run.step(), 40);
    EXPECT_EQ(run.final_loss().size(), 2u);
    EXPECT_TRUE(run.artifacts().contains("checkpoint"));
    workers.insert(run.worker());
  }
  EXPECT_GE(workers.size(), 2u) << "the runs should spread over the workers";
  EXPECT_EQ(cluster.Points(sweep).size(), 6u * SyntheticPoints(40));
}

TEST(SweepE2ETest, KilledWorkerLosesItsLeaseAndTheRunCompletesElsewhere) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer(kFastLeases);
  size_t doomed = cluster.StartWorker();
  int64_t sweep = cluster.Submit(SyntheticSpec("kill-worker", {0.25}, {1e-3, 1e-2}, 60, 50));
  // Wait until the worker is well into a run, then kill it without warning.
  int64_t victim = 0;
  for (int i = 0; i < 200 && victim == 0; ++i) {
    auto got = cluster.Get(sweep);
    for (const auto& run : got.runs()) {
      if (run.state() == v1::RUN_STATE_RUNNING && run.step() >= 10) victim = run.id();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(victim, 0) << cluster.WorkerLog(doomed);
  cluster.worker(doomed).Signal(SIGKILL);
  cluster.StartWorker();
  ASSERT_TRUE(cluster.WaitForEnd(sweep, 120)) << cluster.ServerLog();
  auto got = cluster.Get(sweep);
  for (const auto& run : got.runs()) {
    EXPECT_EQ(run.state(), v1::RUN_STATE_SUCCEEDED) << run.name() << ": " << run.failure_reason();
    if (run.id() == victim) {
      EXPECT_EQ(run.attempts(), 2) << "leased again after the lease expired";
      EXPECT_NE(run.failure_reason().find("expired"), std::string::npos) << run.failure_reason();
    }
  }
  EXPECT_NE(cluster.ServerLog().find("lease(s) expired"), std::string::npos);
  EXPECT_EQ(cluster.Points(sweep).size(), 2u * SyntheticPoints(60));
}

// A node that cannot run the sweep's trainer (here no bash on its PATH, as on a node missing the
// trainer's environment) fails a run, then waits before leasing again, so the healthy worker takes
// the sweep and no run spends its attempts on the broken node.
TEST(SweepE2ETest, AWorkerWhoseTrainersFailWaitsAndLeavesTheRunsToTheOthers) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer(kFastLeases);
  size_t broken = cluster.StartWorker("", {"--failure-backoff", "600"}, {"PATH=/nonexistent"});
  const nlohmann::json spec = {
      {"name", "broken-node"},
      {"models", {{{"name", "m1"}, {"params", 1e6}}}},
      {"grid", {{"almr", {0.1, 0.5}}, {"lr", {1e-3, 4e-3}}}},
      {"training", {{"tokens", 40960}, {"batch_size", 16}, {"seq_len", 128}}},
      {"trainer",
       {{"kind", "exec"},
        {"command", std::string("bash ") + MIXLAW_SOURCE_DIR +
                        "/examples/trainers/exec-trainer.sh {config}"}}},
      {"max_attempts", 2}};
  int64_t sweep = cluster.Submit(spec);
  bool waiting = false;
  for (int i = 0; i < 600 && !waiting; ++i) {
    waiting = cluster.WorkerLog(broken).find(
                  "1 run(s) in a row failed on this worker; waiting "
                  "600 s") != std::string::npos;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(waiting) << cluster.WorkerLog(broken);
  cluster.StartWorker();
  ASSERT_TRUE(cluster.WaitForEnd(sweep, 120)) << cluster.ServerLog();
  auto got = cluster.Get(sweep);
  ASSERT_EQ(got.runs().size(), 4);
  int attempts = 0, retried = 0;
  for (const auto& run : got.runs()) {
    EXPECT_EQ(run.state(), v1::RUN_STATE_SUCCEEDED) << run.name() << ": " << run.failure_reason();
    attempts += run.attempts();
    if (run.attempts() == 2) {
      ++retried;
      // "bash: not found" (dash) or "bash: command not found" (bash as /bin/sh)
      EXPECT_NE(run.failure_reason().find("bash"), std::string::npos) << run.failure_reason();
      EXPECT_NE(run.failure_reason().find("not found"), std::string::npos) << run.failure_reason();
    }
  }
  EXPECT_EQ(retried, 1) << "one failed attempt, on the broken worker, then it waited";
  EXPECT_EQ(attempts, 5);
}

TEST(SweepE2ETest, KilledOrchestratorRestartsOnItsFileAndLosesNothing) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer({"--lease-timeout", "5", "--heartbeat-interval", "0.3"});
  cluster.StartWorker();
  cluster.StartWorker();
  int64_t sweep = cluster.Submit(SyntheticSpec("kill-server", {0.1, 0.5}, {1e-3, 1e-2}, 60, 30));
  std::map<std::string, double> before = cluster.PointsOnceAtLeast(sweep, 60);
  ASSERT_GE(before.size(), 60u) << "points must have been acknowledged before the kill";
  cluster.KillServer();
  // The workers keep training and buffer their points while the orchestrator is gone.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  cluster.StartServer({"--lease-timeout", "5", "--heartbeat-interval", "0.3"});
  ASSERT_TRUE(cluster.WaitForEnd(sweep, 120)) << cluster.ServerLog();
  ExpectCompleteWith(cluster, sweep, 4u * SyntheticPoints(60), before, "before the kill");
}

// A lease for a worker id the orchestrator did not give is refused by name, not answered UNKNOWN;
// a worker the orchestrator does not know (its store was replaced) registers again and goes on.
TEST(SweepE2ETest, LeasesNeedARegisteredWorkerAndAnUnknownOneRegistersAgain) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer({"--lease-timeout", "5", "--heartbeat-interval", "0.3"});
  for (const char* id : {"nobody", "w99999999999999999999", ""}) {
    v1::LeaseRunRequest request;
    request.set_worker_id(id);
    request.add_devices("cpu");
    v1::LeaseRunResponse response;
    grpc::ClientContext context;
    grpc::Status s = cluster.WorkerStub()->LeaseRun(&context, request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << id << ": " << s.error_message();
    EXPECT_NE(s.error_message().find(std::string("'") + id + "'"), std::string::npos)
        << s.error_message();
  }
  cluster.StartWorker();
  for (int i = 0; i < 100 && cluster.WorkerLog(0).find("registered") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(cluster.WorkerLog(0).find("registered"), std::string::npos) << cluster.WorkerLog(0);
  cluster.KillServer();
  RemoveStore(dir / "store.db");
  cluster.StartServer({"--lease-timeout", "5", "--heartbeat-interval", "0.3"});
  int64_t sweep = cluster.Submit(SyntheticSpec("fresh", {0.5}, {1e-3, 1e-2}, 20, 5));
  ASSERT_TRUE(cluster.WaitForEnd(sweep, 60)) << cluster.WorkerLog(0);
  auto got = cluster.Get(sweep);
  for (const auto& run : got.runs()) {
    EXPECT_EQ(run.state(), v1::RUN_STATE_SUCCEEDED) << run.name() << ": " << run.failure_reason();
  }
  EXPECT_NE(cluster.WorkerLog(0).find("registering again"), std::string::npos)
      << cluster.WorkerLog(0);
}

// `mixlaw db backup` while the orchestrator serves: the copy passes `db check`, and an
// orchestrator restarted on it resumes the sweep to the end with every point acknowledged before
// the backup; the runs leased at the copy train again, so that none ends with a gap.
TEST(SweepE2ETest, ABackupTakenMidSweepRestoresAndTheSweepResumesFromIt) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer({"--lease-timeout", "5", "--heartbeat-interval", "0.3"});
  cluster.StartWorker();
  cluster.StartWorker();
  int64_t sweep = cluster.Submit(SyntheticSpec("backup", {0.1, 0.5}, {1e-3, 1e-2}, 60, 30));
  std::map<std::string, double> before = cluster.PointsOnceAtLeast(sweep, 60);
  ASSERT_GE(before.size(), 60u);
  const std::filesystem::path copy = dir / "backup.db";
  auto backup = Mixlaw({"db", "backup", "--db", (dir / "store.db").string(), copy.string()});
  ASSERT_EQ(backup.status.code, 0) << backup.err;
  auto check = Mixlaw({"db", "check", "--db", copy.string(), "--json"});
  ASSERT_EQ(check.status.code, 0) << check.Out() << check.err;
  EXPECT_TRUE(nlohmann::json::parse(check.Out())["ok"].get<bool>());

  cluster.KillServer();
  RemoveStore(dir / "store.db");
  std::filesystem::rename(copy, dir / "store.db");
  cluster.StartServer({"--lease-timeout", "5", "--heartbeat-interval", "0.3"});
  ASSERT_TRUE(cluster.WaitForEnd(sweep, 120)) << cluster.ServerLog();
  ExpectCompleteWith(cluster, sweep, 4u * SyntheticPoints(60), before, "before the backup");
  auto final_check = Mixlaw({"db", "check", "--db", (dir / "store.db").string()});
  EXPECT_EQ(final_check.status.code, 0) << final_check.Out();
}

// The store on a small filesystem that fills up mid-sweep: writes are refused with a clear error
// (RESOURCE_EXHAUSTED, "the disk is full"), reads go on, nothing acknowledged is lost, and once
// space returns the workers' buffered points land and the sweep ends complete.
TEST(SweepE2ETest, AFullDiskRefusesWritesKeepsReadsAndRecovers) {
  auto dir = TestDir();
  const std::filesystem::path disk = dir / "disk";
  std::filesystem::create_directories(disk);
  if (mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=16m") != 0) {
    GTEST_SKIP() << "cannot mount a size-limited tmpfs here (it needs root): " << strerror(errno);
  }
  absl::Cleanup unmount = [&] { umount2(disk.c_str(), MNT_DETACH); };
  Cluster cluster(dir, disk / "store.db");
  cluster.StartServer({"--lease-timeout", "60", "--heartbeat-interval", "0.3"});
  cluster.StartWorker();
  cluster.StartWorker();
  auto spec = SyntheticSpec("full", {0.1, 0.5}, {1e-3, 1e-2}, 400, 20);
  spec["output_root"] = (dir / "runs").string();  // the trainers write elsewhere
  int64_t sweep = cluster.Submit(spec);
  ASSERT_GE(cluster.PointsOnceAtLeast(sweep, 40).size(), 40u);
  // Fill the filesystem to the last byte.
  const std::string filler = (disk / "filler").string();
  int fd = open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  const std::string block(1 << 16, 'x');
  while (write(fd, block.data(), block.size()) > 0) {
  }
  while (write(fd, block.data(), 512) > 0) {
  }
  close(fd);
  auto logs = [&] { return cluster.WorkerLog(0) + cluster.WorkerLog(1); };
  for (int i = 0; i < 200 && logs().find("the disk is full") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(logs().find("RESOURCE_EXHAUSTED"), std::string::npos) << logs();
  EXPECT_NE(logs().find("points buffered"), std::string::npos) << "trainers go on";
  // Reads are answered; a write is refused, saying why.
  std::map<std::string, double> before = cluster.Points(sweep);
  EXPECT_FALSE(before.empty());
  EXPECT_EQ(cluster.Get(sweep).sweep().state(), v1::SWEEP_STATE_ACTIVE);
  v1::SubmitSweepRequest request;
  request.set_spec_json(SyntheticSpec("another", {0.5}, {1e-3}, 10, 0).dump());
  request.set_spec_dir(dir.string());
  v1::SubmitSweepResponse response;
  grpc::Status refused =
      cluster.SweepStub()->SubmitSweep(cluster.Context().get(), request, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("the disk is full"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::map<std::string, double> during = cluster.Points(sweep);
  for (const auto& [key, loss] : before) {
    ASSERT_TRUE(during.contains(key)) << key << " was acknowledged, then lost while full";
  }

  std::filesystem::remove(filler);
  ASSERT_TRUE(cluster.WaitForEnd(sweep, 120)) << cluster.ServerLog() << logs();
  ExpectCompleteWith(cluster, sweep, 4u * SyntheticPoints(400), before, "while full");
}

// A worker with two GPUs runs one lease loop for each, and each trainer sees only its own GPU;
// a CPU-only worker beside it gets none of the cuda sweep's runs. (No GPU is needed: the exec
// trainer records what it was given.)
TEST(SweepE2ETest, EachGpuOfAWorkerRunsItsOwnTrainerSeeingOnlyThatGpu) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer(kFastLeases);
  size_t gpus = cluster.StartWorker("", {"--devices", "cuda:2,cuda:5"});
  size_t cpu = cluster.StartWorker("", {"--devices", "cpu"});
  const nlohmann::json spec = {
      {"name", "two-gpus"},
      {"models", {{{"name", "m1"}, {"params", 1e6}}}},
      {"grid", {{"almr", {0.1, 0.5}}, {"lr", {1e-3, 4e-3}}}},
      {"training", {{"tokens", 40960}, {"batch_size", 16}, {"seq_len", 128}}},
      {"trainer",
       {{"kind", "exec"},
        {"device", "cuda"},
        {"command", std::string("echo \"$CUDA_VISIBLE_DEVICES\" > visible && sleep 1 && bash ") +
                        MIXLAW_SOURCE_DIR + "/examples/trainers/exec-trainer.sh {config}"}}},
      {"output_root", (dir / "runs").string()}};
  int64_t sweep = cluster.Submit(spec);
  ASSERT_TRUE(cluster.WaitForEnd(sweep, 120)) << cluster.ServerLog() << cluster.WorkerLog(gpus);
  auto result = cluster.Get(sweep);
  ASSERT_EQ(result.runs_size(), 4);
  for (const auto& run : result.runs()) EXPECT_EQ(run.state(), v1::RUN_STATE_SUCCEEDED);
  std::set<std::string> seen;
  int trainers = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "runs")) {
    if (entry.path().filename() != "visible") continue;
    ++trainers;
    std::string visible = Cluster::ReadLog(entry.path());
    visible.erase(visible.find_last_not_of('\n') + 1);
    EXPECT_TRUE(visible == "2" || visible == "5") << entry.path() << ": '" << visible << "'";
    seen.insert(visible);
  }
  EXPECT_EQ(trainers, 4);
  EXPECT_EQ(seen, (std::set<std::string>{"2", "5"})) << "both GPUs trained";
  const std::string log = cluster.WorkerLog(gpus);
  EXPECT_NE(log.find("worker cuda:2: registered"), std::string::npos) << log;
  EXPECT_NE(log.find("worker cuda:5: registered"), std::string::npos) << log;
  // The CPU worker's id, from its log line "registered with ADDRESS as ID".
  const std::string cpu_log = cluster.WorkerLog(cpu);
  const size_t as = cpu_log.find(" as ");
  ASSERT_NE(as, std::string::npos) << cpu_log;
  const std::string cpu_id = cpu_log.substr(as + 4, cpu_log.find('\n', as) - as - 4);
  for (const auto& run : result.runs()) EXPECT_NE(run.worker(), cpu_id) << run.name();
}

TEST(SweepE2ETest, CancelStopsRunningTrainers) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer(kFastLeases);
  cluster.StartWorker();
  int64_t sweep = cluster.Submit(SyntheticSpec("cancel", {0.25, 0.5}, {1e-3}, 400, 50));
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {
    auto got = cluster.Get(sweep);
    for (const auto& run : got.runs()) running |= run.step() > 2;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(running);
  v1::CancelSweepRequest request;
  request.set_sweep_id(sweep);
  v1::CancelSweepResponse response;
  ASSERT_TRUE(cluster.SweepStub()->CancelSweep(cluster.Context().get(), request, &response).ok());
  EXPECT_EQ(response.cancelled_runs(), 2);
  // A 20 s run is stopped within a few heartbeats, not finished.
  ASSERT_TRUE(cluster.WaitForEnd(sweep, 15));
  auto result = cluster.Get(sweep);
  EXPECT_EQ(result.sweep().state(), v1::SWEEP_STATE_CANCELLED);
  for (const auto& run : result.runs()) {
    EXPECT_EQ(run.state(), v1::RUN_STATE_CANCELLED);
    EXPECT_LT(run.step(), 400);
  }
}

TEST(SweepE2ETest, SigtermedWorkerHandsItsRunBack) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer(kFastLeases);
  size_t w = cluster.StartWorker();
  int64_t sweep = cluster.Submit(SyntheticSpec("sigterm", {0.25}, {1e-3}, 400, 50));
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {
    running = cluster.Get(sweep).runs(0).step() > 2;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(running);
  cluster.worker(w).Signal(SIGTERM);
  std::vector<std::string> lines;
  ExitStatus status = cluster.worker(w).Wait(&lines);
  EXPECT_TRUE(status.exited && status.code == 0) << status.Describe();
  auto run = cluster.Get(sweep).runs(0);
  EXPECT_EQ(run.state(), v1::RUN_STATE_PENDING) << run.failure_reason();
  EXPECT_EQ(run.attempts(), 0) << "a clean hand-back does not use up an attempt";
  EXPECT_NE(run.failure_reason().find("stopped"), std::string::npos);
}

TEST(SweepE2ETest, TokensAreCheckedOnEveryCallAndRolesKeptApart) {
  auto dir = TestDir();
  std::string client_token = "client-token-0123456789abcdef";
  std::string worker_token = "worker-token-0123456789abcdef";
  std::string client_file = testing_support::WriteFile(dir / "client.token", client_token + "\n");
  std::string worker_file = testing_support::WriteFile(dir / "worker.token", worker_token + "\n");
  Cluster cluster(dir);
  cluster.StartServer({"--client-token-file", client_file, "--worker-token-file", worker_file});
  auto spec = SyntheticSpec("auth", {0.25}, {1e-3}, 10, 0);
  v1::SubmitSweepRequest submit;
  submit.set_spec_json(spec.dump());
  submit.set_spec_dir(dir.string());
  v1::SubmitSweepResponse submitted;
  EXPECT_EQ(
      cluster.SweepStub()->SubmitSweep(cluster.Context().get(), submit, &submitted).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(cluster.SweepStub()
                ->SubmitSweep(cluster.Context("wrong-token-0123456789").get(), submit, &submitted)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(cluster.SweepStub()
                ->SubmitSweep(cluster.Context(worker_token).get(), submit, &submitted)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "a worker token cannot submit";
  v1::ListSweepsResponse listed;
  EXPECT_EQ(cluster.SweepStub()
                ->ListSweeps(cluster.Context().get(), v1::ListSweepsRequest(), &listed)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::RegisterWorkerRequest reg;
  reg.set_hostname("h");
  reg.add_devices("cpu");
  v1::RegisterWorkerResponse registered;
  EXPECT_EQ(cluster.WorkerStub()
                ->RegisterWorker(cluster.Context(client_token).get(), reg, &registered)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "a client token cannot act as a worker";

  // With the right tokens the sweep runs.
  int64_t sweep = cluster.Submit(spec, client_token);
  cluster.StartWorker(worker_file);
  ASSERT_TRUE(cluster.WaitForEnd(sweep, 60, client_token));
  EXPECT_EQ(cluster.Get(sweep, client_token).runs(0).state(), v1::RUN_STATE_SUCCEEDED);
}

TEST(SweepE2ETest, RefusesToListenOffLoopbackWithoutTokens) {
  auto dir = TestDir();
  SpawnOptions options;
  options.argv = {MIXLAW_BINARY, "serve", "--db", (dir / "s.db").string(), "--listen", "0.0.0.0:0"};
  auto child = ChildProcess::Spawn(options);
  ASSERT_TRUE(child.ok());
  std::vector<std::string> lines;
  ExitStatus status = (*child)->Wait(&lines);
  EXPECT_TRUE(status.exited && status.code != 0);
  EXPECT_NE((*child)->stderr_tail().find("without tokens"), std::string::npos)
      << (*child)->stderr_tail();
}

}  // namespace
}  // namespace mixlaw
