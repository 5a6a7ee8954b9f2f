// A fixture for the in-cluster dashboard (header-only: only the dashboard tests link
// vane_dashboard): vane-apiserver over TLS with a token file of five users and
// --authorization-mode RBAC; namespaces prod (Rollout web, paused) and dev (Rollout api); RBAC
// where bob and carol may view prod, carol may also patch rollouts/status there, the group
// release (alice) may patch both, and the dashboard's service account may review and write; and a
// dashboard in in-cluster mode on a free port.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

#include "dashboard/dashboard.h"
#include "kube/http.h"
#include "support/process.h"

namespace vane::testing {

namespace res = kube::resources;

inline constexpr const char* kTokens =
    "admin-token,admin,0,system:masters\n"
    "dash-token,system:serviceaccount:vane:dashboard,1\n"
    "alice-token,alice,2,\"release\"\n"
    "bob-token,bob,3\n"
    "carol-token,carol,4\n";

inline constexpr const char* kRbac = R"(
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

inline nlohmann::json rolloutObject(const std::string& ns, const std::string& name) {
  return nlohmann::json::parse(R"({"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout",
    "metadata":{"name":")" + name +
                               R"(","namespace":")" + ns + R"("},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"x"}},
      "template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"x","image":"x:1"}]}},
      "strategy":{"canary":{"steps":[{"setWeight":20},{"pause":{}}]}}}})");
}

class DashboardRbacFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir("vane-dash-rbac");
    std::ofstream(dir_ + "/tokens.csv") << kTokens;
    std::ofstream(dir_ + "/rbac.yaml") << kRbac;
    ApiServer::Options o;
    o.simulate_workloads = false;
    o.tls = true;  // kubectl sends bearer tokens over HTTPS only
    o.extra_args = {"--token-file", dir_ + "/tokens.csv", "--authorization-mode", "RBAC"};
    server_ = ApiServer::start(o);
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
                            nlohmann::json::parse(R"({"status":{"pauseConditions":[{"reason":
                              "CanaryPauseStep","startTime":"2026-01-01T00:00:00Z"}]}})"),
                            "status")
                    .ok());
    config->token = "dash-token";
    dash_client_ = std::move(kube::Client::create(*config).value());
    dashboard::DashboardOptions opts;
    opts.port = 0;
    opts.in_cluster = true;
    opts.flush_interval = std::chrono::milliseconds(100);
    auto d = dashboard::Dashboard::start(*dash_client_, opts);
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
  nlohmann::json webStatus() {
    return admin_->get(res::kRollouts, "prod", "web")
        .value()
        .value("status", nlohmann::json::object());
  }

  std::string dir_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<kube::Client> admin_, dash_client_;
  std::unique_ptr<dashboard::Dashboard> dashboard_;
  std::unique_ptr<http::Client> http_;
};

}  // namespace vane::testing
