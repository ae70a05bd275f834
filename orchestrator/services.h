// The two gRPC services over the store: SweepService for clients, WorkerService for workers.
#ifndef MIXLAW_ORCHESTRATOR_SERVICES_H_
#define MIXLAW_ORCHESTRATOR_SERVICES_H_

#include <cstdint>

#include "mixlaw/v1/mixlaw.grpc.pb.h"
#include "orchestrator/auth.h"
#include "orchestrator/metrics.h"
#include "orchestrator/rpc_status.h"
#include "orchestrator/store.h"

namespace mixlaw {

struct LeasePolicy {
  int64_t lease_timeout_ms = 30000;      // a lease not renewed this long expires
  int64_t heartbeat_interval_ms = 2000;  // what workers are told to aim for
};

class SweepServiceImpl final : public v1::SweepService::Service {
 public:
  // `store` must outlive the service. Runs of specs without output_root go under
  // `default_output_root`.
  SweepServiceImpl(Store* store, Tokens tokens, std::string default_output_root)
      : store_(store),
        tokens_(std::move(tokens)),
        default_output_root_(std::move(default_output_root)) {}

  grpc::Status SubmitSweep(grpc::ServerContext* context, const v1::SubmitSweepRequest* request,
                           v1::SubmitSweepResponse* response) override;
  grpc::Status GetSweep(grpc::ServerContext* context, const v1::GetSweepRequest* request,
                        v1::GetSweepResponse* response) override;
  grpc::Status ListSweeps(grpc::ServerContext* context, const v1::ListSweepsRequest* request,
                          v1::ListSweepsResponse* response) override;
  grpc::Status WatchSweep(grpc::ServerContext* context, const v1::WatchSweepRequest* request,
                          grpc::ServerWriter<v1::Sweep>* writer) override;
  grpc::Status CancelSweep(grpc::ServerContext* context, const v1::CancelSweepRequest* request,
                           v1::CancelSweepResponse* response) override;
  grpc::Status StopRun(grpc::ServerContext* context, const v1::StopRunRequest* request,
                       v1::StopRunResponse* response) override;
  grpc::Status ExportSweep(grpc::ServerContext* context, const v1::ExportSweepRequest* request,
                           grpc::ServerWriter<v1::ExportChunk>* writer) override;

 private:
  Store* store_;
  Tokens tokens_;
  std::string default_output_root_;
};

class WorkerServiceImpl final : public v1::WorkerService::Service {
 public:
  // `store` and `metrics`, where the service counts what it does, must outlive the service.
  WorkerServiceImpl(Store* store, Tokens tokens, LeasePolicy policy, ServerMetrics* metrics)
      : store_(store), tokens_(std::move(tokens)), policy_(policy), metrics_(metrics) {}

  grpc::Status RegisterWorker(grpc::ServerContext* context,
                              const v1::RegisterWorkerRequest* request,
                              v1::RegisterWorkerResponse* response) override;
  grpc::Status LeaseRun(grpc::ServerContext* context, const v1::LeaseRunRequest* request,
                        v1::LeaseRunResponse* response) override;
  grpc::Status Heartbeat(grpc::ServerContext* context, const v1::HeartbeatRequest* request,
                         v1::HeartbeatResponse* response) override;
  grpc::Status CompleteRun(grpc::ServerContext* context, const v1::CompleteRunRequest* request,
                           v1::CompleteRunResponse* response) override;
  grpc::Status FailRun(grpc::ServerContext* context, const v1::FailRunRequest* request,
                       v1::FailRunResponse* response) override;

 private:
  Store* store_;
  Tokens tokens_;
  LeasePolicy policy_;
  ServerMetrics* metrics_;
};

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_SERVICES_H_
