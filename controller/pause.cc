#include "controller/pause.h"

#include <algorithm>

#include "controller/conditions.h"
#include "controller/replica_math.h"

namespace vane::controller {

namespace {
const kube::PauseCondition* findPause(const kube::RolloutStatus& s, const std::string& reason) {
  for (const auto& p : s.pauseConditions) {
    if (p.reason == reason) return &p;
  }
  return nullptr;
}
}  // namespace

void calculatePauseStatus(RolloutContext& ctx) {
  const kube::RolloutStatus& old = ctx.rollout.status;
  kube::RolloutStatus& s = ctx.newStatus;
  // Keep the original abortedAt while aborted, or every reconcile would be a change.
  const std::string aborted_at = old.abortedAt.empty() ? kube::formatTime(ctx.now) : old.abortedAt;
  if (ctx.isAborted()) {
    s.abort = true;
    s.abortedAt = aborted_at;
    s.pauseConditions.clear();
    s.controllerPause = false;
    return;
  }
  s.abort = false;
  s.abortedAt.clear();
  if (ctx.pause.clearAll) {
    s.pauseConditions.clear();
    s.controllerPause = false;
    return;
  }
  bool controller_pause = old.controllerPause;
  std::vector<kube::PauseCondition> conds;
  for (const auto& p : old.pauseConditions) {
    if (std::find(ctx.pause.remove.begin(), ctx.pause.remove.end(), p.reason) ==
        ctx.pause.remove.end()) {
      conds.push_back(p);
    }
  }
  for (const auto& reason : ctx.pause.add) {
    if (findPause(old, reason) == nullptr) {
      conds.push_back({reason, kube::formatTime(ctx.now)});
      controller_pause = true;
    }
  }
  s.pauseConditions = conds;
  s.controllerPause = conds.empty() ? false : controller_pause;
}

void planCanaryPause(RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (ro.spec.paused || ctx.isAborted()) return;
  CurrentStep cur = currentStep(ro);
  if (cur.step == nullptr || !cur.step->pause) return;
  const kube::PauseCondition* cond = findPause(ro.status, kPauseCanaryStep);
  if (cond == nullptr) {
    if (!ro.status.controllerPause) {
      ctx.pause.add.push_back(kPauseCanaryStep);
      ctx.event("Normal", kEventRolloutPaused, kPauseCanaryStep);
      if (cur.step->pause->duration) ctx.requeueNoLaterThan(ctx.now + *cur.step->pause->duration);
    }
    return;
  }
  if (cur.step->pause->duration) {
    auto start = kube::parseTime(cond->startTime);
    if (start) ctx.requeueNoLaterThan(*start + *cur.step->pause->duration);
  }
}

bool completedPauseStep(const RolloutContext& ctx, const kube::RolloutPause& pause) {
  const kube::RolloutStatus& s = ctx.rollout.status;
  const kube::PauseCondition* cond = findPause(s, kPauseCanaryStep);
  if (s.controllerPause && cond == nullptr) return true;  // resumed by the user
  if (pause.duration && cond != nullptr) {
    auto start = kube::parseTime(cond->startTime);
    return start && ctx.now >= *start + *pause.duration;
  }
  return false;
}

}  // namespace vane::controller
