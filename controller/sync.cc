#include "controller/sync.h"

#include <algorithm>

#include "controller/conditions.h"
#include "controller/duration.h"
#include "controller/hash.h"
#include "controller/pause.h"
#include "controller/replica_math.h"
#include "controller/replicaset.h"
#include "controller/restart.h"
#include "controller/workloadref.h"

namespace vane::controller {

using nlohmann::json;

bool setCondition(kube::RolloutStatus& status, kube::RolloutCondition cond, int64_t now) {
  const kube::RolloutCondition* cur = status.condition(cond.type);
  if (cur != nullptr && cur->status == cond.status && cur->reason == cond.reason) return false;
  const std::string ts = kube::formatTime(now);
  cond.lastUpdateTime = ts;
  cond.lastTransitionTime =
      (cur != nullptr && cur->status == cond.status) ? cur->lastTransitionTime : ts;
  removeCondition(status, cond.type);
  status.conditions.push_back(std::move(cond));
  return true;
}

void removeCondition(kube::RolloutStatus& status, const std::string& type) {
  auto& cs = status.conditions;
  cs.erase(std::remove_if(cs.begin(), cs.end(), [&](const auto& c) { return c.type == type; }),
           cs.end());
}

std::string formatLabelSelector(const json& selector) {
  if (!selector.is_object()) return "";
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : ",") + part; };
  if (selector.contains("matchLabels") && selector["matchLabels"].is_object()) {
    for (auto it = selector["matchLabels"].begin(); it != selector["matchLabels"].end(); ++it) {
      if (it.value().is_string()) add(it.key() + "=" + it.value().get<std::string>());
    }
  }
  if (selector.contains("matchExpressions") && selector["matchExpressions"].is_array()) {
    for (const auto& e : selector["matchExpressions"]) {
      if (!e.is_object()) continue;
      std::string key = e.value("key", ""), op = e.value("operator", "");
      std::string values;
      if (e.contains("values") && e["values"].is_array()) {
        for (const auto& v : e["values"]) {
          if (v.is_string()) values += (values.empty() ? "" : ",") + v.get<std::string>();
        }
      }
      if (op == "In")
        add(key + " in (" + values + ")");
      else if (op == "NotIn")
        add(key + " notin (" + values + ")");
      else if (op == "Exists")
        add(key);
      else if (op == "DoesNotExist")
        add("!" + key);
    }
  }
  return out.empty() ? "<none>" : out;
}

void calculateBaseStatus(RolloutContext& ctx) {
  kube::RolloutStatus& s = ctx.newStatus;
  s.currentPodHash = ctx.newRS ? ctx.newRS->podTemplateHash() : ctx.desiredHash;
  s.replicas = s.readyReplicas = s.availableReplicas = 0;
  for (const auto& rs : ctx.allRSs) {
    s.replicas += rs.status.replicas;
    s.readyReplicas += rs.status.readyReplicas;
    s.availableReplicas += rs.status.availableReplicas;
  }
  s.updatedReplicas = ctx.newRS ? ctx.newRS->status.replicas : 0;
  s.HPAReplicas = s.replicas;
  s.selector = formatLabelSelector(ctx.rollout.spec.selector);
  s.currentStepHash =
      ctx.rollout.spec.canary ? stepsHash(ctx.rollout.spec.canary->stepsRaw) : std::string();
  s.promoteFull = s.currentPodHash != s.stableRS && ctx.rollout.status.promoteFull;
  if (ctx.invalidSpecMessage.empty()) removeCondition(s, kConditionInvalidSpec);
}

namespace {

// conditions.RolloutHealthy without the observed-generation check (observedGeneration is
// written by this same status update).
bool rolloutComplete(const RolloutContext& ctx, const kube::RolloutStatus& s) {
  const int32_t replicas = ctx.rollout.spec.replicasOrDefault();
  bool strategy_done = true;
  if (const auto& bg = ctx.rollout.spec.blueGreen) {
    strategy_done = s.blueGreen.activeSelector == s.currentPodHash &&
                    (bg->previewService.empty() || s.blueGreen.previewSelector == s.currentPodHash);
  } else {
    if (ctx.rollout.spec.canary && !ctx.rollout.spec.canary->steps.empty() && s.currentStepIndex) {
      strategy_done =
          *s.currentStepIndex == static_cast<int32_t>(ctx.rollout.spec.canary->steps.size());
    }
    strategy_done = strategy_done && !s.stableRS.empty() && s.stableRS == s.currentPodHash;
  }
  return s.updatedReplicas == replicas && s.availableReplicas == replicas && strategy_done;
}

bool rolloutProgressed(const kube::RolloutStatus& o, const kube::RolloutStatus& n) {
  return o.updatedReplicas != n.updatedReplicas ||
         (n.replicas - n.updatedReplicas) < (o.replicas - o.updatedReplicas) ||
         o.readyReplicas < n.readyReplicas || o.availableReplicas < n.availableReplicas ||
         o.currentStepIndex != n.currentStepIndex || o.stableRS != n.stableRS ||
         o.blueGreen.activeSelector != n.blueGreen.activeSelector ||
         o.blueGreen.previewSelector != n.blueGreen.previewSelector;
}

void pausedConditions(RolloutContext& ctx, bool is_paused, bool aborted) {
  kube::RolloutStatus& s = ctx.newStatus;
  const kube::RolloutCondition* prog = s.condition(kConditionProgressing);
  const bool abort_cond = prog != nullptr && prog->reason == kReasonAborted;
  const bool prog_paused = prog != nullptr && prog->reason == kReasonPaused;
  if (is_paused != prog_paused && !abort_cond) {
    setCondition(
        s,
        {kConditionProgressing, "Unknown", "", "", is_paused ? kReasonPaused : kReasonResumed,
         is_paused ? kMessagePaused : kMessageResumed},
        ctx.now);
  }
  if (!aborted && abort_cond) {
    setCondition(s, {kConditionProgressing, "Unknown", "", "", kReasonRetry, kMessageRetry},
                 ctx.now);
    ctx.event("Normal", kEventRolloutRetry, kMessageRetry);
  }
  const kube::RolloutCondition* paused = s.condition(kConditionPaused);
  const bool paused_true = paused != nullptr && paused->status == "True";
  if (is_paused != paused_true && !abort_cond) {
    setCondition(
        s, {kConditionPaused, is_paused ? "True" : "False", "", "", kReasonPaused, kMessagePaused},
        ctx.now);
  }
}

// isIndefiniteStep (rollout/sync.go): experiment, analysis and pause steps do not count against
// the progress deadline.
bool indefiniteStep(const kube::Rollout& ro) {
  CurrentStep cur = currentStep(ro);
  return cur.step != nullptr && (cur.step->experiment || cur.step->analysis || cur.step->pause);
}

void progressConditions(RolloutContext& ctx, bool is_paused) {
  kube::RolloutStatus& s = ctx.newStatus;
  const std::string rs_name = ctx.newRS ? ctx.newRS->metadata.name : ctx.rollout.metadata.name;
  const kube::RolloutCondition* cur = s.condition(kConditionProgressing);
  const bool complete_before =
      cur != nullptr && cur->reason == kReasonNewRSAvailable && s.replicas == s.availableReplicas;
  if (complete_before && rolloutComplete(ctx, s)) return;
  if (rolloutComplete(ctx, s)) {
    setCondition(s,
                 {kConditionProgressing, "True", "", "", kReasonNewRSAvailable,
                  format(kMessageRSCompleted, rs_name.c_str())},
                 ctx.now);
  } else if (rolloutProgressed(ctx.rollout.status, s)) {
    std::string transition = kube::formatTime(ctx.now);
    if (cur != nullptr && cur->status == "True") transition = cur->lastTransitionTime;
    removeCondition(s, kConditionProgressing);
    s.conditions.push_back({kConditionProgressing, "True", kube::formatTime(ctx.now), transition,
                            kReasonReplicaSetUpdated,
                            format(kMessageReplicaSetProgressing, rs_name.c_str())});
  } else if (!is_paused && !indefiniteStep(ctx.rollout) && cur != nullptr &&
             cur->reason != kReasonNewRSAvailable) {
    const int64_t deadline = ctx.rollout.spec.progressDeadlineOrDefault();
    auto since = kube::parseTime(cur->lastUpdateTime);
    const bool timed_out = cur->reason == kReasonTimedOut || (since && *since + deadline < ctx.now);
    if (timed_out) {
      std::string msg = format(kMessageRSTimedOut, rs_name.c_str());
      setCondition(s, {kConditionProgressing, "False", "", "", kReasonTimedOut, msg}, ctx.now);
      if (ctx.rollout.spec.progressDeadlineAbort && s.stableRS != s.currentPodHash &&
          !s.stableRS.empty()) {
        ctx.pause.addAbort = true;
        ctx.pause.abortMessage = msg;
      }
    } else if (since) {
      ctx.requeueNoLaterThan(*since + deadline + 1);
    }
  }
}

void availability(RolloutContext& ctx) {
  kube::RolloutStatus& s = ctx.newStatus;
  const kube::Rollout& ro = ctx.rollout;
  bool ok = s.availableReplicas >= ro.spec.replicasOrDefault();
  if (ro.spec.blueGreen) {
    // Blue-green: available once the active ReplicaSet is saturated.
    const kube::ReplicaSet* active = findByHash(ctx.allRSs, s.blueGreen.activeSelector);
    ok = active != nullptr && saturated(ro, *active);
  }
  setCondition(s,
               {kConditionAvailable, ok ? "True" : "False", "", "", kReasonAvailable,
                ok ? kMessageAvailable : kMessageNotAvailable},
               ctx.now);
  bool complete = rolloutComplete(ctx, s);
  if (ro.spec.canary) complete = complete && s.replicas == s.updatedReplicas;
  const kube::RolloutCondition* completed = s.condition(kConditionCompleted);
  if (ro.spec.blueGreen) {
    // conditions.RolloutCompleted: the desired ReplicaSet is the stable one.
    const bool done = !s.stableRS.empty() && s.stableRS == s.currentPodHash;
    if (setCondition(s,
                     {kConditionCompleted, done ? "True" : "False", "", "", kReasonCompleted,
                      kReasonCompleted},
                     ctx.now) &&
        !done) {
      const int rev = ctx.newRS ? static_cast<int>(ctx.newRS->revision().value_or(0)) : 0;
      ctx.event("Normal", kReasonNotCompleted,
                format(kMessageNotCompleted, rev, s.currentPodHash.c_str()));
    }
  } else if (complete || completed != nullptr) {
    setCondition(s,
                 {kConditionCompleted, complete ? "True" : "False", "", "", kReasonCompleted,
                  kReasonCompleted},
                 ctx.now);
  }
  setCondition(s,
               {kConditionHealthy, complete ? "True" : "False", "", "", kReasonHealthy,
                complete ? kMessageHealthy : kMessageNotHealthy},
               ctx.now);
}

}  // namespace

void calculateConditions(RolloutContext& ctx) {
  kube::RolloutStatus& s = ctx.newStatus;
  const bool is_paused = !s.pauseConditions.empty() || ctx.rollout.spec.paused;
  if (!ctx.isAborted()) progressConditions(ctx, is_paused);
  // A progress-deadline abort decided just now applies to this same status.
  if (ctx.pause.addAbort) calculatePauseStatus(ctx);
  const bool aborted = ctx.isAborted();
  pausedConditions(ctx, is_paused && !aborted, aborted);
  if (aborted) {
    const int rev = ctx.newRS ? static_cast<int>(ctx.newRS->revision().value_or(0)) : 0;
    std::string msg = format(kMessageAborted, rev);
    if (!ctx.pause.abortMessage.empty()) {
      msg += ": " + ctx.pause.abortMessage;
    } else if (auto reason = ctx.rollout.metadata.annotations.find(kAnnotationAbortReason);
               reason != ctx.rollout.metadata.annotations.end() && !reason->second.empty()) {
      // An abort written by the alert hook names the alert (controller/alert_hook.h).
      msg += ": " + reason->second;
    }
    if (setCondition(s, {kConditionProgressing, "False", "", "", kReasonAborted, msg}, ctx.now)) {
      ctx.event("Warning", kEventRolloutAborted, msg);
    }
  }
  availability(ctx);
}

std::pair<std::string, std::string> calculatePhase(const kube::Rollout& ro,
                                                   const kube::RolloutStatus& s) {
  for (const auto& c : s.conditions) {
    if (c.type == kConditionInvalidSpec) {
      return {kPhaseDegraded, std::string(kReasonInvalidSpec) + ": " + c.message};
    }
    if (c.reason == kReasonAborted || c.reason == kReasonTimedOut) {
      return {kPhaseDegraded, c.reason + ": " + c.message};
    }
  }
  if (ro.spec.paused) return {kPhasePaused, kPhaseMsgManuallyPaused};
  if (!s.pauseConditions.empty()) return {kPhasePaused, s.pauseConditions.front().reason};
  if (restartPending(ro, s)) return {kPhaseProgressing, kPhaseMsgRestarting};
  const int32_t replicas = ro.spec.replicasOrDefault();
  if (s.updatedReplicas < replicas) return {kPhaseProgressing, kPhaseMsgMoreReplicas};
  if (s.availableReplicas < s.updatedReplicas) {
    return {kPhaseProgressing, kPhaseMsgBecomingAvailable};
  }
  if (const auto& bg = ro.spec.blueGreen) {
    if (s.blueGreen.activeSelector.empty() || s.blueGreen.activeSelector != s.currentPodHash) {
      return {kPhaseProgressing, kPhaseMsgCutoverPending};
    }
    if (s.stableRS.empty() || s.stableRS != s.currentPodHash) {
      const auto& post = s.blueGreen.postPromotionAnalysisRunStatus;
      const bool post_done = post && (post->status == "Successful" || post->status == "Failed" ||
                                      post->status == "Error" || post->status == "Inconclusive");
      if (bg->postPromotionAnalysis && !post_done) {
        return {kPhaseProgressing, kPhaseMsgWaitingAnalysis};
      }
      return {kPhaseProgressing, kPhaseMsgWaitingVerification};
    }
  } else if (ro.spec.canary) {
    if (!usesTrafficRouting(ro) && s.replicas > s.updatedReplicas) {
      return {kPhaseProgressing, kPhaseMsgOldPending};
    }
    if (s.stableRS.empty() || s.stableRS != s.currentPodHash) {
      return {kPhaseProgressing, kPhaseMsgWaitingSteps};
    }
  }
  return {kPhaseHealthy, ""};
}

void finishStatus(RolloutContext& ctx) {
  calculatePauseStatus(ctx);
  calculateConditions(ctx);
  auto [phase, message] = calculatePhase(ctx.rollout, ctx.newStatus);
  ctx.newStatus.phase = phase;
  ctx.newStatus.message = message;
  ctx.newStatus.observedGeneration = std::to_string(ctx.rollout.metadata.generation);
  setWorkloadObservedGeneration(ctx);
  // Reads the final pause status, abort and stable ReplicaSet (persistRolloutStatus order).
  calculateDuration(ctx);
}

void planInvalidSpec(RolloutContext& ctx) {
  kube::RolloutStatus& s = ctx.newStatus;
  setCondition(s,
               {kConditionInvalidSpec, "True", "", "", kReasonInvalidSpec, ctx.invalidSpecMessage},
               ctx.now);
  auto [phase, message] = calculatePhase(ctx.rollout, s);
  s.phase = phase;
  s.message = message;
  s.observedGeneration = std::to_string(ctx.rollout.metadata.generation);
}

}  // namespace vane::controller
