#include "orchestrator/services.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/time.h"
#include "orchestrator/rpc_status.h"
#include "orchestrator/sweep_spec.h"

namespace mixlaw {

#define MIXLAW_AUTHORIZE(role)                                     \
  do {                                                             \
    grpc::Status auth_status = Authorize(*context, tokens_, role); \
    if (!auth_status.ok()) return auth_status;                     \
  } while (0)

grpc::Status SweepServiceImpl::SubmitSweep(grpc::ServerContext* context,
                                           const v1::SubmitSweepRequest* request,
                                           v1::SubmitSweepResponse* response) {
  MIXLAW_AUTHORIZE(Role::kClient);
  if (!std::filesystem::path(request->spec_dir()).is_absolute()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "spec_dir must be an absolute directory");
  }
  absl::StatusOr<SweepSpec> spec =
      ParseSweepSpec(request->spec_json(), "sweep spec", request->spec_dir());
  if (!spec.ok()) return ToGrpcStatus(spec.status());
  if (spec->output_root.empty()) spec->output_root = default_output_root_;
  std::vector<PlannedRun> runs = ExpandSweep(*spec);
  absl::StatusOr<Store::SubmitResult> result =
      store_->CreateSweep(*spec, runs, request->resume_existing(), UnixMillis());
  if (!result.ok()) return ToGrpcStatus(result.status());
  response->set_sweep_id(result->sweep_id);
  response->set_runs(result->runs);
  response->set_existing(result->existing);
  MIXLAW_LOG(Info) << (result->existing ? "resumed" : "submitted") << " sweep " << result->sweep_id
                   << " '" << spec->name << "' with " << result->runs << " runs";
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::GetSweep(grpc::ServerContext* context,
                                        const v1::GetSweepRequest* request,
                                        v1::GetSweepResponse* response) {
  MIXLAW_AUTHORIZE(Role::kClient);
  absl::StatusOr<v1::Sweep> sweep = store_->GetSweep(request->sweep_id());
  if (!sweep.ok()) return ToGrpcStatus(sweep.status());
  *response->mutable_sweep() = std::move(*sweep);
  if (request->include_runs()) {
    absl::StatusOr<std::vector<v1::Run>> runs = store_->ListRuns(request->sweep_id());
    if (!runs.ok()) return ToGrpcStatus(runs.status());
    for (v1::Run& r : *runs) *response->add_runs() = std::move(r);
  }
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ListSweeps(grpc::ServerContext* context,
                                          const v1::ListSweepsRequest* /*request*/,
                                          v1::ListSweepsResponse* response) {
  MIXLAW_AUTHORIZE(Role::kClient);
  absl::StatusOr<std::vector<v1::Sweep>> sweeps = store_->ListSweeps();
  if (!sweeps.ok()) return ToGrpcStatus(sweeps.status());
  for (v1::Sweep& s : *sweeps) *response->add_sweeps() = std::move(s);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::WatchSweep(grpc::ServerContext* context,
                                          const v1::WatchSweepRequest* request,
                                          grpc::ServerWriter<v1::Sweep>* writer) {
  MIXLAW_AUTHORIZE(Role::kClient);
  std::string last_sent;
  uint64_t version = store_->version();
  while (!context->IsCancelled()) {
    // Whether it has ended is read before the snapshot, so that the last message sent always
    // shows the ended sweep (read after, a run finishing in between would never be sent).
    absl::StatusOr<bool> ended = store_->SweepEnded(request->sweep_id());
    if (!ended.ok()) return ToGrpcStatus(ended.status());
    absl::StatusOr<v1::Sweep> sweep = store_->GetSweep(request->sweep_id());
    if (!sweep.ok()) return ToGrpcStatus(sweep.status());
    sweep->clear_spec_json();
    std::string bytes = sweep->SerializeAsString();
    if (bytes != last_sent) {
      if (!writer->Write(*sweep)) return grpc::Status::OK;  // the client went away
      last_sent = std::move(bytes);
    }
    if (*ended) return grpc::Status::OK;
    version = store_->WaitForChange(version, 1000);
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled");
}

grpc::Status SweepServiceImpl::CancelSweep(grpc::ServerContext* context,
                                           const v1::CancelSweepRequest* request,
                                           v1::CancelSweepResponse* response) {
  MIXLAW_AUTHORIZE(Role::kClient);
  absl::StatusOr<int64_t> cancelled = store_->CancelSweep(request->sweep_id(), UnixMillis());
  if (!cancelled.ok()) return ToGrpcStatus(cancelled.status());
  response->set_cancelled_runs(*cancelled);
  MIXLAW_LOG(Info) << "cancelled sweep " << request->sweep_id() << " (" << *cancelled << " runs)";
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::StopRun(grpc::ServerContext* context,
                                       const v1::StopRunRequest* request,
                                       v1::StopRunResponse* response) {
  MIXLAW_AUTHORIZE(Role::kClient);
  absl::StatusOr<v1::RunState> state =
      store_->StopRun(request->run_id(), request->reason(), UnixMillis());
  if (!state.ok()) return ToGrpcStatus(state.status());
  response->set_state(*state);
  MIXLAW_LOG(Info) << "stop of run " << request->run_id() << " asked (" << request->reason()
                   << "): " << RunStateName(*state);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ExportSweep(grpc::ServerContext* context,
                                           const v1::ExportSweepRequest* request,
                                           grpc::ServerWriter<v1::ExportChunk>* writer) {
  MIXLAW_AUTHORIZE(Role::kClient);
  absl::StatusOr<std::vector<v1::Run>> runs = store_->ListRuns(request->sweep_id());
  if (!runs.ok()) return ToGrpcStatus(runs.status());
  v1::ExportChunk header;
  for (const v1::Run& r : *runs) *header.add_runs() = r;
  if (!writer->Write(header)) return grpc::Status::OK;
  if (!request->include_points()) return grpc::Status::OK;
  for (const v1::Run& r : *runs) {
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    absl::StatusOr<std::vector<v1::MetricPoint>> points = store_->RunPoints(r.id());
    if (!points.ok()) return ToGrpcStatus(points.status());
    // Chunks of at most 50,000 points keep each message well under gRPC's size limit.
    constexpr size_t kChunk = 50000;
    for (size_t start = 0; start < points->size() || start == 0; start += kChunk) {
      v1::ExportChunk chunk;
      chunk.set_run_id(r.id());
      for (size_t i = start; i < std::min(points->size(), start + kChunk); ++i) {
        *chunk.add_points() = (*points)[i];
      }
      if (!writer->Write(chunk)) return grpc::Status::OK;
      if (points->empty()) break;
    }
  }
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::RegisterWorker(grpc::ServerContext* context,
                                               const v1::RegisterWorkerRequest* request,
                                               v1::RegisterWorkerResponse* response) {
  MIXLAW_AUTHORIZE(Role::kWorker);
  std::vector<std::string> devices(request->devices().begin(), request->devices().end());
  if (devices.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a worker must name its devices");
  }
  absl::StatusOr<std::string> id =
      store_->RegisterWorker(request->hostname(), devices, UnixMillis());
  if (!id.ok()) return ToGrpcStatus(id.status());
  metrics_->SawWorker(*id, UnixMillis());
  response->set_worker_id(*id);
  response->set_heartbeat_interval_ms(policy_.heartbeat_interval_ms);
  response->set_lease_timeout_ms(policy_.lease_timeout_ms);
  MIXLAW_LOG(Info) << "worker " << *id << " registered from " << request->hostname() << " ("
                   << devices.size() << " devices)";
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::LeaseRun(grpc::ServerContext* context,
                                         const v1::LeaseRunRequest* request,
                                         v1::LeaseRunResponse* response) {
  MIXLAW_AUTHORIZE(Role::kWorker);
  std::vector<std::string> devices(request->devices().begin(), request->devices().end());
  const int64_t now_ms = UnixMillis();
  absl::StatusOr<std::optional<v1::Lease>> lease =
      store_->LeaseNextRun(request->worker_id(), devices, now_ms, policy_.lease_timeout_ms);
  if (!lease.ok()) return ToGrpcStatus(lease.status());
  metrics_->SawWorker(request->worker_id(), now_ms);
  if (lease->has_value()) {
    metrics_->leases_granted.fetch_add(1, std::memory_order_relaxed);
    *response->mutable_lease() = std::move(**lease);
    response->set_sweeps_active(true);
    MIXLAW_LOG(Debug) << "leased run " << response->lease().run_id() << " to "
                      << request->worker_id();
    return grpc::Status::OK;
  }
  absl::StatusOr<bool> active = store_->AnySweepActive();
  if (!active.ok()) return ToGrpcStatus(active.status());
  response->set_sweeps_active(*active);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::Heartbeat(grpc::ServerContext* context,
                                          const v1::HeartbeatRequest* request,
                                          v1::HeartbeatResponse* response) {
  MIXLAW_AUTHORIZE(Role::kWorker);
  const int64_t now_ms = UnixMillis();
  absl::StatusOr<Store::HeartbeatResult> result =
      store_->Heartbeat(*request, now_ms, policy_.lease_timeout_ms);
  if (!result.ok()) return ToGrpcStatus(result.status());
  metrics_->SawWorker(request->worker_id(), now_ms);
  metrics_->heartbeats.fetch_add(1, std::memory_order_relaxed);
  metrics_->points_ingested.fetch_add(static_cast<uint64_t>(result->stored_points),
                                      std::memory_order_relaxed);
  response->set_cancel(result->cancel);
  response->set_stored_points(result->stored_points);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::CompleteRun(grpc::ServerContext* context,
                                            const v1::CompleteRunRequest* request,
                                            v1::CompleteRunResponse* /*response*/) {
  MIXLAW_AUTHORIZE(Role::kWorker);
  absl::Status status = store_->CompleteRun(*request, UnixMillis());
  if (status.ok()) {
    // Points not yet sent by a heartbeat; a repeated completion may count its batch again.
    metrics_->points_ingested.fetch_add(static_cast<uint64_t>(request->points_size()),
                                        std::memory_order_relaxed);
    MIXLAW_LOG(Debug) << "run " << request->run_id() << " succeeded on " << request->worker_id();
  }
  return ToGrpcStatus(status);
}

grpc::Status WorkerServiceImpl::FailRun(grpc::ServerContext* context,
                                        const v1::FailRunRequest* request,
                                        v1::FailRunResponse* /*response*/) {
  MIXLAW_AUTHORIZE(Role::kWorker);
  absl::Status status = store_->FailRun(*request, UnixMillis());
  if (status.ok()) {
    metrics_->points_ingested.fetch_add(static_cast<uint64_t>(request->points_size()),
                                        std::memory_order_relaxed);
    MIXLAW_LOG(Info) << "run " << request->run_id() << " reported "
                     << v1::FailureKind_Name(request->kind()) << " by " << request->worker_id();
  }
  return ToGrpcStatus(status);
}

}  // namespace mixlaw
