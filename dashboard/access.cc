#include "dashboard/access.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "orchestrator/auth.h"
#include "report/html_page.h"

namespace mixlaw {

namespace {

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or empty.
std::string CookieValue(const std::string& header, absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return "";
}

}  // namespace

Access CheckAccess(const httplib::Request& request, const std::string& client_token) {
  if (client_token.empty()) return Access::kAllowed;
  std::string sent;
  const std::string header = request.get_header_value("Authorization");
  absl::string_view authorization = header;
  if (absl::ConsumePrefix(&authorization, "Bearer ")) {
    sent = std::string(absl::StripAsciiWhitespace(authorization));
  } else {
    sent = CookieValue(request.get_header_value("Cookie"), kSessionCookie);
  }
  if (sent.empty()) return Access::kNoToken;
  return SameToken(sent, client_token) ? Access::kAllowed : Access::kWrongToken;
}

std::string SessionCookie(const std::string& token, bool secure) {
  return absl::StrCat(kSessionCookie, "=", token, "; Path=/; HttpOnly; SameSite=Strict",
                      secure ? "; Secure" : "");
}

std::string LoginPage(const std::string& problem) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mixlaw: sign "
      "in</title><link rel=\"stylesheet\" href=\"/assets/dashboard.css\"></head><body>"
      "<main class=\"login\"><h1>mixlaw</h1>",
      problem.empty() ? ""
                      : absl::StrCat("<p class=\"problem\">", report::HtmlEscape(problem), "</p>"),
      "<form method=\"post\" action=\"/login\"><label>Client token "
      "<input type=\"password\" name=\"token\" autocomplete=\"current-password\" autofocus>"
      "</label> <button type=\"submit\">Sign in</button></form>"
      "<p>The token of <code>mixlaw serve --client-token-file</code>.</p></main></body></html>\n");
}

}  // namespace mixlaw
