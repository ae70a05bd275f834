#include "cli/embedded_sweep.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/sweep_client.h"
#include "common/file_io.h"
#include "common/log.h"
#include "common/time.h"
#include "orchestrator/rpc_status.h"
#include "orchestrator/server.h"
#include "orchestrator/sweep_spec.h"
#include "worker/worker.h"

namespace mixlaw {

namespace {

std::string RandomToken() {
  std::random_device device;
  std::string token;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) token += hex[device() % 16];
  return token;
}

}  // namespace

absl::StatusOr<EmbeddedSweepResult> RunEmbeddedSweep(const EmbeddedSweepOptions& options) {
  // A spec that would be refused is refused before the store is opened, so that no store file is
  // created for it.
  absl::StatusOr<std::string> text = ReadFileToString(options.spec_path);
  if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
  std::error_code ec;
  absl::StatusOr<SweepSpec> parsed =
      ParseSweepSpec(*text, options.spec_path,
                     std::filesystem::absolute(options.spec_path, ec).parent_path().string());
  if (!parsed.ok()) return parsed.status();

  OrchestratorOptions server_options;
  server_options.db_path = options.db_path;
  server_options.listen = "127.0.0.1:0";
  server_options.tokens = {RandomToken(), RandomToken()};
  server_options.policy.lease_timeout_ms = static_cast<int64_t>(options.lease_timeout_s * 1000);
  server_options.policy.heartbeat_interval_ms =
      std::min<int64_t>(2000, server_options.policy.lease_timeout_ms / 4);
  server_options.restart_grace_ms = 0;
  absl::StatusOr<std::unique_ptr<Orchestrator>> orchestrator = Orchestrator::Start(server_options);
  if (!orchestrator.ok()) return orchestrator.status();
  // No worker of an earlier process on this file is alive: its runs go straight back.
  absl::Status released = (*orchestrator)->store()->ReleaseAllLeases(UnixMillis());
  if (!released.ok()) return released;

  ConnectionOptions client{(*orchestrator)->local_address(), server_options.tokens.client, ""};
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(client);
  if (!channel.ok()) return channel.status();
  auto stub = v1::SweepService::NewStub(*channel);
  v1::SubmitSweepResponse submitted;
  grpc::Status s =
      SubmitSpecFile(*stub, client, options.spec_path, /*resume_existing=*/true, &submitted);
  if (!s.ok()) return FromGrpcStatus(s);
  EmbeddedSweepResult result;
  result.resumed = submitted.existing();
  MIXLAW_LOG(Info) << (submitted.existing() ? "resuming" : "started") << " sweep "
                   << submitted.sweep_id() << " (" << submitted.runs() << " runs) with "
                   << options.workers << " workers on " << options.db_path;

  std::atomic<bool> stop_workers{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < options.workers; ++i) {
    threads.emplace_back([&, i] {
      WorkerOptions w;
      w.connection = {(*orchestrator)->local_address(), server_options.tokens.worker, ""};
      w.hostname = absl::StrCat(HostName(), "/embedded-", i);
      w.self_exe = SelfExecutable();
      w.idle_poll_ms = 200;
      // Every worker here shares this machine: none is healthier to leave failed runs to.
      w.failure_backoff_ms = 0;
      // The cores are shared out among the concurrent trainers.
      w.trainer_threads = std::max(
          1, static_cast<int>(std::thread::hardware_concurrency()) / std::max(1, options.workers));
      w.stop = &stop_workers;
      w.log_name = absl::StrCat("worker ", i);
      Worker(w).Run();
    });
  }
  // Early stopping reads the store in this process and stops runs through the API.
  std::atomic<bool> sweep_over{false};
  std::thread monitor;
  if (options.monitor) {
    monitor = std::thread([&] {
      Store* store = (*orchestrator)->store();
      const auto interval = std::chrono::milliseconds(
          std::max<int64_t>(100, static_cast<int64_t>(options.monitor_interval_s * 1000)));
      while (!sweep_over.load() && !StopRequested().load()) {
        const auto wake = std::chrono::steady_clock::now() + interval;
        while (std::chrono::steady_clock::now() < wake && !sweep_over.load()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (sweep_over.load()) break;
        absl::StatusOr<std::vector<v1::Run>> runs = store->ListRuns(submitted.sweep_id());
        if (!runs.ok()) continue;
        PointsByRun points;
        for (const v1::Run& r : *runs) {
          if (r.state() != v1::RUN_STATE_RUNNING) continue;
          absl::StatusOr<std::vector<v1::MetricPoint>> p = store->RunPoints(r.id());
          if (p.ok()) points[r.id()] = std::move(*p);
        }
        for (const RunStop& stop : options.monitor(*runs, points)) {
          v1::StopRunRequest request;
          request.set_run_id(stop.run_id);
          request.set_reason(stop.reason);
          v1::StopRunResponse response;
          grpc::Status stopped = stub->StopRun(MakeContext(client, std::chrono::seconds(30)).get(),
                                               request, &response);
          // The orchestrator logs each stop with its reason.
          if (!stopped.ok()) {
            MIXLAW_LOG(Warning) << "stopping " << stop.run << ": " << DescribeRpcError(stopped);
          }
        }
      }
    });
  }
  std::ostringstream discard;
  std::ostream& progress = options.progress != nullptr ? *options.progress : discard;
  grpc::Status watched = grpc::Status::OK;
  while (!StopRequested().load()) {
    // SIGINT and SIGTERM end the watch; the workers then stop their trainers and hand the
    // runs back, so that the next run on this file resumes them.
    watched = WatchProgress(*stub, client, submitted.sweep_id(), options.json_progress,
                            options.terminal, 5000, progress, &result.sweep, &StopRequested());
    if (watched.ok() || StopRequested().load()) break;
    if (watched.error_code() != grpc::StatusCode::UNAVAILABLE) break;
  }
  result.interrupted = StopRequested().load();
  sweep_over.store(true);
  if (monitor.joinable()) monitor.join();
  stop_workers.store(true);
  for (std::thread& t : threads) t.join();
  if (!watched.ok() && !result.interrupted) return FromGrpcStatus(watched);

  absl::StatusOr<v1::Sweep> final_sweep = (*orchestrator)->store()->GetSweep(submitted.sweep_id());
  if (!final_sweep.ok()) return final_sweep.status();
  result.sweep = *final_sweep;
  absl::StatusOr<std::vector<v1::Run>> runs =
      (*orchestrator)->store()->ListRuns(submitted.sweep_id());
  if (!runs.ok()) return runs.status();
  result.runs = std::move(*runs);
  for (const v1::Run& r : result.runs) {
    if (r.state() != v1::RUN_STATE_STOPPED) continue;
    absl::StatusOr<std::vector<v1::MetricPoint>> points =
        (*orchestrator)->store()->RunPoints(r.id());
    if (!points.ok()) return points.status();
    result.stopped_points[r.id()] = std::move(*points);
  }
  (*orchestrator)->Shutdown();
  return result;
}

}  // namespace mixlaw
