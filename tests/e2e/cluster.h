// Test helpers that run the real mixlaw binary: an orchestrator server and worker processes on
// loopback, and gRPC stubs to inspect what they stored.
#ifndef MIXLAW_TESTS_E2E_CLUSTER_H_
#define MIXLAW_TESTS_E2E_CLUSTER_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/child_process.h"
#include "mixlaw/v1/mixlaw.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "orchestrator/client.h"

namespace mixlaw::testing_support {

// A scratch directory named after the running test, emptied first and left afterwards (its logs
// are what a failed test is read by).
inline std::filesystem::path TestDir() {
  auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::temp_directory_path() /
             ("mixlaw-e2e-" + std::to_string(getpid()) + "-" + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A synthetic sweep spec: one model, almr x lr, `steps` steps of `delay_ms` each.
inline nlohmann::json SyntheticSpec(const std::string& name, std::vector<double> almr,
                                    std::vector<double> lr, int steps, int delay_ms) {
  return {{"name", name},
          {"models", {{{"name", "s1"}, {"params", 1e6}}}},
          {"grid", {{"almr", almr}, {"lr", lr}}},
          {"training",
           {{"tokens", 2048 * steps}, {"batch_size", 16}, {"seq_len", 128}, {"eval_every", 10}}},
          {"trainer", {{"kind", "synthetic"}, {"synthetic", {{"step_delay_ms", delay_ms}}}}},
          {"max_attempts", 3}};
}

// Points the synthetic trainer prints for `steps` steps with eval every 10: one train point a
// step, and two eval splits at every 10th step and the last.
inline int64_t SyntheticPoints(int steps) {
  int evals = steps / 10 + (steps % 10 != 0 ? 1 : 0);
  return steps + 2 * evals;
}

inline std::string WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path.string();
}

// A command that ran: its exit status, its stdout lines and the tail of its stderr.
struct Result {
  ExitStatus status;
  std::vector<std::string> out;
  std::string err;
  bool timed_out = false;  // terminated after its time was up
  std::string Out() const {
    std::string all;
    for (const auto& l : out) all += l + "\n";
    return all;
  }
};

// Runs argv in `cwd` (this directory when empty) until it ends, or terminates it after
// `timeout_ms`.
inline Result RunFor(std::vector<std::string> argv, int timeout_ms,
                     const std::filesystem::path& cwd = {}) {
  SpawnOptions options;
  options.argv = std::move(argv);
  options.cwd = cwd.string();
  options.stderr_tail_bytes = 4 << 20;
  auto child = ChildProcess::Spawn(options);
  EXPECT_TRUE(child.ok()) << child.status();
  Result r;
  if (!child.ok()) return r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while ((*child)->Poll(200, &r.out)) {
    if (std::chrono::steady_clock::now() > deadline) {
      r.timed_out = true;
      r.status = (*child)->Terminate(2000, &r.out);
      r.err = (*child)->stderr_tail();
      return r;
    }
  }
  r.status = (*child)->Wait(&r.out);
  r.err = (*child)->stderr_tail();
  return r;
}

// The mixlaw binary with `args`, ten minutes at most.
inline Result Mixlaw(std::vector<std::string> args, const std::filesystem::path& cwd = {}) {
  args.insert(args.begin(), MIXLAW_BINARY);
  return RunFor(std::move(args), 600000, cwd);
}

// argv run with its stderr appended to `log` (through exec, so signals reach mixlaw itself).
inline std::vector<std::string> LoggedTo(const std::filesystem::path& log,
                                         std::vector<std::string> argv) {
  std::vector<std::string> wrapped = {"/bin/sh", "-c",
                                      "exec \"$0\" \"$@\" 2>>'" + log.string() + "'"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

class Cluster {
 public:
  // Logs and the store in `dir`; the store elsewhere with `db`.
  explicit Cluster(std::filesystem::path dir, std::filesystem::path db = {})
      : dir_(std::move(dir)), db_(db.empty() ? dir_ / "store.db" : std::move(db)) {}
  ~Cluster() {
    for (auto& w : workers_) w.reset();
    server_.reset();
  }

  // Starts `mixlaw serve` on the store in dir; port 0 picks one (kept for restarts).
  void StartServer(std::vector<std::string> extra = {}) {
    SpawnOptions options;
    options.argv =
        LoggedTo(dir_ / "server.log", {MIXLAW_BINARY, "serve", "--db", db_.string(), "--listen",
                                       "127.0.0.1:" + std::to_string(port_)});
    options.argv.insert(options.argv.end(), extra.begin(), extra.end());
    auto child = ChildProcess::Spawn(options);
    ASSERT_TRUE(child.ok()) << child.status();
    server_ = std::move(*child);
    std::vector<std::string> lines;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      bool open = server_->Poll(200, &lines);
      for (const std::string& line : lines) {
        if (line.rfind("http ", 0) == 0) http_port_ = std::stoi(line.substr(5));
        if (line.rfind("listening ", 0) == 0) {
          port_ = std::stoi(line.substr(10));
          return;
        }
      }
      if (!open) break;
    }
    FAIL() << "the server did not start: " << ReadLog(dir_ / "server.log");
  }

  void KillServer() {
    server_->Signal(SIGKILL);
    std::vector<std::string> lines;
    server_->Wait(&lines);
    server_.reset();
  }

  // Starts `mixlaw worker`, with `env` ("NAME=value") set for it; returns its index.
  size_t StartWorker(const std::string& token_file = "", std::vector<std::string> extra = {},
                     const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv;
    if (!env.empty()) {
      argv.push_back("/usr/bin/env");
      argv.insert(argv.end(), env.begin(), env.end());
    }
    argv.insert(argv.end(), {MIXLAW_BINARY, "worker", "--orchestrator", address()});
    if (!token_file.empty()) {
      argv.push_back("--token-file");
      argv.push_back(token_file);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    SpawnOptions options;
    options.argv = LoggedTo(dir_ / ("worker" + std::to_string(workers_.size()) + ".log"), argv);
    auto child = ChildProcess::Spawn(options);
    EXPECT_TRUE(child.ok()) << child.status();
    workers_.push_back(std::move(*child));
    return workers_.size() - 1;
  }

  ChildProcess& worker(size_t i) { return *workers_.at(i); }

  // What the worker logged so far.
  std::string WorkerLog(size_t i) {
    return ReadLog(dir_ / ("worker" + std::to_string(i) + ".log"));
  }
  std::string ServerLog() { return ReadLog(dir_ / "server.log"); }

  static std::string ReadLog(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // The dashboard's port, once a server started with --http has said it (0 before).
  int http_port() const { return http_port_; }

  std::unique_ptr<v1::SweepService::Stub> SweepStub() {
    return v1::SweepService::NewStub(*MakeChannel({address(), "", ""}));
  }
  std::unique_ptr<v1::WorkerService::Stub> WorkerStub() {
    return v1::WorkerService::NewStub(*MakeChannel({address(), "", ""}));
  }

  // Submits a spec through gRPC with `token`; returns the sweep id.
  int64_t Submit(const nlohmann::json& spec, const std::string& token = "") {
    v1::SubmitSweepRequest request;
    request.set_spec_json(spec.dump());
    request.set_spec_dir(dir_.string());
    v1::SubmitSweepResponse response;
    grpc::Status s = SweepStub()->SubmitSweep(Context(token).get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.sweep_id();
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") {
    return MakeContext({address(), token, ""}, std::chrono::seconds(10));
  }

  v1::GetSweepResponse Get(int64_t sweep_id, const std::string& token = "") {
    v1::GetSweepRequest request;
    request.set_sweep_id(sweep_id);
    request.set_include_runs(true);
    v1::GetSweepResponse response;
    grpc::Status s = SweepStub()->GetSweep(Context(token).get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  // Polls until the sweep is no longer active and no run is held; false on timeout.
  bool WaitForEnd(int64_t sweep_id, int timeout_s, const std::string& token = "") {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      v1::GetSweepRequest request;
      request.set_sweep_id(sweep_id);
      request.set_include_runs(true);
      v1::GetSweepResponse r;
      if (SweepStub()->GetSweep(Context(token).get(), request, &r).ok() &&
          r.sweep().state() != v1::SWEEP_STATE_ACTIVE) {
        bool held = false;
        for (const auto& run : r.runs()) {
          held =
              held || run.state() == v1::RUN_STATE_LEASED || run.state() == v1::RUN_STATE_RUNNING;
        }
        if (!held) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Every stored point of the sweep, keyed "run/split/step" -> loss.
  // The sweep's points once at least `count` are stored (polled for up to 10 s; fewer when the
  // time ran out).
  std::map<std::string, double> PointsOnceAtLeast(int64_t sweep_id, size_t count) {
    std::map<std::string, double> points;
    for (int i = 0; i < 200 && points.size() < count; ++i) {
      points = Points(sweep_id);
      if (points.size() < count) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return points;
  }

  std::map<std::string, double> Points(int64_t sweep_id, const std::string& token = "") {
    v1::ExportSweepRequest request;
    request.set_sweep_id(sweep_id);
    request.set_include_points(true);
    auto context = Context(token);
    auto reader = SweepStub()->ExportSweep(context.get(), request);
    std::map<std::string, double> points;
    v1::ExportChunk chunk;
    while (reader->Read(&chunk)) {
      for (const auto& p : chunk.points()) {
        std::string key =
            std::to_string(chunk.run_id()) + "/" + p.split() + "/" + std::to_string(p.step());
        EXPECT_EQ(points.count(key), 0u) << "point " << key << " exported twice";
        points[key] = p.loss();
      }
    }
    EXPECT_TRUE(reader->Finish().ok());
    return points;
  }

 private:
  std::filesystem::path dir_;
  std::filesystem::path db_;
  int port_ = 0;
  int http_port_ = 0;
  std::unique_ptr<ChildProcess> server_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

}  // namespace mixlaw::testing_support

#endif  // MIXLAW_TESTS_E2E_CLUSTER_H_
