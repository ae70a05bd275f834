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
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/child_process.h"
#include "httplib.h"
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

// What one lease phase measured.
struct LeaseCycle {
  int64_t cycles = 0, stored = 0, errors = 0;
  double seconds = 0;
  std::vector<double> lease_ms;
};

// `workers` simulated workers run the lease cycle (lease, one heartbeat of `values` points,
// complete) on `address` for `seconds`, or until nothing is left to lease. Worker channels are
// numbered from `channel_base`.
LeaseCycle LeasePhase(const std::string& address, int workers, int values, double seconds,
                      int64_t runs, int channel_base) {
  std::atomic<int64_t> cycles{0}, stored{0}, errors{0};
  std::atomic<bool> stop{false};
  std::mutex latency_mutex;
  std::vector<double> lease_ms;
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&, i] {
      auto stub = v1::WorkerService::NewStub(WorkerChannel(address, channel_base + i));
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
  while (Seconds(Clock::now() - start) < seconds && cycles.load() < runs) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  return {cycles.load(), stored.load(), errors.load(), Seconds(Clock::now() - start),
          std::move(lease_ms)};
}

// `browsers` dashboard pages open on sweep `sweep_id`, each polling as dashboard/page.js does:
// every `poll_ms`, the sweeps, the sweep, its fit and the curves of `curve_runs`, on a keep-alive
// connection, accepting what Chromium accepts and revalidating each view with its ETag as a
// browser's cache does.
class BrowserLoad {
 public:
  BrowserLoad(int http_port, int browsers, int64_t sweep_id, std::vector<int64_t> curve_runs,
              int poll_ms) {
    for (int b = 0; b < browsers; ++b) {
      threads_.emplace_back([=, this] {
        httplib::Client client("127.0.0.1", http_port);
        client.set_keep_alive(true);
        // Left compressed: a browser inflates on its own machine, not the orchestrator's.
        client.set_decompress(false);
        std::vector<std::string> paths = {"/api/sweeps", "/api/sweeps/" + std::to_string(sweep_id),
                                          "/api/sweeps/" + std::to_string(sweep_id) + "/fit"};
        for (int64_t r : curve_runs) paths.push_back("/api/runs/" + std::to_string(r) + "/points");
        std::map<std::string, std::string> etags;
        std::vector<double> local;
        // Browsers open at different moments.
        std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms * b / std::max(1, browsers)));
        while (!stop_.load()) {
          const auto round = Clock::now();
          for (const std::string& path : paths) {
            httplib::Headers headers = {{"Accept-Encoding", "gzip, deflate, br"}};  // Chromium's
            if (!etags[path].empty()) headers.emplace("If-None-Match", etags[path]);
            const auto t0 = Clock::now();
            httplib::Result r = client.Get(path.c_str(), headers);
            local.push_back(Seconds(Clock::now() - t0) * 1000);
            if (!r || (r->status != 200 && r->status != 304)) {
              ++errors_;
              continue;
            }
            if (r->status == 200) bytes_ += static_cast<int64_t>(r->body.size());  // as sent
            etags[path] = r->get_header_value("ETag");
            ++requests_;
          }
          std::this_thread::sleep_until(round + std::chrono::milliseconds(poll_ms));
        }
        std::lock_guard<std::mutex> lock(mutex_);
        request_ms_.insert(request_ms_.end(), local.begin(), local.end());
      });
    }
  }
  // Closes the pages; returns what they measured.
  nlohmann::json Stop() {
    stop_.store(true);
    for (auto& t : threads_) t.join();
    return {{"requests", requests_.load()},
            {"errors", errors_.load()},
            {"bytes", bytes_.load()},
            {"request_p50_ms", Percentile(request_ms_, 0.5)},
            {"request_p99_ms", Percentile(request_ms_, 0.99)}};
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> requests_{0}, errors_{0}, bytes_{0};
  std::mutex mutex_;
  std::vector<double> request_ms_;
  std::vector<std::thread> threads_;
};

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
  int browsers = 0;
  int pairs = 2;
  int poll_ms = 2000;
  double browser_seconds = 10;
  app.add_option("--browsers", browsers,
                 "Also measure the lease cycle with this many dashboard pages open (serve --http)")
      ->capture_default_str();
  app.add_option("--pairs", pairs, "Without/with-browsers phase pairs")->capture_default_str();
  app.add_option("--poll-ms", poll_ms, "How often each page polls (the page's own: 2000)")
      ->capture_default_str();
  app.add_option("--browser-seconds", browser_seconds, "Duration of each browser-phase")
      ->capture_default_str();
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
                         "2",
                         "--http",
                         "127.0.0.1:0"};
  auto server = ChildProcess::Spawn(server_options);
  if (!server.ok()) {
    std::cerr << server.status() << "\n";
    return 1;
  }
  std::string address;
  int http_port = 0;
  std::vector<std::string> lines;
  while (address.empty() && (*server)->Poll(10000, &lines)) {
    for (const auto& l : lines) {
      if (l.rfind("http ", 0) == 0) http_port = std::stoi(l.substr(5));
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
  LeaseCycle cycle = LeasePhase(address, workers, values, seconds, submitted.runs(), 0);
  nlohmann::json result;
  result["workers"] = workers;
  result["runs_completed"] = cycle.cycles;
  result["lease_phase_s"] = cycle.seconds;
  result["runs_per_s"] = static_cast<double>(cycle.cycles) / cycle.seconds;
  result["values_per_s"] = static_cast<double>(cycle.stored) / cycle.seconds;
  result["lease_p50_ms"] = Percentile(cycle.lease_ms, 0.50);
  result["lease_p99_ms"] = Percentile(cycle.lease_ms, 0.99);
  result["errors"] = cycle.errors;
  std::cerr << "lease cycle: " << result["runs_per_s"] << " runs/s, " << result["values_per_s"]
            << " values/s, lease p50 " << result["lease_p50_ms"] << " ms, p99 "
            << result["lease_p99_ms"] << " ms\n";
  std::atomic<int64_t> stored{cycle.stored};

  // Phase 1b, with --browsers: the lease cycle on fresh sweeps in pairs, without and with that
  // many dashboard pages open on the sweep being leased (alternating, so that neither side
  // always runs on the larger store).
  if (browsers > 0) {
    nlohmann::json quiet = nlohmann::json::array(), watched = nlohmann::json::array();
    for (int pair = 0; pair < pairs; ++pair) {
      for (bool with_browsers : {false, true}) {
        nlohmann::json phase_spec = spec;
        phase_spec["name"] =
            "bench-" + std::string(with_browsers ? "watched-" : "quiet-") + std::to_string(pair);
        submit.set_spec_json(phase_spec.dump());
        v1::SubmitSweepResponse phase_sweep;
        grpc::ClientContext phase_context;
        if (!client->SubmitSweep(&phase_context, submit, &phase_sweep).ok()) {
          std::cerr << "submitting a browser-phase sweep failed\n";
          return 1;
        }
        std::unique_ptr<BrowserLoad> load;
        if (with_browsers) {
          // Curves of three runs that will train during the phase: the grid's first ids.
          v1::GetSweepRequest get;
          get.set_sweep_id(phase_sweep.sweep_id());
          get.set_include_runs(true);
          v1::GetSweepResponse got;
          grpc::ClientContext get_context;
          client->GetSweep(&get_context, get, &got);
          std::vector<int64_t> curves;
          for (int i = 0; i < got.runs_size() && curves.size() < 3; i += 97) {
            curves.push_back(got.runs(i).id());
          }
          load = std::make_unique<BrowserLoad>(http_port, browsers, phase_sweep.sweep_id(), curves,
                                               poll_ms);
        }
        LeaseCycle c = LeasePhase(address, workers, values, browser_seconds, phase_sweep.runs(),
                                  10000 * (2 * pair + (with_browsers ? 2 : 1)));
        stored += c.stored;
        nlohmann::json measured = {{"runs_per_s", static_cast<double>(c.cycles) / c.seconds},
                                   {"lease_p50_ms", Percentile(c.lease_ms, 0.50)},
                                   {"lease_p99_ms", Percentile(c.lease_ms, 0.99)},
                                   {"errors", c.errors}};
        if (load) measured["browsers"] = load->Stop();
        std::cerr << (with_browsers ? "with " + std::to_string(browsers) + " browsers: "
                                    : std::string("without browsers: "))
                  << measured.dump() << "\n";
        (with_browsers ? watched : quiet).push_back(measured);
      }
    }
    result["browser_phases"] = {{"browsers", browsers},
                                {"poll_ms", poll_ms},
                                {"seconds", browser_seconds},
                                {"without", quiet},
                                {"with", watched}};
  }

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
  std::vector<std::thread> threads;
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
