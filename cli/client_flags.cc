#include <cstdlib>

#include "cli/commands.h"
#include "orchestrator/rpc_status.h"

namespace mixlaw {

void AddClientFlags(CLI::App* command, ClientFlags* flags, bool json) {
  if (const char* env = std::getenv("MIXLAW_ORCHESTRATOR")) flags->orchestrator = env;
  command->add_option("--orchestrator", flags->orchestrator,
                      "Orchestrator address (default $MIXLAW_ORCHESTRATOR or 127.0.0.1:7600)");
  command->add_option("--token-file", flags->token_file,
                      "File holding the bearer token (default $MIXLAW_TOKEN_FILE)");
  command->add_option("--tls-ca", flags->tls_ca, "CA certificate: connect with TLS");
  if (json) command->add_flag("--json", flags->json, "Print JSON for scripts");
}

absl::StatusOr<ConnectionOptions> ConnectionFromFlags(const ClientFlags& flags) {
  ConnectionOptions options;
  options.address = flags.orchestrator;
  options.tls_ca_path = flags.tls_ca;
  absl::Status s = LoadToken(flags.token_file, &options);
  if (!s.ok()) return s;
  return options;
}

int ExitCodeForCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kExitUnreachable;
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitError;
  }
}

int ExitCodeForInputFile(absl::StatusCode code) {
  return code == absl::StatusCode::kNotFound ? kExitError : kExitUsage;
}

int ExitCodeFor(const grpc::Status& status) {
  return ExitCodeForCode(FromGrpcStatus(status).code());
}

}  // namespace mixlaw
