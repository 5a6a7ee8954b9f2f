// Blue-green scenarios against a real vane-apiserver --simulate-workloads, with the controller
// in-process and manifests applied with real kubectl (issue #7): initial deploy, manual and
// automatic promotion, previewReplicaCount, pre/post-promotion analysis (simulated Jobs),
// abort and retry, rollback inside the scale-down delay, and controller restarts.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>

#include "support/controller_fixture.h"
#include "support/manifests.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
namespace res = kube::resources;

// strategy.blueGreen fields, each line indented by 6 spaces.
std::string rolloutYaml(const std::string& image, const std::string& blue_green = "",
                        int replicas = 3) {
  return vane::testing::webRollout(
      image, replicas,
      "    blueGreen:\n      activeService: web-active\n      previewService: web-preview\n" +
          blue_green);
}

class ControllerBlueGreenTest : public vane::testing::ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    if (HasFatalFailure()) return;
    applyYaml(vane::testing::servicesYaml({"web-active", "web-preview"}));
    applyYaml(vane::testing::jobAnalysisTemplate("smoke-pass", "succeed"));
    applyYaml(vane::testing::jobAnalysisTemplate("smoke-fail", "fail"));
  }

  // Phase (and message prefix when given) plus the active Service's hash, all at once.
  bool waitPhase(const std::string& phase, const std::string& message = "",
                 seconds timeout = seconds(40)) {
    return vane::testing::waitFor(
        [&] {
          json ro = rollout();
          const json s = ro.value("status", json::object());
          if (!vane::testing::statusIsCurrent(ro)) {
            return false;
          }
          return s.value("phase", "") == phase && s.value("message", "").rfind(message, 0) == 0;
        },
        timeout);
  }
  void deployV1(const std::string& bg) {
    applyYaml(rolloutYaml("nginx:1", bg));
    ASSERT_TRUE(waitPhase("Healthy")) << describe();
    v1_ = status("stableRS");
    ASSERT_FALSE(v1_.empty());
  }
  void applyV2(const std::string& bg) {
    applyYaml(rolloutYaml("nginx:2", bg));
    ASSERT_TRUE(vane::testing::waitFor(
        [&] {
          v2_ = status("currentPodHash");
          return !v2_.empty() && v2_ != v1_;
        },
        seconds(20)))
        << describe();
  }
  std::set<std::string> podNames(const std::string& hash) {
    std::set<std::string> out;
    kube::ListOptions opts;
    opts.label_selector = "rollouts-pod-template-hash=" + hash;
    auto list = client_->list(res::kPods, "default", opts);
    if (!list.ok()) return out;
    for (const auto& p : (*list)["items"]) out.insert(p["metadata"].value("name", ""));
    return out;
  }

  std::string v1_, v2_;
};

TEST_F(ControllerBlueGreenTest, InitialDeploySetsActiveAtOnce) {
  deployV1("");
  EXPECT_EQ(serviceHash("web-active"), v1_);
  EXPECT_EQ(serviceHash("web-preview"), v1_);
  EXPECT_EQ(status("blueGreen/activeSelector"), v1_);
  EXPECT_EQ(status("blueGreen/previewSelector"), v1_);
  EXPECT_EQ(status("availableReplicas"), "3");
  EXPECT_EQ(counts()[v1_], 3);
  json svc = get(res::kServices, "web-active");
  EXPECT_EQ(svc["metadata"]["annotations"]["argo-rollouts.argoproj.io/managed-by-rollouts"], "web");
}

TEST_F(ControllerBlueGreenTest, ManualPromotion) {
  const std::string bg = "      autoPromotionEnabled: false\n      scaleDownDelaySeconds: 2\n";
  deployV1(bg);
  applyV2(bg);
  ASSERT_TRUE(waitPhase("Paused", "BlueGreenPause")) << describe();
  EXPECT_EQ(serviceHash("web-preview"), v2_);
  EXPECT_EQ(serviceHash("web-active"), v1_);
  EXPECT_EQ(counts()[v2_], 3);
  EXPECT_EQ(counts()[v1_], 3);
  EXPECT_EQ(status("stableRS"), v1_);
  promote();
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  EXPECT_EQ(serviceHash("web-active"), v2_);
  EXPECT_EQ(status("stableRS"), v2_);
  // The previous active goes once its scale-down delay has passed.
  ASSERT_TRUE(vane::testing::waitFor([&] { return counts()[v1_] == 0; }, seconds(20)))
      << describe();
  EXPECT_EQ(counts()[v2_], 3);
}

TEST_F(ControllerBlueGreenTest, AutoPromotionAfterSeconds) {
  const std::string bg = "      autoPromotionSeconds: 2\n      scaleDownDelaySeconds: 2\n";
  deployV1(bg);
  applyV2(bg);
  ASSERT_TRUE(waitPhase("Paused", "BlueGreenPause")) << describe();
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  EXPECT_EQ(serviceHash("web-active"), v2_);
}

TEST_F(ControllerBlueGreenTest, PreviewReplicaCountAndCheckpoint) {
  const std::string bg =
      "      autoPromotionEnabled: false\n      previewReplicaCount: 1\n"
      "      scaleDownDelaySeconds: 2\n";
  deployV1(bg);
  applyV2(bg);
  ASSERT_TRUE(waitPhase("Paused", "BlueGreenPause")) << describe();
  EXPECT_EQ(counts()[v2_], 1);
  EXPECT_EQ(counts()[v1_], 3);
  promote();
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  EXPECT_EQ(counts()[v2_], 3);
  EXPECT_EQ(serviceHash("web-active"), v2_);
  EXPECT_EQ(status("blueGreen/scaleUpPreviewCheckPoint"), "");
}

TEST_F(ControllerBlueGreenTest, PrePromotionAnalysisFailingKeepsActive) {
  deployV1("");
  applyV2(
      "      prePromotionAnalysis:\n        templates:\n        - templateName: smoke-fail\n"
      "      abortScaleDownDelaySeconds: 2\n");
  ASSERT_TRUE(waitPhase("Degraded", "RolloutAborted")) << describe();
  EXPECT_NE(status("message").find("Blue/green pre-promotion analysis phase error/failed"),
            std::string::npos)
      << status("message");
  EXPECT_EQ(serviceHash("web-active"), v1_);
  EXPECT_EQ(status("stableRS"), v1_);
  const std::string run = status("blueGreen/prePromotionAnalysisRunStatus/name");
  EXPECT_EQ(run, "web-" + v2_ + "-2-pre");
  json ar = get(res::kAnalysisRuns, run);
  EXPECT_EQ(ar["metadata"]["labels"]["rollout-type"], "PrePromotion");
  ASSERT_TRUE(vane::testing::waitFor([&] { return counts()[v2_] == 0; }, seconds(20)))
      << describe();
  EXPECT_EQ(counts()[v1_], 3);
}

TEST_F(ControllerBlueGreenTest, PrePromotionAnalysisPassingPromotes) {
  deployV1("");
  applyV2("      prePromotionAnalysis:\n        templates:\n        - templateName: smoke-pass\n");
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  EXPECT_EQ(serviceHash("web-active"), v2_);
  EXPECT_EQ(status("blueGreen/prePromotionAnalysisRunStatus/status"), "Successful");
}

TEST_F(ControllerBlueGreenTest, PostPromotionAnalysisFailingSwitchesBack) {
  deployV1("");
  applyV2("      postPromotionAnalysis:\n        templates:\n        - templateName: smoke-fail\n");
  ASSERT_TRUE(waitPhase("Degraded", "RolloutAborted")) << describe();
  EXPECT_NE(status("message").find("Blue/green post-promotion analysis phase error/failed"),
            std::string::npos)
      << status("message");
  ASSERT_TRUE(vane::testing::waitFor([&] { return serviceHash("web-active") == v1_; }, seconds(10)))
      << describe();
  EXPECT_EQ(status("stableRS"), v1_);
  EXPECT_EQ(counts()[v1_], 3);
}

TEST_F(ControllerBlueGreenTest, AbortThenRetry) {
  const std::string bg = "      autoPromotionEnabled: false\n";
  deployV1(bg);
  applyV2(bg);
  ASSERT_TRUE(waitPhase("Paused", "BlueGreenPause")) << describe();
  patchStatus("web", R"({"status":{"abort":true}})");
  ASSERT_TRUE(waitPhase("Degraded", "RolloutAborted")) << describe();
  EXPECT_EQ(status("message"), "RolloutAborted: Rollout aborted update to revision 2");
  EXPECT_EQ(serviceHash("web-active"), v1_);
  patchStatus("web", R"({"status":{"abort":false}})");
  ASSERT_TRUE(waitPhase("Paused", "BlueGreenPause")) << describe();
  promote();
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  EXPECT_EQ(serviceHash("web-active"), v2_);
}

TEST_F(ControllerBlueGreenTest, RollbackInsideScaleDownDelayReusesPods) {
  const std::string bg = "      scaleDownDelaySeconds: 60\n";
  deployV1(bg);
  const std::set<std::string> v1_pods = podNames(v1_);
  ASSERT_EQ(v1_pods.size(), 3u);
  applyV2(bg);
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  ASSERT_EQ(status("stableRS"), v2_);
  EXPECT_EQ(counts()[v1_], 3);  // kept for the delay
  applyYaml(rolloutYaml("nginx:1", bg));
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return status("stableRS") == v1_ && status("phase") == "Healthy"; }, seconds(20)))
      << describe();
  EXPECT_EQ(serviceHash("web-active"), v1_);
  EXPECT_EQ(counts().size(), 2u);     // no new ReplicaSet
  EXPECT_EQ(podNames(v1_), v1_pods);  // and the same pods
}

// The controller is stopped and started again at random moments while v2 goes through
// pre-promotion analysis, the switch and post-promotion analysis; the end state is the one an
// uninterrupted run reaches: v2 stable and active with 3 pods, v1 scaled to 0, both runs
// Successful, exactly two ReplicaSets with revisions 1 and 2.
TEST_F(ControllerBlueGreenTest, ControllerRestartsDuringPromotion) {
  const std::string bg =
      "      prePromotionAnalysis:\n        templates:\n        - templateName: smoke-pass\n"
      "      postPromotionAnalysis:\n        templates:\n        - templateName: smoke-pass\n"
      "      scaleDownDelaySeconds: 2\n";
  deployV1(bg);
  applyV2(bg);
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(100, 1500);
  for (int i = 0; i < 8 && status("phase") != "Healthy"; ++i) {
    std::this_thread::sleep_for(milliseconds(pause_ms(rng)));
    startController();
  }
  ASSERT_TRUE(waitPhase("Healthy", "", seconds(60))) << describe();
  ASSERT_TRUE(vane::testing::waitFor([&] { return counts()[v1_] == 0; }, seconds(20)))
      << describe();
  EXPECT_EQ(status("stableRS"), v2_);
  EXPECT_EQ(serviceHash("web-active"), v2_);
  EXPECT_EQ(serviceHash("web-preview"), v2_);
  auto c = counts();
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c[v2_], 3);
  EXPECT_EQ(status("blueGreen/prePromotionAnalysisRunStatus/status"), "Successful");
  EXPECT_EQ(status("blueGreen/postPromotionAnalysisRunStatus/status"), "Successful");
  json rs = get(res::kReplicaSets, "web-" + v2_);
  EXPECT_EQ(rs["metadata"]["annotations"]["rollout.argoproj.io/revision"], "2");
  // One run of each kind for v2: restarts did not start duplicates.
  auto runs = client_->list(res::kAnalysisRuns, "default");
  ASSERT_TRUE(runs.ok());
  int pre = 0, post = 0;
  for (const auto& r : (*runs)["items"]) {
    const std::string type = r["metadata"]["labels"].value("rollout-type", "");
    pre += type == "PrePromotion";
    post += type == "PostPromotion";
  }
  EXPECT_EQ(pre, 1);
  EXPECT_EQ(post, 1);
}

}  // namespace
}  // namespace vane::controller
