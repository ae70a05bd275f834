// A real sweep whose runs are PyTorch trainers: `mixlaw serve`, two `mixlaw worker` processes,
// and each run python/train_cpt.py under torchrun with two gloo ranks on the demo corpora,
// started by examples/launch-torchrun.sh. A
// worker killed with SIGKILL mid-run takes its torchrun and ranks with it, and its run is
// retried elsewhere and completes.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "tests/e2e/cluster.h"

namespace mixlaw {
namespace {

using testing_support::Cluster;
using testing_support::Mixlaw;
using testing_support::TestDir;

constexpr int kCptSteps = 16;

// Processes whose command line mentions `needle` (the test's own excluded).
std::set<pid_t> ProcessesMentioning(const std::string& needle) {
  std::set<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    pid_t pid = std::stoi(name);
    if (pid != getpid() && cmdline.find(needle) != std::string::npos) found.insert(pid);
  }
  return found;
}

bool Alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string skip, state;
  if (!(in >> skip)) return false;
  // The command may hold spaces: the state follows the last ')'.
  std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = rest.rfind(')');
  if (close == std::string::npos || close + 2 >= rest.size()) return false;
  char s = rest[close + 2];
  return s != 'Z' && s != 'X';
}

nlohmann::json TorchSpec(const std::filesystem::path& data) {
  std::string source = MIXLAW_SOURCE_DIR;
  nlohmann::json model = {{"name", "tiny"},    {"dim", 32},         {"n_layers", 2},
                          {"n_heads", 4},      {"n_kv_heads", 2},   {"ffn_dim", 64},
                          {"vocab_size", 258}, {"max_seq_len", 64}, {"rope_theta", 500000}};
  return {
      {"name", "torch"},
      {"data",
       {{"base", (data / "base").string()}, {"additional", (data / "additional").string()}}},
      {"models", {model}},
      {"pretrain",
       {{"lr", 1e-2}, {"training", {{"tokens", 8 * 32 * 10}, {"batch_size", 8}, {"seq_len", 32}}}}},
      {"grid", {{"almr", {0.25, 0.5}}, {"lr", {3e-3}}}},
      {"training",
       {{"tokens", 8 * 32 * kCptSteps},
        {"batch_size", 4},
        {"grad_accum", 2},
        {"seq_len", 32},
        {"eval_every", 4},
        {"checkpoint_every", 4}}},
      {"trainer",
       {{"kind", "exec"}, {"command", "bash " + source + "/examples/launch-torchrun.sh {config}"}}},
      {"max_attempts", 3}};
}

TEST(TorchSweepE2ETest, TorchrunRunsLandAndAKilledWorkerLeavesNoRankBehind) {
  auto dir = TestDir();
  ASSERT_EQ(Mixlaw({"data", "prepare", "--demo", "--tokenizer", "bytes", "--out",
                    (dir / "data").string()})
                .status.code,
            0);
  Cluster cluster(dir);
  cluster.StartServer({"--lease-timeout", "3", "--heartbeat-interval", "0.5"});
  // The launcher of examples/: torchrun --standalone with two ranks (gloo on CPU).
  const std::vector<std::string> worker_flags = {"--terminate-grace", "5"};
  const std::vector<std::string> env = {
      "MIXLAW_NPROC_PER_NODE=2",
      "MIXLAW_PYTHON=" + std::string(MIXLAW_SOURCE_DIR) + "/.venv/bin/python"};
  size_t first = cluster.StartWorker("", worker_flags, env);
  size_t second = cluster.StartWorker("", worker_flags, env);
  int64_t sweep = cluster.Submit(TorchSpec(dir / "data"));

  // Once a CPT run is well under way, kill its worker without warning.
  int64_t victim = 0;
  std::string victim_worker;
  for (int i = 0; i < 2400 && victim == 0; ++i) {
    auto now = cluster.Get(sweep);
    for (const auto& run : now.runs()) {
      if (run.stage() == "cpt" && run.state() == v1::RUN_STATE_RUNNING && run.step() >= 6) {
        victim = run.id();
        victim_worker = run.worker();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (victim == 0) {
    auto stuck = cluster.Get(sweep);
    for (const auto& run : stuck.runs()) {
      ADD_FAILURE() << run.name() << ": " << v1::RunState_Name(run.state()) << " after "
                    << run.attempts() << " attempts: " << run.failure_reason();
    }
  }
  ASSERT_NE(victim, 0) << cluster.WorkerLog(first) << cluster.WorkerLog(second);
  size_t doomed =
      cluster.WorkerLog(first).find(" as " + victim_worker) != std::string::npos ? first : second;
  std::string victim_config;
  auto at_kill = cluster.Get(sweep);
  for (const auto& run : at_kill.runs()) {
    if (run.id() == victim) victim_config = "/" + run.name() + "/RUN.json";
  }
  std::set<pid_t> trainer = ProcessesMentioning(victim_config);
  // sh, torchrun and its two ranks at least.
  ASSERT_GE(trainer.size(), 3u) << victim_config;
  cluster.worker(doomed).Signal(SIGKILL);

  // The worker's guard stops the trainer's whole process group.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto alive = [&] {
    std::vector<pid_t> left;
    for (pid_t p : trainer) {
      if (Alive(p)) left.push_back(p);
    }
    return left;
  };
  while (!alive().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(alive().empty()) << alive().size() << " trainer processes outlived their worker";

  ASSERT_TRUE(cluster.WaitForEnd(sweep, 900)) << cluster.ServerLog();
  auto got = cluster.Get(sweep);
  ASSERT_EQ(got.runs_size(), 3);
  for (const auto& run : got.runs()) {
    EXPECT_EQ(run.state(), v1::RUN_STATE_SUCCEEDED) << run.name() << ": " << run.failure_reason();
    EXPECT_EQ(run.final_loss().count("eval/base"), 1u) << run.name();
    EXPECT_EQ(run.final_loss().count("eval/additional"), 1u) << run.name();
    if (run.id() == victim) {
      EXPECT_EQ(run.attempts(), 2) << "retried once after the kill";
    }
    if (run.stage() == "cpt") {
      // CPT lowers the Chinese loss from the English base model's (the step-0 evaluation).
      EXPECT_LT(run.final_loss().at("eval/additional"), 5.0) << run.name();
    }
  }
  // Every run's curve is whole: a train point at every step, both evaluations at every 4th.
  auto points = cluster.Points(sweep);
  for (const auto& run : got.runs()) {
    if (run.stage() != "cpt") continue;
    for (int step = 1; step <= kCptSteps; ++step) {
      EXPECT_EQ(points.count(std::to_string(run.id()) + "/train/" + std::to_string(step)), 1u)
          << run.name() << " step " << step;
    }
    for (int step = 0; step <= kCptSteps; step += 4) {
      EXPECT_EQ(points.count(std::to_string(run.id()) + "/eval/additional/" + std::to_string(step)),
                1u)
          << run.name() << " eval step " << step;
    }
  }
  // Nothing the sweep started is left running.
  EXPECT_TRUE(ProcessesMentioning(dir.string() + "/runs/").empty());
}

}  // namespace
}  // namespace mixlaw
