#include "cli/sweep_source.h"

#include <algorithm>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "cli/output.h"
#include "mixlaw/v1/mixlaw.grpc.pb.h"
#include "orchestrator/client.h"
#include "orchestrator/rpc_status.h"
#include "orchestrator/store.h"

namespace mixlaw {

void AddSweepSourceFlags(CLI::App* command, SweepSourceFlags* flags, bool json) {
  command->add_option("--db", flags->db,
                      "Read the sweep from this store file instead of an orchestrator");
  AddClientFlags(command, &flags->client, json);
}

namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  return FromGrpcStatus(status, DescribeRpcError(status));
}

absl::StatusOr<SweepData> LoadFromStore(const std::string& path, int64_t sweep_id,
                                        bool with_points) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  if (!store.ok()) return store.status();
  SweepData data;
  absl::StatusOr<v1::Sweep> sweep = (*store)->GetSweep(sweep_id);
  if (!sweep.ok()) return sweep.status();
  data.sweep = *sweep;
  absl::StatusOr<std::vector<v1::Run>> runs = (*store)->ListRuns(sweep_id);
  if (!runs.ok()) return runs.status();
  data.runs = *runs;
  if (!with_points) return data;
  for (const v1::Run& r : data.runs) {
    absl::StatusOr<std::vector<v1::MetricPoint>> points = (*store)->RunPoints(r.id());
    if (!points.ok()) return points.status();
    data.points[r.id()] = std::move(*points);
  }
  return data;
}

absl::StatusOr<SweepData> LoadFromOrchestrator(const ClientFlags& flags, int64_t sweep_id,
                                               bool with_points) {
  absl::StatusOr<ConnectionOptions> connection = ConnectionFromFlags(flags);
  if (!connection.ok()) return connection.status();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(*connection);
  if (!channel.ok()) return channel.status();
  auto stub = v1::SweepService::NewStub(*channel);
  SweepData data;
  v1::GetSweepRequest get;
  get.set_sweep_id(sweep_id);
  v1::GetSweepResponse got;
  grpc::Status s =
      stub->GetSweep(MakeContext(*connection, std::chrono::seconds(60)).get(), get, &got);
  if (!s.ok()) return FromGrpc(s);
  data.sweep = got.sweep();
  v1::ExportSweepRequest request;
  request.set_sweep_id(sweep_id);
  request.set_include_points(with_points);
  auto context = MakeContext(*connection, std::chrono::milliseconds(0));
  auto reader = stub->ExportSweep(context.get(), request);
  v1::ExportChunk chunk;
  bool first = true;
  while (reader->Read(&chunk)) {
    if (first) {
      data.runs.assign(chunk.runs().begin(), chunk.runs().end());
      first = false;
      continue;
    }
    std::vector<v1::MetricPoint>& points = data.points[chunk.run_id()];
    points.insert(points.end(), chunk.points().begin(), chunk.points().end());
  }
  s = reader->Finish();
  if (!s.ok()) return FromGrpc(s);
  return data;
}

}  // namespace

absl::StatusOr<SweepData> LoadSweep(const SweepSourceFlags& flags, int64_t sweep_id,
                                    bool with_points) {
  if (!flags.db.empty()) return LoadFromStore(flags.db, sweep_id, with_points);
  return LoadFromOrchestrator(flags.client, sweep_id, with_points);
}

absl::StatusOr<ObservationSet> SweepObservations(const SweepData& data, int last_evals) {
  std::vector<v1::Run> runs = data.runs;
  if (last_evals > 1) {
    for (v1::Run& run : runs) {
      auto found = data.points.find(run.id());
      if (found == data.points.end()) continue;
      std::map<std::string, std::vector<double>> evals;  // split -> losses in step order
      for (const v1::MetricPoint& p : found->second) {
        if (p.split().rfind("eval/", 0) == 0) evals[p.split()].push_back(p.loss());
      }
      for (auto& [split, losses] : evals) {
        if (run.final_loss().count(split) == 0) continue;  // unfinished: left as exported
        const size_t k = std::min(losses.size(), static_cast<size_t>(last_evals));
        double sum = 0;
        for (size_t i = losses.size() - k; i < losses.size(); ++i) sum += losses[i];
        (*run.mutable_final_loss())[split] = sum / static_cast<double>(k);
      }
    }
  }
  std::ostringstream csv;
  WriteRunsCsv(runs, csv);
  return ParseObservationsCsv(csv.str(), absl::StrCat("sweep ", data.sweep.id()));
}

absl::StatusOr<ObservationSet> LoadSweepObservations(const SweepSourceFlags& flags,
                                                     int64_t sweep_id, int last_evals,
                                                     bool with_points, SweepData* data,
                                                     int* exit_code) {
  absl::StatusOr<SweepData> loaded = LoadSweep(flags, sweep_id, with_points || last_evals > 1);
  if (!loaded.ok()) {
    *exit_code = ExitCodeForCode(loaded.status().code());
    return loaded.status();
  }
  *data = std::move(*loaded);
  *exit_code = kExitError;
  return SweepObservations(*data, last_evals);
}

}  // namespace mixlaw
