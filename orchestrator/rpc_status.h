// absl::Status and grpc::Status share their code numbers: the one conversion each way.
#ifndef MIXLAW_ORCHESTRATOR_RPC_STATUS_H_
#define MIXLAW_ORCHESTRATOR_RPC_STATUS_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mixlaw {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// The same code, with `message` (the RPC's own message when not given).
inline absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}
inline absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view message) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), message);
}

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_RPC_STATUS_H_
