#include "controller/experiment.h"

#include <algorithm>
#include <set>

#include "analysis/types.h"
#include "controller/analysis.h"
#include "controller/conditions.h"
#include "controller/hash.h"
#include "kube/json_access.h"

namespace vane::controller {

using analysis::Phase;
using kube::TemplateStatusCode;
using nlohmann::json;

namespace {

json experimentOwnerRefs(const kube::Experiment& ex) {
  return kube::controllerOwnerRefs("Experiment", ex.metadata.name, ex.metadata.uid);
}

bool templateCompleted(const std::optional<TemplateStatusCode>& s) {
  return s && kube::isCompleted(*s);
}
bool phaseCompleted(const std::optional<Phase>& p) { return p && analysis::isCompleted(*p); }
bool phaseIn(const std::optional<Phase>& p, std::initializer_list<Phase> set) {
  return p && std::find(set.begin(), set.end(), *p) != set.end();
}
std::string templateName(const std::optional<TemplateStatusCode>& s) {
  return s ? std::string(kube::templateStatusName(*s)) : std::string();
}

// PassedDurations: the end of the run, availableAt + spec.duration (nullopt: none).
std::optional<int64_t> durationEnd(const kube::Experiment& ex, const kube::ExperimentStatus& s) {
  auto available = kube::parseTime(s.availableAt);
  if (!ex.spec.duration || !available) return std::nullopt;
  return *available + *ex.spec.duration;
}

bool hasRequiredAnalyses(const kube::Experiment& ex) {
  return std::any_of(ex.spec.analyses.begin(), ex.spec.analyses.end(),
                     [](const auto& a) { return a.requiredForCompletion; });
}

bool requiredAnalysesSuccessful(const kube::Experiment& ex, const kube::ExperimentStatus& s) {
  bool any = false, all = true;
  for (const auto& a : ex.spec.analyses) {
    if (!a.requiredForCompletion) continue;
    any = true;
    const auto* st = s.analysisRun(a.name);
    if (st == nullptr || st->phase != Phase::kSuccessful) all = false;
  }
  return any && all;
}

// IsTerminating (utils/experiment): terminate requested, finished, a template or an analysis
// gone bad, or every required analysis Successful.
bool isTerminating(const kube::Experiment& ex, const kube::ExperimentStatus& s) {
  if (ex.spec.terminate || phaseCompleted(s.phase)) return true;
  for (const auto& ts : s.templateStatuses) {
    if (ts.status == TemplateStatusCode::kFailed || ts.status == TemplateStatusCode::kError) {
      return true;
    }
  }
  for (const auto& r : s.analysisRuns) {
    if (phaseIn(r.phase, {Phase::kFailed, Phase::kError, Phase::kInconclusive})) return true;
  }
  return requiredAnalysesSuccessful(ex, s);
}

int32_t desiredReplicas(const kube::ExperimentStatus& s, const kube::ExperimentTemplate& tmpl,
                        bool terminating) {
  if (terminating) return 0;
  const kube::TemplateStatus* ts = s.templateStatus(tmpl.name);
  if (ts != nullptr && templateCompleted(ts->status)) return 0;
  return tmpl.replicasOrDefault();
}

// Worst-wins over template statuses: Successful < Running < Progressing < Error < Failed.
int templateRank(TemplateStatusCode s) {
  switch (s) {
    case TemplateStatusCode::kSuccessful:
      return 0;
    case TemplateStatusCode::kRunning:
      return 1;
    case TemplateStatusCode::kProgressing:
      return 2;
    case TemplateStatusCode::kError:
      return 3;
    case TemplateStatusCode::kFailed:
      return 4;
  }
  return 0;
}

int32_t deadlineSeconds(const kube::Experiment& ex) {
  return ex.spec.progressDeadlineSeconds.value_or(kExperimentProgressDeadlineSeconds);
}

// addScaleDownDelay + scaleTemplateRS (experiments/replicaset.go): a template going to 0 first
// gets the scale-down-deadline annotation (now + spec.scaleDownDelaySeconds, default 30; 0 removes
// it) and keeps its replicas until then (one already at 0 stays there). Returns the replicas to
// scale to now.
int32_t delayedScaleDown(ExperimentContext& ctx, const kube::ExperimentTemplate& tmpl,
                         const kube::ReplicaSet& rs, int32_t current) {
  const std::string& rs_name = rs.metadata.name;
  const int32_t delay =
      ctx.experiment.spec.scaleDownDelaySeconds.value_or(kExperimentScaleDownDelaySeconds);
  std::string deadline = rs.annotation(kAnnotationScaleDownDeadline);
  if (delay == 0) {
    if (!deadline.empty()) {
      ctx.actions.push_back(
          AnnotateReplicaSet{rs_name, json{{kAnnotationScaleDownDeadline, nullptr}}});
    }
    return 0;
  }
  if (deadline.empty()) {
    deadline = kube::formatTime(ctx.now + delay);
    ctx.actions.push_back(
        AnnotateReplicaSet{rs_name, json{{kAnnotationScaleDownDeadline, deadline}}});
  }
  if (current == 0) return 0;
  auto at = kube::parseTime(deadline);
  if (!at || *at <= ctx.now) return 0;  // unreadable (Argo logs it) or reached
  if (!ctx.requeueAt || *at < *ctx.requeueAt) ctx.requeueAt = *at;
  return tmpl.replicasOrDefault();
}

// experiments/experiment.go reconcileTemplate: a running template with `service` gets its
// Service; once the template is scaled down and its pods are gone (or `service` was removed) the
// Service is deleted and serviceName/podTemplateHash cleared.
void reconcileTemplateService(ExperimentContext& ctx, const kube::ExperimentTemplate& tmpl,
                              const kube::ReplicaSet& rs, int32_t desired,
                              kube::TemplateStatus& ts) {
  auto found = ctx.templateServices.find(tmpl.name);
  const kube::Service* svc = found == ctx.templateServices.end() ? nullptr : &found->second;
  auto drop = [&] {
    if (svc == nullptr) return;
    ctx.actions.push_back(DeleteService{svc->metadata.name});
    ts.serviceName.clear();
    ts.podTemplateHash.clear();
  };
  if (!tmpl.service) return drop();
  if (desired == 0) {
    if (rs.status.availableReplicas == 0) drop();
    return;
  }
  const std::string hash = rs.podTemplateHash();
  if (svc != nullptr) {
    ts.serviceName = svc->metadata.name;
    ts.podTemplateHash = hash;
    return;
  }
  auto body = experimentService(ctx.experiment, tmpl, rs);
  if (!body) return;
  const std::string name = kube::strAt(*body, "/metadata/name");
  ctx.actions.push_back(CreateService{name, tmpl.name, *body});
  ts.serviceName = name;
  ts.podTemplateHash = hash;
}

void reconcileTemplate(ExperimentContext& ctx, const kube::ExperimentTemplate& tmpl,
                       bool terminating) {
  const kube::Experiment& ex = ctx.experiment;
  const kube::ExperimentStatus& old = ex.status;
  const std::string& name = tmpl.name;
  const kube::TemplateStatus* found = old.templateStatus(name);
  kube::TemplateStatus ts;
  ts.name = name;
  if (found) ts = *found;
  const kube::TemplateStatus prev = ts;
  const int32_t desired = desiredReplicas(old, tmpl, terminating);
  const std::string now = kube::formatTime(ctx.now);
  auto it = ctx.templateRSs.find(name);
  const kube::ReplicaSet* rs = it == ctx.templateRSs.end() ? nullptr : &it->second;
  if (rs == nullptr) {
    json body = experimentReplicaSet(ex, tmpl, desired);
    ctx.actions.push_back(CreateReplicaSet{body});
    ts.lastTransitionTime = now;
  } else {
    reconcileTemplateService(ctx, tmpl, *rs, desired, ts);
    // (Vane) lastTransitionTime moves only with a scale: Argo also moves it on every pass of a
    // delayed scale-down, which would rewrite the status once a second.
    const int32_t current = rs->replicas;
    const int32_t target = desired == 0 ? delayedScaleDown(ctx, tmpl, *rs, current) : desired;
    if (current != target) {
      ctx.actions.push_back(ScaleReplicaSet{rs->metadata.name, target});
      ts.lastTransitionTime = now;
    }
  }
  const int32_t replicas = rs ? rs->status.replicas : 0;
  const int32_t ready = rs ? rs->status.readyReplicas : 0;
  const int32_t available = rs ? rs->status.availableReplicas : 0;
  if (prev.replicas != replicas || prev.readyReplicas != ready ||
      prev.availableReplicas != available || prev.updatedReplicas != replicas) {
    ts.lastTransitionTime = now;
  }
  ts.replicas = replicas;
  ts.updatedReplicas = replicas;
  ts.readyReplicas = ready;
  ts.availableReplicas = available;
  if (!templateCompleted(ts.status)) {
    if (desired == available) {
      auto end = durationEnd(ex, old);
      ts.status = (end && ctx.now > *end) || terminating ? TemplateStatusCode::kSuccessful
                                                         : TemplateStatusCode::kRunning;
    } else {
      int64_t from = kube::parseTime(ts.lastTransitionTime).value_or(ctx.now);
      const int32_t pds = deadlineSeconds(ex);
      if (ctx.now > from + pds) {
        ts.status = TemplateStatusCode::kFailed;
        ts.message =
            format("Template '%s' exceeded its progressDeadlineSeconds (%d)", name.c_str(), pds);
      } else {
        ts.status =
            terminating ? TemplateStatusCode::kSuccessful : TemplateStatusCode::kProgressing;
      }
    }
  }
  const std::string before = templateName(prev.status), after = templateName(ts.status);
  if (before != after) {
    std::string msg = format("Template '%s' transitioned from %s -> %s", name.c_str(),
                             before.c_str(), after.c_str());
    if (!ts.message.empty()) msg += ": " + ts.message;
    const bool bad =
        ts.status == TemplateStatusCode::kFailed || ts.status == TemplateStatusCode::kError;
    ctx.event(bad ? "Warning" : "Normal", "Template" + after, msg);
  }
  ctx.newStatus.setTemplateStatus(ts);
}

const kube::AnalysisRun* findRun(const ExperimentContext& ctx, const std::string& name) {
  for (const auto& r : ctx.analysisRuns) {
    if (r.metadata.name == name) return &r;
  }
  return nullptr;
}

// templateutil.ResolveExperimentArgsValue: {{templates.<t>.podTemplateHash}},
// {{templates.<t>.replicaset.name}}, {{experiment.availableAt}}.
std::string resolveArgValue(const ExperimentContext& ctx, std::string value) {
  auto replace = [&value](const std::string& tag, const std::string& with) {
    for (size_t pos; (pos = value.find(tag)) != std::string::npos;) {
      value.replace(pos, tag.size(), with);
    }
  };
  for (const auto& [tmpl, rs] : ctx.templateRSs) {
    replace("{{templates." + tmpl + ".podTemplateHash}}", rs.podTemplateHash());
    replace("{{templates." + tmpl + ".replicaset.name}}", rs.metadata.name);
  }
  replace("{{experiment.availableAt}}", ctx.experiment.status.availableAt);
  return value;
}

// The kCreateAnalysisRun body: the analysis reference with its args resolved, and the spec's
// dryRun, measurementRetention and analysisRunMetadata.
// The RolloutAnalysis shape the run builder reads: this analysis's one template, its args (values
// resolved), and the Experiment-wide dryRun, measurementRetention and analysisRunMetadata.
json analysisRunSpec(const ExperimentContext& ctx, const kube::ExperimentAnalysis& analysis) {
  json args = json::array();
  for (json a : analysis.args) {
    if (a.is_object() && a.contains("value") && a["value"].is_string()) {
      a["value"] = resolveArgValue(ctx, a["value"].get<std::string>());
    }
    args.push_back(a);
  }
  json spec = {{"templates", json::array({{{"templateName", analysis.templateName},
                                           {"clusterScope", analysis.clusterScope}}})},
               {"args", args}};
  const kube::ExperimentSpec& ex = ctx.experiment.spec;
  if (!ex.dryRun.is_null()) spec["dryRun"] = ex.dryRun;
  if (!ex.measurementRetention.is_null()) spec["measurementRetention"] = ex.measurementRetention;
  if (!ex.analysisRunMetadata.is_null()) spec["analysisRunMetadata"] = ex.analysisRunMetadata;
  return spec;
}

void reconcileAnalysis(ExperimentContext& ctx, const kube::ExperimentAnalysis& analysis,
                       bool terminating) {
  const kube::Experiment& ex = ctx.experiment;
  const kube::ExperimentStatus& old = ex.status;
  const std::string& name = analysis.name;
  const kube::ExperimentAnalysisRunStatus* found = old.analysisRun(name);
  kube::ExperimentAnalysisRunStatus prev;
  prev.name = name;
  if (found) prev = *found;
  kube::ExperimentAnalysisRunStatus st = prev;
  auto finish = [&] {
    const std::string before = kube::phaseName(prev.phase), after = kube::phaseName(st.phase);
    if (before != after && !after.empty()) {
      std::string msg = format("AnalysisRun '%s' transitioned from %s -> %s", name.c_str(),
                               before.c_str(), after.c_str());
      if (!st.message.empty()) msg += ": " + st.message;
      const bool bad = phaseIn(st.phase, {Phase::kFailed, Phase::kError, Phase::kInconclusive});
      ctx.event(bad ? "Warning" : "Normal", "AnalysisRun" + after, msg);
    }
    ctx.newStatus.setAnalysisRun(st);
  };
  // Runs start once every template is available.
  if (old.availableAt.empty()) return finish();
  if (prev.analysisRun.empty()) {
    if (terminating) return finish();
    const std::string base = ex.metadata.name + "-" + name;
    // Ours already, seen before the status that names it (CreateWithCollisionCounter reuses
    // a running run of the same name).
    if (const kube::AnalysisRun* run = findRun(ctx, base);
        run != nullptr && !run->spec.terminate && !run->completed()) {
      st.analysisRun = base;
      st.phase = run->status.phase.value_or(Phase::kPending);
      return finish();
    }
    std::string run_name = base;
    for (int i = 1; findRun(ctx, run_name) != nullptr; ++i) {
      run_name = base + "." + std::to_string(i);
    }
    ctx.actions.push_back(CreateAnalysisRun{run_name, analysisRunSpec(ctx, analysis),
                                            vane::analysis::RunType::kBackground, std::nullopt, "",
                                            name});
    st.phase = Phase::kPending;
    st.analysisRun = run_name;
    return finish();
  }
  if (phaseCompleted(prev.phase)) return finish();
  const kube::AnalysisRun* run = findRun(ctx, prev.analysisRun);
  if (run == nullptr) return finish();  // just created: not in the cache yet
  if (terminating && !run->completed()) {
    if (!run->spec.terminate) {
      const std::string& run_name = run->metadata.name;
      ctx.actions.push_back(TerminateAnalysisRun{run_name});
      ctx.event("Normal", "AnalysisRunTerminating",
                format("Terminating %s (%s)", name.c_str(), run_name.c_str()));
    }
    return finish();
  }
  if (run->status.phase) {
    st.phase = run->status.phase;
    st.message = analysisRunMessage(*run);
  }
  finish();
}

struct Assessment {
  Phase phase;
  std::string message;
};

Assessment assessTemplates(const ExperimentContext& ctx) {
  TemplateStatusCode worst = TemplateStatusCode::kSuccessful;
  std::string message;
  for (const auto& t : ctx.experiment.spec.templates) {
    const kube::TemplateStatus* ts = ctx.newStatus.templateStatus(t.name);
    const TemplateStatusCode s = ts && ts->status ? *ts->status : TemplateStatusCode::kProgressing;
    if (templateRank(s) > templateRank(worst)) {
      worst = s;
      message = ts ? ts->message : "";
    }
  }
  switch (worst) {
    case TemplateStatusCode::kProgressing:
      return {Phase::kPending, message};
    case TemplateStatusCode::kRunning:
      return {Phase::kRunning, message};
    case TemplateStatusCode::kSuccessful:
      return {Phase::kSuccessful, message};
    case TemplateStatusCode::kFailed:
      return {Phase::kFailed, message};
    case TemplateStatusCode::kError:
      return {Phase::kError, message};
  }
  return {Phase::kPending, message};
}

Assessment assessAnalyses(const ExperimentContext& ctx) {
  Assessment worst{Phase::kSuccessful, ""};
  for (const auto& a : ctx.experiment.spec.analyses) {
    const auto* st = ctx.newStatus.analysisRun(a.name);
    if (st != nullptr && st->phase && analysis::isWorse(worst.phase, *st->phase)) {
      worst = {*st->phase, st->message};
    }
  }
  if (requiredAnalysesSuccessful(ctx.experiment, ctx.newStatus) &&
      worst.phase == Phase::kSuccessful) {
    return {Phase::kSuccessful, "Required AnalysisRuns completed"};
  }
  if (worst.phase == Phase::kPending) worst.phase = Phase::kRunning;
  return worst;
}

void calculateStatus(ExperimentContext& ctx) {
  kube::ExperimentStatus& s = ctx.newStatus;
  auto set = [&s](const Assessment& a) {
    s.phase = a.phase;
    s.message = a.message;
  };
  if (!s.phase) {
    s.phase = Phase::kPending;
    return;
  }
  if (*s.phase != Phase::kPending && *s.phase != Phase::kRunning) return;
  const Assessment templates = assessTemplates(ctx);
  const Assessment analyses = assessAnalyses(ctx);
  if (templates.phase == Phase::kRunning && s.availableAt.empty()) {
    s.availableAt = kube::formatTime(ctx.now);
  }
  if (analysis::isCompleted(templates.phase)) {
    const bool judge = analysis::isCompleted(analyses.phase) || hasRequiredAnalyses(ctx.experiment);
    set(templates.phase == Phase::kSuccessful && judge ? analyses : templates);
  } else if (analysis::isCompleted(analyses.phase) && analyses.phase != Phase::kSuccessful) {
    set(analyses);
  } else if (requiredAnalysesSuccessful(ctx.experiment, s)) {
    set(analyses);
  } else {
    set(templates);
  }
}

// calculateEnqueueDuration: the end of spec.duration, or a template's progress deadline.
void planRequeue(ExperimentContext& ctx) {
  const kube::Experiment& ex = ctx.experiment;
  const kube::ExperimentStatus& s = ctx.newStatus;
  if (isTerminating(ex, s)) return;
  auto at = [&ctx](int64_t t) {
    if (!ctx.requeueAt || t < *ctx.requeueAt) ctx.requeueAt = t;
  };
  if (auto end = durationEnd(ex, s); end && ctx.now <= *end) at(*end + 1);
  for (const auto& t : ex.spec.templates) {
    const kube::TemplateStatus* ts = s.templateStatus(t.name);
    if (ts == nullptr) continue;
    if (ts->status != TemplateStatusCode::kProgressing &&
        ts->status != TemplateStatusCode::kRunning) {
      continue;
    }
    auto last = kube::parseTime(ts->lastTransitionTime);
    if (last && ts->availableReplicas != desiredReplicas(s, t, false)) {
      at(*last + deadlineSeconds(ex) + 1);
    }
  }
}

// --- status.conditions (experiments/conditions.go, utils/conditions/experiments.go) --------

kube::ExperimentCondition newExperimentCondition(const std::string& type, bool status,
                                                 const std::string& reason,
                                                 const std::string& message, int64_t now) {
  return {type,   status ? "True" : "False", kube::formatTime(now), kube::formatTime(now), reason,
          message};
}

void removeExperimentCondition(kube::ExperimentStatus& status, const std::string& type) {
  auto& cs = status.conditions;
  cs.erase(std::remove_if(cs.begin(), cs.end(), [&](const auto& c) { return c.type == type; }),
           cs.end());
}

// SetExperimentCondition: no change for the same status and reason; the transition time kept
// while the status stays.
void setExperimentCondition(kube::ExperimentStatus& status, kube::ExperimentCondition cond) {
  const kube::ExperimentCondition* cur = status.condition(cond.type);
  if (cur != nullptr && cur->status == cond.status && cur->reason == cond.reason) return;
  if (cur != nullptr && cur->status == cond.status) {
    cond.lastTransitionTime = cur->lastTransitionTime;
  }
  removeExperimentCondition(status, cond.type);
  status.conditions.push_back(std::move(cond));
}

// ExperimentProgressing: a template status appeared or its replica counts moved.
bool experimentProgressed(const kube::ExperimentStatus& old_status,
                          const kube::ExperimentStatus& new_status) {
  if (old_status.templateStatuses.size() < new_status.templateStatuses.size()) return true;
  for (const auto& o : old_status.templateStatuses) {
    const kube::TemplateStatus* n = new_status.templateStatus(o.name);
    if (n == nullptr) continue;
    if (o.replicas != n->replicas || o.updatedReplicas != n->updatedReplicas ||
        o.readyReplicas != n->readyReplicas || o.availableReplicas != n->availableReplicas) {
      return true;
    }
  }
  return false;
}

// calculateExperimentConditions: Progressing False/ExperimentCompleted once Successful; True/
// ReplicaSetUpdated on progress (transition time kept while True); True/NewReplicaSetAvailable
// while running within spec.duration (judged on the status as read, as Argo does).
void calculateConditions(ExperimentContext& ctx) {
  const kube::Experiment& ex = ctx.experiment;
  const kube::ExperimentStatus& old = ex.status;
  kube::ExperimentStatus& s = ctx.newStatus;
  const std::string& name = ex.metadata.name;
  if (s.phase == Phase::kSuccessful) {
    setExperimentCondition(
        s, newExperimentCondition(kConditionProgressing, false, kReasonExperimentCompleted,
                                  format(kMessageExperimentCompleted, name.c_str()), ctx.now));
  } else if (experimentProgressed(old, s)) {
    auto cond =
        newExperimentCondition(kConditionProgressing, true, kReasonReplicaSetUpdated,
                               format(kMessageExperimentProgressing, name.c_str()), ctx.now);
    if (const kube::ExperimentCondition* cur = old.condition(kConditionProgressing)) {
      if (cur->status == "True") cond.lastTransitionTime = cur->lastTransitionTime;
      removeExperimentCondition(s, kConditionProgressing);
    }
    setExperimentCondition(s, cond);
  } else if (auto end = durationEnd(ex, old);
             !old.availableAt.empty() && !(end && ctx.now > *end)) {
    setExperimentCondition(
        s, newExperimentCondition(kConditionProgressing, true, kReasonNewRSAvailable,
                                  format(kMessageExperimentRunning, name.c_str()), ctx.now));
  }
}

}  // namespace

std::string verifyExperimentSpec(const kube::Experiment& ex) {
  std::set<std::string> names;
  const std::string& ex_name = ex.metadata.name;
  const auto& templates = ex.spec.templates;
  for (size_t i = 0; i < templates.size(); ++i) {
    const kube::ExperimentTemplate& t = templates[i];
    const int idx = static_cast<int>(i);
    if (t.selector.is_null()) {
      const std::string field = format(".Spec.Templates[%d].Selector", idx);
      return format(kMessageMissingField, field.c_str());
    }
    if (t.selector.is_object() && t.selector.empty()) {
      return format(kMessageExperimentSelectAll, idx);
    }
    if (t.minReadySeconds > deadlineSeconds(ex)) {
      return format(kMessageExperimentMinReadyLongerThanDeadline, idx);
    }
    if (t.name.empty()) return format(kMessageExperimentTemplateNameEmpty, ex_name.c_str(), idx);
    if (!names.insert(t.name).second) {
      return format(kMessageExperimentTemplateNameRepeated, ex_name.c_str(), t.name.c_str());
    }
  }
  return "";
}

std::optional<json> experimentService(const kube::Experiment& ex,
                                      const kube::ExperimentTemplate& tmpl,
                                      const kube::ReplicaSet& rs) {
  json ports = json::array();
  for (const auto& c : kube::arrayAt(rs.template_, "/spec/containers")) {
    if (!c.is_object()) continue;
    for (const auto& p : c.value("ports", json::array())) {
      if (!p.is_object() || !p.contains("containerPort")) continue;
      json port = {{"port", p["containerPort"]}, {"targetPort", p["containerPort"]}};
      if (!p.value("protocol", "").empty()) port["protocol"] = p["protocol"];
      if (!p.value("name", "").empty()) port["name"] = p["name"];
      ports.push_back(port);
    }
  }
  if (ports.empty()) return std::nullopt;
  std::string name = tmpl.service ? tmpl.service->name : "";
  if (name.empty()) name = rs.metadata.name;
  return json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata",
               {{"name", name},
                {"namespace", ex.metadata.namespace_},
                {"annotations",
                 {{kAnnotationExperimentName, ex.metadata.name},
                  {kAnnotationExperimentTemplate, tmpl.name}}},
                {"ownerReferences", experimentOwnerRefs(ex)}}},
              {"spec", {{"selector", rs.metadata.labels}, {"ports", ports}}}};
}

std::string experimentServiceTakenMessage(const std::string& service, const std::string& tmpl) {
  return format(
      "Failed to create Service %s for template '%s': service %s already exists and is not "
      "owned by experiment template %s",
      service.c_str(), tmpl.c_str(), service.c_str(), tmpl.c_str());
}

json experimentReplicaSet(const kube::Experiment& ex, const kube::ExperimentTemplate& tmpl,
                          int32_t replicas) {
  const std::string& ex_name = ex.metadata.name;
  json pod = tmpl.template_;
  if (pod.contains("metadata") && pod["metadata"].contains("labels")) {
    pod["metadata"]["labels"].erase(kLabelPodTemplateHash);
  }
  const std::string hash = podTemplateHash(pod);
  pod["metadata"]["labels"][kLabelPodTemplateHash] = hash;
  json selector = tmpl.selector.is_object() ? tmpl.selector : json::object();
  selector["matchLabels"][kLabelPodTemplateHash] = hash;
  json labels = pod["metadata"]["labels"];
  json spec = {{"replicas", replicas}, {"selector", selector}, {"template", pod}};
  if (tmpl.minReadySeconds > 0) spec["minReadySeconds"] = tmpl.minReadySeconds;
  return {{"apiVersion", "apps/v1"},
          {"kind", "ReplicaSet"},
          {"metadata",
           {{"name", ex_name + "-" + tmpl.name},
            {"namespace", ex.metadata.namespace_},
            {"labels", labels},
            {"annotations",
             {{kAnnotationExperimentName, ex_name}, {kAnnotationExperimentTemplate, tmpl.name}}},
            {"ownerReferences", experimentOwnerRefs(ex)}}},
          {"spec", spec}};
}

Status readExperiment(ExperimentContext& ctx, const json& obj) {
  auto decoded = kube::decodeExperiment(obj);
  if (decoded) {
    ctx.experiment = std::move(*decoded);
    return Status::ok();
  }
  auto meta = kube::decodeObjectMeta(obj);
  if (!meta) return meta.status();
  auto status = kube::decodeExperimentStatus(
      obj.is_object() && obj.contains("status") ? obj["status"] : json::object());
  if (!status) return status.status();
  ctx.experiment = kube::Experiment{};
  ctx.experiment.metadata = std::move(*meta);
  ctx.experiment.status = std::move(*status);
  ctx.experiment.raw = obj;
  ctx.invalidSpecMessage = decoded.status().toString();
  return Status::ok();
}

void planExperiment(ExperimentContext& ctx) {
  const kube::Experiment& ex = ctx.experiment;
  ctx.newStatus = ex.status;
  // VerifyExperimentSpec: an invalid spec only gets (or updates) its condition.
  const std::string invalid =
      ctx.invalidSpecMessage.empty() ? verifyExperimentSpec(ex) : ctx.invalidSpecMessage;
  const kube::ExperimentCondition* prev_invalid = ctx.newStatus.condition(kConditionInvalidSpec);
  if (!invalid.empty()) {
    if (prev_invalid != nullptr && prev_invalid->message != invalid) {
      removeExperimentCondition(ctx.newStatus, kConditionInvalidSpec);
    }
    setExperimentCondition(
        ctx.newStatus,
        newExperimentCondition(kConditionInvalidSpec, true, kReasonInvalidSpec, invalid, ctx.now));
    return;
  }
  if (prev_invalid != nullptr) removeExperimentCondition(ctx.newStatus, kConditionInvalidSpec);
  const bool terminating = isTerminating(ex, ctx.newStatus);
  for (const auto& t : ex.spec.templates) reconcileTemplate(ctx, t, terminating);
  for (const auto& a : ex.spec.analyses) reconcileAnalysis(ctx, a, terminating);
  calculateStatus(ctx);
  calculateConditions(ctx);
  planRequeue(ctx);
}

}  // namespace vane::controller
