#include "analysis/analysis_spec.h"

#include <charconv>
#include <regex>
#include <set>

#include "kube/decode.h"

namespace vane::analysis {

namespace {

// An int-or-string field: 3 or "3". Records a field error otherwise.
std::optional<int64_t> intOrString(const kube::Decoder& d, const std::string& key) {
  auto v = d.optIntOrString(key);
  if (!v) return std::nullopt;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    int64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && p == s.data() + s.size()) return n;
  }
  d.fail(key, "expected an integer, got " + v->dump());
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> duration(const kube::Decoder& d, const std::string& key) {
  auto s = d.optString(key);
  if (!s || s->empty()) return std::nullopt;
  auto r = parseDuration(*s);
  if (!r) {
    d.fail(key, r.status().message());
    return std::nullopt;
  }
  if (r->count() < 0) {
    d.fail(key, "invalid duration \"" + *s + "\": must not be negative");
    return std::nullopt;
  }
  return *r;
}

// Argo's dryRun/measurementRetention names are regular expressions anchored on the whole name
// ("*" alone means all).
bool nameMatches(const std::string& rule, const std::string& name) {
  if (rule == "*") return true;
  try {
    return std::regex_match(name, std::regex(rule));
  } catch (const std::regex_error&) {
    return rule == name;
  }
}

}  // namespace

std::optional<int64_t> MetricSpec::effectiveCount() const {
  if (!count || *count == 0) {
    if (!interval) return 1;
    return std::nullopt;
  }
  return count;
}

Result<MetricSpec> decodeMetric(const json& metric, const std::string& path) {
  kube::Decoder d(metric, path);
  MetricSpec m;
  m.raw = metric;
  m.name = d.requiredString("name");
  m.interval = duration(d, "interval");
  m.initialDelay = duration(d, "initialDelay");
  m.count = intOrString(d, "count");
  m.successCondition = d.string("successCondition");
  m.failureCondition = d.string("failureCondition");
  m.failureLimit = intOrString(d, "failureLimit").value_or(0);
  m.inconclusiveLimit = intOrString(d, "inconclusiveLimit").value_or(0);
  m.consecutiveErrorLimit =
      intOrString(d, "consecutiveErrorLimit").value_or(kDefaultConsecutiveErrorLimit);
  m.consecutiveSuccessLimit = intOrString(d, "consecutiveSuccessLimit").value_or(0);
  if (!d.ok()) return d.status();
  if (m.count && *m.count < 0)
    return Status(Code::kInvalid, "count must be >= 0", d.fieldPath("count"));
  if (m.count && *m.count > 1 && !m.interval) {
    return Status(Code::kInvalid, "interval must be specified when count > 1",
                  d.fieldPath("interval"));
  }
  if (m.inconclusiveLimit < 0) {
    return Status(Code::kInvalid, "inconclusiveLimit must be >= 0",
                  d.fieldPath("inconclusiveLimit"));
  }
  if (m.consecutiveErrorLimit < 0) {
    return Status(Code::kInvalid, "consecutiveErrorLimit must be >= 0",
                  d.fieldPath("consecutiveErrorLimit"));
  }
  kube::Decoder prov = d.child("provider");
  size_t kinds = 0;
  if (prov.value().is_object()) {
    for (const auto& [k, v] : prov.value().items()) kinds += !v.is_null();
  }
  if (kinds != 1) {
    return Status(Code::kInvalid, "exactly one provider must be specified",
                  d.fieldPath("provider"));
  }
  return m;
}

Result<AnalysisSpec> decodeAnalysisSpec(const json& obj) {
  kube::Decoder root(obj, "");
  kube::Decoder d = root.child("spec");
  AnalysisSpec s;
  std::set<std::string> names;
  for (const auto& m : d.array("metrics")) {
    std::string name = m.requiredString("name");
    if (!name.empty() && !names.insert(name).second) {
      m.fail("name", "duplicate metric name \"" + name + "\"");
    }
    s.metrics.push_back(m.value());
  }
  for (const auto& r : d.array("dryRun")) s.dryRun.push_back(r.requiredString("metricName"));
  for (const auto& r : d.array("measurementRetention")) {
    s.retention.emplace_back(r.requiredString("metricName"), r.integer("limit"));
  }
  s.terminate = d.boolean("terminate");
  if (d.has("templates")) s.templates = d.value()["templates"];
  if (!root.ok()) return root.status();
  if (d.has("args")) {
    auto args = decodeArgs(d.value()["args"], "spec.args");
    if (!args) return args.status();
    s.args = std::move(args).value();
  }
  return s;
}

Result<std::map<std::string, bool>> dryRunMetrics(const AnalysisSpec& spec,
                                                  const std::vector<MetricSpec>& metrics) {
  std::map<std::string, bool> out;
  for (size_t i = 0; i < spec.dryRun.size(); ++i) {
    bool matched = false;
    for (const auto& m : metrics) {
      if (nameMatches(spec.dryRun[i], m.name)) {
        out[m.name] = true;
        matched = true;
      }
    }
    if (!matched) {
      return Status(Code::kInvalid,
                    "dryRun[" + std::to_string(i) + "]: Rule didn't match any metric name(s)");
    }
  }
  return out;
}

Result<std::map<std::string, int64_t>> retentionLimits(const AnalysisSpec& spec,
                                                       const std::vector<MetricSpec>& metrics) {
  std::map<std::string, int64_t> out;
  for (const auto& m : metrics) out[m.name] = kDefaultMeasurementHistoryLimit;
  for (size_t i = 0; i < spec.retention.size(); ++i) {
    bool matched = false;
    for (const auto& m : metrics) {
      if (nameMatches(spec.retention[i].first, m.name)) {
        out[m.name] = spec.retention[i].second;
        matched = true;
      }
    }
    if (!matched) {
      return Status(Code::kInvalid, "measurementRetention[" + std::to_string(i) +
                                        "]: Rule didn't match any metric name(s)");
    }
  }
  return out;
}

}  // namespace vane::analysis
