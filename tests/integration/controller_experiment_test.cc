// The canary experiment step against a real vane-apiserver --simulate-workloads (pods Ready after
// ~1 s), with the controller (Rollouts, Experiments, AnalysisRuns with the job provider) running
// in-process and manifests applied with real kubectl.
#include <gtest/gtest.h>

#include <map>

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

// scaleDownDelaySeconds: 0 scales the ended templates down at once (Argo's default keeps their
// pods 30 s; the unit tests cover the delay).
constexpr const char* kTemplates = R"(          scaleDownDelaySeconds: 0
          templates:
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
          if (!vane::testing::statusIsCurrent(ro)) {
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

// host -> weight of the VirtualService's primary route.
std::map<std::string, int> primaryWeights(const json& vs) {
  std::map<std::string, int> out;
  auto p = json::json_pointer("/spec/http");
  if (!vs.contains(p)) return out;
  for (const auto& r : vs.at(p)) {
    if (r.value("name", "") != "primary") continue;
    for (const auto& d : r.value("route", json::array())) {
      out[d["destination"].value("host", "")] = d.value("weight", 0);
    }
  }
  return out;
}

std::string weightsText(const std::map<std::string, int>& m) {
  std::string out;
  for (const auto& [host, w] : m) out += host + "=" + std::to_string(w) + " ";
  return out;
}

TEST_F(ControllerExperimentTest, WeightedTemplatesGetServicesAndIstioWeightsDuringTheStep) {
  const std::string istio = vane::testing::istioCrdDir();
  kubectlOk("apply -f " + istio + "virtualservice.crd.yaml -f " + istio +
            "destinationrule.crd.yaml");
  const kube::Resource vs_resource = res::virtualServices("v1alpha3");
  ASSERT_TRUE(vane::testing::waitFor([&] { return client_->list(vs_resource, "default", {}).ok(); },
                                     seconds(30)));
  startController();
  ASSERT_FALSE(HasFatalFailure());
  applyYaml(vane::testing::webVirtualServiceYaml());
  // Containers with a port: Argo creates a template Service only when there is one.
  auto yaml = [](const std::string& version) {
    return vane::testing::webRollout(
        "nginx:" + version +
            "\n        ports:\n        - name: http\n          containerPort: 8080",
        2, R"(    canary:
      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        istio:
          virtualService:
            name: web-vsvc
            routes:
            - primary
      steps:
      - setWeight: 20
      - experiment:
          scaleDownDelaySeconds: 0
          templates:
          - name: baseline
            specRef: stable
            weight: 10
          - name: canary
            specRef: canary
            weight: 5
            service:
              name: web-exp-canary
      - pause: {}
)");
  };
  applyYaml(yaml("1"));
  ASSERT_TRUE(waitRollout([](const json& s) { return s.value("phase", "") == "Healthy"; }))
      << describe();
  applyYaml(yaml("2"));
  std::string name;
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        name = status("canary/currentExperiment");
        return !name.empty();
      },
      seconds(40)))
      << describe();
  const std::string baseline_svc = name + "-baseline";

  // During the step: the templates' Services take 10 and 5 out of stable's 80.
  const std::map<std::string, int> during = {
      {"web-stable", 65}, {"web-canary", 20}, {baseline_svc, 10}, {"web-exp-canary", 5}};
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return primaryWeights(get(vs_resource, "web-vsvc")) == during; }, seconds(40)))
      << weightsText(primaryWeights(get(vs_resource, "web-vsvc"))) << "\n"
      << describeExperiment(name);
  json ex = experiment(name);
  EXPECT_EQ(ex["status"]["phase"], "Running") << ex.dump();
  const json rs = get(res::kReplicaSets, baseline_svc);
  const std::string baseline_hash =
      rs["metadata"]["labels"].value("rollouts-pod-template-hash", "");
  ASSERT_FALSE(baseline_hash.empty()) << rs.dump();
  const std::string canary_hash =
      get(res::kReplicaSets, name + "-canary")["metadata"]["labels"].value(
          "rollouts-pod-template-hash", "");
  json weights;
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        weights = rollout().value(json::json_pointer("/status/canary/weights"), json());
        return weights.is_object() && weights.contains("additional");
      },
      seconds(20)))
      << describe();
  EXPECT_EQ(weights["additional"],
            json::parse(R"([{"weight":10,"serviceName":")" + baseline_svc +
                        R"(","podTemplateHash":")" + baseline_hash +
                        R"("},{"weight":5,"serviceName":"web-exp-canary","podTemplateHash":")" +
                        canary_hash + R"("}])"))
      << weights.dump();
  EXPECT_EQ(weights["stable"]["weight"], 65) << weights.dump();
  EXPECT_EQ(weights["canary"]["weight"], 20) << weights.dump();

  // The template Services: owned by the Experiment, selecting the template's pods.
  const json svc = get(res::kServices, baseline_svc);
  ASSERT_TRUE(svc.contains("spec")) << describeExperiment(name);
  EXPECT_EQ(svc["spec"]["selector"],
            json({{"app", "web"}, {"rollouts-pod-template-hash", baseline_hash}}));
  EXPECT_EQ(svc["spec"]["ports"][0]["port"], 8080) << svc.dump();
  EXPECT_EQ(svc["spec"]["ports"][0]["name"], "http") << svc.dump();
  EXPECT_EQ(svc["metadata"]["ownerReferences"][0]["kind"], "Experiment");
  EXPECT_EQ(svc["metadata"]["ownerReferences"][0]["name"], name);
  const json named = get(res::kServices, "web-exp-canary");
  EXPECT_EQ(named["spec"]["selector"]["rollouts-pod-template-hash"], canary_hash) << named.dump();
  std::map<std::string, std::string> recorded;
  for (const auto& ts : ex["status"]["templateStatuses"]) {
    recorded[ts.value("name", "")] = ts.value("serviceName", "");
  }
  EXPECT_EQ(recorded, (std::map<std::string, std::string>{{"baseline", baseline_svc},
                                                          {"canary", "web-exp-canary"}}));

  // A template Service deleted by hand is made again (its deletion requeues the Experiment).
  const std::string old_uid = named["metadata"].value("uid", "");
  ASSERT_TRUE(client_->remove(res::kServices, "default", "web-exp-canary").isOk());
  EXPECT_TRUE(vane::testing::waitFor(
      [&] {
        const json again = get(res::kServices, "web-exp-canary");
        return again.contains("metadata") && again["metadata"].value("uid", "") != old_uid &&
               again["spec"]["selector"].value("rollouts-pod-template-hash", "") == canary_hash;
      },
      seconds(10)))
      << describeExperiment(name);

  // Promote past the step: the experiment is terminated, the weights return to canary/stable
  // and the Services go once the template pods are gone.
  patchStatus("web", R"({"status":{"currentStepIndex":2}})");
  const std::map<std::string, int> after = {{"web-stable", 80}, {"web-canary", 20}};
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return primaryWeights(get(vs_resource, "web-vsvc")) == after; }, seconds(40)))
      << weightsText(primaryWeights(get(vs_resource, "web-vsvc"))) << "\n"
      << describeExperiment(name);
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        weights = rollout().value(json::json_pointer("/status/canary/weights"), json());
        return weights.is_object() && !weights.contains("additional");
      },
      seconds(20)))
      << describe();
  EXPECT_EQ(weights["stable"]["weight"], 80) << weights.dump();
  EXPECT_TRUE(vane::testing::waitFor([&] { return phaseOf(name) == "Successful"; }, seconds(30)))
      << describeExperiment(name);
  json progressing;
  for (const auto& c : experiment(name)["status"].value("conditions", json::array())) {
    if (c.value("type", "") == "Progressing") progressing = c;
  }
  EXPECT_EQ(progressing.value("status", ""), "False") << progressing.dump();
  EXPECT_EQ(progressing.value("reason", ""), "ExperimentCompleted") << progressing.dump();
  EXPECT_TRUE(vane::testing::waitFor(
      [&] {
        return !get(res::kServices, baseline_svc).contains("spec") &&
               !get(res::kServices, "web-exp-canary").contains("spec");
      },
      seconds(30)))
      << describeExperiment(name);
  // The status that forgets them is written after the deletes.
  EXPECT_TRUE(vane::testing::waitFor(
      [&] {
        for (const auto& ts : experiment(name)["status"]["templateStatuses"]) {
          if (ts.contains("serviceName")) return false;
        }
        return true;
      },
      seconds(20)))
      << describeExperiment(name);
  // The stable Services the user owns are untouched.
  EXPECT_TRUE(get(res::kServices, "web-stable").contains("spec"));
}

// `kubectl vane retry experiment` (as Argo's) clears the status of an ended Experiment: the
// controller runs it again from the start, with the same template ReplicaSet.
TEST_F(ControllerExperimentTest, RetriedExperimentRunsAgain) {
  applyYaml(R"(apiVersion: argoproj.io/v1alpha1
kind: Experiment
metadata:
  name: standalone
spec:
  duration: 2s
  scaleDownDelaySeconds: 0
  templates:
  - name: only
    replicas: 1
    selector:
      matchLabels:
        app: standalone
    template:
      metadata:
        labels:
          app: standalone
      spec:
        containers:
        - name: c
          image: nginx:1
)");
  auto availableAt = [&] {
    return experiment("standalone").value("status", json::object()).value("availableAt", "");
  };
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return phaseOf("standalone") == "Successful" && rsReplicas("standalone-only") == 0; },
      seconds(40)))
      << describeExperiment("standalone");
  const std::string first = availableAt();
  ASSERT_FALSE(first.empty()) << describeExperiment("standalone");
  const std::string rs_uid = get(res::kReplicaSets, "standalone-only")["metadata"].value("uid", "");

  kubectlOk(
      R"(patch experiment standalone --subresource=status --type merge -p '{"status":null}')");
  EXPECT_TRUE(vane::testing::waitFor(
      [&] {
        const std::string again = availableAt();
        return phaseOf("standalone") == "Successful" && !again.empty() && again != first &&
               rsReplicas("standalone-only") == 0;
      },
      seconds(40)))
      << describeExperiment("standalone");
  EXPECT_EQ(get(res::kReplicaSets, "standalone-only")["metadata"].value("uid", ""), rs_uid);
}

}  // namespace
}  // namespace vane::controller
