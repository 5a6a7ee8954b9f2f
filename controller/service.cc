#include "controller/service.h"

#include "controller/replica_math.h"
#include "controller/trafficrouting.h"

namespace vane::controller {

bool replicaSetFullyAvailable(const kube::ReplicaSet& rs) {
  return rs.replicas > 0 && rs.status.availableReplicas >= rs.replicas;
}

namespace {
void ensureTarget(RolloutContext& ctx, const ServiceSelectors& current, const std::string& svc,
                  const kube::ReplicaSet* rs) {
  if (svc.empty() || rs == nullptr) return;
  auto it = current.find(svc);
  if (it == current.end()) return;  // missing Services are reported by validation
  const std::string hash = rs->podTemplateHash();
  if (it->second == hash) return;
  if (!replicaSetFullyAvailable(*rs)) return;  // never point a Service at missing pods
  ctx.actions.push_back(PatchServiceSelector{svc, hash, ctx.rollout.metadata.name});
}
}  // namespace

void planServices(RolloutContext& ctx, const ServiceSelectors& current) {
  if (!ctx.rollout.spec.canary) return;
  const auto& c = *ctx.rollout.spec.canary;
  for (const std::string* svc :
       {&c.canaryService, &c.stableService, &c.pingService, &c.pongService}) {
    auto it = current.find(*svc);
    if (!svc->empty() && it != current.end() && !it->second.empty()) {
      ctx.serviceHashes.push_back(it->second);
    }
  }
  ensureTarget(ctx, current, c.stableService, ctx.stableRS ? ctx.stableRS : ctx.newRS);
  // Aborted with dynamicStableScale, the canary Service moves back to stable only once no weight
  // is left on the canary: stable may not yet have the pods for it (Argo reconcileTrafficRouting).
  const bool stepping_back = ctx.isAborted() && c.dynamicStableScale &&
                             usesTrafficRouting(ctx.rollout) && desiredCanaryWeight(ctx) > 0;
  const kube::ReplicaSet* canary_target =
      ctx.isAborted() && ctx.stableRS != nullptr && !stepping_back ? ctx.stableRS : ctx.newRS;
  // Rolling back to stable with dynamicStableScale, the canary Service stays on the previous
  // canary until stable is back to spec.replicas (argo-rollouts #3020).
  const auto& w = ctx.rollout.status.canary.weights;
  if (c.dynamicStableScale && usesTrafficRouting(ctx.rollout) && ctx.newRS != nullptr &&
      ctx.newRS == ctx.stableRS && w && w->canary.podTemplateHash != ctx.newRS->podTemplateHash() &&
      ctx.newRS->status.availableReplicas < ctx.rollout.spec.replicasOrDefault()) {
    canary_target = nullptr;
  }
  ensureTarget(ctx, current, c.canaryService, canary_target);
}

}  // namespace vane::controller
