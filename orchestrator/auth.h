// Bearer-token checks. People and scripts hold the client token; workers hold the worker token,
// which can lease and report runs but cannot submit or cancel sweeps.
#ifndef MIXLAW_ORCHESTRATOR_AUTH_H_
#define MIXLAW_ORCHESTRATOR_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mixlaw {

enum class Role { kClient, kWorker };

struct Tokens {
  std::string client;  // empty: no authentication (loopback only)
  std::string worker;
  bool enabled() const { return !client.empty(); }
};

// Reads a token file: its first line, trimmed. The error names the file and the problem.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// True when `address` ("127.0.0.1:7600", "localhost:0", "[::1]:80", "unix:...") can only be
// reached from this machine: its host resolves, and to loopback addresses only. A name that does
// not resolve is not loopback.
bool IsLoopbackAddress(const std::string& address);

// True when the tokens are equal, compared in time independent of where they differ.
bool SameToken(std::string_view a, std::string_view b);

// OK when the call carries "authorization: Bearer T" with the token of `role`;
// UNAUTHENTICATED when no token is sent, PERMISSION_DENIED for a wrong one or the wrong role.
grpc::Status Authorize(const grpc::ServerContext& context, const Tokens& tokens, Role role);

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_AUTH_H_
