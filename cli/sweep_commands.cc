// mixlaw sweep submit | status | watch | list | cancel | stop-run | export | run
#include <unistd.h>

#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/embedded_sweep.h"
#include "cli/output.h"
#include "cli/sweep_client.h"
#include "common/file_io.h"
#include "common/number_format.h"
#include "mixlaw/v1/mixlaw.grpc.pb.h"
#include "orchestrator/rpc_status.h"
#include "orchestrator/run_state.h"

namespace mixlaw {

namespace {

struct SweepFlags {
  ClientFlags client;
  std::string spec;
  int64_t sweep_id = 0;
  int64_t run_id = 0;
  std::string reason = "stopped by hand";
  bool resume = false;
  bool runs = false;
  std::string format = "csv";
  std::string table = "runs";
  std::string out;
  std::string db;
  int workers = 0;
  double lease_timeout_s = 60.0;
};

// Prints a failed call and returns its exit code.
int Fail(const char* command, const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    std::cerr << "mixlaw sweep " << command << ": refused:\n";
    std::string message = status.error_message();
    size_t start = 0;
    for (size_t nl; (nl = message.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::cerr << "  " << message.substr(start, nl - start) << "\n";
    }
    std::cerr << "  " << message.substr(start) << "\n";
  } else {
    std::cerr << "mixlaw sweep " << command << ": " << DescribeRpcError(status) << "\n";
  }
  return ExitCodeFor(status);
}

// Connects per the flags; on failure prints why and sets *exit_code.
std::unique_ptr<v1::SweepService::Stub> Connect(const ClientFlags& flags,
                                                ConnectionOptions* connection, int* exit_code) {
  absl::StatusOr<ConnectionOptions> options = ConnectionFromFlags(flags);
  if (!options.ok()) {
    std::cerr << "mixlaw: " << options.status().message() << "\n";
    *exit_code = kExitUsage;
    return nullptr;
  }
  *connection = *options;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(*options);
  if (!channel.ok()) {
    std::cerr << "mixlaw: " << channel.status().message() << "\n";
    *exit_code = kExitUsage;
    return nullptr;
  }
  return v1::SweepService::NewStub(*channel);
}

constexpr std::chrono::seconds kCallTimeout(60);

int Submit(const SweepFlags& f) {
  ConnectionOptions c;
  int code = kExitOk;
  auto stub = Connect(f.client, &c, &code);
  if (!stub) return code;
  v1::SubmitSweepResponse response;
  grpc::Status s = SubmitSpecFile(*stub, c, f.spec, f.resume, &response);
  if (!s.ok()) return Fail("submit", s);
  if (f.client.json) {
    std::cout << nlohmann::json({{"sweep_id", response.sweep_id()},
                                 {"runs", response.runs()},
                                 {"existing", response.existing()}})
                     .dump()
              << "\n";
  } else {
    std::cout << response.sweep_id() << "\n";
    std::cerr << (response.existing() ? "resumed" : "submitted") << " sweep " << response.sweep_id()
              << " with " << response.runs() << " runs\n";
  }
  return kExitOk;
}

int Status(const SweepFlags& f) {
  ConnectionOptions c;
  int code = kExitOk;
  auto stub = Connect(f.client, &c, &code);
  if (!stub) return code;
  v1::GetSweepRequest request;
  request.set_sweep_id(f.sweep_id);
  request.set_include_runs(f.runs || f.client.json);
  v1::GetSweepResponse response;
  grpc::Status s = stub->GetSweep(MakeContext(c, kCallTimeout).get(), request, &response);
  if (!s.ok()) return Fail("status", s);
  const v1::Sweep& sweep = response.sweep();
  if (f.client.json) {
    nlohmann::json j = SweepJson(sweep);
    j["runs"] = nlohmann::json::array();
    for (const v1::Run& r : response.runs()) j["runs"].push_back(RunJson(r));
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "sweep " << sweep.id() << " '" << sweep.name()
            << "': " << SweepStateName(sweep.state()) << "\n"
            << "  " << ProgressBar(sweep, 30) << "  " << sweep.total_runs()
            << " runs: " << CountsText(sweep) << "\n";
  if (sweep.target_params() > 0) {
    std::cout << "  target size: " << FormatParams(sweep.target_params()) << " parameters\n";
  }
  if (f.runs) {
    std::vector<v1::Run> runs(response.runs().begin(), response.runs().end());
    WriteRunsTable(runs, std::cout);
  }
  return kExitOk;
}

int Watch(const SweepFlags& f) {
  ConnectionOptions c;
  int code = kExitOk;
  auto stub = Connect(f.client, &c, &code);
  if (!stub) return code;
  InstallStopSignals();
  v1::Sweep last;
  grpc::Status s = WatchProgress(*stub, c, f.sweep_id, f.client.json, isatty(STDOUT_FILENO) != 0,
                                 2000, std::cout, &last, &StopRequested());
  if (StopRequested().load()) return kExitError;
  if (!s.ok()) return Fail("watch", s);
  if (!f.client.json) {
    std::cout << "sweep " << last.id() << " " << SweepStateName(last.state()) << ": "
              << CountsText(last) << "\n";
  }
  return HasFailures(last) ? kExitRunsFailed : kExitOk;
}

int List(const SweepFlags& f) {
  ConnectionOptions c;
  int code = kExitOk;
  auto stub = Connect(f.client, &c, &code);
  if (!stub) return code;
  v1::ListSweepsResponse response;
  grpc::Status s =
      stub->ListSweeps(MakeContext(c, kCallTimeout).get(), v1::ListSweepsRequest(), &response);
  if (!s.ok()) return Fail("list", s);
  if (f.client.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const v1::Sweep& sweep : response.sweeps()) j.push_back(SweepJson(sweep));
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "id    state      progress  runs  name\n";
  for (const v1::Sweep& sweep : response.sweeps()) {
    std::printf("%-5lld %-10s %8s  %4lld  %s  (%s)\n", static_cast<long long>(sweep.id()),
                SweepStateName(sweep.state()), FormatPercent(sweep.progress()).c_str(),
                static_cast<long long>(sweep.total_runs()), sweep.name().c_str(),
                CountsText(sweep).c_str());
  }
  return kExitOk;
}

int Cancel(const SweepFlags& f) {
  ConnectionOptions c;
  int code = kExitOk;
  auto stub = Connect(f.client, &c, &code);
  if (!stub) return code;
  v1::CancelSweepRequest request;
  request.set_sweep_id(f.sweep_id);
  v1::CancelSweepResponse response;
  grpc::Status s = stub->CancelSweep(MakeContext(c, kCallTimeout).get(), request, &response);
  if (!s.ok()) return Fail("cancel", s);
  if (f.client.json) {
    std::cout << nlohmann::json(
                     {{"sweep_id", f.sweep_id}, {"cancelled_runs", response.cancelled_runs()}})
                     .dump()
              << "\n";
  } else {
    std::cout << "sweep " << f.sweep_id << ": cancelled; " << response.cancelled_runs()
              << " runs stopped or withdrawn\n";
  }
  return kExitOk;
}

int StopRun(const SweepFlags& f) {
  ConnectionOptions c;
  int code = kExitOk;
  auto stub = Connect(f.client, &c, &code);
  if (!stub) return code;
  v1::StopRunRequest request;
  request.set_run_id(f.run_id);
  request.set_reason(f.reason);
  v1::StopRunResponse response;
  grpc::Status s = stub->StopRun(MakeContext(c, kCallTimeout).get(), request, &response);
  if (!s.ok()) return Fail("stop-run", s);
  const char* state = RunStateName(response.state());
  if (f.client.json) {
    std::cout << nlohmann::json({{"run_id", f.run_id}, {"state", state}}).dump() << "\n";
  } else if (response.state() == v1::RUN_STATE_STOPPED) {
    std::cout << "run " << f.run_id << ": stopped\n";
  } else if (IsTerminal(response.state())) {
    std::cout << "run " << f.run_id << ": already ended " << state << "; left as it is\n";
  } else {
    std::cout << "run " << f.run_id << ": " << state
              << "; its worker stops the trainer at its next heartbeat\n";
  }
  return kExitOk;
}

// Streams sweep f.sweep_id's export to `out` in f.format; *count gets the rows written (runs or
// points).
grpc::Status StreamExport(v1::SweepService::Stub& stub, const ConnectionOptions& c,
                          const SweepFlags& f, std::ostream& out, int64_t* count) {
  bool points = f.table == "points";
  v1::ExportSweepRequest request;
  request.set_sweep_id(f.sweep_id);
  request.set_include_points(points);
  auto context = MakeContext(c, std::chrono::milliseconds(0));
  auto reader = stub.ExportSweep(context.get(), request);
  v1::ExportChunk chunk;
  std::vector<v1::Run> runs;
  std::map<int64_t, size_t> index;
  bool first = true;
  nlohmann::json json_points = nlohmann::json::array();
  int64_t point_count = 0;
  while (reader->Read(&chunk)) {
    if (first) {
      runs.assign(chunk.runs().begin(), chunk.runs().end());
      for (size_t i = 0; i < runs.size(); ++i) index[runs[i].id()] = i;
      first = false;
      if (!points) continue;
      if (f.format == "csv") WritePointsCsvHeader(out);
      continue;
    }
    const v1::Run& run = runs[index[chunk.run_id()]];
    point_count += chunk.points_size();
    if (f.format == "csv") {
      std::vector<v1::MetricPoint> batch(chunk.points().begin(), chunk.points().end());
      WritePointsCsv(run, batch, out);
    } else {
      for (const v1::MetricPoint& p : chunk.points()) json_points.push_back(PointJson(run, p));
    }
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return s;
  if (!points) {
    if (f.format == "csv") {
      WriteRunsCsv(runs, out);
    } else {
      nlohmann::json j = nlohmann::json::array();
      for (const v1::Run& r : runs) j.push_back(RunJson(r));
      out << j.dump(2) << "\n";
    }
  } else if (f.format == "json") {
    out << json_points.dump() << "\n";
  }
  *count = points ? point_count : static_cast<int64_t>(runs.size());
  return grpc::Status::OK;
}

int Export(const SweepFlags& f) {
  if (f.format != "csv" && f.format != "json") {
    std::cerr << "mixlaw sweep export: --format must be csv or json\n";
    return kExitUsage;
  }
  ConnectionOptions c;
  int code = kExitOk;
  auto stub = Connect(f.client, &c, &code);
  if (!stub) return code;
  int64_t count = 0;
  grpc::Status streamed = grpc::Status::OK;
  if (f.out.empty()) {
    streamed = StreamExport(*stub, c, f, std::cout, &count);
    if (!streamed.ok()) return Fail("export", streamed);
    std::cout.flush();
    if (!std::cout) {
      std::cerr << "mixlaw sweep export: writing failed\n";
      return kExitError;
    }
    return kExitOk;
  }
  // To a file: the old file stays as it was unless the whole export arrives.
  bool started = false;
  absl::Status written = WriteFileAtomically(f.out, [&](std::ostream& out) {
    started = true;
    streamed = StreamExport(*stub, c, f, out, &count);
    if (!streamed.ok()) out.setstate(std::ios::failbit);
  });
  if (!streamed.ok()) return Fail("export", streamed);
  if (!written.ok()) {
    std::cerr << "mixlaw sweep export: " << written.message() << "\n";
    return started ? kExitError : kExitUsage;
  }
  std::cerr << "wrote " << count << (f.table == "points" ? " points" : " runs") << " to " << f.out
            << "\n";
  return kExitOk;
}

int Run(const SweepFlags& f) {
  InstallStopSignals();
  EmbeddedSweepOptions options;
  options.spec_path = f.spec;
  options.db_path = f.db;
  options.workers = f.workers > 0
                        ? f.workers
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  options.lease_timeout_s = f.lease_timeout_s;
  options.json_progress = f.client.json;
  options.terminal = isatty(STDERR_FILENO) != 0;
  options.progress = f.client.json ? &std::cout : &std::cerr;
  absl::StatusOr<EmbeddedSweepResult> result = RunEmbeddedSweep(options);
  if (!result.ok()) {
    return Fail("run", ToGrpcStatus(result.status()));
  }
  if (result->interrupted) {
    std::cerr << "interrupted: running again with the same --db resumes the sweep\n";
    return kExitError;
  }
  if (f.client.json) {
    nlohmann::json j = SweepJson(result->sweep);
    j["runs"] = nlohmann::json::array();
    for (const v1::Run& r : result->runs) j["runs"].push_back(RunJson(r));
    std::cout << j.dump(2) << "\n";
  } else {
    WriteRunsTable(result->runs, std::cout);
    std::cout << "sweep " << result->sweep.id() << " " << SweepStateName(result->sweep.state())
              << ": " << CountsText(result->sweep) << "\n";
  }
  return HasFailures(result->sweep) ? kExitRunsFailed : kExitOk;
}

}  // namespace

void AddSweepCommands(CLI::App& app, int* exit_code) {
  static SweepFlags f;
  CLI::App* sweep = app.add_subcommand("sweep", "Submit, follow, cancel and export sweeps");
  sweep->require_subcommand(1);

  CLI::App* submit = sweep->add_subcommand("submit", "Submit a sweep spec; prints the sweep id");
  submit->add_option("SPEC", f.spec, "Sweep spec (docs/sweep-spec.md)")->required();
  submit->add_flag("--resume", f.resume,
                   "Return the stored sweep with this exact spec instead of adding another");
  AddClientFlags(submit, &f.client);
  submit->callback([exit_code] { *exit_code = Submit(f); });

  CLI::App* status = sweep->add_subcommand("status", "Show a sweep's state and counts");
  status->add_option("ID", f.sweep_id, "Sweep id")->required();
  status->add_flag("--runs", f.runs, "List every run");
  AddClientFlags(status, &f.client);
  status->callback([exit_code] { *exit_code = Status(f); });

  CLI::App* watch = sweep->add_subcommand(
      "watch", "Follow a sweep with a progress bar until it ends (exit 4 if runs failed)");
  watch->add_option("ID", f.sweep_id, "Sweep id")->required();
  AddClientFlags(watch, &f.client);
  watch->callback([exit_code] { *exit_code = Watch(f); });

  CLI::App* list = sweep->add_subcommand("list", "List sweeps");
  AddClientFlags(list, &f.client);
  list->callback([exit_code] { *exit_code = List(f); });

  CLI::App* cancel = sweep->add_subcommand("cancel", "Cancel a sweep: stop its running trainers");
  cancel->add_option("ID", f.sweep_id, "Sweep id")->required();
  AddClientFlags(cancel, &f.client);
  cancel->callback([exit_code] { *exit_code = Cancel(f); });

  CLI::App* stop = sweep->add_subcommand(
      "stop-run", "End one run early, keeping its points (its state becomes stopped)");
  stop->add_option("RUN_ID", f.run_id, "Run id (sweep status --runs lists them)")->required();
  stop->add_option("--reason", f.reason, "Why, stored with the run")->capture_default_str();
  AddClientFlags(stop, &f.client);
  stop->callback([exit_code] { *exit_code = StopRun(f); });

  CLI::App* exp = sweep->add_subcommand(
      "export",
      "Export a sweep: one row a run (--table runs) or every metric point (--table points)");
  exp->add_option("ID", f.sweep_id, "Sweep id")->required();
  exp->add_option("--format", f.format, "csv or json")->capture_default_str();
  exp->add_option("--table", f.table, "runs or points")
      ->capture_default_str()
      ->check(CLI::IsMember({"runs", "points"}));
  exp->add_option("-o,--out", f.out, "Write to this file instead of stdout");
  AddClientFlags(exp, &f.client);
  exp->callback([exit_code] { *exit_code = Export(f); });

  CLI::App* run = sweep->add_subcommand(
      "run",
      "Run a sweep on this machine: orchestrator and workers in one process, no server "
      "(again on the same --db resumes it)");
  run->add_option("SPEC", f.spec, "Sweep spec (docs/sweep-spec.md)")->required();
  run->add_option("--db", f.db, "SQLite store (created if absent)")->required();
  run->add_option("--workers", f.workers, "Concurrent trainers (default: one per core)");
  run->add_option("--lease-timeout", f.lease_timeout_s, "Seconds before a silent lease expires")
      ->capture_default_str();
  run->add_flag("--json", f.client.json, "Progress and result as JSON");
  run->callback([exit_code] { *exit_code = Run(f); });
}

}  // namespace mixlaw
