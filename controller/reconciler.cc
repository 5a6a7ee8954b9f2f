#include "controller/reconciler.h"

#include <ctime>
#include <iostream>

#include "analysis/run_builder.h"
#include "base/log.h"
#include "controller/bluegreen.h"
#include "controller/canary.h"
#include "controller/conditions.h"
#include "controller/ephemeral_metadata.h"
#include "controller/replica_math.h"
#include "controller/restart.h"
#include "controller/rollout_experiment.h"
#include "controller/trafficrouting.h"
#include "controller/workloadref.h"
#include "kube/events.h"
#include "trafficrouting/router.h"
#include "trafficrouting/types.h"

namespace vane::controller {

using nlohmann::json;
namespace res = kube::resources;

Reconciler::Reconciler(ReconcilerDeps deps) : deps_(std::move(deps)) {
  if (!deps_.clock) deps_.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
}

namespace {

std::string serviceHash(const kube::ObjectPtr& svc) {
  if (!svc) return "";
  auto p = json::json_pointer(std::string("/spec/selector/") + kLabelPodTemplateHash);
  return svc->contains(p) && svc->at(p).is_string() ? svc->at(p).get<std::string>() : "";
}

// The rollout as far as it decodes: a bad spec still yields metadata and status, and becomes
// an InvalidSpec condition naming the first bad field.
Result<kube::Rollout> decodeLenient(const json& obj, std::string& invalid) {
  auto full = kube::decodeRollout(obj);
  if (full) return *full;
  auto meta = kube::decodeObjectMeta(obj);
  if (!meta) return meta.status();
  auto status = kube::decodeRolloutStatus(obj.value("status", json::object()));
  if (!status) return status.status();
  kube::Rollout r;
  r.metadata = *meta;
  r.status = *status;
  invalid = "The Rollout \"" + r.metadata.name + "\" is invalid: " + full.status().toString();
  return r;
}

}  // namespace

// The hash selectors of the Services the strategy names; "" when all are found and not managed
// by another Rollout, else the InvalidSpec message naming the field.
std::string Reconciler::readServices(const kube::Rollout& ro, ServiceSelectors& out) const {
  std::vector<std::pair<std::string, std::string>> refs;  // field path, Service name
  if (ro.spec.canary) {
    refs = {{"spec.strategy.canary.canaryService", ro.spec.canary->canaryService},
            {"spec.strategy.canary.stableService", ro.spec.canary->stableService}};
  } else if (ro.spec.blueGreen) {
    refs = {{"spec.strategy.blueGreen.activeService", ro.spec.blueGreen->activeService},
            {"spec.strategy.blueGreen.previewService", ro.spec.blueGreen->previewService}};
  }
  const std::string prefix = "The Rollout \"" + ro.metadata.name + "\" is invalid: ";
  for (const auto& [field, name] : refs) {
    if (name.empty()) continue;
    kube::ObjectPtr svc = deps_.services->get(ro.metadata.namespace_, name);
    if (!svc) {
      return prefix + field + ": Invalid value: \"" + name + "\": service \"" + name +
             "\" not found";
    }
    auto owner = json::json_pointer("/metadata/annotations");
    const json annotations = svc->contains(owner) ? svc->at(owner) : json();
    const json managed_by =
        annotations.is_object() ? annotations.value(kAnnotationManagedBy, json()) : json();
    if (managed_by.is_string() && managed_by.get<std::string>() != ro.metadata.name) {
      return prefix + field + ": Invalid value: \"" + name +
             "\": " + format(kMessageManagedByOther, name.c_str());
    }
    out[name] = serviceHash(svc);
  }
  return "";
}

// The object spec.workloadRef names: from the Deployment (or ReplicaSet) cache when there is
// one, else read through the client; null when not found or of a kind Argo does not resolve.
Result<json> Reconciler::readWorkload(const kube::Rollout& ro) const {
  const kube::WorkloadRef& ref = *ro.spec.workloadRef;
  auto resource = workloadResource(ref);
  if (!resource) return json();
  const kube::Informer* cache = nullptr;
  if (resource->kind == "Deployment") cache = deps_.deployments;
  if (resource->kind == "ReplicaSet") cache = deps_.replicaSets;
  if (cache != nullptr) {
    kube::ObjectPtr obj = cache->get(ro.metadata.namespace_, ref.name);
    return obj ? *obj : json();
  }
  auto obj = deps_.client->get(*resource, ro.metadata.namespace_, ref.name);
  if (!obj && obj.status().code() == Code::kNotFound) return json();
  return obj;
}

void Reconciler::buildContext(RolloutContext& ctx, const json& obj) {
  (void)obj;
  const auto& uid = ctx.rollout.metadata.uid;
  for (const auto& rs : deps_.replicaSets->byIndex(kube::kIndexOwner, uid)) {
    auto d = kube::decodeReplicaSet(*rs);
    if (d && d->metadata.deletionTimestamp.empty()) ctx.allRSs.push_back(*d);
  }
  if (deps_.pods != nullptr && hasEphemeralMetadata(ctx.rollout)) {
    for (const auto& rs : ctx.allRSs) {
      for (const auto& pod : deps_.pods->byIndex(kube::kIndexOwner, rs.metadata.uid)) {
        ctx.pods.push_back(*pod);
      }
    }
  }
  if (deps_.analysisRuns != nullptr) {
    for (const auto& ar : deps_.analysisRuns->byIndex(kube::kIndexOwner, uid)) {
      ctx.analysisRuns.push_back(*ar);
    }
  }
  if (deps_.experiments != nullptr) {
    for (const auto& ex : deps_.experiments->byIndex(kube::kIndexOwner, uid)) {
      ctx.experiments.push_back(*ex);
    }
  }
  ctx.now = deps_.clock();
}

void Reconciler::recordWrite(const std::string& key, const std::string& rv) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(rv.c_str(), &end, 10);
  if (rv.empty() || *end != '\0') return;
  std::lock_guard lock(written_mu_);
  written_[key] = std::max(written_[key], v);
}

void Reconciler::forgetWrites(const std::string& key) {
  std::lock_guard lock(written_mu_);
  written_.erase(key);
}

bool Reconciler::stale(const std::string& key, const std::string& cached_rv) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(cached_rv.c_str(), &end, 10);
  if (cached_rv.empty() || *end != '\0') return false;
  std::lock_guard lock(written_mu_);
  auto it = written_.find(key);
  return it != written_.end() && v < it->second;
}

ReconcileResult Reconciler::reconcile(const std::string& key) {
  ReconcileResult out;
  const auto start = std::chrono::steady_clock::now();
  auto slash = key.find('/');
  const std::string ns = slash == std::string::npos ? "" : key.substr(0, slash);
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  kube::ObjectPtr cached = deps_.rollouts->get(ns, name);
  if (!cached) forgetWrites(key);
  // A cache older than our own last write of this Rollout (the informer has not delivered it
  // yet): come back shortly rather than replay the previous step, and free the worker meanwhile
  // (Argo rollout/controller.go syncHandler: StaleCacheError, requeued after 100 ms).
  if (cached && stale(key, (*cached)["metadata"].value("resourceVersion", ""))) {
    out.requeueAfter = kStaleCacheRequeueDelay;
    return out;
  }
  if (cached) {
    json obj = *cached;
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto done = reconcileObject(obj, out);
      if (done && *done) break;
      if (!done) {
        out.status = done.status();
        break;
      }
      // 409 on the status write: re-read and plan again from the fresh object.
      auto fresh = deps_.client->get(res::kRollouts, ns, name);
      if (!fresh) {
        out.status = fresh.status();
        break;
      }
      obj = *fresh;
    }
  }
  if (deps_.observer) {
    deps_.observer(key,
                   std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - start),
                   out.status);
  }
  return out;
}

// true: done; false: status conflict (re-read and retry); error: failed.
Result<bool> Reconciler::reconcileObject(const json& obj, ReconcileResult& out) {
  RolloutContext ctx;
  auto ro = decodeLenient(obj, ctx.invalidSpecMessage);
  if (!ro) return ro.status();
  ctx.rollout = *ro;
  const kube::ObjectMeta& meta = ctx.rollout.metadata;
  if (!meta.deletionTimestamp.empty()) return true;
  if (ctx.invalidSpecMessage.empty()) {
    // Argo writes replicas: 1 back so that HPA and the scale subresource see a value.
    if (!ctx.rollout.spec.replicas) {
      auto p = deps_.client->patch(res::kRollouts, meta.namespace_, meta.name,
                                   kube::PatchType::kMerge, {{"spec", {{"replicas", 1}}}});
      if (!p) return p.status();
      return true;
    }
    if (ctx.rollout.spec.workloadRef) {
      auto workload = readWorkload(ctx.rollout);
      if (!workload) return workload.status();
      ctx.invalidSpecMessage = resolveWorkloadRef(ctx, workload->is_null() ? nullptr : &*workload);
    }
    if (ctx.invalidSpecMessage.empty()) ctx.invalidSpecMessage = validateRollout(ctx.rollout);
  }
  ServiceSelectors selectors;
  if (ctx.invalidSpecMessage.empty()) {
    ctx.invalidSpecMessage = readServices(ctx.rollout, selectors);
  }
  buildContext(ctx, obj);
  if (ctx.rollout.spec.blueGreen && !ctx.rollout.spec.canary) {
    planBlueGreen(ctx, selectors);
  } else {
    planRollout(ctx, selectors);
  }

  if (deps_.abortDecided && ctx.pause.addAbort && !ctx.rollout.status.abort) {
    deps_.abortDecided(meta.namespace_ + "/" + meta.name);
  }
  std::string rv = meta.resourceVersion;
  Status st = execute(ctx, obj, rv);
  if (rv != meta.resourceVersion) recordWrite(meta.namespace_ + "/" + meta.name, rv);
  if (!st) {
    emitEvents(ctx, obj);
    return st;
  }
  json new_status = kube::toJson(ctx.newStatus);
  json old_status = kube::toJson(ctx.rollout.status);
  // Observed only once the status recording it is written (Argo emitPendingRolloutDuration), and
  // only if this write still carries it (a pod restart writes no status).
  const bool finished = ctx.completedDuration && new_status.value("duration", json()) !=
                                                     old_status.value("duration", json());
  if (new_status != old_status || !obj.contains("status")) {
    json updated = obj;
    updated["status"] = new_status;
    updated["metadata"]["resourceVersion"] = rv;
    auto w = deps_.client->updateStatus(res::kRollouts, meta.namespace_, updated);
    if (w) {
      recordWrite(meta.namespace_ + "/" + meta.name, (*w)["metadata"].value("resourceVersion", ""));
    }
    if (!w) {
      // A conflict re-plans from a fresh read, which records the events again: not twice.
      if (w.status().code() == Code::kConflict) return false;
      emitEvents(ctx, obj);
      return w.status();
    }
  }
  emitEvents(ctx, obj);
  if (finished && deps_.rolloutFinished) deps_.rolloutFinished(*ctx.completedDuration);
  if (ctx.requeueAt) {
    out.requeueAfter = std::chrono::seconds(std::max<int64_t>(1, *ctx.requeueAt - ctx.now));
  }
  return true;
}

// Events name the Rollout as this reconcile left it: with a revision annotation just written
// (notification templates read {{revision}}).
void Reconciler::emitEvents(const RolloutContext& ctx, const json& obj) {
  if (deps_.events == nullptr || ctx.events.empty()) return;
  json subject = obj;
  for (const Action& a : ctx.actions) {
    if (a.kind == Action::Kind::kPatchRolloutRevision) {
      subject["metadata"]["annotations"].update(a.body);
    }
  }
  for (const auto& e : ctx.events) deps_.events->event(subject, e.type, e.reason, e.message);
}

Status Reconciler::execute(RolloutContext& ctx, const json& obj, std::string& rv) {
  const std::string& ns = ctx.rollout.metadata.namespace_;
  for (const Action& a : ctx.actions) {
    Result<json> r = json();
    switch (a.kind) {
      case Action::Kind::kCreateReplicaSet:
        r = deps_.client->create(res::kReplicaSets, ns, a.body);
        if (!r && r.status().code() == Code::kAlreadyExists) r = json();
        break;
      case Action::Kind::kScaleReplicaSet:
        r = deps_.client->patch(
            res::kReplicaSets, ns, a.name, kube::PatchType::kMerge,
            {{"metadata", {{"annotations", a.body}}}, {"spec", {{"replicas", a.replicas}}}});
        break;
      case Action::Kind::kAnnotateReplicaSet:
        r = deps_.client->patch(res::kReplicaSets, ns, a.name, kube::PatchType::kMerge,
                                {{"metadata", {{"annotations", a.body}}}});
        break;
      case Action::Kind::kPatchServiceSelector:
        r = deps_.client->patch(
            res::kServices, ns, a.name, kube::PatchType::kMerge,
            {{"metadata", {{"annotations", {{kAnnotationManagedBy, ctx.rollout.metadata.name}}}}},
             {"spec", {{"selector", {{kLabelPodTemplateHash, a.body}}}}}});
        break;
      case Action::Kind::kPatchRolloutRevision:
        r = deps_.client->patch(res::kRollouts, ns, a.name, kube::PatchType::kMerge,
                                {{"metadata", {{"annotations", a.body}}}});
        if (r && r->contains("metadata")) {
          rv = (*r)["metadata"].value("resourceVersion", rv);
        }
        break;
      case Action::Kind::kCreateAnalysisRun:
        if (Status s = createAnalysisRun(ctx, obj, a); !s) return s;
        break;
      case Action::Kind::kTerminateAnalysisRun:
        r = deps_.client->patch(res::kAnalysisRuns, ns, a.name, kube::PatchType::kMerge,
                                {{"spec", {{"terminate", true}}}});
        if (!r && r.status().code() == Code::kNotFound) r = json();
        break;
      case Action::Kind::kDeleteReplicaSet:
      case Action::Kind::kDeleteAnalysisRun: {
        const auto& kind =
            a.kind == Action::Kind::kDeleteReplicaSet ? res::kReplicaSets : res::kAnalysisRuns;
        Status s = deps_.client->remove(kind, ns, a.name);
        if (!s && s.code() != Code::kNotFound) return s;
        break;
      }
      case Action::Kind::kPatchReplicaSet:
        r = deps_.client->patch(res::kReplicaSets, ns, a.name, kube::PatchType::kMerge, a.body);
        break;
      case Action::Kind::kPatchPod:
        r = deps_.client->patch(res::kPods, ns, a.name, kube::PatchType::kMerge, a.body);
        if (!r && r.status().code() == Code::kNotFound) r = json();
        break;
      case Action::Kind::kScaleDeployment:
        r = deps_.client->patch(res::kDeployments, ns, a.name, kube::PatchType::kMerge,
                                {{"spec", {{"replicas", a.replicas}}}});
        if (!r && a.body.value("logOnly", false)) {
          // Argo only logs a failed progressive scale-down; the next reconcile tries again.
          log::warn("scaling the workload Deployment failed",
                    {{"namespace", ns},
                     {"rollout", ctx.rollout.metadata.name},
                     {"deployment", a.name},
                     {"error", r.status().toString()}});
          r = json();
        }
        break;
      case Action::Kind::kCreateExperiment: {
        json ex = a.body;
        if (Status s = resolveExperimentFieldRefs(ex, obj); !s) return s;
        r = deps_.client->create(res::kExperiments, ns, ex);
        if (!r && r.status().code() == Code::kAlreadyExists) r = json();  // a stale cache
        break;
      }
      case Action::Kind::kTerminateExperiment:
        r = deps_.client->patch(res::kExperiments, ns, a.name, kube::PatchType::kMerge,
                                {{"spec", {{"terminate", true}}}});
        if (!r && r.status().code() == Code::kNotFound) r = json();
        break;
      case Action::Kind::kDeleteExperiment: {
        Status s = deps_.client->remove(res::kExperiments, ns, a.name);
        if (!s && s.code() != Code::kNotFound) return s;
        break;
      }
      case Action::Kind::kRestartPods: {
        auto restarted = executePodRestart(ctx, a, *deps_.client, deps_.pods);
        if (!restarted) return restarted.status();
        if (*restarted > 0 && a.body.value("stopOnRestart", false)) {
          // Argo rolloutCanary: availability no longer reflects the deleted pods, so nothing
          // else happens (no scaling, no status) until the next reconcile.
          ctx.newStatus = ctx.rollout.status;
          ctx.events.clear();
          return Status::ok();
        }
        break;
      }
      default:
        if (Status s = executeRouter(ctx, a); !s) {
          ctx.event("Warning", kEventTrafficRoutingError, s.toString());
          return s;
        }
    }
    if (!r) return r.status();
  }
  return Status::ok();
}

Status Reconciler::executeRouter(RolloutContext& ctx, const Action& a) {
  if (deps_.routers == nullptr) {
    return Status(Code::kUnsupported, "traffic routing is not configured in this controller");
  }
  const auto& c = *ctx.rollout.spec.canary;
  trafficrouting::RouterContext rc;
  rc.rolloutName = ctx.rollout.metadata.name;
  rc.rolloutNamespace = ctx.rollout.metadata.namespace_;
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
  rc.istioApiVersion = deps_.istioApiVersion;
  rc.recordEvent = [&ctx](bool warning, const std::string& reason, const std::string& message) {
    ctx.event(warning ? "Warning" : "Normal", reason, message);
  };
  auto routers = deps_.routers->create(*c.trafficRouting, rc);
  if (!routers) return routers.status();
  for (auto& router : *routers) {
    Status s;
    switch (a.kind) {
      case Action::Kind::kUpdateHash:
        s = router->updateHash(a.body.value("canary", ""), a.body.value("stable", ""),
                               routerAdditionalDestinations(a.body));
        break;
      case Action::Kind::kSetWeight:
        s = router->setWeight(a.replicas, routerAdditionalDestinations(a.body));
        break;
      case Action::Kind::kRemoveManagedRoutes:
        s = router->removeManagedRoutes();
        break;
      case Action::Kind::kSetHeaderRoute: {
        auto route = trafficrouting::decodeSetHeaderRoute(a.body, a.path);
        s = route ? router->setHeaderRoute(*route) : route.status();
        break;
      }
      case Action::Kind::kSetMirrorRoute: {
        auto route = trafficrouting::decodeSetMirrorRoute(a.body, a.path);
        s = route ? router->setMirrorRoute(*route) : route.status();
        break;
      }
      default:
        break;
    }
    if (!s) return s;
  }
  return Status::ok();
}

Status Reconciler::createAnalysisRun(RolloutContext& ctx, const json& obj, const Action& a) {
  const std::string ns = ctx.rollout.metadata.namespace_;
  analysis::TemplateLookups lookups;
  kube::Client* client = deps_.client;
  lookups.analysisTemplate = [client](const std::string& n, const std::string& name) {
    return client->get(res::kAnalysisTemplates, n, name);
  };
  lookups.clusterAnalysisTemplate = [client](const std::string& name) {
    return client->get(res::kClusterAnalysisTemplates, "", name);
  };
  const std::string type = a.body.value("type", "");
  analysis::RunRequest req{obj, a.body.at("analysis"), analysis::RunType::kStep, 0, "", "", ""};
  req.type = type == kRolloutTypeStep            ? analysis::RunType::kStep
             : type == kRolloutTypePrePromotion  ? analysis::RunType::kPrePromotion
             : type == kRolloutTypePostPromotion ? analysis::RunType::kPostPromotion
                                                 : analysis::RunType::kBackground;
  req.step_index = a.body.value("stepIndex", 0);
  req.pod_template_hash = a.body.value("podHash", "");
  req.stable_hash = ctx.rollout.status.stableRS;
  auto run = analysis::buildAnalysisRun(req, lookups);
  if (!run) return run.status();
  json body = *run;
  body["metadata"]["name"] = a.name;
  body["metadata"]["namespace"] = ns;
  auto created = deps_.client->create(res::kAnalysisRuns, ns, body);
  if (!created && created.status().code() != Code::kAlreadyExists) return created.status();
  return Status::ok();
}

}  // namespace vane::controller
