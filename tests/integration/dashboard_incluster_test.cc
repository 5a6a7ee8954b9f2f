// The in-cluster dashboard against a real vane-apiserver with a token file and
// --authorization-mode RBAC: every API request needs a bearer token (TokenReview), lists show only
// the namespaces the user may list, and an action is refused (SubjectAccessReview) before its
// first patch when the user may not send every patch it sends.
#include <gtest/gtest.h>

#include <fstream>

#include "dashboard/dashboard.h"
#include "kube/http.h"
#include "support/process.h"

namespace vane::dashboard {
namespace {

using nlohmann::json;
using vane::testing::run;
namespace res = kube::resources;

constexpr const char* kTokens =
    "admin-token,admin,0,system:masters\n"
    "dash-token,system:serviceaccount:vane:dashboard,1\n"
    "alice-token,alice,2,\"release\"\n"
    "bob-token,bob,3\n"
    "carol-token,carol,4\n";

constexpr const char* kRbac = R"(
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: vane-dashboard}
rules:
- apiGroups: [authentication.k8s.io]
  resources: [tokenreviews]
  verbs: [create]
- apiGroups: [authorization.k8s.io]
  resources: [subjectaccessreviews]
  verbs: [create]
- apiGroups: ["", apps, argoproj.io]
  resources: [rollouts, replicasets, pods, analysisruns, events]
  verbs: [get, list, watch]
- apiGroups: [argoproj.io]
  resources: [rollouts, rollouts/status]
  verbs: [patch, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: vane-dashboard}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: vane-dashboard}
subjects: [{kind: ServiceAccount, name: dashboard, namespace: vane}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: viewer, namespace: prod}
rules:
- apiGroups: [argoproj.io]
  resources: [rollouts]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewers, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: viewer}
subjects: [{kind: User, name: bob}, {kind: User, name: carol}, {kind: Group, name: release}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: promoter, namespace: prod}
rules:
- apiGroups: [argoproj.io]
  resources: [rollouts, rollouts/status]
  verbs: [patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: release-promoters, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: promoter}
subjects: [{kind: Group, name: release}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: status-only, namespace: prod}
rules:
- apiGroups: [argoproj.io]
  resources: [rollouts/status]
  verbs: [patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: carol-status, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: status-only}
subjects: [{kind: User, name: carol}]
)";

json rolloutObject(const std::string& ns, const std::string& name) {
  return json::parse(R"({"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout",
    "metadata":{"name":")" +
                     name + R"(","namespace":")" + ns + R"("},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"x"}},
      "template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"x","image":"x:1"}]}},
      "strategy":{"canary":{"steps":[{"setWeight":20},{"pause":{}}]}}}})");
}

class DashboardInClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = vane::testing::makeTempDir("vane-dash-rbac");
    std::ofstream(dir_ + "/tokens.csv") << kTokens;
    std::ofstream(dir_ + "/rbac.yaml") << kRbac;
    vane::testing::ApiServer::Options o;
    o.simulate_workloads = false;
    o.tls = true;  // kubectl sends bearer tokens over HTTPS only
    o.extra_args = {"--token-file", dir_ + "/tokens.csv", "--authorization-mode", "RBAC"};
    server_ = vane::testing::ApiServer::start(o);
    ASSERT_TRUE(server_);
    const std::string crds = std::string(VANE_SOURCE_DIR) + "/crds/";
    const std::string k = server_->kubectl();
    auto r = run(k + "create namespace prod && " + k + "create namespace dev && " + k +
                 "apply -f " + crds + "rollout-crd.yaml -f " + crds + "analysis-run-crd.yaml -f " +
                 dir_ + "/rbac.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto config = kube::loadKubeconfig(server_->kubeconfig());
    ASSERT_TRUE(config.ok()) << config.status().toString();
    admin_ = std::move(kube::Client::create(*config).value());
    for (auto [ns, name] : {std::pair{"prod", "web"}, std::pair{"dev", "api"}}) {
      ASSERT_TRUE(admin_->create(res::kRollouts, ns, rolloutObject(ns, name)).ok());
    }
    ASSERT_TRUE(admin_
                    ->patch(res::kRollouts, "prod", "web", kube::PatchType::kMerge,
                            json::parse(R"({"status":{"pauseConditions":[{"reason":
                              "CanaryPauseStep","startTime":"2026-01-01T00:00:00Z"}]}})"),
                            "status")
                    .ok());
    config->token = "dash-token";
    dash_client_ = std::move(kube::Client::create(*config).value());
    DashboardOptions opts;
    opts.port = 0;
    opts.in_cluster = true;
    opts.flush_interval = std::chrono::milliseconds(100);
    auto d = Dashboard::start(*dash_client_, opts);
    ASSERT_TRUE(d.ok()) << d.status().toString();
    dashboard_ = std::move(d.value());
    ASSERT_TRUE(dashboard_->waitForSync(std::chrono::seconds(10)));
    http_ = std::move(http::Client::create({}).value());
  }
  void TearDown() override {
    if (dashboard_) dashboard_->stop();
    if (HasFailure() && server_) std::cerr << server_->process()->log();
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(dashboard_->port()); }
  http::ClientResponse send(const std::string& method, const std::string& path,
                            const std::string& token, const std::string& body = "") {
    http::ClientRequest req;
    req.method = method;
    req.url = base() + path;
    req.body = body;
    if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
    if (method == "POST") req.headers.emplace_back("Origin", base());
    auto r = http_->send(req);
    EXPECT_TRUE(r.ok()) << r.status().toString();
    return r.ok() ? r.value() : http::ClientResponse{};
  }
  json webStatus() {
    return admin_->get(res::kRollouts, "prod", "web").value().value("status", json::object());
  }

  std::string dir_;
  std::unique_ptr<vane::testing::ApiServer> server_;
  std::unique_ptr<kube::Client> admin_, dash_client_;
  std::unique_ptr<Dashboard> dashboard_;
  std::unique_ptr<http::Client> http_;
};

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
