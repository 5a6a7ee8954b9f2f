#include "dashboard/guard.h"

#include <gtest/gtest.h>

namespace vane::dashboard {
namespace {

http::Request request(const std::string& method, const std::string& path, http::Headers headers,
                      std::vector<std::pair<std::string, std::string>> query = {}) {
  http::Request r;
  r.method = method;
  r.path = path;
  r.target = path;
  r.headers = std::move(headers);
  r.query = std::move(query);
  return r;
}

const std::string kToken = "feedfacefeedfacefeedfacefeedface";
const std::pair<std::string, std::string> kCookie = {
    "Cookie", "theme=dark; vane_dashboard_session=" + kToken};

TEST(LocalGuard, TradesTheUrlTokenForAStrictHttpOnlyCookie) {
  LocalGuard g(kToken, "127.0.0.1", 3100);
  EXPECT_EQ(g.url(), "http://127.0.0.1:3100/?token=" + kToken);
  auto r = g.check(request("GET", "/", {{"Host", "127.0.0.1:3100"}}, {{"token", kToken}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  std::string set = http::findHeader(r->headers, "Set-Cookie").value_or("");
  EXPECT_EQ(set, "vane_dashboard_session=" + kToken + "; Path=/; HttpOnly; SameSite=Strict");
  EXPECT_FALSE(g.check(request("GET", "/api/rollouts", {{"Host", "localhost:3100"}, kCookie})));
}

TEST(LocalGuard, RefusesWithoutTheToken) {
  LocalGuard g(kToken, "127.0.0.1", 3100);
  auto none = g.check(request("GET", "/", {{"Host", "127.0.0.1:3100"}}));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto wrong = g.check(request("GET", "/", {{"Host", "127.0.0.1:3100"}}, {{"token", "x"}}));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto bad_cookie =
      g.check(request("GET", "/api/rollouts",
                      {{"Host", "127.0.0.1:3100"}, {"cookie", "vane_dashboard_session=x"}}));
  ASSERT_TRUE(bad_cookie);
  EXPECT_EQ(bad_cookie->status, 401);
}

TEST(LocalGuard, RefusesAnotherHostEvenWithTheToken) {
  LocalGuard g(kToken, "127.0.0.1", 3100);
  for (std::string host : {"evil.example:3100", "127.0.0.1:3101", "127.0.0.1", ""}) {
    auto r = g.check(request("GET", "/api/rollouts", {{"Host", host}, kCookie}));
    ASSERT_TRUE(r) << host;
    EXPECT_EQ(r->status, 403) << host;
  }
}

TEST(LocalGuard, WritesNeedOurOwnOrigin) {
  LocalGuard g(kToken, "127.0.0.1", 3100);
  http::Headers ok = {{"Host", "127.0.0.1:3100"}, kCookie, {"Origin", "http://127.0.0.1:3100"}};
  EXPECT_FALSE(g.check(request("POST", "/api/rollouts/d/w/abort", ok)));
  EXPECT_FALSE(
      g.check(request("POST", "/api/rollouts/d/w/abort",
                      {{"Host", "localhost:3100"}, kCookie, {"Origin", "http://localhost:3100"}})));
  for (std::string origin : {"http://evil.example", "null", "https://127.0.0.1:3100", ""}) {
    http::Headers h = {{"Host", "127.0.0.1:3100"}, kCookie};
    if (!origin.empty()) h.emplace_back("Origin", origin);
    auto r = g.check(request("POST", "/api/rollouts/d/w/abort", h));
    ASSERT_TRUE(r) << origin;
    EXPECT_EQ(r->status, 403) << origin;
  }
}

TEST(LocalGuard, RandomTokensDiffer) {
  std::string a = randomToken(), b = randomToken();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(tokensEqual(a, a));
  EXPECT_FALSE(tokensEqual(a, b));
  EXPECT_FALSE(tokensEqual(a, a.substr(1)));
}

}  // namespace
}  // namespace vane::dashboard
