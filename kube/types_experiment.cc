#include "kube/types_experiment.h"

#include <array>
#include <utility>

#include "kube/decode.h"
#include "kube/encode.h"
#include "kube/types_internal.h"

namespace vane::kube {

using json = nlohmann::json;

namespace {

constexpr std::array<std::pair<TemplateStatusCode, std::string_view>, 5> kTemplateStatusNames = {{
    {TemplateStatusCode::kProgressing, "Progressing"},
    {TemplateStatusCode::kRunning, "Running"},
    {TemplateStatusCode::kSuccessful, "Successful"},
    {TemplateStatusCode::kFailed, "Failed"},
    {TemplateStatusCode::kError, "Error"},
}};

// Spec fields toJson(ExperimentSpec) owns: absent there means absent in the written object.
constexpr const char* kSpecFields[] = {"templates",
                                       "duration",
                                       "progressDeadlineSeconds",
                                       "terminate",
                                       "scaleDownDelaySeconds",
                                       "analyses",
                                       "dryRun",
                                       "measurementRetention",
                                       "analysisRunMetadata"};
constexpr const char* kStatusFields[] = {"phase",      "message",      "availableAt",
                                         "conditions", "analysisRuns", "templateStatuses"};

void putRaw(json& j, const char* key, const json& v) {
  if (!v.is_null()) j[key] = v;
}
std::optional<json> raw(const Decoder& d, const std::string& key) {
  if (!d.has(key)) return std::nullopt;
  return d.value().at(key);
}

std::optional<TemplateStatusCode> decodeTemplateCode(const Decoder& d, const std::string& key) {
  auto s = d.optString(key);
  if (!s || s->empty()) return std::nullopt;
  auto c = parseTemplateStatus(*s);
  if (!c) d.fail(key, "unknown template status \"" + *s + "\"");
  return c;
}

ExperimentTemplate decodeTemplate(const Decoder& d) {
  ExperimentTemplate t;
  t.name = d.string("name");
  t.replicas = detail::decodeInt32(d, "replicas");
  t.minReadySeconds = detail::decodeInt32(d, "minReadySeconds").value_or(0);
  if (d.has("selector")) t.selector = d.child("selector").value();
  if (d.has("template")) t.template_ = d.child("template").value();
  if (d.has("service")) t.service = TemplateService{d.child("service").string("name")};
  t.weight = detail::decodeInt32(d, "weight");
  return t;
}

ExperimentAnalysis decodeAnalysisRef(const Decoder& d) {
  ExperimentAnalysis a;
  a.name = d.string("name");
  a.templateName = d.string("templateName");
  a.clusterScope = d.boolean("clusterScope");
  a.requiredForCompletion = d.boolean("requiredForCompletion");
  d.array("args");  // type check
  if (d.has("args")) a.args = d.value().at("args");
  return a;
}

ExperimentSpec decodeExperimentSpec(const Decoder& d) {
  ExperimentSpec s;
  for (const Decoder& t : d.array("templates")) s.templates.push_back(decodeTemplate(t));
  if (d.has("duration") && d.value().at("duration") != "") {
    s.durationRaw = d.value().at("duration");
    auto secs = parseDurationSeconds(s.durationRaw);
    if (!secs) {
      d.fail("duration", secs.status().message());
    } else {
      s.duration = *secs;
    }
  }
  s.progressDeadlineSeconds = detail::decodeInt32(d, "progressDeadlineSeconds");
  s.terminate = d.boolean("terminate");
  s.scaleDownDelaySeconds = detail::decodeInt32(d, "scaleDownDelaySeconds");
  for (const Decoder& a : d.array("analyses")) s.analyses.push_back(decodeAnalysisRef(a));
  d.array("dryRun");
  d.array("measurementRetention");
  if (d.has("analysisRunMetadata")) d.child("analysisRunMetadata");
  s.dryRun = raw(d, "dryRun").value_or(json());
  s.measurementRetention = raw(d, "measurementRetention").value_or(json());
  s.analysisRunMetadata = raw(d, "analysisRunMetadata").value_or(json());
  return s;
}

TemplateStatus decodeTemplateStatus(const Decoder& d) {
  TemplateStatus t;
  t.name = d.string("name");
  t.replicas = detail::decodeInt32(d, "replicas").value_or(0);
  t.updatedReplicas = detail::decodeInt32(d, "updatedReplicas").value_or(0);
  t.readyReplicas = detail::decodeInt32(d, "readyReplicas").value_or(0);
  t.availableReplicas = detail::decodeInt32(d, "availableReplicas").value_or(0);
  t.collisionCount = detail::decodeInt32(d, "collisionCount");
  t.status = decodeTemplateCode(d, "status");
  t.message = d.string("message");
  t.lastTransitionTime = d.string("lastTransitionTime");
  t.serviceName = d.string("serviceName");
  t.podTemplateHash = d.string("podTemplateHash");
  return t;
}

ExperimentStatus decodeExperimentStatus(const Decoder& d) {
  ExperimentStatus s;
  s.phase = detail::decodePhase(d, "phase");
  s.message = d.string("message");
  s.availableAt = d.string("availableAt");
  for (const Decoder& t : d.array("templateStatuses")) {
    s.templateStatuses.push_back(decodeTemplateStatus(t));
  }
  for (const Decoder& r : d.array("analysisRuns")) {
    s.analysisRuns.push_back({r.string("name"), r.string("analysisRun"), r.string("message"),
                              detail::decodePhase(r, "phase")});
  }
  for (const Decoder& c : d.array("conditions")) {
    s.conditions.push_back({c.string("type"), c.string("status"), c.string("lastUpdateTime"),
                            c.string("lastTransitionTime"), c.string("reason"),
                            c.string("message")});
  }
  if (d.value().is_object()) {
    s.rest = d.value();
    for (const char* k : kStatusFields) s.rest.erase(k);
  }
  return s;
}

json templateStatusJson(const TemplateStatus& t) {
  json j = {{"name", t.name},
            {"replicas", t.replicas},
            {"updatedReplicas", t.updatedReplicas},
            {"readyReplicas", t.readyReplicas},
            {"availableReplicas", t.availableReplicas}};
  if (t.collisionCount) j["collisionCount"] = *t.collisionCount;
  if (t.status) j["status"] = std::string(templateStatusName(*t.status));
  putString(j, "message", t.message);
  putString(j, "lastTransitionTime", t.lastTransitionTime);
  putString(j, "serviceName", t.serviceName);
  putString(j, "podTemplateHash", t.podTemplateHash);
  return j;
}

json templateJson(const ExperimentTemplate& t) {
  json j = {{"name", t.name}};
  if (t.replicas) j["replicas"] = *t.replicas;
  if (t.minReadySeconds != 0) j["minReadySeconds"] = t.minReadySeconds;
  putRaw(j, "selector", t.selector);
  j["template"] = t.template_;
  if (t.service) {
    j["service"] = json::object();
    putString(j["service"], "name", t.service->name);
  }
  if (t.weight) j["weight"] = *t.weight;
  return j;
}

// The entry named name in v (const or not), or nullptr.
template <typename V>
auto byName(V& v, const std::string& name) -> decltype(&v.front()) {
  for (auto& e : v) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

}  // namespace

std::string_view templateStatusName(TemplateStatusCode c) {
  for (const auto& [code, name] : kTemplateStatusNames) {
    if (code == c) return name;
  }
  return "";
}

std::optional<TemplateStatusCode> parseTemplateStatus(std::string_view s) {
  for (const auto& [code, name] : kTemplateStatusNames) {
    if (name == s) return code;
  }
  return std::nullopt;
}

bool isCompleted(TemplateStatusCode c) {
  return c == TemplateStatusCode::kSuccessful || c == TemplateStatusCode::kFailed ||
         c == TemplateStatusCode::kError;
}

const TemplateStatus* ExperimentStatus::templateStatus(const std::string& name) const {
  return byName(templateStatuses, name);
}
TemplateStatus* ExperimentStatus::templateStatus(const std::string& name) {
  return byName(templateStatuses, name);
}
const ExperimentAnalysisRunStatus* ExperimentStatus::analysisRun(const std::string& name) const {
  return byName(analysisRuns, name);
}
const ExperimentCondition* ExperimentStatus::condition(const std::string& type) const {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}
void ExperimentStatus::setTemplateStatus(const TemplateStatus& ts) {
  if (TemplateStatus* cur = templateStatus(ts.name)) {
    *cur = ts;
  } else {
    templateStatuses.push_back(ts);
  }
}
void ExperimentStatus::setAnalysisRun(const ExperimentAnalysisRunStatus& run) {
  if (auto* cur = byName(analysisRuns, run.name)) {
    *cur = run;
  } else {
    analysisRuns.push_back(run);
  }
}

std::string Experiment::label(const std::string& key) const {
  auto it = metadata.labels.find(key);
  return it == metadata.labels.end() ? "" : it->second;
}

bool Experiment::completed() const {
  return status.phase == AnalysisPhase::kSuccessful || status.phase == AnalysisPhase::kFailed ||
         status.phase == AnalysisPhase::kError || status.phase == AnalysisPhase::kInconclusive;
}

Result<RolloutExperimentStep> decodeRolloutExperimentStep(const json& step,
                                                          const std::string& path) {
  Decoder d(step, path);
  RolloutExperimentStep out;
  for (const Decoder& t : d.array("templates")) {
    RolloutExperimentTemplate tmpl;
    tmpl.name = t.string("name");
    tmpl.specRef = t.string("specRef");
    tmpl.replicas = detail::decodeInt32(t, "replicas");
    tmpl.weight = detail::decodeInt32(t, "weight");
    Decoder meta = t.child("metadata");
    tmpl.metadata.labels = detail::decodeStringMap(meta, "labels");
    tmpl.metadata.annotations = detail::decodeStringMap(meta, "annotations");
    if (t.has("selector")) tmpl.selector = t.child("selector").value();
    if (t.has("service")) tmpl.service = TemplateService{t.child("service").string("name")};
    out.templates.push_back(std::move(tmpl));
  }
  out.duration = raw(d, "duration").value_or(json());
  for (const Decoder& a : d.array("analyses")) out.analyses.push_back(decodeAnalysisRef(a));
  d.array("dryRun");
  if (d.has("analysisRunMetadata")) d.child("analysisRunMetadata");
  out.dryRun = raw(d, "dryRun").value_or(json());
  out.analysisRunMetadata = raw(d, "analysisRunMetadata").value_or(json());
  out.scaleDownDelaySeconds = detail::decodeInt32(d, "scaleDownDelaySeconds");
  if (!d.ok()) return d.status();
  return out;
}

Result<ExperimentStatus> decodeExperimentStatus(const json& status) {
  Decoder d(status, "status");
  ExperimentStatus s = decodeExperimentStatus(d);
  if (!d.ok()) return d.status();
  return s;
}

Result<Experiment> decodeExperiment(const json& obj) {
  Decoder d(obj, "");
  Experiment e;
  e.metadata = detail::decodeMetadata(d.child("metadata"));
  e.spec = decodeExperimentSpec(d.child("spec"));
  e.status = decodeExperimentStatus(d.child("status"));
  if (!d.ok()) return d.status();
  if (obj.is_object()) e.raw = obj;
  return e;
}

json toJson(const ExperimentStatus& s) {
  json j = s.rest.is_object() ? s.rest : json::object();
  if (s.phase) j["phase"] = std::string(phaseName(*s.phase));
  putString(j, "message", s.message);
  if (!s.templateStatuses.empty()) {
    json arr = json::array();
    for (const auto& t : s.templateStatuses) arr.push_back(templateStatusJson(t));
    j["templateStatuses"] = arr;
  }
  if (!s.conditions.empty()) {
    json arr = json::array();
    for (const auto& c : s.conditions) {
      arr.push_back({{"type", c.type},
                     {"status", c.status},
                     {"lastUpdateTime", c.lastUpdateTime},
                     {"lastTransitionTime", c.lastTransitionTime},
                     {"reason", c.reason},
                     {"message", c.message}});
    }
    j["conditions"] = arr;
  }
  putString(j, "availableAt", s.availableAt);
  if (!s.analysisRuns.empty()) {
    json arr = json::array();
    for (const auto& r : s.analysisRuns) {
      json e = {{"name", r.name}};
      putString(e, "analysisRun", r.analysisRun);
      if (r.phase) e["phase"] = std::string(phaseName(*r.phase));
      putString(e, "message", r.message);
      arr.push_back(e);
    }
    j["analysisRuns"] = arr;
  }
  return j;
}

json toJson(const ExperimentSpec& s) {
  json j = json::object();
  json templates = json::array();
  for (const auto& t : s.templates) templates.push_back(templateJson(t));
  j["templates"] = templates;
  putRaw(j, "duration", s.durationRaw);
  if (s.progressDeadlineSeconds) j["progressDeadlineSeconds"] = *s.progressDeadlineSeconds;
  if (s.terminate) j["terminate"] = true;
  if (s.scaleDownDelaySeconds) j["scaleDownDelaySeconds"] = *s.scaleDownDelaySeconds;
  if (!s.analyses.empty()) {
    json arr = json::array();
    for (const auto& a : s.analyses) {
      json e = {{"name", a.name}, {"templateName", a.templateName}};
      if (a.clusterScope) e["clusterScope"] = true;
      if (a.args.is_array() && !a.args.empty()) e["args"] = a.args;
      if (a.requiredForCompletion) e["requiredForCompletion"] = true;
      arr.push_back(e);
    }
    j["analyses"] = arr;
  }
  putRaw(j, "dryRun", s.dryRun);
  putRaw(j, "measurementRetention", s.measurementRetention);
  putRaw(j, "analysisRunMetadata", s.analysisRunMetadata);
  return j;
}

json toJson(const Experiment& e) {
  json j = e.raw.is_object() ? e.raw : json::object();
  if (!j.contains("apiVersion")) j["apiVersion"] = "argoproj.io/v1alpha1";
  if (!j.contains("kind")) j["kind"] = "Experiment";
  j["metadata"] = detail::metadataJson(e.metadata, j.value("metadata", json::object()));
  json spec = j.value("spec", json::object());
  if (!spec.is_object()) spec = json::object();
  for (const char* k : kSpecFields) spec.erase(k);
  spec.update(toJson(e.spec));
  j["spec"] = spec;
  json status = toJson(e.status);
  if (status.empty()) {
    j.erase("status");
  } else {
    j["status"] = status;
  }
  return j;
}

}  // namespace vane::kube
