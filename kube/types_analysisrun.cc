#include "kube/types_analysisrun.h"

#include <array>
#include <utility>

#include "kube/decode.h"
#include "kube/encode.h"
#include "kube/types_internal.h"

namespace vane::kube {

using json = nlohmann::json;

namespace {

constexpr std::array<std::pair<AnalysisPhase, std::string_view>, 6> kPhaseNames = {{
    {AnalysisPhase::kPending, "Pending"},
    {AnalysisPhase::kRunning, "Running"},
    {AnalysisPhase::kSuccessful, "Successful"},
    {AnalysisPhase::kFailed, "Failed"},
    {AnalysisPhase::kError, "Error"},
    {AnalysisPhase::kInconclusive, "Inconclusive"},
}};

void putPhase(json& j, const char* key, const std::optional<AnalysisPhase>& p) {
  if (p) {
    j[key] = std::string(phaseName(*p));
  } else {
    j.erase(key);
  }
}

MetricResultSummary decodeMetricResult(const Decoder& d) {
  MetricResultSummary m;
  m.name = d.string("name");
  m.message = d.string("message");
  m.phase = detail::decodePhase(d, "phase");
  m.count = detail::decodeInt32(d, "count").value_or(0);
  m.successful = detail::decodeInt32(d, "successful").value_or(0);
  m.failed = detail::decodeInt32(d, "failed").value_or(0);
  m.inconclusive = detail::decodeInt32(d, "inconclusive").value_or(0);
  m.error = detail::decodeInt32(d, "error").value_or(0);
  m.consecutiveError = detail::decodeInt32(d, "consecutiveError").value_or(0);
  m.dryRun = d.boolean("dryRun");
  d.array("measurements");  // type check; the measurements stay in raw
  if (d.value().is_object()) m.raw = d.value();
  return m;
}

AnalysisRunStatus decodeRunStatus(const Decoder& d) {
  AnalysisRunStatus s;
  s.phase = detail::decodePhase(d, "phase");
  s.message = d.string("message");
  s.startedAt = d.string("startedAt");
  s.completedAt = d.string("completedAt");
  for (const Decoder& m : d.array("metricResults")) {
    s.metricResults.push_back(decodeMetricResult(m));
  }
  if (d.has("runSummary")) {
    Decoder r = d.child("runSummary");
    s.runSummary = RunSummary{detail::decodeInt32(r, "count").value_or(0),
                              detail::decodeInt32(r, "successful").value_or(0),
                              detail::decodeInt32(r, "failed").value_or(0),
                              detail::decodeInt32(r, "inconclusive").value_or(0),
                              detail::decodeInt32(r, "error").value_or(0)};
  }
  if (d.value().is_object()) {
    s.rest = d.value();
    for (const char* k :
         {"phase", "message", "startedAt", "completedAt", "metricResults", "runSummary"}) {
      s.rest.erase(k);
    }
  }
  return s;
}

AnalysisRunSpec decodeRunSpec(const Decoder& d) {
  AnalysisRunSpec s;
  d.array("metrics");
  d.array("args");
  d.array("dryRun");
  d.array("measurementRetention");
  if (d.has("metrics")) s.metrics = d.value().at("metrics");
  if (d.has("args")) s.args = d.value().at("args");
  s.terminate = d.boolean("terminate");
  if (d.has("dryRun")) s.dryRun = d.value().at("dryRun");
  if (d.has("measurementRetention")) s.measurementRetention = d.value().at("measurementRetention");
  if (d.value().is_object()) s.raw = d.value();
  return s;
}

json metricResultJson(const MetricResultSummary& m) {
  json j = m.raw.is_object() ? m.raw : json::object();
  j["name"] = m.name;
  putPhase(j, "phase", m.phase);
  putString(j, "message", m.message);
  // The counts are omitempty in Argo's MetricResult.
  for (auto [key, v] : {std::pair<const char*, int32_t>{"count", m.count},
                        {"successful", m.successful},
                        {"failed", m.failed},
                        {"inconclusive", m.inconclusive},
                        {"error", m.error},
                        {"consecutiveError", m.consecutiveError}}) {
    if (v != 0) {
      j[key] = v;
    } else {
      j.erase(key);
    }
  }
  if (m.dryRun) {
    j["dryRun"] = true;
  } else {
    j.erase("dryRun");
  }
  return j;
}

}  // namespace

std::string_view phaseName(AnalysisPhase p) {
  for (const auto& [ph, name] : kPhaseNames) {
    if (ph == p) return name;
  }
  return "";
}

std::optional<AnalysisPhase> parsePhase(std::string_view s) {
  for (const auto& [ph, name] : kPhaseNames) {
    if (name == s) return ph;
  }
  return std::nullopt;
}

std::string phaseName(const std::optional<AnalysisPhase>& p) {
  return p ? std::string(phaseName(*p)) : std::string();
}

std::string AnalysisRun::label(const std::string& key) const {
  auto it = metadata.labels.find(key);
  return it == metadata.labels.end() ? "" : it->second;
}

bool AnalysisRun::completed() const {
  return status.phase == AnalysisPhase::kSuccessful || status.phase == AnalysisPhase::kFailed ||
         status.phase == AnalysisPhase::kError || status.phase == AnalysisPhase::kInconclusive;
}

Result<AnalysisRunStatus> decodeAnalysisRunStatus(const json& status) {
  Decoder d(status, "status");
  AnalysisRunStatus s = decodeRunStatus(d);
  if (!d.ok()) return d.status();
  return s;
}

Result<AnalysisRun> decodeAnalysisRun(const json& obj) {
  Decoder d(obj, "");
  AnalysisRun r;
  r.metadata = detail::decodeMetadata(d.child("metadata"));
  r.spec = decodeRunSpec(d.child("spec"));
  r.status = decodeRunStatus(d.child("status"));
  if (!d.ok()) return d.status();
  if (obj.is_object()) r.raw = obj;
  return r;
}

json toJson(const AnalysisRunStatus& s) {
  json j = s.rest.is_object() ? s.rest : json::object();
  putPhase(j, "phase", s.phase);
  putString(j, "message", s.message);
  putString(j, "startedAt", s.startedAt);
  putString(j, "completedAt", s.completedAt);
  if (!s.metricResults.empty()) {
    json results = json::array();
    for (const auto& m : s.metricResults) results.push_back(metricResultJson(m));
    j["metricResults"] = results;
  }
  if (s.runSummary) {
    const RunSummary& r = *s.runSummary;
    j["runSummary"] = {{"count", r.count},
                       {"successful", r.successful},
                       {"failed", r.failed},
                       {"inconclusive", r.inconclusive},
                       {"error", r.error}};
  }
  return j;
}

json toJson(const AnalysisRun& run) {
  json j = run.raw.is_object() ? run.raw : json::object();
  if (!j.contains("apiVersion")) j["apiVersion"] = "argoproj.io/v1alpha1";
  if (!j.contains("kind")) j["kind"] = "AnalysisRun";
  j["metadata"] = detail::metadataJson(run.metadata, j.value("metadata", json::object()));
  json spec = run.spec.raw.is_object() ? run.spec.raw : json::object();
  spec["metrics"] = run.spec.metrics;
  if (run.spec.args.empty()) {
    spec.erase("args");
  } else {
    spec["args"] = run.spec.args;
  }
  if (run.spec.terminate) {
    spec["terminate"] = true;
  } else {
    spec.erase("terminate");
  }
  for (auto [key, v] : {std::pair<const char*, const json*>{"dryRun", &run.spec.dryRun},
                        {"measurementRetention", &run.spec.measurementRetention}}) {
    if (v->is_null()) {
      spec.erase(key);
    } else {
      spec[key] = *v;
    }
  }
  j["spec"] = spec;
  json status = toJson(run.status);
  if (status.empty()) {
    j.erase("status");
  } else {
    j["status"] = status;
  }
  return j;
}

namespace detail {

std::optional<AnalysisPhase> decodePhase(const Decoder& d, const std::string& key) {
  auto s = d.optString(key);
  if (!s || s->empty()) return std::nullopt;
  auto p = parsePhase(*s);
  if (!p) d.fail(key, "unknown phase \"" + *s + "\"");
  return p;
}

json metadataJson(const ObjectMeta& m, json base) {
  json j = base.is_object() ? std::move(base) : json::object();
  putString(j, "name", m.name);
  putString(j, "namespace", m.namespace_);
  putString(j, "uid", m.uid);
  putString(j, "resourceVersion", m.resourceVersion);
  putString(j, "creationTimestamp", m.creationTimestamp);
  putString(j, "deletionTimestamp", m.deletionTimestamp);
  if (m.generation != 0) {
    j["generation"] = m.generation;
  } else {
    j.erase("generation");
  }
  for (auto [key, map] : {std::pair<const char*, const Labels*>{"labels", &m.labels},
                          {"annotations", &m.annotations}}) {
    if (map->empty()) {
      j.erase(key);
    } else {
      j[key] = *map;
    }
  }
  if (m.ownerReferences.is_array() && !m.ownerReferences.empty()) {
    j["ownerReferences"] = m.ownerReferences;
  } else {
    j.erase("ownerReferences");
  }
  return j;
}

}  // namespace detail

}  // namespace vane::kube
