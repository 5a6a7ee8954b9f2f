#include "analysis/prometheus_provider.h"

#include <openssl/evp.h>

#include <cmath>
#include <cstdlib>

#include "kube/decode.h"

namespace vane::analysis {

namespace {

constexpr const char* kAddressEnv = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS";
constexpr int64_t kPrometheusDefaultTimeoutSeconds = 30;

struct PrometheusSpec {
  std::string address;
  std::string query;
  int64_t timeout = kPrometheusDefaultTimeoutSeconds;
  bool insecure = false;
  http::Headers headers;
};

Result<PrometheusSpec> decodePrometheusSpec(const json& metric) {
  kube::Decoder m(metric, "");
  kube::Decoder d = m.child("provider").child("prometheus");
  PrometheusSpec s;
  s.address = d.string("address");
  if (s.address.empty()) {
    if (const char* env = std::getenv(kAddressEnv)) s.address = env;
  }
  s.query = d.string("query");
  s.timeout = d.integer("timeout", kPrometheusDefaultTimeoutSeconds);
  if (s.timeout <= 0) s.timeout = kPrometheusDefaultTimeoutSeconds;
  s.insecure = d.boolean("insecure");
  for (const auto& h : d.array("headers"))
    s.headers.emplace_back(h.string("key"), h.string("value"));
  kube::Decoder basic = d.child("authentication").child("basicAuth");
  if (basic.has("username")) {
    s.headers.emplace_back("Authorization", "Basic " + base64Encode(basic.string("username") + ":" +
                                                                    basic.string("password")));
  }
  if (!d.ok()) return d.status();
  if (s.address.empty()) {
    return Status(Code::kInvalid,
                  "prometheus address is not set (provider.prometheus.address or $" +
                      std::string(kAddressEnv) + ")");
  }
  if (s.query.empty()) return Status(Code::kInvalid, "prometheus query is empty");
  while (!s.address.empty() && s.address.back() == '/') s.address.pop_back();
  return s;
}

double parseSample(const json& v, bool& ok) {
  ok = v.is_string();
  if (!ok) return 0;
  const std::string& s = v.get_ref<const std::string&>();
  if (s == "NaN") return std::nan("");
  if (s == "+Inf") return HUGE_VAL;
  if (s == "-Inf") return -HUGE_VAL;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  ok = !s.empty() && end == s.c_str() + s.size();
  return d;
}

// A [timestamp, "value"] pair's value.
bool samplePair(const json& pair, json& out) {
  if (!pair.is_array() || pair.size() != 2) return false;
  bool ok = false;
  double d = parseSample(pair[1], ok);
  out = d;
  return ok;
}

Result<json> decodeData(const std::string& type, const json& result) {
  auto malformed = [&] {
    return Status(Code::kInternal,
                  "malformed prometheus " + type + " result: " + result.dump().substr(0, 200));
  };
  if (type == "scalar") {
    json v;
    if (!samplePair(result, v)) return malformed();
    return v;
  }
  if (type == "string") {
    if (!result.is_array() || result.size() != 2 || !result[1].is_string()) return malformed();
    return result[1];
  }
  if (!result.is_array()) return malformed();
  json out = json::array();
  for (const auto& series : result) {
    if (!series.is_object()) return malformed();
    if (type == "vector") {
      if (!series.contains("value")) {
        return Status(Code::kInvalid, "native histogram samples are not supported in conditions");
      }
      json v;
      if (!samplePair(series["value"], v)) return malformed();
      out.push_back(v);
    } else if (type == "matrix") {
      if (!series.contains("values")) {
        return Status(Code::kInvalid, "native histogram samples are not supported in conditions");
      }
      for (const auto& p : series["values"]) {
        json v;
        if (!samplePair(p, v)) return malformed();
        out.push_back(v);
      }
    } else {
      return Status(Code::kInternal, "unknown prometheus result type \"" + type + "\"");
    }
  }
  return out;
}

std::string trimmedBody(const std::string& body) {
  std::string s = body.substr(0, 300);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "(empty body)" : s;
}

}  // namespace

std::string base64Encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

Result<PrometheusResult> parsePrometheusResponse(int http_status, const std::string& body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  Code code = http_status >= 500 ? Code::kUnavailable : Code::kInvalid;
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("status")) {
    Status st(http_status >= 200 && http_status < 300 ? Code::kInternal : code,
              "HTTP " + std::to_string(http_status) + ": " + trimmedBody(body));
    return st.withHttpStatus(http_status);
  }
  if (doc.value("status", "") != "success") {
    std::string type = doc.value("errorType", "");
    std::string err = doc.value("error", "");
    std::string msg = (type.empty() ? "" : type + ": ") + (err.empty() ? trimmedBody(body) : err);
    return Status(code, msg + " (HTTP " + std::to_string(http_status) + ")")
        .withHttpStatus(http_status);
  }
  const json& data = doc.contains("data") ? doc["data"] : json();
  if (!data.is_object() || !data.contains("resultType") || !data["resultType"].is_string()) {
    return Status(Code::kInternal, "prometheus answered success without data.resultType");
  }
  PrometheusResult r;
  r.result_type = data["resultType"].get<std::string>();
  auto value = decodeData(r.result_type, data.contains("result") ? data["result"] : json());
  if (!value) return value.status();
  r.value = std::move(value).value();
  if (auto w = doc.find("warnings"); w != doc.end() && w->is_array()) {
    for (const auto& s : *w)
      if (s.is_string()) r.warnings.push_back(s.get<std::string>());
  }
  return r;
}

PrometheusProvider::PrometheusProvider(http::ClientOptions client_options)
    : clients_(std::move(client_options)) {}

std::map<std::string, std::string> PrometheusProvider::metricMetadata(const json& metric) const {
  auto spec = decodePrometheusSpec(metric);
  if (!spec) return {};
  return {{std::string(kResolvedPrometheusQuery), spec->query}};
}

Measurement PrometheusProvider::run(const MetricContext& ctx) {
  TimePoint started = ctx.now;
  // finishedAt is the reconcile's time too: the schedule (finishedAt + interval) then does not
  // drift by the query's duration, and tests with an injected clock stay deterministic.
  auto finished = [&] { return ctx.now; };
  auto spec = decodePrometheusSpec(ctx.metric);
  if (!spec) return errorMeasurement(spec.status().toString(), started, finished());
  auto c = clients_.get(spec->insecure);
  if (!c) return errorMeasurement("http client: " + c.status().message(), started, finished());

  http::ClientRequest req;
  req.method = "POST";
  req.url = spec->address + "/api/v1/query";
  req.headers = spec->headers;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  req.body =
      "query=" + http::urlEncode(spec->query) + "&timeout=" + std::to_string(spec->timeout) + "s";
  req.timeout = std::chrono::seconds(spec->timeout);
  auto resp = (*c)->send(req);
  if (resp && resp->status == 405) {  // a proxy that only allows GET
    req.method = "GET";
    req.url += "?" + req.body;
    req.body.clear();
    resp = (*c)->send(req);
  }
  if (!resp) {
    return errorMeasurement(
        "prometheus " + spec->address + " unreachable: " + resp.status().message(), started,
        finished());
  }
  auto parsed = parsePrometheusResponse(resp->status, resp->body);
  if (!parsed) {
    return errorMeasurement("prometheus query failed: " + parsed.status().message(), started,
                            finished());
  }
  Measurement m = measurementFromResult(parsed->value, ctx.metric, started, finished());
  for (size_t i = 0; i < parsed->warnings.size(); ++i)
    m.metadata["warning" + (i ? std::to_string(i) : std::string())] = parsed->warnings[i];
  return m;
}

}  // namespace vane::analysis
