#include "controller/duration.h"

#include "controller/conditions.h"
#include "controller/context.h"
#include "controller/hash.h"
#include "controller/replica_math.h"
#include "controller/replicaset.h"

namespace vane::controller {

using nlohmann::json;

void RolloutDuration::closeManualPause(int64_t now) {
  if (!manualPauseStartedAt) return;
  totalManualPauseDurationSeconds = manualPauseSeconds() + (now - *manualPauseStartedAt);
  manualPauseStartedAt.reset();
}

void RolloutDuration::complete(int64_t now, const std::string& status) {
  closeManualPause(now);
  finishedAt = now;
  completionStatus = status;
}

Result<RolloutDuration> decodeRolloutDuration(const json& d) {
  const std::string prefix = "status.duration";
  if (!d.is_object()) return Status(Code::kInvalid, "expected an object", prefix);
  RolloutDuration out;
  auto time = [&](const char* key, std::optional<int64_t>& into) -> Status {
    auto it = d.find(key);
    if (it == d.end() || it->is_null()) return Status::ok();
    std::optional<int64_t> t =
        it->is_string() ? kube::parseTime(it->get<std::string>()) : std::nullopt;
    if (!t) return Status(Code::kInvalid, "expected an RFC 3339 time", prefix + "." + key);
    into = t;
    return Status::ok();
  };
  for (auto [key, into] : {std::pair{"rolloutStartedAt", &out.rolloutStartedAt},
                           std::pair{"manualPauseStartedAt", &out.manualPauseStartedAt},
                           std::pair{"finishedAt", &out.finishedAt}}) {
    if (Status s = time(key, *into); !s) return s;
  }
  if (auto it = d.find("totalManualPauseDurationSeconds"); it != d.end() && !it->is_null()) {
    if (!it->is_number_integer()) {
      return Status(Code::kInvalid, "expected an integer",
                    prefix + ".totalManualPauseDurationSeconds");
    }
    out.totalManualPauseDurationSeconds = it->get<int64_t>();
  }
  if (auto it = d.find("completionStatus"); it != d.end() && !it->is_null()) {
    if (!it->is_string()) {
      return Status(Code::kInvalid, "expected a string", prefix + ".completionStatus");
    }
    out.completionStatus = it->get<std::string>();
  }
  return out;
}

json toJson(const RolloutDuration& d) {
  json j = json::object();
  if (d.rolloutStartedAt) j["rolloutStartedAt"] = kube::formatTime(*d.rolloutStartedAt);
  if (d.manualPauseStartedAt) j["manualPauseStartedAt"] = kube::formatTime(*d.manualPauseStartedAt);
  if (d.totalManualPauseDurationSeconds) {
    j["totalManualPauseDurationSeconds"] = *d.totalManualPauseDurationSeconds;
  }
  if (d.finishedAt) j["finishedAt"] = kube::formatTime(*d.finishedAt);
  if (!d.completionStatus.empty()) j["completionStatus"] = d.completionStatus;
  return j;
}

namespace {

std::optional<int64_t> rsCreatedAt(const kube::ReplicaSet* rs) {
  return rs ? kube::parseTime(rs->metadata.creationTimestamp) : std::nullopt;
}

std::string durationNewHash(const RolloutContext& ctx) {
  return ctx.newRS ? ctx.newRS->podTemplateHash() : ctx.desiredHash;
}

// podSpecChanged of calculateStatusDuration: the first update (no hash recorded yet), a new pod
// template, or (canary) new steps (PodTemplateOrStepsChanged / CheckPodSpecChange).
bool durationSpecChanged(const RolloutContext& ctx) {
  const kube::RolloutStatus& s = ctx.rollout.status;
  if (s.currentPodHash.empty() || s.currentPodHash != durationNewHash(ctx)) return true;
  if (!ctx.rollout.spec.canary) return false;
  return s.currentStepHash.empty() ||
         s.currentStepHash != stepsHash(ctx.rollout.spec.canary->stepsRaw);
}

// isRollback: back to the stable template, or to a ReplicaSet older than the stable one.
bool durationIsRollback(const RolloutContext& ctx) {
  if (ctx.newRS == nullptr || ctx.stableRS == nullptr) return false;
  if (ctx.rollout.status.stableRS == ctx.newRS->podTemplateHash()) return true;
  auto n = rsCreatedAt(ctx.newRS), s = rsCreatedAt(ctx.stableRS);
  return n && s && *n < *s;
}

// isFastRollback: a rollback to stable, inside spec.rollbackWindow, or (blue-green) to a
// ReplicaSet whose scale-down deadline has not passed yet (its pods are still up).
bool durationIsFastRollback(const RolloutContext& ctx) {
  if (!durationIsRollback(ctx)) return false;
  if (ctx.rollout.status.stableRS == ctx.newRS->podTemplateHash()) return true;
  if (rollbackWithinWindow(ctx)) return true;
  if (!ctx.rollout.spec.blueGreen) return false;
  auto deadline = kube::parseTime(ctx.newRS->annotation(kAnnotationScaleDownDeadline));
  return deadline && *deadline > ctx.now;
}

// requiresManualAction (rollout/pause.go): pauses only a human ends. Timed pause steps and
// blue-green pauses with auto-promotion end by themselves and count as progression.
bool durationManualPause(const RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (ro.spec.paused) return true;
  for (const auto& p : ctx.newStatus.pauseConditions) {
    if (p.reason == kPauseInconclusiveAnalysis || p.reason == kPauseInconclusiveExperiment) {
      return true;
    }
    if (p.reason == kPauseCanaryStep && ro.spec.canary) {
      CurrentStep cur = currentStep(ro);
      if (cur.step != nullptr && cur.step->pause && !cur.step->pause->duration) return true;
    }
    if (p.reason == kPauseBlueGreen && ro.spec.blueGreen &&
        ro.spec.blueGreen->autoPromotionEnabled == false) {
      return true;
    }
  }
  return false;
}

// The duration as persisted, or nullopt; a malformed one is dropped with a Warning event.
std::optional<RolloutDuration> readDurationStatus(RolloutContext& ctx,
                                                  const kube::RolloutStatus& s) {
  auto it = s.rest.is_object() ? s.rest.find("duration") : s.rest.end();
  if (!s.rest.is_object() || it == s.rest.end() || it->is_null()) return std::nullopt;
  auto d = decodeRolloutDuration(*it);
  if (!d) {
    ctx.event("Warning", kEventDurationInvalid,
              "Rollout \"" + ctx.rollout.metadata.name + "\": " + d.status().toString() +
                  "; duration tracking restarts with the next update");
    return std::nullopt;
  }
  return *d;
}

}  // namespace

void calculateDuration(RolloutContext& ctx) {
  kube::RolloutStatus& s = ctx.newStatus;
  if (s.condition(kConditionInvalidSpec) != nullptr) return;
  if (!s.rest.is_object()) s.rest = json::object();
  const kube::RolloutStatus& prev_status = ctx.rollout.status;
  const int64_t now = ctx.now;
  std::optional<RolloutDuration> prev = readDurationStatus(ctx, prev_status);
  std::optional<RolloutDuration> d = prev;

  // promoteStable: the outcome is known when the stable ReplicaSet switches; finishedAt waits
  // for the new ReplicaSet to be fully available.
  const bool promoted_now =
      prev_status.stableRS != s.currentPodHash && s.stableRS == s.currentPodHash;
  if (d && promoted_now && d->completionStatus.empty()) {
    d->completionStatus = prev_status.promoteFull ? kCompletionFastPromoted : kCompletionPromoted;
  }

  const bool spec_changed = durationSpecChanged(ctx);
  const bool is_promoted = s.stableRS == s.currentPodHash;
  const bool desired_available = ctx.newRS != nullptr && ctx.newRS->status.availableReplicas >=
                                                             ctx.rollout.spec.replicasOrDefault();
  const bool is_completed = is_promoted && desired_available;
  const bool is_aborted = ctx.isAborted();
  const kube::RolloutCondition* prog = prev_status.condition(kConditionProgressing);
  const bool is_retry = !is_aborted && prog != nullptr && prog->reason == kReasonAborted;
  bool was_paused = prev && prev->manualPauseStartedAt;
  const bool in_progress = prev && prev->rolloutStartedAt && !prev->completed();

  if (in_progress) {
    if (spec_changed) {
      if (durationIsRollback(ctx)) {
        // Reverted to an earlier template: the same update goes on, its outcome is known.
        d->completionStatus =
            durationIsFastRollback(ctx) ? kCompletionFastRolledBack : kCompletionRolledBack;
      } else {
        d->complete(now, kCompletionSuperseded);
        ctx.completedDuration = *d;
      }
    }
    if (is_completed && !d->completed()) {
      d->complete(now, d->completionStatus.empty() ? kCompletionPromoted : d->completionStatus);
      ctx.completedDuration = *d;
      s.rest["duration"] = toJson(*d);
      return;
    }
    if (is_aborted && !d->completed()) {
      d->complete(now, d->completionStatus.empty() ? kCompletionAborted : d->completionStatus);
      ctx.completedDuration = *d;
    }
  }

  if (!d || (d->completed() && !is_completed)) {
    // A new update: a new template (unless already at the stable target, e.g. a strategy
    // change), or a retry after an abort.
    was_paused = false;
    if ((spec_changed && !is_completed) || is_retry) {
      d = RolloutDuration{};
      d->rolloutStartedAt = now;
    }
  }
  if (!d) {
    if (s.rest.is_object()) s.rest.erase("duration");  // a malformed one is dropped
    return;
  }
  if (!d->completed()) {
    const bool paused = durationManualPause(ctx);
    if (was_paused && !paused) {
      d->closeManualPause(now);
    } else if (!was_paused && paused && !d->manualPauseStartedAt) {
      d->manualPauseStartedAt = now;
    }
  }
  s.rest["duration"] = toJson(*d);
}

}  // namespace vane::controller
