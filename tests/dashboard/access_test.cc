#include "dashboard/access.h"

#include <gtest/gtest.h>

namespace mixlaw {
namespace {

httplib::Request WithHeader(const std::string& name, const std::string& value) {
  httplib::Request r;
  r.headers.emplace(name, value);
  return r;
}

TEST(AccessTest, WithoutTokensEveryRequestMayRead) {
  EXPECT_EQ(CheckAccess(httplib::Request(), ""), Access::kAllowed);
}

TEST(AccessTest, TheClientTokenIsReadFromABearerHeaderOrTheSessionCookie) {
  const std::string token = "s3cret-token";
  EXPECT_EQ(CheckAccess(httplib::Request(), token), Access::kNoToken);
  EXPECT_EQ(CheckAccess(WithHeader("Authorization", "Bearer s3cret-token"), token),
            Access::kAllowed);
  EXPECT_EQ(CheckAccess(WithHeader("Authorization", "Bearer s3cret-tokem"), token),
            Access::kWrongToken);
  EXPECT_EQ(CheckAccess(WithHeader("Authorization", "Basic s3cret-token"), token),
            Access::kNoToken);
  EXPECT_EQ(CheckAccess(WithHeader("Cookie", "theme=dark; mixlaw_session=s3cret-token"), token),
            Access::kAllowed);
  EXPECT_EQ(CheckAccess(WithHeader("Cookie", "mixlaw_sessionx=s3cret-token"), token),
            Access::kNoToken)
      << "another cookie's name that starts the same is not the session";
  EXPECT_EQ(CheckAccess(WithHeader("Cookie", "mixlaw_session=s3cret"), token), Access::kWrongToken);
}

TEST(AccessTest, TheSessionCookieIsHttpOnlyStrictAndSecureOverTls) {
  EXPECT_EQ(SessionCookie("t", false), "mixlaw_session=t; Path=/; HttpOnly; SameSite=Strict");
  EXPECT_EQ(SessionCookie("t", true),
            "mixlaw_session=t; Path=/; HttpOnly; SameSite=Strict; Secure");
}

TEST(AccessTest, TheLoginPageEscapesItsProblem) {
  const std::string page = LoginPage("<script>x</script>");
  EXPECT_EQ(page.find("<script>x"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;x"), std::string::npos);
}

}  // namespace
}  // namespace mixlaw
