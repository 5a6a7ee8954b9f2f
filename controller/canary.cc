#include "controller/canary.h"

#include <cstdarg>
#include <cstdio>

#include "controller/analysis.h"
#include "controller/conditions.h"
#include "controller/ephemeral_metadata.h"
#include "controller/hash.h"
#include "controller/history.h"
#include "controller/pause.h"
#include "controller/replica_math.h"
#include "controller/replicaset.h"
#include "controller/restart.h"
#include "controller/rollout_experiment.h"
#include "controller/sync.h"
#include "controller/trafficrouting.h"
#include "controller/workloadref.h"

namespace vane::controller {

std::string format(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0) return fmt;
  if (static_cast<std::size_t>(n) < sizeof(buf)) return std::string(buf, n);
  std::string out(static_cast<std::size_t>(n) + 1, '\0');
  va_start(ap, fmt);
  std::vsnprintf(out.data(), out.size(), fmt, ap);
  va_end(ap);
  out.resize(n);
  return out;
}

std::string stepString(const kube::CanaryStep& s) {
  if (s.setWeight) return "setWeight: " + std::to_string(*s.setWeight);
  if (s.pause) {
    return s.pause->duration ? "pause: " + std::to_string(*s.pause->duration) + "s" : "pause";
  }
  if (s.setCanaryScale) return "setCanaryScale";
  if (s.analysis) return "analysis";
  if (s.experiment) return "experiment";
  if (s.setHeaderRoute) return "setHeaderRoute";
  if (s.setMirrorRoute) return "setMirrorRoute";
  return "plugin";
}

bool completedCurrentStep(const RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (ro.spec.paused) return false;
  CurrentStep cur = currentStep(ro);
  if (cur.step == nullptr) return false;
  const kube::CanaryStep& step = *cur.step;
  const auto& w = ro.status.canary.weights;
  if (step.pause) return completedPauseStep(ctx, *step.pause);
  if (step.setWeight || step.setCanaryScale) {
    if (!atDesiredReplicaCounts(ro, ctx.newRS, ctx.stableRS, ctx.otherRSs, w ? &*w : nullptr)) {
      return false;
    }
    return !(ctx.weightVerified && !*ctx.weightVerified);
  }
  if (step.analysis) {
    const auto& st = ctx.newStatus.canary.currentStepAnalysisRunStatus;
    return st && st->status == "Successful";
  }
  if (step.experiment) return experimentStepCompleted(ctx);
  // (Vane) A route step completes in the reconcile whose SyncManagedRoutes includes it
  // (planTrafficRouting, before any availability guard); the status is only written once that
  // sync succeeded. The route is then written, or held out while the canary has no available
  // pod and written as soon as it has. Argo completes the step even when the stable ReplicaSet
  // is short and the route was never written (argo-rollouts #4561).
  if (step.setHeaderRoute || step.setMirrorRoute) {
    return firstAction<SyncManagedRoutes>(ctx.actions) != nullptr;
  }
  return false;  // plugin steps are not supported yet: they block
}

namespace {

int32_t stepCount(const kube::Rollout& ro) {
  return ro.spec.canary ? static_cast<int32_t>(ro.spec.canary->steps.size()) : 0;
}

void resetStatus(RolloutContext& ctx) {
  ctx.pause.clearAll = true;
  ctx.pause.removeAbort = true;
  setRestartedAt(ctx);
  kube::RolloutStatus& s = ctx.newStatus;
  s.promoteFull = false;
  s.canary.currentStepAnalysisRunStatus.reset();
  s.canary.currentBackgroundAnalysisRunStatus.reset();
  if (stepCount(ctx.rollout) > 0) {
    s.currentStepIndex = 0;
  } else {
    s.currentStepIndex.reset();
  }
}

// PodTemplateOrStepsChanged: only once a previous hash was recorded.
bool templateOrStepsChanged(const RolloutContext& ctx) {
  const kube::RolloutStatus& s = ctx.rollout.status;
  const std::string steps = stepsHash(ctx.rollout.spec.canary->stepsRaw);
  if (!s.currentStepHash.empty() && s.currentStepHash != steps) return true;
  return !s.currentPodHash.empty() && s.currentPodHash != ctx.desiredHash;
}

std::string shouldFullPromote(const RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (ctx.stableRS == nullptr) return kCompletedInitialDeploy;
  if (ctx.isAborted()) return "";
  if (ctx.newRS == nullptr || ctx.newRS->status.availableReplicas != ro.spec.replicasOrDefault()) {
    return "";
  }
  if (ro.status.promoteFull) return kCompletedFullPromotion;
  if (rollbackWithinWindow(ctx)) return kCompletedRollbackWindow;
  const int32_t n = stepCount(ro);
  if (n == 0 || (ro.status.currentStepIndex && *ro.status.currentStepIndex == n)) {
    return format(kCompletedAllSteps, n);
  }
  return "";
}

void promoteStable(RolloutContext& ctx, const std::string& reason) {
  ctx.pause.clearAll = true;
  ctx.pause.removeAbort = true;
  kube::RolloutStatus& s = ctx.newStatus;
  const int32_t n = stepCount(ctx.rollout);
  if (n > 0) {
    s.currentStepIndex = n;
  } else {
    s.currentStepIndex.reset();
  }
  if (s.stableRS != s.currentPodHash) {
    s.stableRS = s.currentPodHash;
    const int rev = ctx.newRS ? static_cast<int>(ctx.newRS->revision().value_or(0)) : 0;
    ctx.event("Normal", kEventRolloutCompleted,
              format(kMessageCompleted, rev, s.currentPodHash.c_str(), reason.c_str()));
  }
  planScaleDownOnSuccess(ctx);
}

// syncRolloutStatusCanary after the checks for a changed template.
void syncCanaryStatus(RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  kube::RolloutStatus& s = ctx.newStatus;
  calculateBaseStatus(ctx);
  const int32_t n = stepCount(ro);
  std::optional<int32_t> index =
      n > 0 ? std::optional<int32_t>(ro.status.currentStepIndex.value_or(0)) : std::nullopt;
  if (ro.status.promoteFull || rollbackWithinWindow(ctx)) {
    ctx.pause.clearAll = true;
    ctx.pause.removeAbort = true;
    if (n > 0) index = n;
  }
  std::string reason = shouldFullPromote(ctx);
  if (!reason.empty()) {
    promoteStable(ctx, reason);
  } else if (ctx.isAborted()) {
    if (n > 0) s.currentStepIndex = s.stableRS == s.currentPodHash ? n : 0;
  } else {
    if (!ro.status.promoteFull && completedCurrentStep(ctx)) {
      CurrentStep cur = currentStep(ro);
      const std::string desc = stepString(*cur.step);
      index = *cur.index + 1;
      s.canary.currentStepAnalysisRunStatus.reset();
      ctx.event("Normal", kEventRolloutStepCompleted,
                format(kMessageStepCompleted, *index, n, desc.c_str()));
      ctx.pause.remove.push_back(kPauseCanaryStep);
    }
    s.currentStepIndex = index;
  }
  finishStatus(ctx);
}

}  // namespace

void planRollout(RolloutContext& ctx, const ServiceSelectors& services) {
  const kube::Rollout& ro = ctx.rollout;
  ctx.newStatus = ro.status;
  if (!ctx.invalidSpecMessage.empty() || !ro.spec.canary) {
    planInvalidSpec(ctx);
    return;
  }
  classifyReplicaSets(ctx);
  planWorkloadGeneration(ctx);
  // 1. A new template or new steps restart the update (fast-track back to a stable template).
  if (templateOrStepsChanged(ctx)) {
    calculateBaseStatus(ctx);
    resetStatus(ctx);
    // Back to the stable template, or to an older one inside spec.rollbackWindow: no steps.
    if (ctx.newRS != nullptr &&
        (ro.status.stableRS == ctx.newRS->podTemplateHash() || rollbackWithinWindow(ctx)) &&
        stepCount(ro) > 0) {
      ctx.event("Normal", kEventSkipSteps, kMessageSkipStepsRollback);
      ctx.newStatus.currentStepIndex = stepCount(ro);
    }
    finishStatus(ctx);
    return;
  }
  // 2. Pod restarts and history; the new ReplicaSet and ephemeral metadata, analysis verdicts,
  // Services, traffic, then scaling.
  planRestartAndHistory(ctx);
  planNewReplicaSet(ctx);
  planEphemeralMetadata(ctx);
  if (!ro.status.abort && !ro.status.abortedAt.empty()) {
    // Retried after an abort: the runs of the aborted attempt are not reused.
    ctx.newStatus.canary.currentStepAnalysisRunStatus.reset();
    ctx.newStatus.canary.currentBackgroundAnalysisRunStatus.reset();
  }
  planExperiments(ctx);
  planAnalysis(ctx);
  planServices(ctx, services);
  planTrafficRouting(ctx);
  // 3. A pause just added (Inconclusive analysis) stops here.
  if (ctx.pause.add.empty()) {
    // 4. Scale; 5. pause steps once nothing scaled.
    if (!planCanaryReplicaSets(ctx)) planCanaryPause(ctx);
  }
  // 6. Steps, promotion, conditions, phase.
  syncCanaryStatus(ctx);
}

}  // namespace vane::controller
