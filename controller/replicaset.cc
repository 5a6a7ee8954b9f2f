#include "controller/replicaset.h"

#include <algorithm>
#include <climits>

#include "controller/conditions.h"
#include "controller/ephemeral_metadata.h"
#include "controller/hash.h"
#include "controller/replica_math.h"
#include "controller/workloadref.h"

namespace vane::controller {

using nlohmann::json;

void classifyReplicaSets(RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  ctx.desiredHash = podTemplateHash(ro.spec.template_, ro.status.collisionCount);
  ctx.newRS = nullptr;
  ctx.stableRS = nullptr;
  ctx.otherRSs.clear();
  for (const auto& rs : ctx.allRSs) {
    if (rs.podTemplateHash() == ctx.desiredHash) ctx.newRS = &rs;
  }
  if (ctx.newRS == nullptr) {
    // Adopt a ReplicaSet whose template is semantically the same (e.g. created by Argo, whose
    // hash is computed over Go's JSON): the newest such one wins. Injected ephemeral metadata
    // does not count (Argo FindNewReplicaSet).
    for (const auto& rs : ctx.allRSs) {
      if (!templatesEqual(templateWithoutEphemeralMetadata(rs), ro.spec.template_)) continue;
      if (ctx.newRS == nullptr || rs.revision().value_or(0) > ctx.newRS->revision().value_or(0)) {
        ctx.newRS = &rs;
      }
    }
    if (ctx.newRS != nullptr) ctx.desiredHash = ctx.newRS->podTemplateHash();
  }
  if (!ro.status.stableRS.empty()) {
    for (const auto& rs : ctx.allRSs) {
      if (rs.podTemplateHash() == ro.status.stableRS) ctx.stableRS = &rs;
    }
  }
  for (const auto& rs : ctx.allRSs) {
    if (&rs != ctx.newRS && &rs != ctx.stableRS) ctx.otherRSs.push_back(&rs);
  }
  // Oldest first, as Argo scales old ReplicaSets down in revision order.
  std::sort(ctx.otherRSs.begin(), ctx.otherRSs.end(), [](const auto* a, const auto* b) {
    return a->revision().value_or(0) < b->revision().value_or(0);
  });
}

const kube::ReplicaSet* findByHash(const std::vector<kube::ReplicaSet>& all,
                                   const std::string& hash) {
  if (hash.empty()) return nullptr;
  for (const auto& rs : all) {
    if (rs.podTemplateHash() == hash) return &rs;
  }
  return nullptr;
}

bool rollbackWithinWindow(const RolloutContext& ctx) {
  if (ctx.newRS == nullptr || ctx.stableRS == nullptr) return false;
  auto created = [](const kube::ReplicaSet& rs) {
    return kube::parseTime(rs.metadata.creationTimestamp);
  };
  auto n = created(*ctx.newRS), s = created(*ctx.stableRS);
  if (!n || !s || !(*n < *s)) return false;
  const int32_t window = ctx.rollout.spec.rollbackWindowRevisions.value_or(0);
  if (window <= 0) return false;
  int32_t between = 0;
  for (const auto& rs : ctx.allRSs) {
    auto c = created(rs);
    if (c && *c < *s && *n < *c) ++between;
  }
  return between < window;
}

int32_t scaleDownRevisionLimit(const kube::Rollout& ro) {
  if (ro.spec.blueGreen && ro.spec.blueGreen->scaleDownDelayRevisionLimit) {
    return *ro.spec.blueGreen->scaleDownDelayRevisionLimit;
  }
  if (ro.spec.canary && ro.spec.canary->scaleDownDelayRevisionLimit) {
    return *ro.spec.canary->scaleDownDelayRevisionLimit;
  }
  return INT32_MAX;
}

bool saturated(const kube::Rollout& ro, const kube::ReplicaSet& rs) {
  const int32_t replicas = ro.spec.replicasOrDefault();
  return rs.replicas == replicas &&
         rs.annotation(kAnnotationDesiredReplicas) == std::to_string(replicas) &&
         rs.status.availableReplicas == replicas;
}

namespace {

// GenerateReplicaSetAffinity: with strategy antiAffinity and a stable ReplicaSet other than this
// one, the new pods avoid the nodes of the stable pods (preferred with its weight, or required).
void injectAntiAffinity(const kube::Rollout& ro, const std::string& hash, json& tmpl) {
  const std::optional<json>* aa = nullptr;
  if (ro.spec.blueGreen) aa = &ro.spec.blueGreen->antiAffinity;
  if (ro.spec.canary) aa = &ro.spec.canary->antiAffinity;
  if (aa == nullptr || !*aa || !(*aa)->is_object()) return;
  if (ro.status.stableRS.empty() || ro.status.stableRS == hash) return;
  const json& strategy = **aa;
  const bool preferred = strategy.contains("preferredDuringSchedulingIgnoredDuringExecution") &&
                         strategy["preferredDuringSchedulingIgnoredDuringExecution"].is_object();
  const bool required = strategy.contains("requiredDuringSchedulingIgnoredDuringExecution") &&
                        !strategy["requiredDuringSchedulingIgnoredDuringExecution"].is_null();
  if (!preferred && !required) return;
  json term = {{"labelSelector",
                {{"matchExpressions", json::array({{{"key", kLabelPodTemplateHash},
                                                    {"operator", "In"},
                                                    {"values", {ro.status.stableRS}}}})}}},
               {"namespaces", {ro.metadata.namespace_}},
               {"topologyKey", "kubernetes.io/hostname"}};
  json& anti = tmpl["spec"]["affinity"]["podAntiAffinity"];
  if (preferred) {
    const int weight =
        strategy["preferredDuringSchedulingIgnoredDuringExecution"].value("weight", 1);
    anti["preferredDuringSchedulingIgnoredDuringExecution"].push_back(
        {{"weight", weight}, {"podAffinityTerm", term}});
  } else {
    anti["requiredDuringSchedulingIgnoredDuringExecution"].push_back(term);
  }
}

}  // namespace

int64_t maxRevision(const RolloutContext& ctx) {
  int64_t m = 0;
  for (const auto& rs : ctx.allRSs) m = std::max(m, rs.revision().value_or(0));
  return m;
}

json newReplicaSetObject(const kube::Rollout& ro, const std::string& hash, int64_t revision,
                         int32_t replicas) {
  json tmpl = ro.spec.template_.is_object() ? ro.spec.template_ : json::object();
  tmpl["metadata"]["labels"][kLabelPodTemplateHash] = hash;
  injectAntiAffinity(ro, hash, tmpl);
  json selector = ro.spec.selector.is_object() ? ro.spec.selector : json::object();
  selector["matchLabels"][kLabelPodTemplateHash] = hash;
  json labels = tmpl["metadata"]["labels"];
  json rs = {{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata",
              {{"name", ro.metadata.name + "-" + hash},
               {"namespace", ro.metadata.namespace_},
               {"labels", labels},
               {"annotations",
                {{kAnnotationRevision, std::to_string(revision)},
                 {kAnnotationDesiredReplicas, std::to_string(ro.spec.replicasOrDefault())}}},
               {"ownerReferences",
                kube::controllerOwnerRefs("Rollout", ro.metadata.name, ro.metadata.uid)}}},
             {"spec",
              {{"replicas", replicas},
               {"minReadySeconds", ro.spec.minReadySeconds},
               {"selector", selector},
               {"template", tmpl}}}};
  return rs;
}

void planNewReplicaSet(RolloutContext& ctx) {
  if (ctx.newRS != nullptr) return;
  const kube::Rollout& ro = ctx.rollout;
  const int64_t revision = maxRevision(ctx) + 1;
  json body = newReplicaSetObject(ro, ctx.desiredHash, revision, 0);
  injectEphemeralMetadata(ctx, body);
  if (const std::string gen = workloadGeneration(ctx); !gen.empty()) {
    body["metadata"]["annotations"][kAnnotationWorkloadGeneration] = gen;
  }
  auto decoded = kube::decodeReplicaSet(body);
  if (!decoded) return;  // our own object: cannot fail
  ctx.createdRS = *decoded;
  ctx.newRS = &ctx.createdRS;
  ctx.actions.push_back(CreateReplicaSet{body});
  ctx.actions.push_back(
      AnnotateRollout{ro.metadata.name, json{{kAnnotationRevision, std::to_string(revision)}}});
  ctx.event("Normal", kEventRolloutUpdated, format(kMessageRolloutUpdated, int(revision)));
  ctx.event("Normal", kEventNewReplicaSetCreated,
            format(kMessageRSCreatedEvent, ctx.createdRS.metadata.name.c_str(), int(revision), 0));
  kube::RolloutCondition cond{kConditionProgressing,
                              "True",
                              "",
                              "",
                              kReasonNewReplicaSetCreated,
                              format(kMessageNewReplicaSet, ctx.createdRS.metadata.name.c_str())};
  ctx.newStatus.conditions.erase(
      std::remove_if(ctx.newStatus.conditions.begin(), ctx.newStatus.conditions.end(),
                     [](const auto& c) { return c.type == kConditionProgressing; }),
      ctx.newStatus.conditions.end());
  cond.lastUpdateTime = cond.lastTransitionTime = kube::formatTime(ctx.now);
  ctx.newStatus.conditions.push_back(cond);
}

bool planScale(RolloutContext& ctx, const kube::ReplicaSet& rs, int32_t replicas) {
  const std::string desired = std::to_string(ctx.rollout.spec.replicasOrDefault());
  const bool size_changes = rs.replicas != replicas;
  const bool annotation_changes = rs.annotation(kAnnotationDesiredReplicas) != desired;
  if (!size_changes && !annotation_changes) return false;
  ScaleReplicaSet a{rs.metadata.name, replicas, json{{kAnnotationDesiredReplicas, desired}}};
  // Scaling up or back into service clears a pending scale-down deadline.
  if (replicas > 0 && !rs.annotation(kAnnotationScaleDownDeadline).empty()) {
    a.annotations[kAnnotationScaleDownDeadline] = nullptr;
  }
  ctx.actions.push_back(a);
  if (size_changes) {
    const int rev = static_cast<int>(rs.revision().value_or(0));
    ctx.event("Normal", kEventScalingReplicaSet,
              format(replicas > rs.replicas ? kMessageScaledUp : kMessageScaledDown,
                     rs.metadata.name.c_str(), rev, rs.replicas, replicas));
  }
  return size_changes;
}

namespace {

bool stableDistinct(const RolloutContext& ctx) {
  return ctx.stableRS != nullptr &&
         (ctx.newRS == nullptr || ctx.newRS->metadata.name != ctx.stableRS->metadata.name);
}

CanaryCounts desiredCounts(const RolloutContext& ctx) {
  if (usesTrafficRouting(ctx.rollout)) {
    const auto& w = ctx.rollout.status.canary.weights;
    return trafficRoutedCanaryCounts(ctx.rollout, w ? &*w : nullptr, ctx.newRS, ctx.stableRS);
  }
  return basicCanaryCounts(ctx.rollout, ctx.newRS, ctx.stableRS, ctx.otherRSs);
}

// The canary RS on abort with a router keeps its pods for abortScaleDownDelaySeconds (default
// 30 s; 0 keeps them) once the stable RS is fully available (Argo shouldDelayScaleDownOnAbort).
// With dynamicStableScale and no explicit delay it follows the weight back instead. Returns the
// replicas to keep, or nullopt to scale as computed.
std::optional<int32_t> abortDelay(RolloutContext& ctx, int32_t computed) {
  if (!ctx.isAborted() || !usesTrafficRouting(ctx.rollout) || ctx.newRS == nullptr ||
      !stableDistinct(ctx) || ctx.newRS->replicas == 0) {
    return std::nullopt;
  }
  const auto& c = *ctx.rollout.spec.canary;
  const int32_t delay = c.abortScaleDownDelaySeconds.value_or(30);
  if (delay == 0) return ctx.newRS->replicas;
  if (c.dynamicStableScale && !explicitAbortScaleDownDelay(ctx.rollout)) return std::nullopt;
  std::string deadline = ctx.newRS->annotation(kAnnotationScaleDownDeadline);
  if (deadline.empty()) {
    // The deadline scales the canary to 0 whatever its weight: it starts only once the stable
    // ReplicaSet can serve everything and the router was told to send the canary nothing.
    const auto& w = ctx.rollout.status.canary.weights;
    if (ctx.stableRS->status.availableReplicas < ctx.rollout.spec.replicasOrDefault() ||
        (w && w->canary.weight > 0 && w->canary.podTemplateHash == ctx.newRS->podTemplateHash())) {
      return ctx.newRS->replicas;
    }
    ctx.actions.push_back(AnnotateReplicaSet{
        ctx.newRS->metadata.name,
        json{{kAnnotationScaleDownDeadline, kube::formatTime(ctx.now + delay)}}});
    ctx.requeueNoLaterThan(ctx.now + delay);
    return ctx.newRS->replicas;
  }
  auto at = kube::parseTime(deadline);
  if (at && *at > ctx.now) {
    ctx.requeueNoLaterThan(*at);
    return ctx.newRS->replicas;
  }
  return computed;
}

// Argo scaleDownDelayHelper: the replicas an old ReplicaSet keeps. The first
// scaleDownDelayRevisionLimit of them (newest first) keep theirs until a scale-down-deadline
// (added now when missing); the rest, and those past their deadline, go to 0.
int32_t delayedScaleDown(RolloutContext& ctx, const kube::ReplicaSet& rs, int32_t& annotated,
                         int32_t limit) {
  const std::string deadline = rs.annotation(kAnnotationScaleDownDeadline);
  if (deadline.empty()) {
    if (annotated >= limit) return 0;
    ++annotated;
    const int32_t delay = ctx.rollout.spec.canary->scaleDownDelaySeconds.value_or(30);
    ctx.actions.push_back(AnnotateReplicaSet{
        rs.metadata.name, json{{kAnnotationScaleDownDeadline, kube::formatTime(ctx.now + delay)}}});
    ctx.requeueNoLaterThan(ctx.now + delay);
    return rs.replicas;
  }
  if (++annotated > limit) return 0;  // at the revision limit: scaled down at once
  auto at = kube::parseTime(deadline);
  if (at && *at > ctx.now) {
    ctx.requeueNoLaterThan(*at);
    return rs.replicas;
  }
  return 0;
}

// isReplicaSetReferenced: the ReplicaSet may still take traffic, through the status (stable,
// current, the weights last written to the router) or a Service's selector.
bool referenced(const RolloutContext& ctx, const kube::ReplicaSet& rs) {
  const std::string h = rs.podTemplateHash();
  if (h.empty()) return false;
  const kube::RolloutStatus& st = ctx.rollout.status;
  std::vector<std::string> refs = {st.stableRS, st.currentPodHash};
  if (st.canary.weights) {
    refs.push_back(st.canary.weights->canary.podTemplateHash);
    refs.push_back(st.canary.weights->stable.podTemplateHash);
  }
  refs.insert(refs.end(), ctx.serviceHashes.begin(), ctx.serviceHashes.end());
  return std::find(refs.begin(), refs.end(), h) != refs.end();
}

// Other ReplicaSets go to 0, newest first (Argo scaleDownOldReplicaSetsForCanary); basic canary
// bounded by maxUnavailable (they serve traffic). With a router, one still referenced is kept
// (a rollback to stable with dynamicStableScale, argo-rollouts #3020), and a previous stable
// (fully promoted, or already given a deadline) keeps its pods for scaleDownDelaySeconds unless
// dynamicStableScale. Unreferenced ones take no traffic, so no availability bound applies.
bool planOtherReplicaSets(RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  const bool routed = usesTrafficRouting(ro);
  int32_t available = 0;
  for (const auto& rs : ctx.allRSs) available += rs.status.availableReplicas;
  const int32_t min_available = ro.spec.replicasOrDefault() - resolveFenceposts(ro).maxUnavailable;
  int32_t max_scale_down = routed ? INT32_MAX : available - min_available;
  const bool promoted = !ro.status.stableRS.empty() && ro.status.stableRS == ctx.desiredHash;
  const int32_t revision_limit = scaleDownRevisionLimit(ro);
  int32_t annotated = 0;
  bool scaled = false;
  for (auto it = ctx.otherRSs.rbegin(); it != ctx.otherRSs.rend(); ++it) {
    const kube::ReplicaSet* rs = *it;
    if (routed && referenced(ctx, *rs)) continue;
    if (max_scale_down <= 0) break;
    if (rs->replicas == 0) continue;
    int32_t target = 0;
    if (routed) {
      const bool delayed = promoted || !rs->annotation(kAnnotationScaleDownDeadline).empty();
      if (delayed && !ro.spec.canary->dynamicStableScale) {
        target = delayedScaleDown(ctx, *rs, annotated, revision_limit);
      }
    } else if (rs->replicas > max_scale_down) {
      target = rs->replicas - max_scale_down;
    }
    if (target == rs->replicas) continue;
    max_scale_down -= rs->replicas - target;
    scaled = planScale(ctx, *rs, target) || scaled;
  }
  return scaled;
}

}  // namespace

bool scalingEvent(const RolloutContext& ctx) {
  const std::string desired = std::to_string(ctx.rollout.spec.replicasOrDefault());
  for (const kube::ReplicaSet* rs : {ctx.newRS, ctx.stableRS}) {
    if (rs == nullptr || rs->replicas == 0) continue;
    const std::string annotated = rs->annotation(kAnnotationDesiredReplicas);
    if (!annotated.empty() && annotated != desired) return true;
  }
  return false;
}

namespace {

// While halted, a resize that takes several reconciles (maxSurge/maxUnavailable bounds) keeps
// the desired-replicas annotation of the ReplicaSets it resizes at its old value, so that the
// scaling event lasts until no size changes any more; the last reconcile then writes only the
// annotations and ends it.
void holdScalingEvent(RolloutContext& ctx, std::size_t first) {
  for (std::size_t i = first; i < ctx.actions.size(); ++i) {
    auto* a = std::get_if<ScaleReplicaSet>(&ctx.actions[i]);
    if (a == nullptr) continue;
    for (const auto& rs : ctx.allRSs) {
      if (rs.metadata.name != a->name || rs.replicas == a->replicas) continue;
      const std::string old = rs.annotation(kAnnotationDesiredReplicas);
      a->annotations[kAnnotationDesiredReplicas] = old.empty() ? json(nullptr) : json(old);
    }
  }
}

bool scaleCanaryReplicaSets(RolloutContext& ctx) {
  CanaryCounts desired = desiredCounts(ctx);
  if (stableDistinct(ctx) && planScale(ctx, *ctx.stableRS, desired.stable)) return true;
  if (ctx.newRS != nullptr) {
    int32_t target = abortDelay(ctx, desired.canary).value_or(desired.canary);
    const bool scaled = planScale(ctx, *ctx.newRS, target);
    planProgressiveScaleDown(ctx, target);
    if (scaled) return true;
  }
  return planOtherReplicaSets(ctx);
}

}  // namespace

bool planCanaryReplicaSets(RolloutContext& ctx) {
  // haltProgress (user pause, Inconclusive analysis) holds the step's counts, but a change of
  // spec.replicas (an HPA) still resizes them, as Argo's isScalingEvent/syncReplicasOnly mean to.
  // Argo's canary skips it while spec.paused (argo-rollouts #4261): Vane scales.
  const bool halted =
      ctx.rollout.spec.paused || ctx.rollout.status.hasPauseCondition(kPauseInconclusiveAnalysis);
  if (halted && !scalingEvent(ctx)) return false;
  const std::size_t first = ctx.actions.size();
  const bool scaled = scaleCanaryReplicaSets(ctx);
  if (halted && scaled) holdScalingEvent(ctx, first);
  return scaled;
}

}  // namespace vane::controller
