#include "controller/analysis.h"

#include <algorithm>
#include <set>

#include "controller/conditions.h"
#include "controller/replica_math.h"
#include "controller/replicaset.h"

namespace vane::controller {

using nlohmann::json;

namespace {

using analysis::Phase;
using kube::AnalysisRun;

bool unsuccessful(const std::optional<Phase>& p) {
  return p == Phase::kFailed || p == Phase::kError || p == Phase::kInconclusive;
}
bool finishedOrTerminated(const AnalysisRun& r) { return r.spec.terminate || r.completed(); }

kube::RolloutAnalysisRunStatus statusOf(const AnalysisRun& run) {
  return {run.metadata.name, kube::phaseName(run.status.phase), analysisRunMessage(run)};
}

const AnalysisRun* findRun(const RolloutContext& ctx, const std::string& name) {
  for (const auto& r : ctx.analysisRuns) {
    if (r.metadata.name == name) return &r;
  }
  return nullptr;
}

// The controller paused the rollout and someone resumed it: controllerPause with no pause
// condition left that the controller holds (Inconclusive analysis, pause step, blue-green pause).
bool resumedByUser(const RolloutContext& ctx) {
  const auto& st = ctx.rollout.status;
  return st.controllerPause && !st.hasPauseCondition(kPauseInconclusiveAnalysis) &&
         !st.hasPauseCondition(kPauseCanaryStep) && !st.hasPauseCondition(kPauseBlueGreen);
}

std::string uniqueName(const RolloutContext& ctx, const std::string& base) {
  std::string name = base;
  for (int i = 1; findRun(ctx, name) != nullptr; ++i) name = base + "." + std::to_string(i);
  return name;
}

// A run an earlier reconcile created that this (stale) Rollout does not name yet: base or
// base.N, of this hash, type (and step), neither terminated nor finished. Adopted instead of
// creating a twin and terminating the original (Argo CreateWithCollisionCounter: "reconciled
// the rollout with a stale cache (quite common)").
const AnalysisRun* runningTwin(const RolloutContext& ctx, const std::string& base,
                               const std::string& type, const std::string& step_index) {
  for (const AnalysisRun& r : ctx.analysisRuns) {
    const std::string& n = r.metadata.name;
    if ((n == base || n.rfind(base + ".", 0) == 0) && !finishedOrTerminated(r) &&
        r.label(kLabelPodTemplateHash) == ctx.desiredHash && r.label(kLabelRolloutType) == type &&
        (step_index.empty() || r.label(kLabelStepIndex) == step_index)) {
      return &r;
    }
  }
  return nullptr;
}

// emitAnalysisRunStatusChanges (rollout/analysis.go): an "AnalysisRun<Phase>" event when a run's
// phase differs from the one the status recorded for it; notifications' on-analysis-run-* triggers.
void emitPhaseChange(RolloutContext& ctx, const std::optional<kube::RolloutAnalysisRunStatus>& prev,
                     const AnalysisRun& run, const char* type) {
  const std::string phase = kube::phaseName(run.status.phase), name = run.metadata.name;
  if (phase.empty() || (prev && (prev->name != name || prev->status == phase))) return;
  ctx.event(phase == "Failed" || phase == "Error" ? "Warning" : "Normal", "AnalysisRun" + phase,
            format("%s Analysis Run '%s' Status New: '%s' Previous: '%s'", type, name.c_str(),
                   phase.c_str(), prev ? prev->status.c_str() : "NoPreviousStatus"));
}

analysis::RunType runType(const std::string& type) {
  return type == kRolloutTypeStep            ? analysis::RunType::kStep
         : type == kRolloutTypePrePromotion  ? analysis::RunType::kPrePromotion
         : type == kRolloutTypePostPromotion ? analysis::RunType::kPostPromotion
                                             : analysis::RunType::kBackground;
}

struct RunSlot {
  const char* type;
  std::optional<int32_t> stepIndex;
  const kube::RolloutAnalysis* analysis;
  std::optional<kube::RolloutAnalysisRunStatus>* status;
  const char* abortFormat;
};

// Ensures the run of a slot exists, and judges it. Returns the run's name ("" when none).
std::string reconcileSlot(RolloutContext& ctx, const RunSlot& slot, int64_t revision) {
  const AnalysisRun* run = nullptr;
  if (*slot.status) run = findRun(ctx, (*slot.status)->name);
  // A run of another step/hash (e.g. after promote skipped a step) is not the current one.
  if (run != nullptr &&
      (run->label(kLabelPodTemplateHash) != ctx.desiredHash ||
       (slot.stepIndex && run->label(kLabelStepIndex) != std::to_string(*slot.stepIndex)))) {
    run = nullptr;
  }
  // An Inconclusive run the user resumed (promote cleared the pause conditions) is replaced by a
  // new run. While a pause step (or the blue-green pause) holds controllerPause, an Inconclusive
  // run has not been judged yet: it pauses the rollout below instead of being replaced at once,
  // which let the timed pause end and the rollout complete (needsNewAnalysisRun).
  if (run != nullptr && run->status.phase == Phase::kInconclusive && resumedByUser(ctx)) {
    run = nullptr;
  }
  std::string base =
      ctx.rollout.metadata.name + "-" + ctx.desiredHash + "-" + std::to_string(revision);
  if (slot.stepIndex) base += "-" + std::to_string(*slot.stepIndex);
  if (run == nullptr) {
    run = runningTwin(ctx, base, slot.type,
                      slot.stepIndex ? std::to_string(*slot.stepIndex) : std::string());
  }
  if (run == nullptr) {
    std::string name = uniqueName(ctx, base);
    ctx.actions.push_back(CreateAnalysisRun{name, slot.analysis->raw, runType(slot.type),
                                            slot.stepIndex, ctx.desiredHash, ""});
    ctx.event("Normal", kEventAnalysisRunCreated,
              format("%s Analysis Run '%s' created", slot.type, name.c_str()));
    *slot.status = kube::RolloutAnalysisRunStatus{name, "", ""};
    return name;
  }
  const std::optional<Phase>& phase = run->status.phase;
  emitPhaseChange(ctx, *slot.status, *run, slot.type);
  *slot.status = statusOf(*run);
  if (phase == Phase::kFailed || phase == Phase::kError) {
    ctx.pause.addAbort = true;
    ctx.pause.abortMessage = format(slot.abortFormat, analysisRunMessage(*run).c_str());
  } else if (phase == Phase::kInconclusive) {
    ctx.pause.add.push_back(kPauseInconclusiveAnalysis);
  }
  return run->metadata.name;
}

// The current run of a blue-green slot: the one named in the status, for the desired hash.
const AnalysisRun* currentRun(const RolloutContext& ctx,
                              const std::optional<kube::RolloutAnalysisRunStatus>& st) {
  if (!st) return nullptr;
  const AnalysisRun* run = findRun(ctx, st->name);
  if (run != nullptr && run->label(kLabelPodTemplateHash) != ctx.desiredHash) return nullptr;
  return run;
}

// needsNewAnalysisRun: none yet; a resumed Inconclusive run; or a retry after an abort.
bool needsNewRun(const RolloutContext& ctx, const AnalysisRun* current) {
  if (current == nullptr) return true;
  if (resumedByUser(ctx)) return current->status.phase == Phase::kInconclusive;
  return !ctx.rollout.status.abortedAt.empty();
}

// skipPre/PostPromotionAnalysisRun, judged on the status as last written.
bool skipBlueGreenRun(const RolloutContext& ctx, bool post, const AnalysisRun* current) {
  const kube::Rollout& ro = ctx.rollout;
  const std::string hash = ctx.newRS ? ctx.newRS->podTemplateHash() : "";
  const std::string& active = ro.status.blueGreen.activeSelector;
  if (hash.empty() || ro.status.stableRS == hash) return true;
  if (post ? active != hash : (active.empty() || active == hash)) return true;
  if (current != nullptr) return false;  // a started run is not cancelled by pod churn
  const auto& prc = ro.spec.blueGreen->previewReplicaCount;
  if (!post && prc) {
    return ctx.newRS->replicas != *prc || ctx.newRS->status.availableReplicas != *prc;
  }
  return !saturated(ro, *ctx.newRS);
}

// One blue-green slot (pre- or post-promotion). Returns the run to keep running ("" if none).
std::string reconcileBlueGreenSlot(RolloutContext& ctx, bool post, int64_t revision) {
  const auto& bg = *ctx.rollout.spec.blueGreen;
  const auto& spec = post ? bg.postPromotionAnalysis : bg.prePromotionAnalysis;
  auto& status = post ? ctx.newStatus.blueGreen.postPromotionAnalysisRunStatus
                      : ctx.newStatus.blueGreen.prePromotionAnalysisRunStatus;
  const AnalysisRun* current = currentRun(ctx, status);
  const char* type = post ? kRolloutTypePostPromotion : kRolloutTypePrePromotion;
  const std::string base = ctx.rollout.metadata.name + "-" + ctx.desiredHash + "-" +
                           std::to_string(revision) + (post ? "-post" : "-pre");
  if (current == nullptr) current = runningTwin(ctx, base, type, "");
  const auto previous = status;
  status.reset();
  if (!spec || spec->templates.empty()) return "";
  if (current != nullptr) {
    emitPhaseChange(ctx, previous, *current, type);
    status = statusOf(*current);
  }
  if (skipBlueGreenRun(ctx, post, current)) return "";
  std::string keep = current ? current->metadata.name : "";
  if (!ctx.rollout.status.hasPauseCondition(kPauseInconclusiveAnalysis) &&
      needsNewRun(ctx, current)) {
    std::string name = uniqueName(ctx, base);
    ctx.actions.push_back(
        CreateAnalysisRun{name, spec->raw, runType(type), std::nullopt, ctx.desiredHash, ""});
    ctx.event("Normal", kEventAnalysisRunCreated,
              format("%s Analysis Run '%s' created", type, name.c_str()));
    status = kube::RolloutAnalysisRunStatus{name, "", ""};
    return name;
  }
  if (current == nullptr) return keep;
  // setPauseOrAbortForBlueGreen
  const std::optional<Phase>& phase = current->status.phase;
  if (phase == Phase::kInconclusive) {
    ctx.pause.add.push_back(kPauseInconclusiveAnalysis);
  } else if (phase == Phase::kFailed || phase == Phase::kError) {
    std::string msg = post ? kAbortPostPromotionAnalysis : kAbortPrePromotionAnalysis;
    const std::string detail = analysisRunMessage(*current);
    if (!detail.empty()) msg += ": " + detail;
    ctx.pause.addAbort = true;
    ctx.pause.abortMessage = msg;
  }
  return keep;
}

void terminateOthers(RolloutContext& ctx, const std::set<std::string>& keep) {
  for (const auto& r : ctx.analysisRuns) {
    if (keep.count(r.metadata.name) || finishedOrTerminated(r)) continue;
    ctx.actions.push_back(TerminateAnalysisRun{r.metadata.name});
  }
}

}  // namespace

std::optional<Phase> blueGreenRunPhase(const RolloutContext& ctx, bool post) {
  const auto& bgs = ctx.rollout.status.blueGreen;
  const AnalysisRun* run = currentRun(
      ctx, post ? bgs.postPromotionAnalysisRunStatus : bgs.prePromotionAnalysisRunStatus);
  return run ? run->status.phase : std::nullopt;
}

void planBlueGreenAnalysis(RolloutContext& ctx, bool cancelAll) {
  const int64_t revision = ctx.newRS ? ctx.newRS->revision().value_or(1) : 1;
  std::set<std::string> keep;
  if (cancelAll) {
    // The statuses keep naming the runs (now terminated), as Argo's do.
    auto& bgs = ctx.newStatus.blueGreen;
    for (auto* st : {&bgs.prePromotionAnalysisRunStatus, &bgs.postPromotionAnalysisRunStatus}) {
      const AnalysisRun* run = currentRun(ctx, *st);
      if (run != nullptr) *st = statusOf(*run);
    }
  } else {
    keep.insert(reconcileBlueGreenSlot(ctx, false, revision));
    keep.insert(reconcileBlueGreenSlot(ctx, true, revision));
  }
  terminateOthers(ctx, keep);
}

std::string analysisRunMessage(const AnalysisRun& run) {
  if (!run.status.message.empty()) return run.status.message;
  for (const auto& m : run.status.metricResults) {
    if (unsuccessful(m.phase)) {
      return "Metric \"" + m.name + "\" assessed " + kube::phaseName(m.phase);
    }
  }
  return "";
}

void planAnalysis(RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (!ro.spec.canary) return;
  const bool promoted = !ro.status.stableRS.empty() && ro.status.stableRS == ctx.desiredHash;
  const bool stop = ctx.isAborted() || promoted || ro.status.promoteFull || ctx.stableRS == nullptr;
  const int64_t revision = ctx.newRS ? ctx.newRS->revision().value_or(1) : 1;
  std::set<std::string> keep;
  kube::CanaryStatus& cs = ctx.newStatus.canary;
  CurrentStep cur = currentStep(ro);
  if (!stop && !ro.spec.paused && cur.step != nullptr && cur.step->analysis) {
    keep.insert(reconcileSlot(ctx,
                              {kRolloutTypeStep, cur.index, &*cur.step->analysis,
                               &cs.currentStepAnalysisRunStatus, kAbortStepAnalysis},
                              revision));
  } else if (cur.step == nullptr || !cur.step->analysis) {
    cs.currentStepAnalysisRunStatus.reset();
  }
  const auto& bg = ro.spec.canary->analysis;
  const bool before_start = bg && bg->startingStep && cur.index && *cur.index < *bg->startingStep;
  if (!stop && bg && !before_start) {
    keep.insert(reconcileSlot(ctx,
                              {kRolloutTypeBackground, std::nullopt, &*bg,
                               &cs.currentBackgroundAnalysisRunStatus, kAbortBackgroundAnalysis},
                              revision));
  }
  terminateOthers(ctx, keep);
}

}  // namespace vane::controller
