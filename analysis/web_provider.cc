#include "analysis/web_provider.h"

#include "kube/decode.h"
#include "kube/jsonpath.h"

namespace vane::analysis {

namespace {
constexpr int64_t kWebDefaultTimeoutSeconds = 10;

struct WebSpec {
  std::string url;
  std::string method = "GET";
  http::Headers headers;
  std::string body;
  int64_t timeout = kWebDefaultTimeoutSeconds;
  std::string json_path = "{$}";
  bool insecure = false;
};

Result<WebSpec> decodeWebSpec(const json& metric) {
  kube::Decoder m(metric, "");
  kube::Decoder d = m.child("provider").child("web");
  WebSpec s;
  s.url = d.requiredString("url");
  s.method = d.string("method", "GET");
  for (const auto& h : d.array("headers"))
    s.headers.emplace_back(h.string("key"), h.string("value"));
  s.body = d.string("body");
  if (d.has("jsonBody")) {
    s.body = d.value()["jsonBody"].dump();
    if (!http::findHeader(s.headers, "Content-Type")) {
      s.headers.emplace_back("Content-Type", "application/json");
    }
  }
  s.timeout = d.integer("timeoutSeconds", kWebDefaultTimeoutSeconds);
  if (s.timeout <= 0) s.timeout = kWebDefaultTimeoutSeconds;
  s.json_path = d.string("jsonPath", "{$}");
  if (s.json_path.empty()) s.json_path = "{$}";
  s.insecure = d.boolean("insecure");
  if (!d.ok()) return d.status();
  if (s.method != "GET" && s.method != "POST" && s.method != "PUT") {
    return Status(Code::kInvalid, "unsupported method \"" + s.method + "\" (GET, POST or PUT)",
                  "provider.web.method");
  }
  return s;
}
}  // namespace

Result<json> webResult(const std::string& body, const std::string& json_path) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Status(Code::kInvalid, "response is not JSON: " + body.substr(0, 200));
  }
  auto matches = kube::evalJsonPath(doc, json_path);
  if (!matches) {
    return Status(Code::kInvalid, "jsonPath \"" + json_path + "\": " + matches.status().message());
  }
  if (matches->empty()) return json(nullptr);
  if (matches->size() == 1) return matches->front();
  return json(*matches);
}

WebProvider::WebProvider(http::ClientOptions client_options)
    : clients_(std::move(client_options)) {}

Measurement WebProvider::run(const MetricContext& ctx) {
  TimePoint at = ctx.now;
  auto spec = decodeWebSpec(ctx.metric);
  if (!spec) return errorMeasurement(spec.status().toString(), at, at);
  auto c = clients_.get(spec->insecure);
  if (!c) return errorMeasurement("http client: " + c.status().message(), at, at);
  http::ClientRequest req;
  req.method = spec->method;
  req.url = spec->url;
  req.headers = spec->headers;
  req.body = spec->body;
  req.timeout = std::chrono::seconds(spec->timeout);
  auto resp = (*c)->send(req);
  if (!resp) {
    return errorMeasurement(spec->method + " " + spec->url + ": " + resp.status().message(), at,
                            at);
  }
  if (resp->status < 200 || resp->status >= 300) {
    return errorMeasurement("received non 2xx response code: " + std::to_string(resp->status) +
                                " " + resp->body.substr(0, 200),
                            at, at);
  }
  auto result = webResult(resp->body, spec->json_path);
  if (!result) return errorMeasurement(result.status().message(), at, at);
  return measurementFromResult(*result, ctx.metric, at, at);
}

}  // namespace vane::analysis
