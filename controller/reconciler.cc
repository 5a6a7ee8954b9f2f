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
#include "kube/json_access.h"

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
    auto svc = cachedService(*deps_.services, ro.metadata.namespace_, name);
    if (!svc) {
      return prefix + field + ": Invalid value: \"" + name + "\": service \"" + name +
             "\" not found";
    }
    const auto& annotations = svc->metadata.annotations;
    auto managed_by = annotations.find(kAnnotationManagedBy);
    if (managed_by != annotations.end() && managed_by->second != ro.metadata.name) {
      return prefix + field + ": Invalid value: \"" + name +
             "\": " + format(kMessageManagedByOther, name.c_str());
    }
    auto hash = svc->selector.find(kLabelPodTemplateHash);
    out[name] = hash == svc->selector.end() ? "" : hash->second;
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
  if (cache != nullptr && !cache->hasSynced()) cache = nullptr;  // started on first use
  if (cache != nullptr) {
    kube::ObjectPtr obj = cache->get(ro.metadata.namespace_, ref.name);
    if (obj) return *obj;
    // The ReplicaSet cache holds only those with a pod-template hash: read others directly.
    if (resource->kind == "Deployment") return json();
  }
  auto obj = deps_.client->get(*resource, ro.metadata.namespace_, ref.name);
  if (!obj && obj.status().code() == Code::kNotFound) return json();
  return obj;
}

void Reconciler::buildContext(RolloutContext& ctx) {
  const auto& uid = ctx.rollout.metadata.uid;
  for (const auto& rs : ownedReplicaSets(*deps_.replicaSets, uid)) ctx.allRSs.push_back(*rs);
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
  std::shared_ptr<const CachedRollout> cached = cachedRollout(*deps_.rollouts, ns, name);
  kube::ObjectPtr raw;  // a Rollout whose metadata does not decode: reported from the JSON
  if (!cached) raw = deps_.rollouts->get(ns, name);
  if (!cached && !raw) written_.forget(key);
  // A cache older than our own last write of this Rollout (the informer has not delivered it
  // yet): come back shortly rather than replay the previous step, and free the worker meanwhile
  // (Argo rollout/controller.go syncHandler: StaleCacheError, requeued after 100 ms).
  if (cached && written_.stale(key, cached->rollout.metadata.resourceVersion)) {
    out.requeueAfter = kStaleCacheRequeueDelay;
    return out;
  }
  if (raw)
    out.status = decodeCachedRollout(*raw) ? Status::ok() : kube::decodeRollout(*raw).status();
  if (cached) {
    // The Rollout as JSON only when something is to be written: the cache's (the same version as
    // the typed view), or after a 409 the fresh read.
    std::optional<json> fresh;
    bool cache_moved = false;  // the cache's JSON is newer than its typed view: not an error
    auto object = [&]() -> Result<json> {
      if (fresh) return *fresh;
      kube::ObjectPtr obj = deps_.rollouts->get(ns, name);
      if (!obj || kube::strAt(*obj, "/metadata/resourceVersion") !=
                      cached->rollout.metadata.resourceVersion) {
        // Changed since the typed read: its update event queues this key again.
        cache_moved = true;
        return Status(Code::kConflict, "the cached Rollout " + key + " changed while read");
      }
      return *obj;
    };
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
      auto done = reconcileObject(*cached, object, out);
      if (done && *done) break;
      if (!done) {
        // Only the cache moving on is left to its update event. Any other failure, a 409 on a
        // ReplicaSet or Service write included, is reported so that the key is requeued: the
        // object was not changed, so no event would bring it back (found by the chaos tests).
        if (!cache_moved) out.status = done.status();
        break;
      }
      // The status write met 409 every time: report it, so that the key is requeued with
      // backoff. Returning success here lost the write (a pause step never paused, a promote
      // never advanced) until some other event touched the Rollout, which may never come.
      if (attempt == kAttempts) {
        out.status = Status(Code::kConflict, "the status update of rollout " + key + " met " +
                                                 std::to_string(kAttempts) + " conflicts");
        break;
      }
      // 409 on the status write: re-read and plan again from the fresh object.
      auto read = deps_.client->get(res::kRollouts, ns, name);
      if (!read) {
        out.status = read.status();
        break;
      }
      cached = decodeCachedRollout(*read);
      if (!cached) {
        out.status = kube::decodeRollout(*read).status();
        break;
      }
      fresh = std::move(*read);
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

// true: done; false: status conflict (re-read and retry); error: failed. object() reads the
// Rollout as JSON, only once there is something to write.
Result<bool> Reconciler::reconcileObject(const CachedRollout& cached, const ObjectReader& object,
                                         ReconcileResult& out) {
  RolloutContext ctx;
  ctx.rollout = cached.rollout;
  ctx.invalidSpecMessage = cached.invalidSpecMessage;
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
    if (ctx.invalidSpecMessage.empty()) {
      ctx.invalidSpecMessage = cached.validation && !ctx.rollout.spec.workloadRef
                                   ? *cached.validation
                                   : validateRollout(ctx.rollout);
    }
    if (ctx.invalidSpecMessage.empty() && deps_.routers != nullptr) {
      ctx.invalidSpecMessage = validateTrafficRouters(ctx.rollout, *deps_.routers);
    }
    if (ctx.invalidSpecMessage.empty()) ctx.invalidSpecMessage = checkMetricPlugins(ctx.rollout);
  }
  ServiceSelectors selectors;
  if (ctx.invalidSpecMessage.empty()) {
    ctx.invalidSpecMessage = readServices(ctx.rollout, selectors);
  }
  buildContext(ctx);
  if (ctx.rollout.spec.blueGreen && !ctx.rollout.spec.canary) {
    planBlueGreen(ctx, selectors);
  } else {
    planRollout(ctx, selectors);
  }

  if (deps_.abortDecided && ctx.pause.addAbort && !ctx.rollout.status.abort) {
    deps_.abortDecided(meta.namespace_ + "/" + meta.name);
  }
  std::string rv = meta.resourceVersion;
  json new_status = kube::toJson(ctx.newStatus);
  const bool status_changed = !cached.hasStatus || new_status != kube::toJson(ctx.rollout.status);
  if (ctx.actions.empty() && ctx.events.empty() && !status_changed) {
    // Nothing to write: the no-op reconcile ends here, without the JSON.
    if (ctx.requeueAt) {
      out.requeueAfter = std::chrono::seconds(std::max<int64_t>(1, *ctx.requeueAt - ctx.now));
    }
    return true;
  }
  auto read = object();
  if (!read) return read.status();
  const json& obj = *read;
  ExecReport report;
  Status st = ctx.actions.empty()
                  ? Status::ok()
                  : executor_.execute(ctx.actions, {obj, &ctx.rollout, ctx.now}, report);
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
  new_status = kube::toJson(ctx.newStatus);  // with what the execution found (pod restarts)
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
