// The in-cluster dashboard against a real vane-apiserver with a token file and
// --authorization-mode RBAC: every API request needs a bearer token (TokenReview), lists show only
// the namespaces the user may list, and an action is refused (SubjectAccessReview) before its
// first patch when the user may not send every patch it sends.
#include <gtest/gtest.h>

#include <fstream>

#include "dashboard/dashboard.h"
#include "kube/http.h"
#include "support/dashboard_rbac_fixture.h"

namespace vane::dashboard {
namespace {

using nlohmann::json;

class DashboardInClusterTest : public vane::testing::DashboardRbacFixture {};

// Where Vane departs from Argo on purpose: Argo's dashboard has no authentication at all
// (argo-rollouts #1323); here a request without a valid bearer token is refused with 401.
TEST_F(DashboardInClusterTest, WithoutAValidTokenEverythingIs401AndNothingChanges) {
  EXPECT_EQ(send("GET", "/api/rollouts", "").status, 401);
  EXPECT_EQ(send("GET", "/api/rollouts", "not-a-token").status, 401);
  EXPECT_EQ(send("GET", "/api/rollouts/prod/web", "").status, 401);
  EXPECT_EQ(send("GET", "/api/stream", "").status, 401);
  EXPECT_EQ(send("POST", "/api/rollouts/prod/web/abort", "", "{}").status, 401);
  EXPECT_EQ(send("POST", "/api/rollouts/prod/web/abort", "wrong", "{}").status, 401);
  EXPECT_EQ(send("POST", "/api/login", "", R"({"token":"wrong"})").status, 401);
  EXPECT_FALSE(webStatus().value("abort", false));
  EXPECT_EQ(send("GET", "/", "").status, 200);  // the page itself holds no data
}

TEST_F(DashboardInClusterTest, ListsOnlyNamespacesTheUserMayList) {
  auto r = send("GET", "/api/rollouts", "bob-token");
  ASSERT_EQ(r.status, 200) << r.body;
  json list = json::parse(r.body);
  ASSERT_EQ(list["items"].size(), 1u) << r.body;
  EXPECT_EQ(list["items"][0]["namespace"], "prod");
  EXPECT_EQ(send("GET", "/api/rollouts/prod/web", "bob-token").status, 200);
  EXPECT_EQ(send("GET", "/api/rollouts/dev/api", "bob-token").status, 403);
  EXPECT_EQ(json::parse(send("GET", "/api/rollouts", "admin-token").body)["items"].size(), 2u);
}

TEST_F(DashboardInClusterTest, ActionsAreAuthorisedForTheUser) {
  auto r = send("POST", "/api/rollouts/prod/web/abort", "bob-token", "{}");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("cannot patch rollouts/status"), std::string::npos) << r.body;
  EXPECT_FALSE(webStatus().value("abort", false));
  // carol may patch the status but not the spec: promote would send both, so it sends neither.
  r = send("POST", "/api/rollouts/prod/web/promote", "carol-token", "{}");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_FALSE(webStatus().value("pauseConditions", json::array()).empty());
  // alice (group release) may: the dashboard's service account writes it.
  r = send("POST", "/api/rollouts/prod/web/promote", "alice-token", "{}");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(webStatus().value("pauseConditions", json::array()).empty()) << webStatus().dump();
  r = send("POST", "/api/rollouts/prod/web/abort", "alice-token", "{}");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(webStatus().value("abort", false));
  // Not in dev.
  EXPECT_EQ(send("POST", "/api/rollouts/dev/api/abort", "alice-token", "{}").status, 403);
}

TEST_F(DashboardInClusterTest, SignInSetsAStrictHttpOnlyCookie) {
  auto r = send("POST", "/api/login", "", R"({"token":"alice-token"})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string cookie = r.header("Set-Cookie").value_or("");
  EXPECT_NE(cookie.find("vane_dashboard_token=alice-token"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  http::ClientRequest req;
  req.url = base() + "/api/whoami";
  req.headers = {{"Cookie", cookie.substr(0, cookie.find(';'))}};
  auto who = http_->send(req);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->status, 200);
  EXPECT_EQ(json::parse(who->body)["user"], "alice");
}

}  // namespace
}  // namespace vane::dashboard
