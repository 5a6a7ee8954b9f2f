#include "controller/rollout_experiment.h"

#include <algorithm>
#include <map>

#include "analysis/args.h"
#include "analysis/types.h"
#include "controller/conditions.h"
#include "controller/experiment.h"
#include "controller/history.h"
#include "controller/replica_math.h"

namespace vane::controller {

using nlohmann::json;

namespace {

using analysis::Phase;
using kube::Experiment;

bool isUnsuccessful(const std::optional<Phase>& p) {
  return p == Phase::kFailed || p == Phase::kError || p == Phase::kInconclusive;
}

const Experiment* findExperiment(const RolloutContext& ctx, const std::string& name) {
  if (name.empty()) return nullptr;
  for (const auto& ex : ctx.experiments) {
    if (ex.metadata.name == name) return &ex;
  }
  return nullptr;
}

std::string revisionOf(const RolloutContext& ctx) {
  auto it = ctx.rollout.metadata.annotations.find(kAnnotationRevision);
  if (it != ctx.rollout.metadata.annotations.end() && !it->second.empty()) return it->second;
  return ctx.newRS && ctx.newRS->revision() ? std::to_string(*ctx.newRS->revision()) : "";
}

std::string baseName(const RolloutContext& ctx, int32_t step_index) {
  return ctx.rollout.metadata.name + "-" + ctx.desiredHash + "-" + revisionOf(ctx) + "-" +
         std::to_string(step_index);
}

// The Experiment of this step when status.canary.currentExperiment lost its name (a stale read,
// a restart): one of ours for the hash, not terminated and not gone bad.
const Experiment* adoptable(const RolloutContext& ctx, const std::string& base) {
  for (const auto& ex : ctx.experiments) {
    const std::string& n = ex.metadata.name;
    if (n != base && n.rfind(base + "-", 0) != 0) continue;
    if (ex.label(kLabelPodTemplateHash) != ctx.desiredHash || ex.spec.terminate) continue;
    if (isUnsuccessful(ex.status.phase)) continue;
    return &ex;
  }
  return nullptr;
}

// The step's analysis args as a Rollout run resolves them (BuildArgumentsForRolloutAnalysisRun):
// podTemplateHashValue Stable/Latest become values; fieldRef is resolved when executed.
Result<json> stepArgs(const RolloutContext& ctx, const json& args, const std::string& path) {
  json out = json::array();
  if (!args.is_array()) return out;
  for (size_t i = 0; i < args.size(); ++i) {
    json a = args[i];
    auto p = json::json_pointer("/valueFrom/podTemplateHashValue");
    if (a.is_object() && a.contains(p)) {
      const std::string which = a.at(p).is_string() ? a.at(p).get<std::string>() : "";
      const kube::ReplicaSet* rs = which == "Stable"   ? ctx.stableRS
                                   : which == "Latest" ? ctx.newRS
                                                       : nullptr;
      if (which != "Stable" && which != "Latest") {
        return Status(Code::kInvalid, "podTemplateHashValue must be Stable or Latest",
                      path + ".args[" + std::to_string(i) + "].valueFrom.podTemplateHashValue");
      }
      a.erase("valueFrom");
      a["value"] = rs ? rs->podTemplateHash() : "";
    }
    out.push_back(a);
  }
  return out;
}

Result<kube::ExperimentTemplate> stepTemplate(const RolloutContext& ctx,
                                              const kube::RolloutExperimentTemplate& t,
                                              const std::string& path) {
  kube::ExperimentTemplate tmpl;
  tmpl.name = t.name;
  tmpl.replicas = t.replicas;
  if (t.weight || t.service) tmpl.service = kube::TemplateService{t.service ? t.service->name : ""};
  const kube::ReplicaSet* rs = t.specRef == "canary"   ? ctx.newRS
                               : t.specRef == "stable" ? ctx.stableRS
                                                       : nullptr;
  if (t.specRef != "canary" && t.specRef != "stable") {
    return Status(Code::kInvalid, "Invalid template step SpecRef: must be canary or stable",
                  path + ".specRef");
  }
  if (rs == nullptr) return Status(Code::kNotFound, "no " + t.specRef + " ReplicaSet yet", path);
  json pod = rs->template_;
  json selector = t.selector.is_object() ? t.selector : rs->selector;
  if (!selector.is_object()) selector = json::object();
  tmpl.minReadySeconds = rs->minReadySeconds > 0 ? rs->minReadySeconds : 0;
  for (const auto& [k, v] : t.metadata.labels) {
    pod["metadata"]["labels"][k] = v;
    selector["matchLabels"][k] = v;
  }
  for (const auto& [k, v] : t.metadata.annotations) pod["metadata"]["annotations"][k] = v;
  tmpl.template_ = pod;
  tmpl.selector = selector;
  return tmpl;
}

void terminate(RolloutContext& ctx, const Experiment& ex) {
  if (ex.spec.terminate || ex.completed()) return;
  ctx.actions.push_back(TerminateExperiment{ex.metadata.name});
}

}  // namespace

Result<json> experimentFromStep(const RolloutContext& ctx, const std::string& name) {
  const kube::Rollout& ro = ctx.rollout;
  CurrentStep cur = currentStep(ro);
  if (cur.step == nullptr || !cur.step->experiment) {
    return Status(Code::kInvalid, "the current step is not an experiment step");
  }
  const std::string path =
      "spec.strategy.canary.steps[" + std::to_string(*cur.index) + "].experiment";
  auto step = kube::decodeRolloutExperimentStep(*cur.step->experiment, path);
  if (!step) return step.status();
  Experiment ex;
  ex.metadata.name = name;
  ex.metadata.namespace_ = ro.metadata.namespace_;
  ex.metadata.labels = ro.metadata.labels;
  ex.metadata.labels[kLabelPodTemplateHash] = ctx.desiredHash;
  ex.metadata.annotations[kAnnotationRevision] = revisionOf(ctx);
  ex.metadata.ownerReferences =
      kube::controllerOwnerRefs("Rollout", ro.metadata.name, ro.metadata.uid);
  kube::ExperimentSpec& spec = ex.spec;
  spec.durationRaw = step->duration;
  spec.progressDeadlineSeconds = ro.spec.progressDeadlineSeconds;
  spec.dryRun = step->dryRun;
  spec.analysisRunMetadata = step->analysisRunMetadata;
  spec.scaleDownDelaySeconds = step->scaleDownDelaySeconds;
  for (size_t i = 0; i < step->templates.size(); ++i) {
    auto t = stepTemplate(ctx, step->templates[i], path + ".templates[" + std::to_string(i) + "]");
    if (!t) return t.status();
    spec.templates.push_back(std::move(*t));
  }
  for (size_t i = 0; i < step->analyses.size(); ++i) {
    kube::ExperimentAnalysis a = step->analyses[i];
    auto args = stepArgs(ctx, a.args, path + ".analyses[" + std::to_string(i) + "]");
    if (!args) return args.status();
    a.args = std::move(*args);
    spec.analyses.push_back(std::move(a));
  }
  return kube::toJson(ex);
}

Status resolveExperimentFieldRefs(json& experiment, const json& rollout) {
  auto p = json::json_pointer("/spec/analyses");
  if (!experiment.contains(p) || !experiment.at(p).is_array()) return Status::ok();
  for (auto& a : experiment.at(p)) {
    if (!a.contains("args") || !a["args"].is_array()) continue;
    for (auto& arg : a["args"]) {
      auto f = json::json_pointer("/valueFrom/fieldRef/fieldPath");
      if (!arg.is_object() || !arg.contains(f) || !arg.at(f).is_string()) continue;
      auto v = analysis::resolveFieldPath(rollout, arg.at(f).get<std::string>());
      if (!v) {
        return Status(Code::kInvalid, v.status().message(),
                      "args." + arg.value("name", "") + ".valueFrom.fieldRef");
      }
      arg.erase("valueFrom");
      arg["value"] = *v;
    }
  }
  return Status::ok();
}

void planExperiments(RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  std::string& tracked = ctx.newStatus.canary.currentExperiment;
  const std::string named = tracked;
  tracked.clear();
  if (ctx.isAborted() || ro.status.promoteFull) {
    for (const auto& ex : ctx.experiments) terminate(ctx, ex);
    return;
  }
  const Experiment* current = findExperiment(ctx, named);
  if (current != nullptr && current->label(kLabelPodTemplateHash) != ctx.desiredHash) {
    current = nullptr;
  }
  if (ro.status.hasPauseCondition(kPauseInconclusiveAnalysis) ||
      ro.status.hasPauseCondition(kPauseInconclusiveExperiment)) {
    tracked = named;
    ctx.currentExperiment = current;
    return;
  }
  // A resumed Inconclusive experiment (the user cleared the pause) is replaced by a new one.
  if (current != nullptr && current->status.phase == Phase::kInconclusive &&
      ro.status.controllerPause) {
    current = nullptr;
  }
  CurrentStep cur = currentStep(ro);
  const bool step = cur.step != nullptr && cur.step->experiment.has_value();
  if (step) {
    const std::string base = baseName(ctx, *cur.index);
    if (current == nullptr) current = adoptable(ctx, base);
    if (current == nullptr && ctx.stableRS != nullptr && ctx.newRS != nullptr) {
      std::string name = base;
      for (int i = 1; findExperiment(ctx, name) != nullptr; ++i) {
        name = base + "-" + std::to_string(i);
      }
      auto ex = experimentFromStep(ctx, name);
      if (!ex) {
        ctx.event("Warning", "ExperimentError", ex.status().toString());
      } else {
        ctx.actions.push_back(CreateExperiment{name, *ex});
        ctx.event("Normal", kEventExperimentCreated,
                  format("Created Experiment '%s'", name.c_str()));
        tracked = name;
      }
    } else if (current != nullptr) {
      const std::optional<Phase>& phase = current->status.phase;
      if (phase == Phase::kInconclusive) {
        ctx.pause.add.push_back(kPauseInconclusiveExperiment);
        tracked = current->metadata.name;
      } else if (phase == Phase::kFailed || phase == Phase::kError) {
        std::string msg = kAbortExperiment;
        if (!current->status.message.empty()) msg += ": " + current->status.message;
        ctx.pause.addAbort = true;
        ctx.pause.abortMessage = msg;
      } else if (phase != Phase::kSuccessful) {
        tracked = current->metadata.name;
      }
    }
  }
  ctx.currentExperiment = step ? current : nullptr;
  std::vector<const Experiment*> others;
  for (const auto& ex : ctx.experiments) {
    if (step && current == &ex) continue;
    terminate(ctx, ex);
    others.push_back(&ex);
  }
  const int32_t successful = ro.spec.successfulRunHistoryLimit.value_or(kExperimentHistoryLimit);
  const int32_t unsuccessful =
      ro.spec.unsuccessfulRunHistoryLimit.value_or(kExperimentHistoryLimit);
  for (const std::string& name : experimentsToDelete(ctx, others, successful, unsuccessful)) {
    ctx.actions.push_back(DeleteExperiment{name});
  }
}

std::vector<std::string> experimentsToDelete(const RolloutContext& ctx,
                                             const std::vector<const Experiment*>& others,
                                             int32_t successful, int32_t unsuccessful) {
  const std::map<std::string, bool> rs_hashes = replicaSetHashes(ctx);
  std::vector<const Experiment*> sorted = others;
  std::sort(sorted.begin(), sorted.end(),
            [](const Experiment* a, const Experiment* b) {  // newest first
              const int64_t ta = kube::parseTime(a->metadata.creationTimestamp).value_or(0);
              const int64_t tb = kube::parseTime(b->metadata.creationTimestamp).value_or(0);
              return ta != tb ? ta > tb : a->metadata.name > b->metadata.name;
            });
  int32_t kept_successful = 0, kept_unsuccessful = 0;
  std::vector<std::string> out;
  for (const Experiment* ex : sorted) {
    const bool labelled = ex->metadata.labels.count(kLabelPodTemplateHash) > 0;
    auto rs = labelled ? rs_hashes.find(ex->label(kLabelPodTemplateHash)) : rs_hashes.end();
    const std::optional<Phase>& phase = ex->status.phase;
    bool remove = false;
    if (rs == rs_hashes.end() || rs->second) {
      remove = true;
    } else if (phase == Phase::kSuccessful) {
      remove = kept_successful++ >= successful;
    } else if (isUnsuccessful(phase)) {
      remove = kept_unsuccessful++ >= unsuccessful;
    }
    if (remove && ex->metadata.deletionTimestamp.empty()) out.push_back(ex->metadata.name);
  }
  return out;
}

std::vector<kube::WeightDestination> experimentWeightDestinations(const RolloutContext& ctx) {
  std::vector<kube::WeightDestination> out;
  CurrentStep cur = currentStep(ctx.rollout);
  if (cur.step == nullptr || ctx.currentExperiment == nullptr) return out;
  if (ctx.currentExperiment->status.phase != Phase::kRunning) return out;
  const json* step = nullptr;  // GetCurrentExperimentStep
  for (int32_t i = *cur.index; i >= 0 && step == nullptr; --i) {
    const auto& s = ctx.rollout.spec.canary->steps[i];
    if (s.experiment && s.experiment->is_object()) step = &*s.experiment;
  }
  if (step == nullptr) return out;
  // A step that does not decode routes nothing (its create reported the bad field).
  auto decoded = kube::decodeRolloutExperimentStep(*step, "experiment");
  if (!decoded) return out;
  for (const kube::TemplateStatus& ts : ctx.currentExperiment->status.templateStatuses) {
    for (const auto& t : decoded->templates) {
      if (t.name != ts.name || !t.weight) continue;
      kube::WeightDestination d{*t.weight, ts.serviceName, ts.podTemplateHash};
      if (!d.serviceName.empty()) out.push_back(d);
    }
  }
  return out;
}

bool experimentStepCompleted(const RolloutContext& ctx) {
  return ctx.currentExperiment != nullptr &&
         ctx.currentExperiment->status.phase == Phase::kSuccessful;
}

}  // namespace vane::controller
