// Who may read the dashboard: with tokens, the client token of the gRPC API, sent as a bearer
// header (scripts, Prometheus' bearer_token_file) or held in an HttpOnly cookie that the login
// form sets (browsers). Without tokens the dashboard listens on loopback only, as the API does.
#ifndef MIXLAW_DASHBOARD_ACCESS_H_
#define MIXLAW_DASHBOARD_ACCESS_H_

#include <string>

#include "httplib.h"

namespace mixlaw {

inline constexpr char kSessionCookie[] = "mixlaw_session";

enum class Access {
  kAllowed,     // no tokens, or the client token was sent
  kNoToken,     // tokens required and none sent
  kWrongToken,  // a token was sent that is not the client token
};

// Whether `request` may read: `client_token` empty means no tokens.
Access CheckAccess(const httplib::Request& request, const std::string& client_token);

// The Set-Cookie value that holds `token` for this site's pages: HttpOnly, SameSite=Strict, and
// Secure over TLS.
std::string SessionCookie(const std::string& token, bool secure);

// The login form's page; `problem` (escaped) above the form when not empty.
std::string LoginPage(const std::string& problem);

}  // namespace mixlaw

#endif  // MIXLAW_DASHBOARD_ACCESS_H_
