#include "controller/reconciler.h"

#include <ctime>

#include "controller/bluegreen.h"
#include "controller/canary.h"
#include "controller/conditions.h"
#include "controller/ephemeral_metadata.h"
#include "controller/replica_math.h"
#include "controller/restart.h"
#include "controller/rollout_experiment.h"
#include "controller/trafficrouting.h"
#include "controller/validation.h"
#include "controller/workloadref.h"
#include "kube/events.h"

namespace vane::controller {

using nlohmann::json;
namespace res = kube::resources;

namespace {

ExecutorDeps executorDeps(const ReconcilerDeps& deps) {
  ExecutorDeps out{deps.client, deps.routers, deps.istioApiVersion, nullptr};
  if (const kube::Informer* pods = deps.pods) {
    out.ownedPods = [pods](const std::string& uid) {
      std::vector<json> owned;
      for (const auto& p : pods->byIndex(kube::kIndexOwner, uid)) owned.push_back(*p);
      return owned;
    };
  }
  return out;
}

}  // namespace

Reconciler::Reconciler(ReconcilerDeps deps)
    : deps_(std::move(deps)), executor_(executorDeps(deps_)) {
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

// The referenced AnalysisTemplates read through the client (a template not found is left to the
// run builder, which names it when a run is due): "" unless one has a metric provider plugin
// Vane does not implement, which would otherwise only show as Error measurements.
std::string Reconciler::checkMetricPlugins(const kube::Rollout& ro) const {
  for (const TemplateRef& ref : referencedTemplates(ro)) {
    auto tmpl = ref.clusterScope
                    ? deps_.client->get(res::kClusterAnalysisTemplates, "", ref.name)
                    : deps_.client->get(res::kAnalysisTemplates, ro.metadata.namespace_, ref.name);
    if (!tmpl) continue;
    std::string invalid = validateMetricPlugins(ro, ref, *tmpl);
    if (!invalid.empty()) return invalid;
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
  // Owned runs and Experiments that do not decode are left out, as ReplicaSets are.
  if (deps_.analysisRuns != nullptr) {
    for (const auto& ar : deps_.analysisRuns->byIndex(kube::kIndexOwner, uid)) {
      if (auto run = kube::decodeAnalysisRun(*ar)) ctx.analysisRuns.push_back(std::move(*run));
    }
  }
  if (deps_.experiments != nullptr) {
    for (const auto& obj : deps_.experiments->byIndex(kube::kIndexOwner, uid)) {
      if (auto ex = kube::decodeExperiment(*obj)) ctx.experiments.push_back(std::move(*ex));
    }
  }
  ctx.now = deps_.clock();
}

ReconcileResult Reconciler::reconcile(const std::string& key) {
  ReconcileResult out;
  const auto start = std::chrono::steady_clock::now();
  const auto [ns, name] = kube::splitKey(key);
  kube::ObjectPtr cached = deps_.rollouts->get(ns, name);
  if (!cached) written_.forget(key);
  // A cache older than our own last write of this Rollout (the informer has not delivered it
  // yet): come back shortly rather than replay the previous step, and free the worker meanwhile
  // (Argo rollout/controller.go syncHandler: StaleCacheError, requeued after 100 ms).
  if (cached && written_.stale(key, (*cached)["metadata"].value("resourceVersion", ""))) {
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
    if (ctx.invalidSpecMessage.empty() && deps_.routers != nullptr) {
      ctx.invalidSpecMessage = validateTrafficRouters(ctx.rollout, *deps_.routers);
    }
    if (ctx.invalidSpecMessage.empty()) ctx.invalidSpecMessage = checkMetricPlugins(ctx.rollout);
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
  ExecReport report;
  Status st = executor_.execute(ctx.actions, {obj, &ctx.rollout, ctx.now}, report);
  if (!report.rolloutResourceVersion.empty()) {
    rv = report.rolloutResourceVersion;
    recordWrite(meta.namespace_ + "/" + meta.name, rv);
  }
  ctx.events.insert(ctx.events.end(), report.events.begin(), report.events.end());
  if (!st) {
    emitEvents(ctx, obj);
    return st;
  }
  if (report.restart) applyPodRestart(ctx, *report.restart);
  if (report.stopped) {
    // The plan's RestartPods said so: nothing else this reconcile, no status and no events,
    // until availability reflects the deleted pods.
    if (ctx.requeueAt) {
      out.requeueAfter = std::chrono::seconds(std::max<int64_t>(1, *ctx.requeueAt - ctx.now));
    }
    return true;
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
  for (const AnnotateRollout* a : actionsOf<AnnotateRollout>(ctx.actions)) {
    subject["metadata"]["annotations"].update(a->annotations);
  }
  for (const auto& e : ctx.events) deps_.events->event(subject, e.type, e.reason, e.message);
}

}  // namespace vane::controller
