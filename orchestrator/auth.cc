#include "orchestrator/auth.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
    const size_t close = host.find(']');
    if (close == std::string::npos) return false;
    host = host.substr(1, close - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  if (host.empty()) return false;  // ":7600" listens on every interface
  // "localhost" names the loopback interface by definition (RFC 6761), also on a machine whose
  // resolver does not know it (no /etc/hosts).
  if (absl::AsciiStrToLower(host) == "localhost") return true;
  // The name as the server resolves it: every address must be a loopback one, so that a name
  // like 127.example.internal, which may resolve anywhere, does not pass for one.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) return false;
  bool loopback = true;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      loopback = loopback && (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      const in6_addr& in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr;
      const bool mapped_loopback = IN6_IS_ADDR_V4MAPPED(&in6) && in6.s6_addr[12] == 127;
      loopback = loopback && (IN6_IS_ADDR_LOOPBACK(&in6) || mapped_loopback);
    } else {
      loopback = false;
    }
  }
  freeaddrinfo(found);
  return loopback;
}

bool SameToken(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

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
