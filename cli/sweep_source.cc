#include "cli/sweep_source.h"

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
  return ReadSweep(**store, sweep_id, with_points);
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
