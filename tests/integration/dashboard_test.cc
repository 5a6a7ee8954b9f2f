// The dashboard against a real vane-apiserver with the Rollout controller running: the session
// guard (token, Host, Origin), the JSON API over the informers, the actions (the CLI's patches)
// and the live stream.
#include "dashboard/dashboard.h"

#include <gtest/gtest.h>

#include "kube/http.h"
#include "support/controller_fixture.h"
#include "support/dashboard_fixture.h"
#include "support/manifests.h"

namespace vane::dashboard {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using vane::testing::waitFor;

class DashboardTest : public vane::testing::DashboardFixture {};

TEST_F(DashboardTest, GuardWantsTokenHostAndOrigin) {
  // No token, a wrong one: 401.
  EXPECT_EQ(send("GET", "/", "", {}).status, 401);
  EXPECT_EQ(send("GET", "/api/rollouts", "", {}).status, 401);
  EXPECT_EQ(send("GET", "/?token=wrong", "", {}).status, 401);
  // The right one is traded for an HttpOnly, SameSite=Strict cookie.
  auto r = send("GET", "/?token=" + kToken, "", {});
  EXPECT_EQ(r.status, 303);
  std::string cookie = r.header("Set-Cookie").value_or("");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(get("/api/rollouts").status, 200);
  // Another Host (DNS rebinding) is refused even with the cookie.
  EXPECT_EQ(send("GET", "/api/rollouts", "", {{"Host", "evil.example:" + port()}}).status, 403);
  EXPECT_EQ(
      send("GET", "/api/rollouts", "", {{"Host", "localhost:" + port()}, cookieHeader()}).status,
      200);
  // A write from another origin, or without one, changes nothing.
  EXPECT_EQ(send("POST", "/api/rollouts/default/web/abort", "{}",
                 {cookieHeader(), {"Origin", "http://evil.example"}})
                .status,
            403);
  EXPECT_EQ(send("POST", "/api/rollouts/default/web/abort", "{}", {cookieHeader()}).status, 403);
  EXPECT_FALSE(rollout().value("status", json::object()).value("abort", false));
}

TEST_F(DashboardTest, ListCountsAndFilters) {
  json list = getJson("/api/rollouts");
  ASSERT_TRUE(list.contains("items")) << list.dump();
  ASSERT_EQ(list["items"].size(), 1u) << list.dump();
  EXPECT_EQ(list["items"][0]["name"], "web");
  EXPECT_EQ(list["items"][0]["phase"], "Paused");
  EXPECT_TRUE(list["items"][0]["needsAttention"].get<bool>());
  EXPECT_EQ(list["counts"]["Paused"], 1);
  EXPECT_EQ(getJson("/api/rollouts?phase=Healthy")["items"].size(), 0u);
  EXPECT_EQ(getJson("/api/rollouts?name=we")["items"].size(), 1u);
  EXPECT_EQ(getJson("/api/rollouts?namespace=other")["items"].size(), 0u);
}

TEST_F(DashboardTest, RolloutPageShowsStepsAndRevisions) {
  json d = getJson("/api/rollouts/default/web");
  ASSERT_EQ(d.value("name", ""), "web") << d.dump();
  ASSERT_EQ(d["steps"]["steps"].size(), 3u) << d["steps"].dump();
  EXPECT_EQ(d["steps"]["steps"][0]["state"], "done");
  EXPECT_EQ(d["steps"]["steps"][1]["state"], "current");
  EXPECT_TRUE(d["steps"]["paused"].get<bool>());
  EXPECT_EQ(d["setWeight"], "20");
  EXPECT_GE(d["replicaSets"].size(), 2u) << d["replicaSets"].dump();
  EXPECT_EQ(get("/api/rollouts/default/nope").status, 404);
  EXPECT_EQ(get("/rollouts/default/web").status, 200);  // the page itself
}

TEST_F(DashboardTest, PromoteMovesAPausedRolloutOnAndAbortDegradesIt) {
  auto r = post("/api/rollouts/default/web/promote", "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(waitFor([&] { return rolloutStep() >= 2; }, seconds(20))) << describe();
  r = post("/api/rollouts/default/web/abort", "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(
      waitFor([&] { return getJson("/api/rollouts")["items"][0].value("phase", "") == "Degraded"; },
              seconds(20)))
      << describe();
  r = post("/api/rollouts/default/web/frobnicate", "{}");
  EXPECT_EQ(r.status, 404) << r.body;
  r = post("/api/rollouts/default/web/undo", R"({"revision":"x"})");
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(DashboardTest, LiveStreamAnnouncesAChange) {
  auto client = http::Client::create({});
  ASSERT_TRUE(client.ok());
  http::ClientRequest req;
  req.url = base() + "/api/stream";
  req.headers = {cookieHeader()};
  auto stream = client.value()->stream(req);
  ASSERT_TRUE(stream.ok()) << stream.status().toString();
  ASSERT_EQ(stream.value()->status(), 200);
  ASSERT_EQ(post("/api/rollouts/default/web/pause", "{}").status, 200);
  std::string body;
  while (body.find("default/web") == std::string::npos && stream.value()->read(body)) {
  }
  EXPECT_NE(body.find("event: change"), std::string::npos) << body;
  EXPECT_NE(body.find("default/web"), std::string::npos) << body;
  stream.value()->cancel();
}

}  // namespace
}  // namespace vane::dashboard
