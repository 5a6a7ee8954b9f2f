// An in-memory world for the pure planner: applies planned actions to ReplicaSet/Service/Pod JSON
// (and the Deployment a workloadRef names), writes the planned status back, and plays the
// ReplicaSet controller and kubelet (pods from the template, ready at once or never).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/bluegreen.h"
#include "controller/canary.h"
#include "controller/hash.h"
#include "controller/reconciler.h"
#include "controller/workloadref.h"
#include "kube/types.h"
#include "kube/types_analysisrun.h"
#include "kube/types_experiment.h"

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

class World {
 public:
  explicit World(json rollout) : rollout_(std::move(rollout)) {}

  json& rollout() { return rollout_; }
  kube::RolloutStatus status() const {
    return *kube::decodeRolloutStatus(rollout_.value("status", json::object()));
  }
  std::vector<json>& replicaSets() { return rss_; }
  /// AnalysisRuns as the run builder would label them; tests set status.phase.
  std::vector<json>& analysisRuns() { return runs_; }
  /// Experiments the rollout created (kCreateExperiment); tests set status.phase.
  std::vector<json>& experiments() { return experiments_; }
  std::map<std::string, std::string>& services() { return services_; }
  /// Pods made by kubelet(): <ReplicaSet>-<n>, the template's labels/annotations at creation.
  std::vector<json>& pods() { return pods_; }
  /// The object spec.workloadRef names (null: not found).
  json workload;
  std::vector<Event>& events() { return events_; }
  int64_t now = 1800000000;
  bool podsReady = true;

  /// One reconcile; returns the number of actions it planned.
  size_t reconcile() {
    RolloutContext ctx;
    auto ro = kube::decodeRollout(rollout_);
    ctx.rollout = *ro;
    if (ctx.rollout.spec.workloadRef) {
      ctx.invalidSpecMessage = resolveWorkloadRef(ctx, workload.is_null() ? nullptr : &workload);
    }
    if (ctx.invalidSpecMessage.empty()) ctx.invalidSpecMessage = validateRollout(ctx.rollout);
    for (const auto& rs : rss_) ctx.allRSs.push_back(*kube::decodeReplicaSet(rs));
    ctx.pods = pods_;
    for (const auto& r : runs_) ctx.analysisRuns.push_back(*kube::decodeAnalysisRun(r));
    for (const auto& e : experiments_) ctx.experiments.push_back(*kube::decodeExperiment(e));
    ctx.now = now;
    if (ctx.rollout.spec.blueGreen && !ctx.rollout.spec.canary) {
      planBlueGreen(ctx, services_);
    } else {
      planRollout(ctx, services_);
    }
    last_ = ctx.actions;
    for (const auto& a : ctx.actions) apply(a);
    for (const auto& e : ctx.events) events_.push_back(e);
    if (ctx.completedDuration) finished.push_back(*ctx.completedDuration);
    json old = rollout_.value("status", json::object());
    rollout_["status"] = kube::toJson(ctx.newStatus);
    changed_ = old != rollout_["status"];
    requeueAt = ctx.requeueAt;
    kubelet();
    return ctx.actions.size();
  }

  /// Reconciles until nothing changes (at most n times).
  void settle(int n = 30) {
    for (int i = 0; i < n; ++i) {
      if (reconcile() == 0 && !changed_) return;
    }
  }

  /// Replicas by revision-independent hash: {hash -> spec.replicas}.
  std::map<std::string, int> counts() const {
    std::map<std::string, int> out;
    for (const auto& rs : rss_) {
      out[rs["metadata"]["labels"].value("rollouts-pod-template-hash", "")] =
          rs["spec"].value("replicas", 0);
    }
    return out;
  }
  int replicasOf(const std::string& hash) const {
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
  json* findRS(const std::string& name) {
    for (auto& rs : rss_) {
      if (rs["metadata"]["name"] == name) return &rs;
    }
    return nullptr;
  }
  void apply(const Action& a) {
    switch (a.kind) {
      case Action::Kind::kCreateReplicaSet:
        if (!findRS(a.name)) {
          rss_.push_back(a.body);
          rss_.back()["metadata"]["creationTimestamp"] = kube::formatTime(now);
          rss_.back()["metadata"]["uid"] = "uid-" + a.name;
        }
        break;
      case Action::Kind::kScaleReplicaSet:
        if (json* rs = findRS(a.name)) {
          (*rs)["spec"]["replicas"] = a.replicas;
          (*rs)["metadata"]["annotations"].merge_patch(a.body);
        }
        break;
      case Action::Kind::kAnnotateReplicaSet:
        if (json* rs = findRS(a.name)) (*rs)["metadata"]["annotations"].merge_patch(a.body);
        break;
      case Action::Kind::kPatchServiceSelector:
        services_[a.name] = a.body.get<std::string>();
        break;
      case Action::Kind::kCreateAnalysisRun: {
        json labels = {{"rollout-type", a.body["type"]},
                       {"rollouts-pod-template-hash", a.body["podHash"]}};
        if (a.body.contains("stepIndex")) labels["step-index"] = a.body["stepIndex"].dump();
        runs_.push_back(
            {{"metadata", {{"name", a.name}, {"labels", labels}}}, {"spec", json::object()}});
        break;
      }
      case Action::Kind::kTerminateAnalysisRun:
        for (auto& r : runs_) {
          if (r["metadata"]["name"] == a.name) r["spec"]["terminate"] = true;
        }
        break;
      case Action::Kind::kPatchRolloutRevision:
        rollout_["metadata"]["annotations"].merge_patch(a.body);
        break;
      case Action::Kind::kPatchReplicaSet:
        if (json* rs = findRS(a.name)) rs->merge_patch(a.body);
        break;
      case Action::Kind::kPatchPod:
        for (auto& pod : pods_) {
          if (pod["metadata"]["name"] == a.name) pod.merge_patch(a.body);
        }
        break;
      case Action::Kind::kCreateExperiment:
        experiments_.push_back(a.body);
        break;
      case Action::Kind::kTerminateExperiment:
        for (auto& ex : experiments_) {
          if (ex["metadata"]["name"] == a.name) ex["spec"]["terminate"] = true;
        }
        break;
      case Action::Kind::kScaleDeployment:
        workload["spec"]["replicas"] = a.replicas;
        workload["metadata"]["generation"] = workload["metadata"].value("generation", 1) + 1;
        break;
      default:
        break;
    }
  }
  void kubelet() {
    for (auto& rs : rss_) {
      int n = rs["spec"].value("replicas", 1);
      const std::string uid = rs["metadata"].value("uid", "");
      std::vector<size_t> owned;
      for (size_t i = 0; i < pods_.size(); ++i) {
        if (pods_[i]["metadata"]["ownerReferences"][0]["uid"] == uid) owned.push_back(i);
      }
      for (int i = static_cast<int>(owned.size()); i < n; ++i) {
        json meta = rs["spec"]["template"].value("metadata", json::object());
        meta["name"] = rs["metadata"].value("name", "") + "-" + std::to_string(podSerial_++);
        meta["ownerReferences"] = json::array({{{"uid", uid}, {"controller", true}}});
        pods_.push_back({{"metadata", meta}});
      }
      for (int i = static_cast<int>(owned.size()) - 1; i >= n; --i) {
        pods_.erase(pods_.begin() + static_cast<std::ptrdiff_t>(owned[i]));
      }
      rs["status"] = {{"replicas", n},
                      {"readyReplicas", podsReady ? n : 0},
                      {"availableReplicas", podsReady ? n : 0}};
    }
  }

  json rollout_;
  std::vector<json> rss_, runs_, pods_, experiments_;
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
