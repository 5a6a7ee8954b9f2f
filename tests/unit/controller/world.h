// An in-memory world for the pure planner: executes each plan with the controllers' Executor
// against a FakeClient (ReplicaSets, Services, Pods, AnalysisRuns, Experiments and the Deployment
// a workloadRef names live there; routers record their calls), writes the planned status back as
// the Reconciler does, and plays the ReplicaSet controller and kubelet (pods from the template,
// ready at once or never).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/bluegreen.h"
#include "controller/canary.h"
#include "controller/conditions.h"
#include "controller/executor.h"
#include "controller/hash.h"
#include "controller/reconciler.h"
#include "controller/restart.h"
#include "controller/workloadref.h"
#include "fake_client.h"
#include "kube/types.h"
#include "kube/types_analysisrun.h"
#include "kube/types_experiment.h"
#include "trafficrouting/router.h"

namespace vane::controller::testing {

using nlohmann::json;

inline json basicRollout(int replicas, json steps, json extra_canary = json::object()) {
  json canary = {{"steps", steps}};
  canary.merge_patch(extra_canary);
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Rollout"},
          {"metadata",
           {{"name", "web"},
            {"namespace", "default"},
            {"uid", "uid-1"},
            {"generation", 1},
            {"resourceVersion", "1"}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", "web"}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "web"}}}}},
              {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "v1"}}})}}}}},
            {"strategy", {{"canary", canary}}}}}};
}

/// A TrafficRouter that records its calls ("setWeight 20", "updateHash c s", ...).
class RecordingRouter : public trafficrouting::TrafficRouter {
 public:
  explicit RecordingRouter(std::vector<std::string>& calls) : calls_(calls) {}
  std::string_view type() const override { return "Recording"; }
  Status setWeight(int32_t desired,
                   const std::vector<trafficrouting::WeightDestination>&) override {
    calls_.push_back("setWeight " + std::to_string(desired));
    return Status::ok();
  }
  Status setHeaderRoute(const trafficrouting::SetHeaderRoute& r) override {
    calls_.push_back("setHeaderRoute " + r.name);
    return Status::ok();
  }
  Status setMirrorRoute(const trafficrouting::SetMirrorRoute& r) override {
    calls_.push_back("setMirrorRoute " + r.name);
    return Status::ok();
  }
  Result<std::optional<bool>> verifyWeight(
      int32_t, const std::vector<trafficrouting::WeightDestination>&) override {
    return std::optional<bool>();
  }
  Status removeManagedRoutes() override {
    calls_.push_back("removeManagedRoutes");
    return Status::ok();
  }
  /// "syncManagedRoutes hdr,mirror" (names in order; none: "syncManagedRoutes").
  Status syncManagedRoutes(const std::vector<trafficrouting::ManagedRoute>& desired) override {
    std::string names;
    for (const auto& r : desired) {
      names += (names.empty() ? " " : ",") + trafficrouting::managedRouteName(r);
    }
    calls_.push_back("syncManagedRoutes" + names);
    return Status::ok();
  }
  Status updateHash(const std::string& canary, const std::string& stable,
                    const std::vector<trafficrouting::WeightDestination>&) override {
    calls_.push_back("updateHash " + canary + " " + stable);
    return Status::ok();
  }

 private:
  std::vector<std::string>& calls_;
};

/// An AnalysisTemplate `name` (one metric) declaring the names of `args` (without values).
inline void seedAnalysisTemplate(FakeClient& client, const std::string& name, const json& args) {
  json* t = client.find(kube::resources::kAnalysisTemplates, name);
  if (t == nullptr) {
    client.objects(kube::resources::kAnalysisTemplates)
        .push_back({{"apiVersion", "argoproj.io/v1alpha1"},
                    {"kind", "AnalysisTemplate"},
                    {"metadata", {{"name", name}}},
                    {"spec",
                     {{"metrics",
                       json::array({{{"name", name}, {"provider", {{"job", json::object()}}}}})},
                      {"args", json::array()}}}});
    t = &client.objects(kube::resources::kAnalysisTemplates).back();
  }
  json& declared = (*t)["spec"]["args"];
  for (const auto& arg : args.is_array() ? args : json::array()) {
    bool known = false;
    for (const auto& d : declared) known |= d["name"] == arg.value("name", "");
    if (!known) declared.push_back({{"name", arg.value("name", "")}});
  }
}

/// An AnalysisTemplate for every templateName the object references (a Rollout's
/// {templates: [...], args} or an Experiment's {templateName, args}), so the run builder resolves
/// them.
inline void seedAnalysisTemplates(FakeClient& client, const json& node) {
  if (node.is_array()) {
    for (const auto& n : node) seedAnalysisTemplates(client, n);
    return;
  }
  if (!node.is_object()) return;
  const json args = node.value("args", json::array());
  if (node.contains("templateName") && node["templateName"].is_string()) {
    seedAnalysisTemplate(client, node["templateName"], args);
  }
  if (node.contains("templates") && node["templates"].is_array()) {
    for (const auto& ref : node["templates"]) {
      if (ref.is_object() && ref.contains("templateName") && ref["templateName"].is_string()) {
        seedAnalysisTemplate(client, ref["templateName"], args);
      }
    }
  }
  for (const auto& [k, v] : node.items()) seedAnalysisTemplates(client, v);
}

class World {
 public:
  explicit World(json rollout) : rollout_(std::move(rollout)) {}

  json& rollout() { return rollout_; }
  kube::RolloutStatus status() const {
    return *kube::decodeRolloutStatus(rollout_.value("status", json::object()));
  }
  std::vector<json>& replicaSets() { return client_.objects(kube::resources::kReplicaSets); }
  /// AnalysisRuns the run builder made; tests set status.phase.
  std::vector<json>& analysisRuns() { return client_.objects(kube::resources::kAnalysisRuns); }
  /// Experiments the rollout created (CreateExperiment); tests set status.phase.
  std::vector<json>& experiments() { return client_.objects(kube::resources::kExperiments); }
  std::map<std::string, std::string>& services() { return services_; }
  /// Pods made by kubelet(): <ReplicaSet>-<n>, the template's labels/annotations at creation.
  std::vector<json>& pods() { return client_.objects(kube::resources::kPods); }
  /// The API server the executor writes to.
  FakeClient& client() { return client_; }
  /// The object spec.workloadRef names (null: not found).
  json workload;
  std::vector<Event>& events() { return events_; }
  int64_t now = 1800000000;
  bool podsReady = true;
  /// At most this many pods of the ReplicaSet with this pod-template hash are Ready (the rest
  /// wait, oldest Ready first), as Argo's e2e tests mark pods ready one by one.
  std::map<std::string, int> readyAtMost;
  /// What the routers were told, in order.
  std::vector<std::string> routerCalls;
  /// The executor's error in the last reconcile (then no status was written, as the Reconciler).
  Status lastError;
  /// Unless set, an executor error fails the test.
  bool allowExecErrors = false;

  /// One reconcile: plan, execute through the Executor against the fake client, write the
  /// status as the Reconciler does. Returns the number of actions it planned.
  size_t reconcile() {
    RolloutContext ctx;
    auto ro = kube::decodeRollout(rollout_);
    ctx.rollout = *ro;
    if (ctx.rollout.spec.workloadRef) {
      ctx.invalidSpecMessage = resolveWorkloadRef(ctx, workload.is_null() ? nullptr : &workload);
    }
    if (ctx.invalidSpecMessage.empty()) ctx.invalidSpecMessage = validateRollout(ctx.rollout);
    for (const auto& rs : replicaSets()) ctx.allRSs.push_back(*kube::decodeReplicaSet(rs));
    ctx.pods = pods();
    for (const auto& r : analysisRuns()) ctx.analysisRuns.push_back(*kube::decodeAnalysisRun(r));
    for (const auto& e : experiments()) ctx.experiments.push_back(*kube::decodeExperiment(e));
    ctx.now = now;
    if (ctx.rollout.spec.blueGreen && !ctx.rollout.spec.canary) {
      planBlueGreen(ctx, services_);
    } else {
      planRollout(ctx, services_);
    }
    last_ = ctx.actions;
    ExecReport report;
    lastError = execute(ctx, report);
    if (!lastError.ok() && !allowExecErrors) ADD_FAILURE() << "executor: " << lastError.toString();
    if (!report.stopped) {  // a stopping pod restart records nothing, as the Reconciler
      for (const auto& e : ctx.events) events_.push_back(e);
      for (const auto& e : report.events) events_.push_back(e);
    }
    changed_ = false;
    requeueAt = ctx.requeueAt;
    if (lastError.ok() && !report.stopped) {
      if (ctx.completedDuration) finished.push_back(*ctx.completedDuration);
      json old = rollout_.value("status", json::object());
      rollout_["status"] = kube::toJson(ctx.newStatus);
      changed_ = old != rollout_["status"];
    }
    // What the kubelet changes (pods becoming Ready, ReplicaSet status) counts as a change too,
    // so settle() does not stop on a reconcile that had nothing to do before the pods moved.
    const json rs_before = replicaSets(), pods_before = pods();
    kubelet();
    if (replicaSets() != rs_before || pods() != pods_before) changed_ = true;
    return ctx.actions.size();
  }

  /// Reconciles until nothing changes (at most n times).
  void settle(int n = 30) {
    for (int i = 0; i < n; ++i) {
      if (reconcile() == 0 && !changed_) return;
    }
  }

  /// Replicas by revision-independent hash: {hash -> spec.replicas}.
  std::map<std::string, int> counts() {
    std::map<std::string, int> out;
    for (const auto& rs : replicaSets()) {
      out[rs["metadata"]["labels"].value("rollouts-pod-template-hash", "")] =
          rs["spec"].value("replicas", 0);
    }
    return out;
  }
  int replicasOf(const std::string& hash) {
    auto c = counts();
    return c.count(hash) ? c.at(hash) : 0;
  }

  void setImage(const std::string& image) {
    rollout_["spec"]["template"]["spec"]["containers"][0]["image"] = image;
    bumpGeneration();
  }
  void bumpGeneration() {
    rollout_["metadata"]["generation"] = rollout_["metadata"].value("generation", 1) + 1;
  }
  /// Status merge patch as kubectl-argo-rollouts sends it.
  void patchStatus(const json& patch) { rollout_["status"].merge_patch(patch); }

  const std::vector<Action>& lastActions() const { return last_; }
  std::optional<int64_t> requeueAt;
  /// Updates that finished (ctx.completedDuration), in order: what the metrics observe.
  std::vector<RolloutDuration> finished;

 private:
  // The objects the tests keep outside the API server (the Rollout, the Services' selectors,
  // the workload) go in before the plan is executed and come back after.
  Status execute(RolloutContext& ctx, ExecReport& report) {
    namespace res = kube::resources;
    seedAnalysisTemplates(client_, rollout_["spec"]);
    client_.objects(res::kRollouts) = {rollout_};
    auto& svcs = client_.objects(res::kServices);
    svcs.clear();
    for (const auto& [name, hash] : services_) {
      svcs.push_back({{"metadata", {{"name", name}}},
                      {"spec", {{"selector", {{kLabelPodTemplateHash, hash}}}}}});
    }
    client_.objects(res::kDeployments).clear();
    if (workload.is_object()) client_.objects(res::kDeployments).push_back(workload);
    const size_t before = client_.objects(res::kReplicaSets).size();

    // Built per reconcile: a World may be moved, and the executor must see this one.
    trafficrouting::RouterRegistry routers;
    routers.add(
        "istio",
        [this](const json&, const std::string&, const trafficrouting::RouterContext&)
            -> Result<std::unique_ptr<trafficrouting::TrafficRouter>> {
          return std::unique_ptr<trafficrouting::TrafficRouter>(new RecordingRouter(routerCalls));
        });
    ExecutorDeps deps{&client_, &routers, "v1beta1", [this](const std::string& uid) {
                        std::vector<json> out;
                        for (const json& p : pods()) {
                          if (p["metadata"]["ownerReferences"][0]["uid"] == uid) out.push_back(p);
                        }
                        return out;
                      }};
    Status st = Executor(deps).execute(ctx.actions, {rollout_, &ctx.rollout, now}, report);

    json status = rollout_.value("status", json());
    rollout_ = client_.objects(res::kRollouts).at(0);
    if (!status.is_null()) rollout_["status"] = status;
    for (auto& [name, hash] : services_) {
      hash = client_.find(res::kServices, name)
                 ->at("spec")["selector"]
                 .value(kLabelPodTemplateHash, "");
    }
    if (workload.is_object()) {
      const json scaled = client_.objects(res::kDeployments).at(0);
      if (scaled["spec"] != workload["spec"]) {  // the API server bumps the generation
        workload = scaled;
        workload["metadata"]["generation"] = workload["metadata"].value("generation", 1) + 1;
      }
    }
    auto& rss = client_.objects(res::kReplicaSets);
    for (size_t i = before; i < rss.size(); ++i) {
      rss[i]["metadata"]["creationTimestamp"] = kube::formatTime(now);
    }
    if (report.restart) applyPodRestart(ctx, *report.restart);
    return st;
  }

  void kubelet() {
    auto& pods = this->pods();
    for (auto& rs : replicaSets()) {
      int n = rs["spec"].value("replicas", 1);
      const std::string uid = rs["metadata"].value("uid", "");
      std::vector<size_t> owned;
      for (size_t i = 0; i < pods.size(); ++i) {
        if (pods[i]["metadata"]["ownerReferences"][0]["uid"] == uid) owned.push_back(i);
      }
      for (int i = static_cast<int>(owned.size()); i < n; ++i) {
        json meta = rs["spec"]["template"].value("metadata", json::object());
        meta["name"] = rs["metadata"].value("name", "") + "-" + std::to_string(podSerial_++);
        meta["ownerReferences"] = json::array({{{"uid", uid}, {"controller", true}}});
        meta["creationTimestamp"] = kube::formatTime(now);
        pods.push_back({{"metadata", meta}});
        owned.push_back(pods.size() - 1);
      }
      auto cap = readyAtMost.find(rs["metadata"]["labels"].value(kLabelPodTemplateHash, ""));
      const int ready_n = !podsReady ? 0 : cap == readyAtMost.end() ? n : std::min(n, cap->second);
      for (size_t k = 0; k < owned.size(); ++k) {  // Ready as podsReady says, since creation
        json& pod = pods[owned[k]];
        const std::string since = pod["metadata"].value("creationTimestamp", "");
        const json ready = {{"type", "Ready"},
                            {"status", static_cast<int>(k) < ready_n ? "True" : "False"},
                            {"lastTransitionTime", since}};
        pod["status"] = {{"conditions", json::array({ready})}};
      }
      for (int i = static_cast<int>(owned.size()) - 1; i >= n; --i) {
        pods.erase(pods.begin() + static_cast<std::ptrdiff_t>(owned[i]));
      }
      rs["status"] = {{"replicas", n}, {"readyReplicas", ready_n}, {"availableReplicas", ready_n}};
    }
  }

  json rollout_;
  FakeClient client_;
  int podSerial_ = 0;
  std::map<std::string, std::string> services_;
  std::vector<Event> events_;
  std::vector<Action> last_;
  bool changed_ = false;
};

/// A fixed "now" (2027-01-15) for tests that compare timestamps.
inline constexpr int64_t kNow = 1800000000;

/// The pod-template hash of the Rollout's current spec.template.
inline std::string hashOf(World& w) { return podTemplateHash(w.rollout()["spec"]["template"]); }

}  // namespace vane::controller::testing
