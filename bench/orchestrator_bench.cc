// Orchestrator load benchmark: a real `mixlaw serve` process on loopback and N simulated workers,
// each on its own gRPC channel, running the whole lease cycle: lease, one heartbeat carrying
// `values` metric points (an Optuna trial's intermediate values), complete. Then bulk ingestion
// up to a total point count, the store's bytes per point, and the server's peak memory (VmHWM).
//
//   orchestrator_bench --workers 200 --runs 20000 --values 100 --points 10000000 --out r.json
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/child_process.h"
#include "mixlaw/v1/mixlaw.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "orchestrator/client.h"

namespace mixlaw {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int64_t ReadStatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

std::shared_ptr<grpc::Channel> WorkerChannel(const std::string& address, int i) {
  grpc::ChannelArguments args;
  args.SetInt("mixlaw.bench.worker", i);  // a channel (and connection) of its own
  args.SetMaxSendMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

v1::MetricPoint Point(int64_t step, double loss) {
  v1::MetricPoint p;
  p.set_split("train");
  p.set_step(step);
  p.set_loss(loss);
  p.set_tokens(step * 2048);
  p.set_lr(1e-3);
  return p;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"mixlaw orchestrator load benchmark"};
  int workers = 200;
  int runs = 20000;
  int values = 100;
  double seconds = 20;
  int64_t total_points = 10'000'000;
  int batch = 10000;
  std::string mixlaw = MIXLAW_BINARY;
  std::string out;
  app.add_option("--workers", workers, "Simulated workers")->capture_default_str();
  app.add_option("--runs", runs, "Runs in the sweep")->capture_default_str();
  app.add_option("--values", values, "Metric points per run (one heartbeat)")
      ->capture_default_str();
  app.add_option("--seconds", seconds, "Duration of the lease phase")->capture_default_str();
  app.add_option("--points", total_points, "Points stored in all, for memory and size")
      ->capture_default_str();
  app.add_option("--batch", batch, "Points per heartbeat in the ingestion phase")
      ->capture_default_str();
  app.add_option("--mixlaw", mixlaw, "The mixlaw binary")->capture_default_str();
  app.add_option("--out", out, "Write the results as JSON here");
  CLI11_PARSE(app, argc, argv);

  auto dir = std::filesystem::temp_directory_path() / ("mixlaw-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string db = (dir / "bench.db").string();
  SpawnOptions server_options;
  server_options.argv = {"/bin/sh",
                         "-c",
                         "exec \"$0\" \"$@\" 2>>'" + (dir / "server.log").string() + "'",
                         mixlaw,
                         "-q",
                         "serve",
                         "--db",
                         db,
                         "--listen",
                         "127.0.0.1:0",
                         "--lease-timeout",
                         "600",
                         "--heartbeat-interval",
                         "2"};
  auto server = ChildProcess::Spawn(server_options);
  if (!server.ok()) {
    std::cerr << server.status() << "\n";
    return 1;
  }
  std::string address;
  std::vector<std::string> lines;
  while (address.empty() && (*server)->Poll(10000, &lines)) {
    for (const auto& l : lines) {
      if (l.rfind("listening ", 0) == 0) address = "127.0.0.1:" + l.substr(10);
    }
  }
  if (address.empty()) {
    std::cerr << "the server did not start\n";
    return 1;
  }

  // A grid of `runs` points: 1 model x ALMR x LR.
  int n_almr = 100;
  int n_lr = (runs + n_almr - 1) / n_almr;
  nlohmann::json spec = {
      {"name", "bench"},
      {"models", {{{"name", "m"}, {"params", 1e6}}}},
      {"grid",
       {{"almr", {{"min", 0.0}, {"max", 1.0}, {"num", n_almr}, {"scale", "linear"}}},
        {"lr", {{"min", 1e-5}, {"max", 1e-1}, {"num", n_lr}}}}},
      {"training", {{"tokens", 2048 * values}}},
      {"trainer", {{"kind", "synthetic"}}}};
  auto client = v1::SweepService::NewStub(*MakeChannel({address, "", ""}));
  v1::SubmitSweepRequest submit;
  submit.set_spec_json(spec.dump());
  submit.set_spec_dir(dir.string());
  v1::SubmitSweepResponse submitted;
  grpc::ClientContext submit_context;
  grpc::Status s = client->SubmitSweep(&submit_context, submit, &submitted);
  if (!s.ok()) {
    std::cerr << "submit: " << s.error_message() << "\n";
    return 1;
  }
  std::cerr << "sweep of " << submitted.runs() << " runs; " << workers << " workers for " << seconds
            << " s\n";

  // Phase 1: the lease cycle.
  std::atomic<int64_t> cycles{0}, stored{0}, errors{0};
  std::atomic<bool> stop{false};
  std::mutex latency_mutex;
  std::vector<double> lease_ms;
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&, i] {
      auto stub = v1::WorkerService::NewStub(WorkerChannel(address, i));
      v1::RegisterWorkerRequest reg;
      reg.set_hostname("bench-" + std::to_string(i));
      reg.add_devices("cpu");
      v1::RegisterWorkerResponse registered;
      grpc::ClientContext rc;
      if (!stub->RegisterWorker(&rc, reg, &registered).ok()) {
        ++errors;
        return;
      }
      std::vector<double> local;
      while (!stop.load()) {
        v1::LeaseRunRequest lr;
        lr.set_worker_id(registered.worker_id());
        lr.add_devices("cpu");
        v1::LeaseRunResponse lease;
        grpc::ClientContext lc;
        auto t0 = Clock::now();
        grpc::Status ls = stub->LeaseRun(&lc, lr, &lease);
        local.push_back(Seconds(Clock::now() - t0) * 1000);
        if (!ls.ok()) {
          ++errors;
          continue;
        }
        if (!lease.has_lease()) break;  // the grid is used up
        v1::HeartbeatRequest hb;
        hb.set_worker_id(registered.worker_id());
        hb.set_run_id(lease.lease().run_id());
        hb.set_lease_id(lease.lease().lease_id());
        for (int v = 1; v <= values; ++v) *hb.add_points() = Point(v, 3.0 - v * 1e-3);
        hb.set_step(values);
        v1::HeartbeatResponse hr;
        grpc::ClientContext hc;
        if (!stub->Heartbeat(&hc, hb, &hr).ok()) ++errors;
        stored += hr.stored_points();
        v1::CompleteRunRequest done;
        done.set_worker_id(registered.worker_id());
        done.set_run_id(lease.lease().run_id());
        done.set_lease_id(lease.lease().lease_id());
        v1::CompleteRunResponse dr;
        grpc::ClientContext dc;
        if (!stub->CompleteRun(&dc, done, &dr).ok()) ++errors;
        ++cycles;
      }
      std::lock_guard<std::mutex> lock(latency_mutex);
      lease_ms.insert(lease_ms.end(), local.begin(), local.end());
    });
  }
  while (Seconds(Clock::now() - start) < seconds && cycles.load() < submitted.runs()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  double lease_phase_s = Seconds(Clock::now() - start);
  nlohmann::json result;
  result["workers"] = workers;
  result["runs_completed"] = cycles.load();
  result["lease_phase_s"] = lease_phase_s;
  result["runs_per_s"] = static_cast<double>(cycles.load()) / lease_phase_s;
  result["values_per_s"] = static_cast<double>(stored.load()) / lease_phase_s;
  result["lease_p50_ms"] = Percentile(lease_ms, 0.50);
  result["lease_p99_ms"] = Percentile(lease_ms, 0.99);
  result["errors"] = errors.load();
  std::cerr << "lease cycle: " << result["runs_per_s"] << " runs/s, " << result["values_per_s"]
            << " values/s, lease p50 " << result["lease_p50_ms"] << " ms, p99 "
            << result["lease_p99_ms"] << " ms\n";

  // Phase 2: bulk ingestion into the runs of a second sweep until `total_points` are stored.
  int64_t have = stored.load();
  spec["name"] = "bench-ingest";
  spec["grid"] = {{"almr", {0.1, 0.2, 0.3, 0.4, 0.5}}, {"lr", {1e-4, 1e-3, 1e-2}}};
  submit.set_spec_json(spec.dump());
  grpc::ClientContext ingest_context;
  if (!client->SubmitSweep(&ingest_context, submit, &submitted).ok()) {
    std::cerr << "submitting the ingestion sweep failed\n";
    return 1;
  }
  int ingest_workers = 4;
  std::atomic<int64_t> ingested{0};
  auto ingest_start = Clock::now();
  threads.clear();
  for (int i = 0; i < ingest_workers; ++i) {
    threads.emplace_back([&, i] {
      auto stub = v1::WorkerService::NewStub(WorkerChannel(address, 100000 + i));
      v1::RegisterWorkerRequest reg;
      reg.set_hostname("ingest");
      reg.add_devices("cpu");
      v1::RegisterWorkerResponse registered;
      grpc::ClientContext rc;
      if (!stub->RegisterWorker(&rc, reg, &registered).ok()) return;
      v1::LeaseRunResponse lease;
      int64_t step = 0;
      while (have + ingested.load() < total_points) {
        if (!lease.has_lease() || step >= 1'000'000) {
          v1::LeaseRunRequest lr;
          lr.set_worker_id(registered.worker_id());
          lr.add_devices("cpu");
          grpc::ClientContext lc;
          lease.Clear();
          if (!stub->LeaseRun(&lc, lr, &lease).ok() || !lease.has_lease()) return;
          step = 0;
        }
        v1::HeartbeatRequest hb;
        hb.set_worker_id(registered.worker_id());
        hb.set_run_id(lease.lease().run_id());
        hb.set_lease_id(lease.lease().lease_id());
        for (int v = 0; v < batch; ++v) {
          ++step;
          *hb.add_points() = Point(step, 3.0 - static_cast<double>(step) * 1e-7);
        }
        v1::HeartbeatResponse hr;
        grpc::ClientContext hc;
        if (stub->Heartbeat(&hc, hb, &hr).ok()) ingested += hr.stored_points();
      }
    });
  }
  for (auto& t : threads) t.join();
  double ingest_s = Seconds(Clock::now() - ingest_start);
  int64_t total = have + ingested.load();
  result["ingest_points"] = ingested.load();
  result["ingest_points_per_s"] = static_cast<double>(ingested.load()) / ingest_s;
  result["total_points"] = total;
  result["server_peak_rss_mb"] =
      static_cast<double>(ReadStatusKb((*server)->pid(), "VmHWM")) / 1024.0;
  result["server_rss_mb"] = static_cast<double>(ReadStatusKb((*server)->pid(), "VmRSS")) / 1024.0;
  (*server)->Terminate(10000, &lines);
  int64_t bytes = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    auto size = std::filesystem::file_size(db + suffix, ec);
    if (!ec) bytes += static_cast<int64_t>(size);
  }
  result["store_bytes"] = bytes;
  result["store_bytes_per_point"] = static_cast<double>(bytes) / static_cast<double>(total);
  std::cerr << "ingestion: " << result["ingest_points_per_s"] << " points/s; " << total
            << " points, " << result["store_bytes_per_point"] << " bytes/point, server peak RSS "
            << result["server_peak_rss_mb"] << " MB\n";
  std::cout << result.dump(2) << "\n";
  if (!out.empty()) std::ofstream(out) << result.dump(2) << "\n";
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace mixlaw

int main(int argc, char** argv) { return mixlaw::Main(argc, argv); }
