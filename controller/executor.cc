#include "controller/executor.h"

#include "base/log.h"
#include "controller/conditions.h"
#include "controller/experiment.h"
#include "controller/rollout_experiment.h"
#include "controller/sync.h"
#include "kube/json_access.h"
#include "trafficrouting/router.h"

namespace vane::controller {

using nlohmann::json;
namespace res = kube::resources;

namespace {

// A write whose `tolerated` outcome (NotFound on a delete, AlreadyExists after a stale cache) is
// what the plan wanted anyway.
Status okUnless(const Result<json>& r, Code tolerated) {
  return r || r.status().code() == tolerated ? Status::ok() : r.status();
}
Status okUnless(const Status& s, Code tolerated) {
  return s || s.code() == tolerated ? Status::ok() : s;
}

json annotationsPatch(const json& annotations) {
  return {{"metadata", {{"annotations", annotations}}}};
}

}  // namespace

// One execution: the visitor over the plan's actions.
struct Executor::Run {
  const ExecutorDeps& deps;
  const ExecTarget& target;
  ExecReport& report;
  std::string ns = kube::strAt(target.object, "/metadata/namespace");

  kube::Client& client() const { return *deps.client; }
  Result<json> mergePatch(const kube::Resource& r, const std::string& name, const json& body) {
    return client().patch(r, ns, name, kube::PatchType::kMerge, body);
  }
  // Deletes and terminations of what is already gone are done.
  Status remove(const kube::Resource& r, const std::string& name) {
    return okUnless(client().remove(r, ns, name), Code::kNotFound);
  }
  Status terminate(const kube::Resource& r, const std::string& name) {
    return okUnless(mergePatch(r, name, {{"spec", {{"terminate", true}}}}), Code::kNotFound);
  }

  Status operator()(const CreateReplicaSet& a) {
    return okUnless(client().create(res::kReplicaSets, ns, a.object), Code::kAlreadyExists);
  }
  Status operator()(const ScaleReplicaSet& a) {
    json patch = {{"spec", {{"replicas", a.replicas}}}};
    if (a.annotations.is_object() && !a.annotations.empty()) {
      patch.update(annotationsPatch(a.annotations));
    }
    return mergePatch(res::kReplicaSets, a.name, patch).status();
  }
  Status operator()(const AnnotateReplicaSet& a) {
    return mergePatch(res::kReplicaSets, a.name, annotationsPatch(a.annotations)).status();
  }
  Status operator()(const PatchReplicaSet& a) {
    return mergePatch(res::kReplicaSets, a.name, a.patch).status();
  }
  Status operator()(const DeleteReplicaSet& a) { return remove(res::kReplicaSets, a.name); }
  Status operator()(const AnnotateRollout& a) {
    auto r = mergePatch(res::kRollouts, a.name, annotationsPatch(a.annotations));
    if (!r) return r.status();
    report.rolloutResourceVersion = kube::strAt(*r, "/metadata/resourceVersion");
    return Status::ok();
  }
  Status operator()(const ScaleDeployment& a) {
    auto r = mergePatch(res::kDeployments, a.name, {{"spec", {{"replicas", a.replicas}}}});
    if (!r && a.logOnly) {
      // Argo only logs a failed progressive scale-down; the next reconcile tries again.
      log::warn("scaling the workload Deployment failed",
                {{"namespace", ns},
                 {"rollout", kube::strAt(target.object, "/metadata/name")},
                 {"deployment", a.name},
                 {"error", r.status().toString()}});
      return Status::ok();
    }
    return r.status();
  }
  Status operator()(const PatchPod& a) {
    return okUnless(mergePatch(res::kPods, a.name, a.patch), Code::kNotFound);
  }
  Status operator()(const RestartPods& a);
  Status operator()(const PatchServiceSelector& a) {
    return mergePatch(res::kServices, a.service,
                      {{"metadata", {{"annotations", {{kAnnotationManagedBy, a.rollout}}}}},
                       {"spec", {{"selector", {{kLabelPodTemplateHash, a.hash}}}}}})
        .status();
  }
  Status operator()(const CreateService& a);
  Status operator()(const DeleteService& a) { return remove(res::kServices, a.name); }
  Status operator()(const UpdateHash& a) { return route(a); }
  Status operator()(const SetWeight& a) { return route(a); }
  Status operator()(const SyncManagedRoutes& a) { return route(a); }
  Status operator()(const CreateAnalysisRun& a);
  Status operator()(const TerminateAnalysisRun& a) { return terminate(res::kAnalysisRuns, a.name); }
  Status operator()(const DeleteAnalysisRun& a) { return remove(res::kAnalysisRuns, a.name); }
  Status operator()(const CreateExperiment& a) {
    json ex = a.object;
    if (Status s = resolveExperimentFieldRefs(ex, target.object); !s) return s;
    return okUnless(client().create(res::kExperiments, ns, ex), Code::kAlreadyExists);
  }
  Status operator()(const TerminateExperiment& a) { return terminate(res::kExperiments, a.name); }
  Status operator()(const DeleteExperiment& a) { return remove(res::kExperiments, a.name); }

  template <class A>
  Status route(const A& a) {
    Status s = routeEach(a);
    if (!s) report.events.push_back({"Warning", kEventTrafficRoutingError, s.toString()});
    return s;
  }
  template <class A>
  Status routeEach(const A& a);
  Result<json> buildRun(const CreateAnalysisRun& a);
};

// The routers of the Rollout's trafficRouting, each told the same call (router.h).
template <class A>
Status Executor::Run::routeEach(const A& a) {
  if (deps.routers == nullptr) {
    return Status(Code::kUnsupported, "traffic routing is not configured in this controller");
  }
  if (target.rollout == nullptr || !target.rollout->spec.canary) {
    return Status(Code::kInvalid, "traffic routing is only planned for a canary Rollout");
  }
  const auto& c = *target.rollout->spec.canary;
  trafficrouting::RouterContext rc;
  rc.rolloutName = target.rollout->metadata.name;
  rc.rolloutNamespace = ns;
  rc.canaryService = c.canaryService;
  rc.stableService = c.stableService;
  rc.managedRoutes = c.managedRoutes;
  for (const auto& s : c.steps) {
    if (s.setHeaderRoute && s.setHeaderRoute->is_object()) {
      rc.stepRouteNames.push_back(s.setHeaderRoute->value("name", ""));
    }
    if (s.setMirrorRoute && s.setMirrorRoute->is_object()) {
      rc.stepRouteNames.push_back(s.setMirrorRoute->value("name", ""));
    }
  }
  rc.istioApiVersion = deps.istioApiVersion;
  rc.recordEvent = [this](bool warning, const std::string& reason, const std::string& message) {
    report.events.push_back({warning ? "Warning" : "Normal", reason, message});
  };
  std::vector<trafficrouting::ManagedRoute> managed;  // SyncManagedRoutes, decoded
  if constexpr (std::is_same_v<A, SyncManagedRoutes>) {
    for (const ManagedRouteSpec& r : a.routes) {
      if (r.mirror) {
        auto m = trafficrouting::decodeSetMirrorRoute(r.route, r.path);
        if (!m) return m.status();
        managed.emplace_back(std::move(*m));
      } else {
        auto h = trafficrouting::decodeSetHeaderRoute(r.route, r.path);
        if (!h) return h.status();
        managed.emplace_back(std::move(*h));
      }
    }
  }
  auto routers = deps.routers->create(*c.trafficRouting, rc);
  if (!routers) return routers.status();
  for (auto& router : *routers) {
    Status s;
    if constexpr (std::is_same_v<A, UpdateHash>) {
      s = router->updateHash(a.canary, a.stable, a.additional);
    } else if constexpr (std::is_same_v<A, SetWeight>) {
      s = router->setWeight(a.weight, a.additional);
    } else {
      static_assert(std::is_same_v<A, SyncManagedRoutes>);
      s = router->syncManagedRoutes(managed);
    }
    if (!s) return s;
  }
  return Status::ok();
}

// The pod cache tells whether any pod is left to restart. Which pods may go now is decided on a
// fresh list, as Argo does: the cache may not have seen the deletions of the previous reconcile
// yet, and would overrate availability.
Status Executor::Run::operator()(const RestartPods& a) {
  const std::string key = ns + "/" + kube::strAt(target.object, "/metadata/name");
  if (!deps.ownedPods || target.rollout == nullptr) {
    log::warn("spec.restartAt is set but this controller has no pod cache; pods are not restarted",
              {{"rollout", key}});
    return Status::ok();
  }
  std::vector<json> cached;
  for (const std::string& uid : a.replicaSets) {
    for (json& p : deps.ownedPods(uid)) cached.push_back(std::move(p));
  }
  PodRestartResult result;
  if (podsLeftToRestart(a, cached)) {
    kube::ListOptions opts;
    opts.label_selector = formatLabelSelector(target.rollout->spec.selector);
    auto list = client().list(res::kPods, ns, opts);
    if (!list) return list.status();
    std::vector<json> live;
    for (const json& p : list->value("items", json::array())) live.push_back(p);
    auto r = restartPods(a, inRestartOrder(a, live), target.now, [&](const json& pod) {
      return remove(res::kPods, kube::strAt(pod, "/metadata/name"));
    });
    if (!r) return r.status();
    result = *r;
  }
  if (result.restarted > 0) {
    log::info(
        "restarted pods created before spec.restartAt",
        {{"rollout", key}, {"restarted", result.restarted}, {"needRestart", result.needsRestart}});
  }
  report.restart = result;
  report.stopped = result.restarted > 0 && a.stopIfRestarted;
  return Status::ok();
}

// CreateService (experiments/service.go): an existing Service of that name is ours only when
// this Experiment controls it for the same template; otherwise the name is taken.
Status Executor::Run::operator()(const CreateService& a) {
  auto created = client().create(res::kServices, ns, a.object);
  if (created) return Status::ok();
  if (created.status().code() != Code::kAlreadyExists) return created.status();
  auto existing = client().get(res::kServices, ns, a.name);
  if (!existing) return existing.status();
  const json& owner = target.object;
  bool controlled = false;
  for (const auto& ref : kube::arrayAt(*existing, "/metadata/ownerReferences")) {
    controlled |= ref.value("controller", false) &&
                  ref.value("uid", "") == kube::strAt(owner, "/metadata/uid");
  }
  if (!controlled ||
      kube::metaEntry(*existing, "annotations", kAnnotationExperimentName) !=
          kube::strAt(owner, "/metadata/name") ||
      kube::metaEntry(*existing, "annotations", kAnnotationExperimentTemplate) != a.templateName) {
    report.servicesTaken.push_back(a);
  }
  return Status::ok();
}

Result<json> Executor::Run::buildRun(const CreateAnalysisRun& a) {
  kube::Client* c = deps.client;
  analysis::TemplateLookups lookups;
  lookups.analysisTemplate = [c](const std::string& n, const std::string& name) {
    return c->get(res::kAnalysisTemplates, n, name);
  };
  lookups.clusterAnalysisTemplate = [c](const std::string& name) {
    return c->get(res::kClusterAnalysisTemplates, "", name);
  };
  analysis::RunRequest req{target.object, a.analysis, a.type, a.stepIndex.value_or(0),
                           a.podHash,     "",         ""};
  if (target.rollout != nullptr) req.stable_hash = target.rollout->status.stableRS;
  auto run = analysis::buildAnalysisRun(req, lookups);
  if (!run) return run.status();
  json body = std::move(*run);
  json& md = body["metadata"];
  md["name"] = a.name;
  md["namespace"] = ns;
  if (!a.experimentAnalysis.empty()) {
    // Experiment runs carry the instance id and analysisRunMetadata only (no rollout labels).
    const json& ex = target.object;
    md["labels"].erase(analysis::kLabelPodTemplateHash);
    md["labels"].erase(analysis::kLabelRolloutType);
    const std::string instance = kube::metaEntry(ex, "labels", kLabelInstanceId);
    if (!instance.empty()) md["labels"][kLabelInstanceId] = instance;
    md["ownerReferences"] = kube::controllerOwnerRefs(
        "Experiment", kube::strAt(ex, "/metadata/name"), kube::strAt(ex, "/metadata/uid"));
  }
  return body;
}

Status Executor::Run::operator()(const CreateAnalysisRun& a) {
  auto body = buildRun(a);
  Status s = body ? okUnless(client().create(res::kAnalysisRuns, ns, *body), Code::kAlreadyExists)
                  : body.status();
  const Code code = s.code();
  if (!s && !a.experimentAnalysis.empty() &&
      (code == Code::kInvalid || code == Code::kNotFound || code == Code::kBadRequest)) {
    // A missing template or a bad argument ends that analysis (and the experiment).
    report.analysisErrors.emplace_back(a.experimentAnalysis, s);
    return Status::ok();
  }
  return s;
}

Executor::Executor(ExecutorDeps deps) : deps_(std::move(deps)) {}

Status Executor::execute(const std::vector<Action>& plan, const ExecTarget& target,
                         ExecReport& report) const {
  Run run{deps_, target, report};
  for (const Action& a : plan) {
    if (Status s = std::visit(run, a); !s) return s;
    if (report.stopped) break;
  }
  return Status::ok();
}

}  // namespace vane::controller
