#include "controller/experiment.h"

#include <set>

#include "controller/analysis.h"
#include "controller/conditions.h"
#include "controller/hash.h"
#include "kube/json_access.h"

namespace vane::controller {

using nlohmann::json;

namespace {

bool flag(const json& obj, const char* ptr) {
  auto p = json::json_pointer(ptr);
  return obj.contains(p) && obj.at(p).is_boolean() && obj.at(p).get<bool>();
}
int32_t intOr(const json& obj, const char* key, int32_t def) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_number_integer()) return def;
  return obj[key].get<int32_t>();
}
// status.<field>[] entry named name (no copy: the pointer stays valid with status).
const json* byName(const json& status, const char* field, const std::string& name,
                   const char* key = "name") {
  if (!status.is_object() || !status.contains(field) || !status[field].is_array()) return nullptr;
  for (const auto& e : status[field]) {
    if (e.is_object() && e.value(key, "") == name) return &e;
  }
  return nullptr;
}
void setByName(json& status, const char* field, const json& entry) {
  json& arr = status[field];
  if (!arr.is_array()) arr = json::array();
  for (auto& e : arr) {
    if (e.is_object() && e.value("name", "") == entry.value("name", "")) {
      e = entry;
      return;
    }
  }
  arr.push_back(entry);
}

json experimentOwnerRefs(const json& ex) {
  return kube::controllerOwnerRefs("Experiment", kube::strAt(ex, "/metadata/name"),
                                   kube::strAt(ex, "/metadata/uid"));
}

bool templateCompleted(const std::string& s) {
  return s == "Successful" || s == "Failed" || s == "Error";
}

std::optional<int64_t> durationOf(const json& ex) {
  auto p = json::json_pointer("/spec/duration");
  if (!ex.contains(p) || ex.at(p).is_null() || ex.at(p) == "") return std::nullopt;
  auto d = kube::parseDurationSeconds(ex.at(p));
  if (!d) return std::nullopt;
  return *d;
}

// PassedDurations: the end of the run, availableAt + spec.duration (nullopt: none).
std::optional<int64_t> durationEnd(const json& ex, const json& status) {
  auto d = durationOf(ex);
  auto available = kube::parseTime(status.value("availableAt", ""));
  if (!d || !available) return std::nullopt;
  return *available + *d;
}

bool hasRequiredAnalyses(const json& ex) {
  for (const auto& a : kube::arrayAt(ex, "/spec/analyses")) {
    if (a.value("requiredForCompletion", false)) return true;
  }
  return false;
}

bool requiredAnalysesSuccessful(const json& ex, const json& status) {
  bool any = false, all = true;
  for (const auto& a : kube::arrayAt(ex, "/spec/analyses")) {
    if (!a.value("requiredForCompletion", false)) continue;
    any = true;
    const json* st = byName(status, "analysisRuns", a.value("name", ""));
    if (st == nullptr || st->value("phase", "") != "Successful") all = false;
  }
  return any && all;
}

// IsTerminating (utils/experiment): terminate requested, finished, a template or an analysis
// gone bad, or every required analysis Successful.
bool isTerminating(const json& ex, const json& status) {
  if (flag(ex, "/spec/terminate") || experimentCompleted(status.value("phase", ""))) return true;
  for (const auto& ts : status.value("templateStatuses", json::array())) {
    const std::string s = ts.value("status", "");
    if (s == "Failed" || s == "Error") return true;
  }
  for (const auto& r : status.value("analysisRuns", json::array())) {
    const std::string p = r.value("phase", "");
    if (p == "Failed" || p == "Error" || p == "Inconclusive") return true;
  }
  return requiredAnalysesSuccessful(ex, status);
}

int32_t desiredReplicas(const json& status, const json& tmpl, bool terminating) {
  if (terminating) return 0;
  const json* ts = byName(status, "templateStatuses", tmpl.value("name", ""));
  if (ts != nullptr && templateCompleted(ts->value("status", ""))) return 0;
  return intOr(tmpl, "replicas", 1);
}

int rank(const std::string& code, std::initializer_list<const char*> order) {
  int i = 0;
  for (const char* c : order) {
    if (code == c) return i;
    ++i;
  }
  return 0;
}
int templateRank(const std::string& s) {
  return rank(s, {"Successful", "Running", "Progressing", "Error", "Failed"});
}
int analysisRank(const std::string& p) {
  return rank(p, {"Successful", "Running", "Pending", "Inconclusive", "Error", "Failed"});
}

int32_t deadlineSeconds(const json& ex) {
  return intOr(ex.value("spec", json::object()), "progressDeadlineSeconds",
               kExperimentProgressDeadlineSeconds);
}

int32_t scaleDownDelaySeconds(const json& ex) {
  return intOr(ex.value("spec", json::object()), "scaleDownDelaySeconds",
               kExperimentScaleDownDelaySeconds);
}

// addScaleDownDelay + scaleTemplateRS (experiments/replicaset.go): a template going to 0 first
// gets the scale-down-deadline annotation (now + spec.scaleDownDelaySeconds, default 30; 0 removes
// it) and keeps its replicas until then (one already at 0 stays there). Returns the replicas to
// scale to now.
int32_t delayedScaleDown(ExperimentContext& ctx, const json& tmpl, const json& rs,
                         int32_t current) {
  const std::string rs_name = kube::strAt(rs, "/metadata/name");
  const int32_t delay = scaleDownDelaySeconds(ctx.experiment);
  std::string deadline = kube::metaEntry(rs, "annotations", kAnnotationScaleDownDeadline);
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
  return intOr(tmpl, "replicas", 1);
}

// experiments/experiment.go reconcileTemplate: a running template with `service` gets its
// Service; once the template is scaled down and its pods are gone (or `service` was removed) the
// Service is deleted and serviceName/podTemplateHash cleared.
void reconcileTemplateService(ExperimentContext& ctx, const json& tmpl, const json& rs,
                              int32_t desired, json& ts) {
  auto found = ctx.templateServices.find(tmpl.value("name", ""));
  const json* svc = found == ctx.templateServices.end() ? nullptr : &found->second;
  auto drop = [&] {
    if (svc == nullptr) return;
    ctx.actions.push_back(DeleteService{kube::strAt(*svc, "/metadata/name")});
    ts.erase("serviceName");
    ts.erase("podTemplateHash");
  };
  const bool wanted = tmpl.contains("service") && tmpl["service"].is_object();
  if (!wanted) return drop();
  if (desired == 0) {
    if (intOr(rs.value("status", json::object()), "availableReplicas", 0) == 0) drop();
    return;
  }
  const std::string hash = kube::metaEntry(rs, "labels", kLabelPodTemplateHash);
  if (svc != nullptr) {
    ts["serviceName"] = kube::strAt(*svc, "/metadata/name");
    ts["podTemplateHash"] = hash;
    return;
  }
  auto body = experimentService(ctx.experiment, tmpl, rs);
  if (!body) return;
  const std::string name = kube::strAt(*body, "/metadata/name");
  ctx.actions.push_back(CreateService{name, tmpl.value("name", ""), *body});
  ts["serviceName"] = name;
  ts["podTemplateHash"] = hash;
}

void reconcileTemplate(ExperimentContext& ctx, const json& tmpl, bool terminating) {
  const json& ex = ctx.experiment;
  const json old = ex.value("status", json::object());
  const std::string name = tmpl.value("name", "");
  const json* found = byName(old, "templateStatuses", name);
  json ts = found ? *found : json{{"name", name}};
  const json prev = ts;
  const int32_t desired = desiredReplicas(old, tmpl, terminating);
  const std::string now = kube::formatTime(ctx.now);
  auto it = ctx.templateRSs.find(name);
  const json* rs = it == ctx.templateRSs.end() ? nullptr : &it->second;
  if (rs == nullptr) {
    json body = experimentReplicaSet(ex, tmpl, desired);
    ctx.actions.push_back(CreateReplicaSet{body});
    ts["lastTransitionTime"] = now;
  } else {
    reconcileTemplateService(ctx, tmpl, *rs, desired, ts);
    // (Vane) lastTransitionTime moves only with a scale: Argo also moves it on every pass of a
    // delayed scale-down, which would rewrite the status once a second.
    const int32_t current = intOr((*rs)["spec"], "replicas", 1);
    const int32_t target = desired == 0 ? delayedScaleDown(ctx, tmpl, *rs, current) : desired;
    if (current != target) {
      ctx.actions.push_back(ScaleReplicaSet{(*rs)["metadata"].value("name", ""), target});
      ts["lastTransitionTime"] = now;
    }
  }
  const json rs_status = rs ? rs->value("status", json::object()) : json::object();
  const int32_t replicas = intOr(rs_status, "replicas", 0);
  const int32_t ready = intOr(rs_status, "readyReplicas", 0);
  const int32_t available = intOr(rs_status, "availableReplicas", 0);
  if (prev.value("replicas", 0) != replicas || prev.value("readyReplicas", 0) != ready ||
      prev.value("availableReplicas", 0) != available ||
      prev.value("updatedReplicas", 0) != replicas) {
    ts["lastTransitionTime"] = now;
  }
  ts["replicas"] = replicas;
  ts["updatedReplicas"] = replicas;
  ts["readyReplicas"] = ready;
  ts["availableReplicas"] = available;
  if (!templateCompleted(ts.value("status", ""))) {
    if (desired == available) {
      auto end = durationEnd(ex, old);
      ts["status"] = (end && ctx.now > *end) || terminating ? "Successful" : "Running";
    } else {
      int64_t from = kube::parseTime(ts.value("lastTransitionTime", "")).value_or(ctx.now);
      const int32_t pds = deadlineSeconds(ex);
      if (ctx.now > from + pds) {
        ts["status"] = "Failed";
        ts["message"] =
            format("Template '%s' exceeded its progressDeadlineSeconds (%d)", name.c_str(), pds);
      } else {
        ts["status"] = terminating ? "Successful" : "Progressing";
      }
    }
  }
  const std::string before = prev.value("status", ""), after = ts.value("status", "");
  if (before != after) {
    std::string msg = format("Template '%s' transitioned from %s -> %s", name.c_str(),
                             before.c_str(), after.c_str());
    if (!ts.value("message", "").empty()) msg += ": " + ts.value("message", "");
    const bool bad = after == "Failed" || after == "Error";
    ctx.event(bad ? "Warning" : "Normal", "Template" + after, msg);
  }
  setByName(ctx.newStatus, "templateStatuses", ts);
}

const json* findRun(const ExperimentContext& ctx, const std::string& name) {
  for (const auto& r : ctx.analysisRuns) {
    if (kube::strAt(r, "/metadata/name") == name) return &r;
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
    replace("{{templates." + tmpl + ".podTemplateHash}}",
            kube::metaEntry(rs, "labels", kLabelPodTemplateHash));
    replace("{{templates." + tmpl + ".replicaset.name}}", kube::strAt(rs, "/metadata/name"));
  }
  replace("{{experiment.availableAt}}", kube::strAt(ctx.experiment, "/status/availableAt"));
  return value;
}

void reconcileAnalysis(ExperimentContext& ctx, const json& analysis, bool terminating) {
  const json& ex = ctx.experiment;
  const json old = ex.value("status", json::object());
  const std::string name = analysis.value("name", "");
  const json* found = byName(old, "analysisRuns", name);
  const json prev = found ? *found : json{{"name", name}};
  json st = prev;
  auto finish = [&] {
    const std::string before = prev.value("phase", ""), after = st.value("phase", "");
    if (before != after && !after.empty()) {
      std::string msg = format("AnalysisRun '%s' transitioned from %s -> %s", name.c_str(),
                               before.c_str(), after.c_str());
      if (!st.value("message", "").empty()) msg += ": " + st.value("message", "");
      const bool bad = after == "Failed" || after == "Error" || after == "Inconclusive";
      ctx.event(bad ? "Warning" : "Normal", "AnalysisRun" + after, msg);
    }
    setByName(ctx.newStatus, "analysisRuns", st);
  };
  // Runs start once every template is available.
  if (old.value("availableAt", "").empty()) return finish();
  if (prev.value("analysisRun", "").empty()) {
    if (terminating) return finish();
    const std::string base = kube::strAt(ex, "/metadata/name") + "-" + name;
    // Ours already, seen before the status that names it (CreateWithCollisionCounter reuses
    // a running run of the same name).
    if (const json* run = findRun(ctx, base);
        run != nullptr && !flag(*run, "/spec/terminate") &&
        !experimentCompleted(kube::strAt(*run, "/status/phase"))) {
      st["analysisRun"] = base;
      st["phase"] = kube::strAt(*run, "/status/phase").empty() ? "Pending"
                                                               : kube::strAt(*run, "/status/phase");
      return finish();
    }
    std::string run_name = base;
    for (int i = 1; findRun(ctx, run_name) != nullptr; ++i) {
      run_name = base + "." + std::to_string(i);
    }
    json args = json::array();
    for (json a : analysis.value("args", json::array())) {
      if (a.contains("value") && a["value"].is_string()) {
        a["value"] = resolveArgValue(ctx, a["value"].get<std::string>());
      }
      args.push_back(a);
    }
    // The RolloutAnalysis shape the run builder reads: this analysis's one template, its args,
    // and the Experiment-wide dryRun, measurementRetention and analysisRunMetadata.
    json run_spec = {
        {"templates", json::array({{{"templateName", analysis.value("templateName", "")},
                                    {"clusterScope", analysis.value("clusterScope", false)}}})},
        {"args", args}};
    const json& spec = ex.value("spec", json::object());
    for (const char* k : {"dryRun", "measurementRetention", "analysisRunMetadata"}) {
      if (spec.contains(k)) run_spec[k] = spec[k];
    }
    ctx.actions.push_back(CreateAnalysisRun{
        run_name, run_spec, vane::analysis::RunType::kBackground, std::nullopt, "", name});
    st["phase"] = "Pending";
    st["analysisRun"] = run_name;
    return finish();
  }
  if (experimentCompleted(prev.value("phase", ""))) return finish();
  const json* run = findRun(ctx, prev.value("analysisRun", ""));
  if (run == nullptr) return finish();  // just created: not in the cache yet
  const std::string phase = kube::strAt(*run, "/status/phase");
  if (terminating && !experimentCompleted(phase)) {
    if (!flag(*run, "/spec/terminate")) {
      ctx.actions.push_back(TerminateAnalysisRun{kube::strAt(*run, "/metadata/name")});
      ctx.event(
          "Normal", "AnalysisRunTerminating",
          format("Terminating %s (%s)", name.c_str(), kube::strAt(*run, "/metadata/name").c_str()));
    }
    return finish();
  }
  if (!phase.empty()) {
    st["phase"] = phase;
    st["message"] = analysisRunMessage(*run);
    if (st["message"] == "") st.erase("message");
  }
  finish();
}

std::pair<std::string, std::string> assessTemplates(const ExperimentContext& ctx) {
  std::string worst = "Successful", message;
  for (const auto& t : kube::arrayAt(ctx.experiment, "/spec/templates")) {
    const json* ts = byName(ctx.newStatus, "templateStatuses", t.value("name", ""));
    const std::string s = ts ? ts->value("status", "") : "Progressing";
    if (templateRank(s) > templateRank(worst)) {
      worst = s;
      message = ts ? ts->value("message", "") : "";
    }
  }
  if (worst == "Progressing") return {"Pending", message};
  return {worst, message};
}

std::pair<std::string, std::string> assessAnalyses(const ExperimentContext& ctx) {
  std::string worst = "Successful", message;
  for (const auto& a : kube::arrayAt(ctx.experiment, "/spec/analyses")) {
    const json* st = byName(ctx.newStatus, "analysisRuns", a.value("name", ""));
    const std::string p = st ? st->value("phase", "") : "";
    if (analysisRank(p) > analysisRank(worst)) {
      worst = p;
      message = st->value("message", "");
    }
  }
  if (requiredAnalysesSuccessful(ctx.experiment, ctx.newStatus) && worst == "Successful") {
    return {"Successful", "Required AnalysisRuns completed"};
  }
  if (worst == "Pending") worst = "Running";
  return {worst, message};
}

void calculateStatus(ExperimentContext& ctx) {
  json& s = ctx.newStatus;
  const std::string phase = s.value("phase", "");
  auto set = [&s](const std::pair<std::string, std::string>& pm) {
    s["phase"] = pm.first;
    if (pm.second.empty()) {
      s.erase("message");
    } else {
      s["message"] = pm.second;
    }
  };
  if (phase.empty()) {
    s["phase"] = "Pending";
    return;
  }
  if (phase != "Pending" && phase != "Running") return;
  auto templates = assessTemplates(ctx);
  auto analyses = assessAnalyses(ctx);
  if (templates.first == "Running" && s.value("availableAt", "").empty()) {
    s["availableAt"] = kube::formatTime(ctx.now);
  }
  if (experimentCompleted(templates.first)) {
    const bool judge = experimentCompleted(analyses.first) || hasRequiredAnalyses(ctx.experiment);
    set(templates.first == "Successful" && judge ? analyses : templates);
  } else if (experimentCompleted(analyses.first) && analyses.first != "Successful") {
    set(analyses);
  } else if (requiredAnalysesSuccessful(ctx.experiment, s)) {
    set(analyses);
  } else {
    set(templates);
  }
}

// calculateEnqueueDuration: the end of spec.duration, or a template's progress deadline.
void planRequeue(ExperimentContext& ctx) {
  const json& ex = ctx.experiment;
  const json& s = ctx.newStatus;
  if (isTerminating(ex, s)) return;
  auto at = [&ctx](int64_t t) {
    if (!ctx.requeueAt || t < *ctx.requeueAt) ctx.requeueAt = t;
  };
  if (auto end = durationEnd(ex, s); end && ctx.now <= *end) at(*end + 1);
  for (const auto& t : kube::arrayAt(ex, "/spec/templates")) {
    const json* ts = byName(s, "templateStatuses", t.value("name", ""));
    if (ts == nullptr) continue;
    const std::string code = ts->value("status", "");
    if (code != "Progressing" && code != "Running") continue;
    auto last = kube::parseTime(ts->value("lastTransitionTime", ""));
    if (last && ts->value("availableReplicas", 0) != desiredReplicas(s, t, false)) {
      at(*last + deadlineSeconds(ex) + 1);
    }
  }
}

// --- status.conditions (experiments/conditions.go, utils/conditions/experiments.go) --------

const json* experimentCondition(const json& status, const std::string& type) {
  return byName(status, "conditions", type, "type");
}

json newExperimentCondition(const std::string& type, bool status, const std::string& reason,
                            const std::string& message, int64_t now) {
  return {{"type", type},
          {"status", status ? "True" : "False"},
          {"lastUpdateTime", kube::formatTime(now)},
          {"lastTransitionTime", kube::formatTime(now)},
          {"reason", reason},
          {"message", message}};
}

void removeExperimentCondition(json& status, const std::string& type) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) return;
  json kept = json::array();
  for (const auto& c : status["conditions"]) {
    if (c.value("type", "") != type) kept.push_back(c);
  }
  if (kept.empty()) {
    status.erase("conditions");
  } else {
    status["conditions"] = kept;
  }
}

// SetExperimentCondition: no change for the same status and reason; the transition time kept
// while the status stays.
void setExperimentCondition(json& status, json cond) {
  const json* cur = experimentCondition(status, cond.value("type", ""));
  if (cur != nullptr && cur->value("status", "") == cond.value("status", "") &&
      cur->value("reason", "") == cond.value("reason", "")) {
    return;
  }
  if (cur != nullptr && cur->value("status", "") == cond.value("status", "")) {
    cond["lastTransitionTime"] = cur->value("lastTransitionTime", "");
  }
  removeExperimentCondition(status, cond.value("type", ""));
  if (!status.contains("conditions") || !status["conditions"].is_array()) {
    status["conditions"] = json::array();
  }
  status["conditions"].push_back(cond);
}

// ExperimentProgressing: a template status appeared or its replica counts moved.
bool experimentProgressed(const json& old_status, const json& new_status) {
  const json olds = old_status.value("templateStatuses", json::array());
  const json news = new_status.value("templateStatuses", json::array());
  if (olds.size() < news.size()) return true;
  for (const auto& o : olds) {
    const json* n = byName(new_status, "templateStatuses", o.value("name", ""));
    if (n == nullptr) continue;
    for (const char* k : {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas"}) {
      if (o.value(k, 0) != n->value(k, 0)) return true;
    }
  }
  return false;
}

// calculateExperimentConditions: Progressing False/ExperimentCompleted once Successful; True/
// ReplicaSetUpdated on progress (transition time kept while True); True/NewReplicaSetAvailable
// while running within spec.duration (judged on the status as read, as Argo does).
void calculateConditions(ExperimentContext& ctx) {
  const json& ex = ctx.experiment;
  const json old = ex.value("status", json::object());
  json& s = ctx.newStatus;
  const std::string name = kube::strAt(ex, "/metadata/name");
  if (s.value("phase", "") == "Successful") {
    setExperimentCondition(
        s, newExperimentCondition(kConditionProgressing, false, kReasonExperimentCompleted,
                                  format(kMessageExperimentCompleted, name.c_str()), ctx.now));
  } else if (experimentProgressed(old, s)) {
    json cond =
        newExperimentCondition(kConditionProgressing, true, kReasonReplicaSetUpdated,
                               format(kMessageExperimentProgressing, name.c_str()), ctx.now);
    if (const json* cur = experimentCondition(old, kConditionProgressing)) {
      if (cur->value("status", "") == "True") {
        cond["lastTransitionTime"] = cur->value("lastTransitionTime", "");
      }
      removeExperimentCondition(s, kConditionProgressing);
    }
    setExperimentCondition(s, cond);
  } else if (auto end = durationEnd(ex, old);
             !old.value("availableAt", "").empty() && !(end && ctx.now > *end)) {
    setExperimentCondition(
        s, newExperimentCondition(kConditionProgressing, true, kReasonNewRSAvailable,
                                  format(kMessageExperimentRunning, name.c_str()), ctx.now));
  }
}

}  // namespace

std::string verifyExperimentSpec(const json& ex) {
  std::set<std::string> names;
  const std::string ex_name = kube::strAt(ex, "/metadata/name");
  const auto& templates = kube::arrayAt(ex, "/spec/templates");
  for (size_t i = 0; i < templates.size(); ++i) {
    const json& t = templates[i];
    const int idx = static_cast<int>(i);
    if (!t.contains("selector") || t["selector"].is_null()) {
      const std::string field = format(".Spec.Templates[%d].Selector", idx);
      return format(kMessageMissingField, field.c_str());
    }
    if (t["selector"].is_object() && t["selector"].empty()) {
      return format(kMessageExperimentSelectAll, idx);
    }
    if (intOr(t, "minReadySeconds", 0) > deadlineSeconds(ex)) {
      return format(kMessageExperimentMinReadyLongerThanDeadline, idx);
    }
    const std::string name = t.value("name", "");
    if (name.empty()) return format(kMessageExperimentTemplateNameEmpty, ex_name.c_str(), idx);
    if (!names.insert(name).second) {
      return format(kMessageExperimentTemplateNameRepeated, ex_name.c_str(), name.c_str());
    }
  }
  return "";
}

bool experimentCompleted(const std::string& phase) {
  return phase == "Successful" || phase == "Failed" || phase == "Error" || phase == "Inconclusive";
}

std::optional<json> experimentService(const json& ex, const json& tmpl, const json& rs) {
  json ports = json::array();
  for (const auto& c : kube::arrayAt(rs, "/spec/template/spec/containers")) {
    for (const auto& p : c.value("ports", json::array())) {
      if (!p.is_object() || !p.contains("containerPort")) continue;
      json port = {{"port", p["containerPort"]}, {"targetPort", p["containerPort"]}};
      if (!p.value("protocol", "").empty()) port["protocol"] = p["protocol"];
      if (!p.value("name", "").empty()) port["name"] = p["name"];
      ports.push_back(port);
    }
  }
  if (ports.empty()) return std::nullopt;
  const json service = tmpl.value("service", json::object());
  std::string name = service.is_object() ? service.value("name", "") : "";
  if (name.empty()) name = kube::strAt(rs, "/metadata/name");
  json labels =
      rs.contains("metadata") ? rs["metadata"].value("labels", json::object()) : json::object();
  return json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata",
               {{"name", name},
                {"namespace", kube::strAt(ex, "/metadata/namespace")},
                {"annotations",
                 {{kAnnotationExperimentName, kube::strAt(ex, "/metadata/name")},
                  {kAnnotationExperimentTemplate, tmpl.value("name", "")}}},
                {"ownerReferences", experimentOwnerRefs(ex)}}},
              {"spec", {{"selector", labels}, {"ports", ports}}}};
}

std::string experimentServiceTakenMessage(const std::string& service, const std::string& tmpl) {
  return format(
      "Failed to create Service %s for template '%s': service %s already exists and is not "
      "owned by experiment template %s",
      service.c_str(), tmpl.c_str(), service.c_str(), tmpl.c_str());
}

json experimentReplicaSet(const json& ex, const json& tmpl, int32_t replicas) {
  const std::string ex_name = kube::strAt(ex, "/metadata/name");
  const std::string name = tmpl.value("name", "");
  json pod = tmpl.value("template", json::object());
  if (pod.contains("metadata") && pod["metadata"].contains("labels")) {
    pod["metadata"]["labels"].erase(kLabelPodTemplateHash);
  }
  const std::string hash = podTemplateHash(pod);
  pod["metadata"]["labels"][kLabelPodTemplateHash] = hash;
  json selector = tmpl.value("selector", json::object());
  if (!selector.is_object()) selector = json::object();
  selector["matchLabels"][kLabelPodTemplateHash] = hash;
  json labels = pod["metadata"]["labels"];
  json spec = {{"replicas", replicas}, {"selector", selector}, {"template", pod}};
  if (intOr(tmpl, "minReadySeconds", 0) > 0) spec["minReadySeconds"] = tmpl["minReadySeconds"];
  return {{"apiVersion", "apps/v1"},
          {"kind", "ReplicaSet"},
          {"metadata",
           {{"name", ex_name + "-" + name},
            {"namespace", kube::strAt(ex, "/metadata/namespace")},
            {"labels", labels},
            {"annotations",
             {{kAnnotationExperimentName, ex_name}, {kAnnotationExperimentTemplate, name}}},
            {"ownerReferences", experimentOwnerRefs(ex)}}},
          {"spec", spec}};
}

void planExperiment(ExperimentContext& ctx) {
  const json& ex = ctx.experiment;
  ctx.newStatus = ex.value("status", json::object());
  if (!ctx.newStatus.is_object()) ctx.newStatus = json::object();
  // VerifyExperimentSpec: an invalid spec only gets (or updates) its condition.
  const std::string invalid = verifyExperimentSpec(ex);
  const json* prev_invalid = experimentCondition(ctx.newStatus, kConditionInvalidSpec);
  if (!invalid.empty()) {
    if (prev_invalid != nullptr && prev_invalid->value("message", "") != invalid) {
      removeExperimentCondition(ctx.newStatus, kConditionInvalidSpec);
    }
    setExperimentCondition(
        ctx.newStatus,
        newExperimentCondition(kConditionInvalidSpec, true, kReasonInvalidSpec, invalid, ctx.now));
    return;
  }
  if (prev_invalid != nullptr) removeExperimentCondition(ctx.newStatus, kConditionInvalidSpec);
  const bool terminating = isTerminating(ex, ctx.newStatus);
  for (const auto& t : kube::arrayAt(ex, "/spec/templates")) reconcileTemplate(ctx, t, terminating);
  for (const auto& a : kube::arrayAt(ex, "/spec/analyses")) reconcileAnalysis(ctx, a, terminating);
  calculateStatus(ctx);
  calculateConditions(ctx);
  planRequeue(ctx);
}

}  // namespace vane::controller
