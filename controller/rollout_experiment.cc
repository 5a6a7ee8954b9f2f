#include "controller/rollout_experiment.h"

#include <algorithm>
#include <map>

#include "analysis/args.h"
#include "controller/conditions.h"
#include "controller/experiment.h"
#include "controller/history.h"
#include "controller/replica_math.h"

namespace vane::controller {

using nlohmann::json;

namespace {

std::string str(const json& obj, const std::string& ptr) {
  auto p = json::json_pointer(ptr);
  return obj.contains(p) && obj.at(p).is_string() ? obj.at(p).get<std::string>() : "";
}
std::string exName(const json& ex) { return str(ex, "/metadata/name"); }
std::string exPhase(const json& ex) { return str(ex, "/status/phase"); }
std::string exHash(const json& ex) {
  return str(ex, std::string("/metadata/labels/") + kLabelPodTemplateHash);
}
bool exTerminated(const json& ex) {
  auto p = json::json_pointer("/spec/terminate");
  return ex.contains(p) && ex.at(p).is_boolean() && ex.at(p).get<bool>();
}

const json* findExperiment(const RolloutContext& ctx, const std::string& name) {
  if (name.empty()) return nullptr;
  for (const auto& ex : ctx.experiments) {
    if (exName(ex) == name) return &ex;
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
const json* adoptable(const RolloutContext& ctx, const std::string& base) {
  for (const auto& ex : ctx.experiments) {
    const std::string n = exName(ex), phase = exPhase(ex);
    if (n != base && n.rfind(base + "-", 0) != 0) continue;
    if (exHash(ex) != ctx.desiredHash || exTerminated(ex)) continue;
    if (phase == "Failed" || phase == "Error" || phase == "Inconclusive") continue;
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

Result<json> stepTemplate(const RolloutContext& ctx, const json& t, const std::string& path) {
  json tmpl = {{"name", t.value("name", "")}};
  if (t.contains("replicas")) tmpl["replicas"] = t["replicas"];
  if (t.contains("weight") || t.contains("service")) {
    tmpl["service"] = json::object();
    if (t.contains("service") && t["service"].is_object() &&
        !t["service"].value("name", "").empty()) {
      tmpl["service"]["name"] = t["service"]["name"];
    }
  }
  const std::string ref = t.value("specRef", "");
  const kube::ReplicaSet* rs = ref == "canary"   ? ctx.newRS
                               : ref == "stable" ? ctx.stableRS
                                                 : nullptr;
  if (ref != "canary" && ref != "stable") {
    return Status(Code::kInvalid, "Invalid template step SpecRef: must be canary or stable",
                  path + ".specRef");
  }
  if (rs == nullptr) return Status(Code::kNotFound, "no " + ref + " ReplicaSet yet", path);
  json pod = rs->template_;
  json selector =
      t.contains("selector") && t["selector"].is_object() ? t["selector"] : rs->selector;
  if (!selector.is_object()) selector = json::object();
  if (rs->minReadySeconds > 0) tmpl["minReadySeconds"] = rs->minReadySeconds;
  const json meta = t.value("metadata", json::object());
  if (meta.is_object()) {
    const json labels = meta.value("labels", json::object());
    const json annotations = meta.value("annotations", json::object());
    for (const auto& [k, v] : labels.items()) {
      pod["metadata"]["labels"][k] = v;
      selector["matchLabels"][k] = v;
    }
    for (const auto& [k, v] : annotations.items()) pod["metadata"]["annotations"][k] = v;
  }
  tmpl["template"] = pod;
  tmpl["selector"] = selector;
  return tmpl;
}

void terminate(RolloutContext& ctx, const json& ex) {
  if (exTerminated(ex) || experimentCompleted(exPhase(ex))) return;
  ctx.actions.push_back(TerminateExperiment{exName(ex)});
}

}  // namespace

Result<json> experimentFromStep(const RolloutContext& ctx, const std::string& name) {
  const kube::Rollout& ro = ctx.rollout;
  CurrentStep cur = currentStep(ro);
  if (cur.step == nullptr || !cur.step->experiment) {
    return Status(Code::kInvalid, "the current step is not an experiment step");
  }
  const json& step = *cur.step->experiment;
  const std::string path =
      "spec.strategy.canary.steps[" + std::to_string(*cur.index) + "].experiment";
  json labels = json::object();
  for (const auto& [k, v] : ro.metadata.labels) labels[k] = v;
  labels[kLabelPodTemplateHash] = ctx.desiredHash;
  json spec = {{"templates", json::array()}};
  if (step.contains("duration")) spec["duration"] = step["duration"];
  if (ro.spec.progressDeadlineSeconds) {
    spec["progressDeadlineSeconds"] = *ro.spec.progressDeadlineSeconds;
  }
  for (const char* k : {"dryRun", "analysisRunMetadata", "scaleDownDelaySeconds"}) {
    if (step.contains(k)) spec[k] = step[k];
  }
  const json templates = step.value("templates", json::array());
  for (size_t i = 0; i < templates.size(); ++i) {
    auto t = stepTemplate(ctx, templates[i], path + ".templates[" + std::to_string(i) + "]");
    if (!t) return t.status();
    spec["templates"].push_back(*t);
  }
  const json analyses = step.value("analyses", json::array());
  for (size_t i = 0; i < analyses.size(); ++i) {
    const json& a = analyses[i];
    json ref = {{"name", a.value("name", "")}, {"templateName", a.value("templateName", "")}};
    if (a.value("clusterScope", false)) ref["clusterScope"] = true;
    if (a.value("requiredForCompletion", false)) ref["requiredForCompletion"] = true;
    auto args = stepArgs(ctx, a.value("args", json::array()),
                         path + ".analyses[" + std::to_string(i) + "]");
    if (!args) return args.status();
    if (!args->empty()) ref["args"] = *args;
    spec["analyses"].push_back(ref);
  }
  return json{{"apiVersion", "argoproj.io/v1alpha1"},
              {"kind", "Experiment"},
              {"metadata",
               {{"name", name},
                {"namespace", ro.metadata.namespace_},
                {"labels", labels},
                {"annotations", {{kAnnotationRevision, revisionOf(ctx)}}},
                {"ownerReferences",
                 kube::controllerOwnerRefs("Rollout", ro.metadata.name, ro.metadata.uid)}}},
              {"spec", spec}};
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
  json& cs = ctx.newStatus.canary.rest;
  if (!cs.is_object()) cs = json::object();
  const std::string named = cs.value("currentExperiment", "");
  cs.erase("currentExperiment");
  if (ctx.isAborted() || ro.status.promoteFull) {
    for (const auto& ex : ctx.experiments) terminate(ctx, ex);
    return;
  }
  const json* current = findExperiment(ctx, named);
  if (current != nullptr && exHash(*current) != ctx.desiredHash) current = nullptr;
  if (ro.status.hasPauseCondition(kPauseInconclusiveAnalysis) ||
      ro.status.hasPauseCondition(kPauseInconclusiveExperiment)) {
    if (!named.empty()) cs["currentExperiment"] = named;
    ctx.currentExperiment = current;
    return;
  }
  // A resumed Inconclusive experiment (the user cleared the pause) is replaced by a new one.
  if (current != nullptr && exPhase(*current) == "Inconclusive" && ro.status.controllerPause) {
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
        cs["currentExperiment"] = name;
      }
    } else if (current != nullptr) {
      const std::string phase = exPhase(*current);
      if (phase == "Inconclusive") {
        ctx.pause.add.push_back(kPauseInconclusiveExperiment);
        cs["currentExperiment"] = exName(*current);
      } else if (phase == "Failed" || phase == "Error") {
        std::string msg = kAbortExperiment;
        const std::string detail = str(*current, "/status/message");
        if (!detail.empty()) msg += ": " + detail;
        ctx.pause.addAbort = true;
        ctx.pause.abortMessage = msg;
      } else if (phase != "Successful") {
        cs["currentExperiment"] = exName(*current);
      }
    }
  }
  ctx.currentExperiment = step ? current : nullptr;
  std::vector<const json*> others;
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
                                             const std::vector<const json*>& others,
                                             int32_t successful, int32_t unsuccessful) {
  const std::map<std::string, bool> rs_hashes = replicaSetHashes(ctx);
  std::vector<const json*> sorted = others;
  std::sort(sorted.begin(), sorted.end(), [](const json* a, const json* b) {  // newest first
    const int64_t ta = kube::parseTime(str(*a, "/metadata/creationTimestamp")).value_or(0);
    const int64_t tb = kube::parseTime(str(*b, "/metadata/creationTimestamp")).value_or(0);
    return ta != tb ? ta > tb : exName(*a) > exName(*b);
  });
  int32_t kept_successful = 0, kept_unsuccessful = 0;
  std::vector<std::string> out;
  for (const json* ex : sorted) {
    auto labels = json::json_pointer("/metadata/labels");
    const bool labelled = ex->contains(labels) && ex->at(labels).is_object() &&
                          ex->at(labels).contains(kLabelPodTemplateHash);
    auto rs = labelled ? rs_hashes.find(exHash(*ex)) : rs_hashes.end();
    const std::string phase = exPhase(*ex);
    bool remove = false;
    if (rs == rs_hashes.end() || rs->second) {
      remove = true;
    } else if (phase == "Successful") {
      remove = kept_successful++ >= successful;
    } else if (phase == "Failed" || phase == "Error" || phase == "Inconclusive") {
      remove = kept_unsuccessful++ >= unsuccessful;
    }
    if (remove && str(*ex, "/metadata/deletionTimestamp").empty()) out.push_back(exName(*ex));
  }
  return out;
}

std::vector<kube::WeightDestination> experimentWeightDestinations(const RolloutContext& ctx) {
  std::vector<kube::WeightDestination> out;
  CurrentStep cur = currentStep(ctx.rollout);
  if (cur.step == nullptr || ctx.currentExperiment == nullptr) return out;
  if (exPhase(*ctx.currentExperiment) != "Running") return out;
  const json* step = nullptr;  // GetCurrentExperimentStep
  for (int32_t i = *cur.index; i >= 0 && step == nullptr; --i) {
    const auto& s = ctx.rollout.spec.canary->steps[i];
    if (s.experiment && s.experiment->is_object()) step = &*s.experiment;
  }
  if (step == nullptr) return out;
  const json templates = step->value("templates", json::array());
  auto p = json::json_pointer("/status/templateStatuses");
  if (!ctx.currentExperiment->contains(p) || !ctx.currentExperiment->at(p).is_array()) return out;
  for (const auto& ts : ctx.currentExperiment->at(p)) {
    const std::string name = ts.value("name", "");
    for (const auto& t : templates) {
      if (!t.is_object() || t.value("name", "") != name) continue;
      if (!t.contains("weight") || !t["weight"].is_number_integer()) continue;
      kube::WeightDestination d;
      d.weight = t["weight"].get<int32_t>();
      d.serviceName = ts.value("serviceName", "");
      d.podTemplateHash = ts.value("podTemplateHash", "");
      if (!d.serviceName.empty()) out.push_back(d);
    }
  }
  return out;
}

bool experimentStepCompleted(const RolloutContext& ctx) {
  return ctx.currentExperiment != nullptr && exPhase(*ctx.currentExperiment) == "Successful";
}

}  // namespace vane::controller
