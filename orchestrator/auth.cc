#include "orchestrator/auth.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mixlaw {

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the token file"));
  std::string line;
  std::getline(in, line);
  std::string token(absl::StripAsciiWhitespace(line));
  if (token.size() < 16) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the token must be at least 16 characters on the first line"));
  }
  return token;
}

bool IsLoopbackAddress(const std::string& address) {
  if (absl::StartsWith(address, "unix:")) return true;
  std::string host = address;
  if (absl::StartsWith(host, "[")) {
    host = host.substr(1, host.find(']') - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

namespace {

// Compares in time independent of where the strings differ.
bool SameToken(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

grpc::Status Authorize(const grpc::ServerContext& context, const Tokens& tokens, Role role) {
  if (!tokens.enabled()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "no bearer token: pass --token-file (or set MIXLAW_TOKEN_FILE)");
  }
  std::string_view value(it->second.data(), it->second.size());
  if (value.substr(0, 7) != "Bearer ") {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "the authorization header must be 'Bearer TOKEN'");
  }
  value.remove_prefix(7);
  const std::string& expected = role == Role::kClient ? tokens.client : tokens.worker;
  if (SameToken(value, expected)) return grpc::Status::OK;
  const std::string& other = role == Role::kClient ? tokens.worker : tokens.client;
  if (SameToken(value, other)) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        role == Role::kClient ? "a worker token cannot manage sweeps"
                                              : "a client token cannot act as a worker");
  }
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "wrong token");
}

}  // namespace mixlaw
