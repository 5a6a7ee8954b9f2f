// The canary experiment step against a real vane-apiserver --simulate-workloads (pods Ready after
// ~1 s), with the controller (Rollouts, Experiments, AnalysisRuns with the job provider) running
// in-process and manifests applied with real kubectl.
#include <gtest/gtest.h>

#include "controller/experiment.h"
#include "support/controller_fixture.h"
#include "support/manifests.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::seconds;
namespace res = kube::resources;

// A canary whose second step is an experiment (indented by 6 spaces under steps).
std::string rolloutYaml(const std::string& image, const std::string& experiment) {
  return vane::testing::webRollout(image, 2, R"(    canary:
      canaryService: web-canary
      stableService: web-stable
      steps:
      - setWeight: 50
      - experiment:
)" + experiment + "      - setWeight: 100\n");
}

constexpr const char* kTemplates = R"(          templates:
          - name: baseline
            specRef: stable
            metadata:
              labels:
                experiment-role: baseline
          - name: canary
            specRef: canary
            metadata:
              labels:
                experiment-role: canary
)";

class ControllerExperimentTest : public vane::testing::ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    if (HasFatalFailure()) return;
    // The fixture installs the Rollout and analysis CRDs only: add the Experiment CRD and
    // restart the controller so that it watches Experiments.
    kubectlOk("apply -f " + std::string(VANE_SOURCE_DIR) + "/crds/experiment-crd.yaml");
    startController();
    if (HasFatalFailure()) return;
    applyYaml(vane::testing::servicesYaml({"web-canary", "web-stable"}));
    applyYaml(vane::testing::jobAnalysisTemplate("smoke-pass", "succeed"));
    applyYaml(vane::testing::jobAnalysisTemplate("smoke-fail", "fail"));
  }

  bool waitRollout(const std::function<bool(const json& status)>& pred,
                   seconds timeout = seconds(60)) {
    return vane::testing::waitFor(
        [&] {
          json ro = rollout();
          const json s = ro.value("status", json::object());
          if (s.value("observedGeneration", "") !=
              std::to_string(ro["metadata"].value("generation", 0))) {
            return false;
          }
          return pred(s);
        },
        timeout);
  }

  // Deploys v1, then v2 up to the experiment step; returns the Experiment's name.
  std::string startExperiment(const std::string& experiment) {
    applyYaml(rolloutYaml("nginx:1", experiment));
    EXPECT_TRUE(waitRollout([](const json& s) { return s.value("phase", "") == "Healthy"; }))
        << describe();
    stable_ = status("stableRS");
    applyYaml(rolloutYaml("nginx:2", experiment));
    std::string name;
    EXPECT_TRUE(vane::testing::waitFor(
        [&] {
          name = status("canary/currentExperiment");
          return !name.empty();
        },
        seconds(40)))
        << describe();
    canary_ = status("currentPodHash");
    return name;
  }

  json experiment(const std::string& name) { return get(res::kExperiments, name); }
  std::string phaseOf(const std::string& name) {
    return experiment(name).value("status", json::object()).value("phase", "");
  }
  int rsReplicas(const std::string& name) {
    json rs = get(res::kReplicaSets, name);
    return rs.contains("spec") ? rs["spec"].value("replicas", -1) : -1;
  }
  std::string describeExperiment(const std::string& name) {
    return experiment(name).dump() + "\nbaseline: " +
           get(res::kReplicaSets, name + "-baseline").value("status", json()).dump() +
           "\nrollout: " + describe();
  }

  std::string stable_, canary_;
};

TEST_F(ControllerExperimentTest, ExperimentStepRunsForItsDurationAndTheRolloutCompletes) {
  const std::string name = startExperiment("          duration: 3s\n" + std::string(kTemplates));
  ASSERT_FALSE(name.empty());
  EXPECT_EQ(name.rfind("web-" + canary_ + "-2-1", 0), 0u) << name;
  json ex = experiment(name);
  EXPECT_EQ(ex["metadata"]["ownerReferences"][0]["kind"], "Rollout");
  EXPECT_EQ(ex["metadata"]["labels"]["rollouts-pod-template-hash"], canary_);
  // Both templates come up as ReplicaSets owned by the Experiment.
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        json e = experiment(name);
        return e.value("status", json::object()).value("phase", "") != "" &&
               rsReplicas(name + "-baseline") == 1 && rsReplicas(name + "-canary") == 1;
      },
      seconds(30)))
      << describeExperiment(name);
  json rs = get(res::kReplicaSets, name + "-canary");
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0]["kind"], "Experiment");
  EXPECT_EQ(rs["spec"]["template"]["metadata"]["labels"]["experiment-role"], "canary");
  EXPECT_EQ(rs["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:2");
  EXPECT_EQ(get(res::kReplicaSets,
                name + "-baseline")["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:1");
  // Runs for 3 s once available, then Successful; the step completes and the rollout with it.
  ASSERT_TRUE(waitRollout([&](const json& s) {
    return s.value("phase", "") == "Healthy" && s.value("stableRS", "") == canary_;
  })) << describeExperiment(name);
  ex = experiment(name);
  EXPECT_EQ(ex["status"]["phase"], "Successful");
  EXPECT_FALSE(ex["status"].value("availableAt", "").empty());
  ASSERT_EQ(ex["status"]["templateStatuses"].size(), 2u);
  for (const auto& ts : ex["status"]["templateStatuses"]) {
    EXPECT_EQ(ts["status"], "Successful") << ts.dump();
  }
  EXPECT_EQ(status("canary/currentExperiment"), "");
  // Finished experiments scale their ReplicaSets to 0.
  EXPECT_TRUE(vane::testing::waitFor(
      [&] { return rsReplicas(name + "-baseline") == 0 && rsReplicas(name + "-canary") == 0; },
      seconds(20)))
      << describeExperiment(name);
}

TEST_F(ControllerExperimentTest, FailingAnalysisAbortsTheRollout) {
  const std::string name = startExperiment(std::string(kTemplates) + R"(          analyses:
          - name: smoke
            templateName: smoke-fail
)");
  ASSERT_FALSE(name.empty());
  ASSERT_TRUE(waitRollout([](const json& s) {
    return s.value("abort", false) && s.value("phase", "") == "Degraded";
  })) << describeExperiment(name);
  EXPECT_NE(status("message").find("Experiment analysis phase is error/failed"), std::string::npos)
      << status("message");
  json ex = experiment(name);
  EXPECT_EQ(ex["status"]["phase"], "Failed") << ex.dump();
  json run = get(res::kAnalysisRuns, name + "-smoke");
  EXPECT_EQ(run.value("status", json::object()).value("phase", ""), "Failed") << run.dump();
  EXPECT_EQ(run["metadata"]["ownerReferences"][0]["kind"], "Experiment");
  // The aborted rollout goes back to the stable pods; the experiment scales down.
  EXPECT_EQ(status("stableRS"), stable_);
  EXPECT_TRUE(vane::testing::waitFor(
      [&] { return rsReplicas(name + "-baseline") == 0 && rsReplicas(name + "-canary") == 0; },
      seconds(20)))
      << describeExperiment(name);
}

TEST_F(ControllerExperimentTest, MissingAnalysisTemplateErrorsTheExperiment) {
  const std::string name = startExperiment(std::string(kTemplates) + R"(          analyses:
          - name: smoke
            templateName: does-not-exist
)");
  ASSERT_FALSE(name.empty());
  ASSERT_TRUE(waitRollout([](const json& s) { return s.value("abort", false); }))
      << describeExperiment(name);
  json ex = experiment(name);
  EXPECT_EQ(ex["status"]["phase"], "Error") << ex.dump();
  const std::string message = ex["status"].value("message", "");
  EXPECT_NE(message.find("Failed to create AnalysisRun for analysis 'smoke'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("does-not-exist"), std::string::npos) << message;
  EXPECT_NE(status("message").find("Experiment analysis phase is error/failed"), std::string::npos)
      << status("message");
}

TEST_F(ControllerExperimentTest, PromoteDuringTheExperimentTerminatesIt) {
  // No duration and no analyses: it would run until terminated.
  const std::string name = startExperiment(kTemplates);
  ASSERT_FALSE(name.empty());
  ASSERT_TRUE(vane::testing::waitFor([&] { return phaseOf(name) == "Running"; }, seconds(30)))
      << describeExperiment(name);
  // Promote as kubectl-argo-rollouts does on an unpaused rollout: the next step.
  patchStatus("web", R"({"status":{"currentStepIndex":2}})");
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return experiment(name)["spec"].value("terminate", false); }, seconds(30)))
      << describeExperiment(name);
  EXPECT_TRUE(vane::testing::waitFor([&] { return phaseOf(name) == "Successful"; }, seconds(30)))
      << describeExperiment(name);
  ASSERT_TRUE(waitRollout([&](const json& s) {
    return s.value("phase", "") == "Healthy" && s.value("stableRS", "") == canary_;
  })) << describeExperiment(name);
  EXPECT_TRUE(vane::testing::waitFor(
      [&] { return rsReplicas(name + "-baseline") == 0 && rsReplicas(name + "-canary") == 0; },
      seconds(20)))
      << describeExperiment(name);
}

}  // namespace
}  // namespace vane::controller
