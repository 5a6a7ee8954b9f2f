// Revision history, the scale-down delay of a traffic-routed canary, and restartAt against a real
// vane-apiserver --simulate-workloads (pods Ready after ~1 s), with the Rollout controller
// in-process (Istio router registered) and manifests applied with real kubectl.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <set>

#include "support/controller_fixture.h"
#include "support/manifests.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::seconds;
namespace res = kube::resources;

constexpr const char* kVirtualService = R"(apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: web-vsvc
spec:
  hosts: [web]
  http:
  - name: primary
    route:
    - destination: {host: web-stable}
      weight: 100
    - destination: {host: web-canary}
      weight: 0
)";

// A canary Rollout `web` of `replicas` pods; extra_spec and extra_canary are indented YAML.
std::string rolloutYaml(const std::string& image, int replicas, const std::string& extra_spec,
                        const std::string& extra_canary, const std::string& steps = "[]") {
  return vane::testing::webRollout(image, replicas,
                                   "    canary:\n      canaryService: web-canary\n"
                                   "      stableService: web-stable\n      steps: " +
                                       steps + "\n" + extra_canary,
                                   extra_spec);
}

class ControllerHistoryTest : public vane::testing::ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    if (!HasFatalFailure()) applyYaml(vane::testing::servicesYaml({"web-canary", "web-stable"}));
  }

  std::vector<json> items(const kube::Resource& r) {
    auto list = client_->list(r, "default");
    std::vector<json> out;
    if (list.ok()) {
      for (const auto& o : (*list)["items"]) out.push_back(o);
    }
    return out;
  }
  /// {hash -> ReplicaSet}.
  std::map<std::string, json> replicaSets() {
    std::map<std::string, json> out;
    for (const auto& rs : items(res::kReplicaSets)) {
      out[rs["metadata"]["labels"].value("rollouts-pod-template-hash", "")] = rs;
    }
    return out;
  }
  std::string describe() {
    json ro = rollout();
    std::string out = ro.value("status", json::object()).dump() + "\nRS:";
    for (auto& [h, rs] : replicaSets()) {
      out += " " + h + "=" + std::to_string(rs["spec"].value("replicas", 0)) + "/" +
             std::to_string(rs["status"].value("availableReplicas", 0));
    }
    return out;
  }
  /// The rollout fully promoted to its template: Healthy, stable = current, generation observed,
  /// every other ReplicaSet at 0 replicas; returns the stable hash ("" on timeout).
  std::string waitPromoted(seconds timeout = seconds(60)) {
    std::string hash;
    bool ok = vane::testing::waitFor(
        [&] {
          json ro = rollout();
          const json s = ro.value("status", json::object());
          if (s.value("phase", "") != "Healthy" || !vane::testing::statusIsCurrent(ro)) {
            return false;
          }
          hash = s.value("stableRS", "");
          if (hash.empty() || hash != s.value("currentPodHash", "")) return false;
          for (auto& [h, rs] : replicaSets()) {
            if (h != hash &&
                (rs["spec"].value("replicas", 0) != 0 || rs["status"].value("replicas", 0) != 0)) {
              return false;
            }
          }
          return true;
        },
        timeout);
    return ok ? hash : "";
  }
  /// The Rollout's pods not being deleted: {name -> creation time}.
  std::map<std::string, int64_t> livePods() {
    std::map<std::string, int64_t> out;
    for (const auto& p : items(res::kPods)) {
      if (p["metadata"].contains("deletionTimestamp")) continue;
      out[p["metadata"].value("name", "")] =
          kube::parseTime(p["metadata"].value("creationTimestamp", "")).value_or(0);
    }
    return out;
  }
};

TEST_F(ControllerHistoryTest, RevisionHistoryLimitKeepsTheTwoNewestOldReplicaSets) {
  const std::string limit = "  revisionHistoryLimit: 2\n";
  std::vector<std::string> hashes;
  applyYaml(rolloutYaml("nginx:1", 2, limit, ""));
  hashes.push_back(waitPromoted());
  ASSERT_FALSE(hashes.back().empty()) << describe();
  // An AnalysisRun of revision 1 (its analysis controller is not running here): it goes with
  // its ReplicaSet.
  json ro = rollout();
  json run = {
      {"apiVersion", "argoproj.io/v1alpha1"},
      {"kind", "AnalysisRun"},
      {"metadata",
       {{"name", "web-" + hashes[0] + "-1"},
        {"namespace", "default"},
        {"labels", {{"rollouts-pod-template-hash", hashes[0]}}},
        {"ownerReferences", json::array({{{"apiVersion", "argoproj.io/v1alpha1"},
                                          {"kind", "Rollout"},
                                          {"name", "web"},
                                          {"uid", ro["metadata"]["uid"]},
                                          {"controller", true}}})}}},
      {"spec",
       {{"metrics", json::array({{{"name", "m"},
                                  {"provider", {{"web", {{"url", "http://127.0.0.1:1/"}}}}}}})}}}};
  auto created = client_->create(res::kAnalysisRuns, "default", run);
  ASSERT_TRUE(created.ok()) << created.status().toString();
  for (int v = 2; v <= 3; ++v) {
    applyYaml(rolloutYaml("nginx:" + std::to_string(v), 2, limit, ""));
    ASSERT_TRUE(vane::testing::waitFor(
        [&] { return rollout()["status"].value("currentPodHash", "") != hashes.back(); },
        seconds(30)));
    hashes.push_back(waitPromoted());
    ASSERT_FALSE(hashes.back().empty()) << describe();
  }
  // Two old ReplicaSets: within the limit, all three remain.
  auto rss = replicaSets();
  EXPECT_EQ(rss.size(), 3u) << describe();
  applyYaml(rolloutYaml("nginx:4", 2, limit, ""));
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return rollout()["status"].value("currentPodHash", "") != hashes.back(); },
      seconds(30)));
  hashes.push_back(waitPromoted());
  ASSERT_FALSE(hashes.back().empty()) << describe();
  const std::set<std::string> expected(hashes.begin() + 1, hashes.end());
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        std::set<std::string> got;
        for (auto& [h, rs] : replicaSets()) got.insert(h);
        return got == expected;
      },
      seconds(30)))
      << describe();
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        auto r = client_->get(res::kAnalysisRuns, "default", "web-" + hashes[0] + "-1");
        return !r.ok() && r.status().code() == Code::kNotFound;
      },
      seconds(30)));
}

TEST_F(ControllerHistoryTest, TrafficRoutedPreviousStableKeptForScaleDownDelay) {
  for (const char* crd : {"virtualservice.crd.yaml", "destinationrule.crd.yaml"}) {
    kubectlOk("apply -f " + vane::testing::istioCrdDir() + crd);
  }
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        return vane::testing::run(server_->kubectl() +
                                  " get virtualservices.networking.istio.io -n default")
                   .exit_code == 0;
      },
      seconds(30)));
  applyYaml(kVirtualService);
  const std::string routing = R"(      scaleDownDelaySeconds: 3
      trafficRouting:
        istio:
          virtualService:
            name: web-vsvc
            routes: [primary]
)";
  const std::string steps = "[{setWeight: 50}]";
  applyYaml(rolloutYaml("nginx:1", 2, "", routing, steps));
  const std::string v1 = waitPromoted();
  ASSERT_FALSE(v1.empty()) << describe();
  applyYaml(rolloutYaml("nginx:2", 2, "", routing, steps));
  // Promoted to v2, the previous stable first gets a deadline while keeping its pods...
  json marked;
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        auto rss = replicaSets();
        if (!rss.count(v1)) return false;
        const json& rs = rss[v1];
        if (rs["metadata"].value("annotations", json::object()).contains("scale-down-deadline")) {
          marked = rs;
          return true;
        }
        return false;
      },
      seconds(60)))
      << describe();
  EXPECT_EQ(marked["spec"].value("replicas", 0), 2) << marked.dump();
  const std::string v2 = rollout()["status"].value("currentPodHash", "");
  EXPECT_NE(v2, v1);
  const int64_t deadline =
      kube::parseTime(marked["metadata"]["annotations"].value("scale-down-deadline", ""))
          .value_or(0);
  ASSERT_GT(deadline, 0) << marked.dump();
  // ...then, once it has passed, goes to 0.
  int64_t scaled_seen_at = 0;
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        auto rss = replicaSets();
        if (rss.count(v1) && rss[v1]["spec"].value("replicas", 1) == 0) {
          scaled_seen_at = std::time(nullptr);
          return true;
        }
        return false;
      },
      seconds(60)))
      << describe();
  EXPECT_GE(scaled_seen_at, deadline);
  EXPECT_EQ(waitPromoted(), v2) << describe();
}

TEST_F(ControllerHistoryTest, RestartAtRecreatesThePodsAndSetsRestartedAt) {
  applyYaml(rolloutYaml("nginx:1", 3, "", ""));
  ASSERT_FALSE(waitPromoted().empty()) << describe();
  std::map<std::string, int64_t> before;
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        before = livePods();
        return before.size() == 3;
      },
      seconds(30)));
  int64_t newest = 0;
  for (auto& [name, created] : before) newest = std::max(newest, created);
  // After every current pod was created (possibly a moment ahead: the controller waits for it).
  const std::string restart_at = kube::formatTime(newest + 1);
  kubectlOk("patch rollout web --type merge -p '{\"spec\":{\"restartAt\":\"" + restart_at +
            "\"}}'");
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return rollout()["status"].value("restartedAt", "") == restart_at; }, seconds(90)))
      << describe();
  std::map<std::string, int64_t> after;
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        after = livePods();
        return after.size() == 3;
      },
      seconds(30)));
  for (auto& [name, created] : after) {
    EXPECT_EQ(before.count(name), 0u) << name << " was not restarted";
    EXPECT_GE(created, newest + 1) << name;
  }
  EXPECT_FALSE(waitPromoted().empty()) << describe();
}

// spec.ttlStrategy: a standalone AnalysisRun (a Job metric the local server completes) is
// deleted once its time to live after completion has passed.
TEST_F(ControllerHistoryTest, AnalysisRunDeletedAfterItsTtl) {
  applyYaml(R"(apiVersion: argoproj.io/v1alpha1
kind: AnalysisRun
metadata:
  name: smoke-ttl
spec:
  ttlStrategy:
    secondsAfterCompletion: 2
  metrics:
  - name: smoke
    provider:
      job:
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              containers:
              - name: smoke
                image: busybox
)");
  std::string completed;
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        json ar = get(res::kAnalysisRuns, "smoke-ttl");
        completed = ar.value("status", json::object()).value("completedAt", "");
        return ar.value("status", json::object()).value("phase", "") == "Successful";
      },
      seconds(30)))
      << get(res::kAnalysisRuns, "smoke-ttl").dump();
  EXPECT_FALSE(get(res::kAnalysisRuns, "smoke-ttl").empty());  // kept for its TTL
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        return client_->get(res::kAnalysisRuns, "default", "smoke-ttl").status().code() ==
               Code::kNotFound;
      },
      seconds(20)));
  const int64_t gone = std::time(nullptr);
  auto done = kube::parseTime(completed);
  ASSERT_TRUE(done.has_value()) << completed;
  EXPECT_GE(gone, *done + 2);  // not before completedAt + secondsAfterCompletion
}

}  // namespace
}  // namespace vane::controller
