#include "controller/analysis.h"

#include <algorithm>
#include <set>

#include "controller/conditions.h"
#include "controller/replica_math.h"

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
  if (run == nullptr) {
    std::string base =
        ctx.rollout.metadata.name + "-" + ctx.desiredHash + "-" + std::to_string(revision);
    if (slot.stepIndex) base += "-" + std::to_string(*slot.stepIndex);
    std::string name = uniqueName(ctx, base);
    json body = {{"analysis", slot.analysis->raw},
                 {"type", slot.type},
                 {"podHash", ctx.desiredHash},
                 {"revision", revision}};
    if (slot.stepIndex) body["stepIndex"] = *slot.stepIndex;
    ctx.actions.push_back({Action::Kind::kCreateAnalysisRun, name, 0, body});
    ctx.event("Normal", kEventAnalysisRunCreated,
              format("%s Analysis Run '%s' created", slot.type, name.c_str()));
    *slot.status = kube::RolloutAnalysisRunStatus{name, "", ""};
    return name;
  }
  const std::string phase = runPhase(*run);
  *slot.status = kube::RolloutAnalysisRunStatus{runName(*run), phase, analysisRunMessage(*run)};
  if (phase == "Failed" || phase == "Error") {
    ctx.pause.addAbort = true;
    ctx.pause.abortMessage = format(slot.abortFormat, analysisRunMessage(*run).c_str());
  } else if (phase == "Inconclusive") {
    ctx.pause.add.push_back(kPauseInconclusiveAnalysis);
  }
  return runName(*run);
}

}  // namespace

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
  for (const auto& r : ctx.analysisRuns) {
    if (keep.count(runName(r)) || terminated(r) || terminalPhase(runPhase(r))) continue;
    ctx.actions.push_back({Action::Kind::kTerminateAnalysisRun, runName(r)});
  }
}

}  // namespace vane::controller
