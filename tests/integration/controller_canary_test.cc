// Canary scenarios against a real vane-apiserver --simulate-workloads (pods Ready after ~1 s),
// with the Rollout controller running in-process and manifests applied with real kubectl.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "support/controller_fixture.h"
#include "support/manifests.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::seconds;

std::string rolloutYaml(const std::string& image, const std::string& extra_spec = "",
                        const std::string& annotations = "") {
  return vane::testing::webRollout(image, 5, R"(    canary:
      canaryService: web-canary
      stableService: web-stable
      steps:
      - setWeight: 20
      - pause: {}
      - setWeight: 40
      - pause: {duration: 1s}
      - setWeight: 60
      - pause: {duration: 1}
      - setWeight: 80
      - pause: {duration: "1s"}
)",
                                   extra_spec, annotations);
}

class ControllerCanaryTest : public vane::testing::ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    if (!HasFatalFailure()) applyYaml(vane::testing::servicesYaml({"web-canary", "web-stable"}));
  }

  /// Waits for phase, step index and the canary/stable replica counts together.
  bool waitState(const std::string& phase, int step, int canary, int stable,
                 seconds timeout = seconds(40)) {
    return vane::testing::waitFor(
        [&] {
          json ro = rollout();
          if (!ro.contains("status")) return false;
          const json& s = ro["status"];
          if (s.value("phase", "") != phase || s.value("currentStepIndex", -1) != step) {
            return false;
          }
          if (!vane::testing::statusIsCurrent(ro)) {
            return false;
          }
          auto c = counts();
          const std::string cur = s.value("currentPodHash", "");
          const std::string st = s.value("stableRS", "");
          int got_canary = cur == st ? 0 : (c.count(cur) ? c[cur] : 0);
          int got_stable = c.count(st) ? c[st] : 0;
          if (cur == st) got_stable = c[cur];
          return got_canary == canary && got_stable == stable;
        },
        timeout);
  }
  void deployV1ThenV2() {
    applyYaml(rolloutYaml("nginx:1"));
    ASSERT_TRUE(waitState("Healthy", 8, 0, 5)) << describe();
    stable_ = status("stableRS");
    applyYaml(rolloutYaml("nginx:2"));
    ASSERT_TRUE(waitState("Paused", 1, 1, 4)) << describe();
    canary_ = status("currentPodHash");
    ASSERT_NE(canary_, stable_);
  }

  std::string stable_, canary_;
};

TEST_F(ControllerCanaryTest, BasicCanaryStepsWithPausesAndPromote) {
  deployV1ThenV2();
  EXPECT_EQ(status("message"), "CanaryPauseStep");
  // Services follow the hashes.
  EXPECT_EQ(serviceHash("web-canary"), canary_);
  EXPECT_EQ(serviceHash("web-stable"), stable_);
  promote();
  // Timed pauses follow on their own; the final state is the new stable at 5 pods.
  ASSERT_TRUE(waitState("Healthy", 8, 0, 5, seconds(60))) << describe();
  EXPECT_EQ(status("stableRS"), canary_);
  EXPECT_EQ(counts()[stable_], 0);
}

TEST_F(ControllerCanaryTest, IntermediateStepCounts) {
  deployV1ThenV2();
  // Pin the rollout at each setWeight step by pausing manually, then check the counts.
  promote();
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return counts()[canary_] == 2 && counts()[stable_] == 3; }, seconds(30)))
      << describe();
  ASSERT_TRUE(waitState("Healthy", 8, 0, 5, seconds(60))) << describe();
}

TEST_F(ControllerCanaryTest, PromoteFull) {
  deployV1ThenV2();
  patchStatus("web", R"({"status":{"promoteFull":true}})");
  ASSERT_TRUE(waitState("Healthy", 8, 0, 5)) << describe();
  EXPECT_EQ(status("stableRS"), canary_);
}

TEST_F(ControllerCanaryTest, AbortThenRetry) {
  deployV1ThenV2();
  patchStatus("web", R"({"status":{"abort":true}})");
  ASSERT_TRUE(waitState("Degraded", 0, 0, 5)) << describe();
  EXPECT_EQ(status("message"), "RolloutAborted: Rollout aborted update to revision 2");
  EXPECT_EQ(serviceHash("web-canary"), stable_);
  patchStatus("web", R"({"status":{"abort":false}})");
  ASSERT_TRUE(waitState("Paused", 1, 1, 4)) << describe();
}

TEST_F(ControllerCanaryTest, UpdateDuringUpdate) {
  deployV1ThenV2();
  applyYaml(rolloutYaml("nginx:3"));
  ASSERT_TRUE(waitState("Paused", 1, 1, 4)) << describe();
  EXPECT_NE(status("currentPodHash"), canary_);
  EXPECT_EQ(counts()[canary_], 0);
}

TEST_F(ControllerCanaryTest, RollbackToStableSkipsSteps) {
  deployV1ThenV2();
  applyYaml(rolloutYaml("nginx:1"));
  ASSERT_TRUE(waitState("Healthy", 8, 0, 5)) << describe();
  EXPECT_EQ(status("currentPodHash"), stable_);
  EXPECT_EQ(counts()[canary_], 0);
}

TEST_F(ControllerCanaryTest, ProgressDeadlineWithNeverReadyPods) {
  applyYaml(rolloutYaml("nginx:1"));
  ASSERT_TRUE(waitState("Healthy", 8, 0, 5)) << describe();
  applyYaml(rolloutYaml("nginx:2", "  progressDeadlineSeconds: 3\n",
                        "      annotations:\n        vane.dev/simulate: never-ready\n"));
  ASSERT_TRUE(vane::testing::waitFor([&] { return status("phase") == "Degraded"; }, seconds(30)))
      << describe();
  EXPECT_EQ(status("message").rfind("ProgressDeadlineExceeded: ReplicaSet \"web-", 0), 0u)
      << status("message");
}

// The controller is stopped and started again at random moments while v2 steps 20/40/60/80
// through its timed pauses; it ends where an uninterrupted run ends: v2 stable with 5 pods, v1 at
// 0, exactly two ReplicaSets with revisions 1 and 2 (no duplicate created by a restart).
TEST_F(ControllerCanaryTest, ControllerRestartsAtRandomPoints) {
  deployV1ThenV2();
  promote();
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(100, 1500);
  for (int i = 0; i < 8 && status("phase") != "Healthy"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    startController();
  }
  ASSERT_TRUE(waitState("Healthy", 8, 0, 5, seconds(60))) << describe();
  auto c = counts();
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c[canary_], 5);
  EXPECT_EQ(c[stable_], 0);
  EXPECT_EQ(status("stableRS"), canary_);
  json rs = get(kube::resources::kReplicaSets, "web-" + canary_);
  EXPECT_EQ(rs["metadata"]["annotations"]["rollout.argoproj.io/revision"], "2");
  // status.duration survives the restarts, and each update (initial deploy, v2) is observed
  // once: a restart stops the workers after their reconcile, status write and observation.
  json duration = rollout()["status"].value("duration", json::object());
  EXPECT_EQ(duration.value("completionStatus", ""), "Promoted") << duration.dump();
  EXPECT_TRUE(duration.contains("finishedAt")) << duration.dump();
  const std::string sample = "rollout_duration_seconds_count{status=\"Promoted\"} 2\n";
  EXPECT_TRUE(vane::testing::waitFor(
      [&] { return metrics_.serve().body.find(sample) != std::string::npos; }, seconds(10)))
      << metrics_.serve().body;
}

// --instance-id: only Rollouts labelled with it are reconciled (filtered by the server), and
// their AnalysisRuns carry the label; without the flag only unlabelled Rollouts are.
TEST_F(ControllerCanaryTest, InstanceIdSelectsRollouts) {
  startController("team-a");
  const std::string label = "    argo-rollouts.argoproj.io/controller-instance-id: ";
  // Each Rollout with Services of its own (a Service belongs to one Rollout).
  auto named = [this](std::string yaml, const std::string& name, const std::string& labels) {
    yaml.replace(yaml.find("  name: web\n"), 12, "  name: " + name + "\n" + labels);
    for (const std::string role : {"canary", "stable"}) {
      yaml.replace(yaml.find("web-" + role), 4 + role.size(), name + "-" + role);
    }
    applyYaml(vane::testing::servicesYaml({name + "-canary", name + "-stable"}));
    return yaml;
  };
  applyYaml(named(rolloutYaml("nginx:1"), "mine", "  labels:\n" + label + "team-a\n"));
  applyYaml(named(rolloutYaml("nginx:1"), "theirs", "  labels:\n" + label + "team-b\n"));
  applyYaml(named(rolloutYaml("nginx:1"), "unlabelled", ""));
  ASSERT_TRUE(
      vane::testing::waitFor([&] { return status("phase", "mine") == "Healthy"; }, seconds(30)))
      << describe("mine");
  EXPECT_EQ(status("phase", "theirs"), "");
  EXPECT_EQ(status("phase", "unlabelled"), "");
  startController();  // no instance id: the unlabelled one only
  ASSERT_TRUE(vane::testing::waitFor([&] { return status("phase", "unlabelled") == "Healthy"; },
                                     seconds(30)))
      << describe("unlabelled");
  EXPECT_EQ(status("phase", "theirs"), "");
}

TEST_F(ControllerCanaryTest, ServiceManagedByAnotherRolloutIsInvalid) {
  kubectlOk("annotate svc web-stable argo-rollouts.argoproj.io/managed-by-rollouts=other");
  applyYaml(rolloutYaml("nginx:1"));
  ASSERT_TRUE(vane::testing::waitFor([&] { return status("phase") == "Degraded"; }, seconds(20)))
      << describe();
  EXPECT_NE(status("message").find("Service \"web-stable\" is managed by another Rollout"),
            std::string::npos)
      << status("message");
  EXPECT_TRUE(counts().empty());
}

TEST_F(ControllerCanaryTest, InvalidSpec) {
  std::string yaml = rolloutYaml("nginx:1");
  yaml.replace(yaml.find("setWeight: 20"), 13, "setWeight: 120");
  applyYaml(yaml);
  ASSERT_TRUE(vane::testing::waitFor([&] { return status("phase") == "Degraded"; }, seconds(20)))
      << describe();
  EXPECT_EQ(status("message"),
            "InvalidSpec: The Rollout \"web\" is invalid: spec.strategy.canary.steps[0].setWeight: "
            "Invalid value: 120: SetWeight needs to be between 0 and 100");
  EXPECT_TRUE(counts().empty());
}

}  // namespace
}  // namespace vane::controller
