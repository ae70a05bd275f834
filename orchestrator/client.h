// What a client or worker needs to call the orchestrator: a channel and an authenticated context.
#ifndef MIXLAW_ORCHESTRATOR_CLIENT_H_
#define MIXLAW_ORCHESTRATOR_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace mixlaw {

struct ConnectionOptions {
  std::string address = "127.0.0.1:7600";
  std::string token;        // sent as "authorization: Bearer TOKEN" when not empty
  std::string tls_ca_path;  // not empty: TLS, trusting this CA (or the server's own certificate)
};

// A channel to the orchestrator. The error names the unreadable CA file.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& options);

// A context carrying the token, with a deadline `timeout` from now (none when zero).
std::unique_ptr<grpc::ClientContext> MakeContext(const ConnectionOptions& options,
                                                 std::chrono::milliseconds timeout);

// Fills options.token from `token_file`, or from the file named by $MIXLAW_TOKEN_FILE when
// `token_file` is empty; leaves it empty when neither is set.
absl::Status LoadToken(const std::string& token_file, ConnectionOptions* options);

// "UNAVAILABLE: failed to connect ..." as one line.
std::string DescribeRpcError(const grpc::Status& status);

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_CLIENT_H_
