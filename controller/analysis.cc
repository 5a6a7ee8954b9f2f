#include "controller/analysis.h"

#include <algorithm>
#include <set>

#include "controller/conditions.h"
#include "controller/replica_math.h"
#include "controller/replicaset.h"

namespace vane::controller {

using nlohmann::json;

namespace {

std::string str(const json& obj, const json::json_pointer& p) {
  return obj.contains(p) && obj.at(p).is_string() ? obj.at(p).get<std::string>() : "";
}
std::string runName(const json& r) { return str(r, json::json_pointer("/metadata/name")); }
std::string runPhase(const json& r) { return str(r, json::json_pointer("/status/phase")); }
std::string runLabel(const json& r, const std::string& key) {
  return str(r, json::json_pointer("/metadata/labels/" + key));
}
bool terminalPhase(const std::string& p) {
  return p == "Successful" || p == "Failed" || p == "Error" || p == "Inconclusive";
}
bool terminated(const json& r) {
  auto p = json::json_pointer("/spec/terminate");
  return r.contains(p) && r.at(p).is_boolean() && r.at(p).get<bool>();
}

const json* findRun(const RolloutContext& ctx, const std::string& name) {
  for (const auto& r : ctx.analysisRuns) {
    if (runName(r) == name) return &r;
  }
  return nullptr;
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
const json* runningTwin(const RolloutContext& ctx, const std::string& base, const std::string& type,
                        const std::string& step_index) {
  for (const json& r : ctx.analysisRuns) {
    const std::string n = runName(r);
    if ((n == base || n.rfind(base + ".", 0) == 0) && !terminated(r) &&
        !terminalPhase(runPhase(r)) && runLabel(r, kLabelPodTemplateHash) == ctx.desiredHash &&
        runLabel(r, kLabelRolloutType) == type &&
        (step_index.empty() || runLabel(r, kLabelStepIndex) == step_index)) {
      return &r;
    }
  }
  return nullptr;
}

// emitAnalysisRunStatusChanges (rollout/analysis.go): an "AnalysisRun<Phase>" event when a run's
// phase differs from the one the status recorded for it; notifications' on-analysis-run-* triggers.
void emitPhaseChange(RolloutContext& ctx, const std::optional<kube::RolloutAnalysisRunStatus>& prev,
                     const json& run, const char* type) {
  const std::string phase = runPhase(run), name = runName(run);
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
  const json* run = nullptr;
  if (*slot.status) run = findRun(ctx, (*slot.status)->name);
  // A run of another step/hash (e.g. after promote skipped a step) is not the current one.
  if (run != nullptr &&
      (runLabel(*run, kLabelPodTemplateHash) != ctx.desiredHash ||
       (slot.stepIndex && runLabel(*run, kLabelStepIndex) != std::to_string(*slot.stepIndex)))) {
    run = nullptr;
  }
  // An Inconclusive run the user resumed (pause condition cleared) is replaced by a new run.
  const auto& st = ctx.rollout.status;
  if (run != nullptr && runPhase(*run) == "Inconclusive" && st.controllerPause &&
      !st.hasPauseCondition(kPauseInconclusiveAnalysis)) {
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
  const std::string phase = runPhase(*run);
  emitPhaseChange(ctx, *slot.status, *run, slot.type);
  *slot.status = kube::RolloutAnalysisRunStatus{runName(*run), phase, analysisRunMessage(*run)};
  if (phase == "Failed" || phase == "Error") {
    ctx.pause.addAbort = true;
    ctx.pause.abortMessage = format(slot.abortFormat, analysisRunMessage(*run).c_str());
  } else if (phase == "Inconclusive") {
    ctx.pause.add.push_back(kPauseInconclusiveAnalysis);
  }
  return runName(*run);
}

kube::RolloutAnalysisRunStatus statusOf(const json& run) {
  return {runName(run), runPhase(run), analysisRunMessage(run)};
}

// The current run of a blue-green slot: the one named in the status, for the desired hash.
const json* currentRun(const RolloutContext& ctx,
                       const std::optional<kube::RolloutAnalysisRunStatus>& st) {
  if (!st) return nullptr;
  const json* run = findRun(ctx, st->name);
  if (run != nullptr && runLabel(*run, kLabelPodTemplateHash) != ctx.desiredHash) return nullptr;
  return run;
}

// needsNewAnalysisRun: none yet; a resumed Inconclusive run; or a retry after an abort.
bool needsNewRun(const RolloutContext& ctx, const json* current) {
  if (current == nullptr) return true;
  const auto& st = ctx.rollout.status;
  if (st.controllerPause && !st.hasPauseCondition(kPauseCanaryStep) &&
      !st.hasPauseCondition(kPauseBlueGreen)) {
    return runPhase(*current) == "Inconclusive";
  }
  return !st.abortedAt.empty();
}

// skipPre/PostPromotionAnalysisRun, judged on the status as last written.
bool skipBlueGreenRun(const RolloutContext& ctx, bool post, const json* current) {
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
  const json* current = currentRun(ctx, status);
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
  std::string keep = current ? runName(*current) : "";
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
  const std::string phase = runPhase(*current);
  if (phase == "Inconclusive") {
    ctx.pause.add.push_back(kPauseInconclusiveAnalysis);
  } else if (phase == "Failed" || phase == "Error") {
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
    if (keep.count(runName(r)) || terminated(r) || terminalPhase(runPhase(r))) continue;
    ctx.actions.push_back(TerminateAnalysisRun{runName(r)});
  }
}

}  // namespace

std::string blueGreenRunPhase(const RolloutContext& ctx, bool post) {
  const auto& bgs = ctx.rollout.status.blueGreen;
  const json* run = currentRun(
      ctx, post ? bgs.postPromotionAnalysisRunStatus : bgs.prePromotionAnalysisRunStatus);
  return run ? runPhase(*run) : "";
}

void planBlueGreenAnalysis(RolloutContext& ctx, bool cancelAll) {
  const int64_t revision = ctx.newRS ? ctx.newRS->revision().value_or(1) : 1;
  std::set<std::string> keep;
  if (cancelAll) {
    // The statuses keep naming the runs (now terminated), as Argo's do.
    auto& bgs = ctx.newStatus.blueGreen;
    for (auto* st : {&bgs.prePromotionAnalysisRunStatus, &bgs.postPromotionAnalysisRunStatus}) {
      const json* run = currentRun(ctx, *st);
      if (run != nullptr) *st = statusOf(*run);
    }
  } else {
    keep.insert(reconcileBlueGreenSlot(ctx, false, revision));
    keep.insert(reconcileBlueGreenSlot(ctx, true, revision));
  }
  terminateOthers(ctx, keep);
}

std::string analysisRunMessage(const json& run) {
  std::string msg = str(run, json::json_pointer("/status/message"));
  if (!msg.empty()) return msg;
  auto p = json::json_pointer("/status/metricResults");
  if (run.contains(p) && run.at(p).is_array()) {
    for (const auto& m : run.at(p)) {
      std::string phase = m.value("phase", "");
      if (phase == "Failed" || phase == "Error" || phase == "Inconclusive") {
        return "Metric \"" + m.value("name", "") + "\" assessed " + phase;
      }
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
