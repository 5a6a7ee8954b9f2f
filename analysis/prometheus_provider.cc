#include "analysis/prometheus_provider.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>

#include "analysis/credentials.h"
#include "analysis/http_auth.h"
#include "analysis/types.h"
#include "kube/decode.h"

namespace vane::analysis {

namespace {

constexpr const char* kAddressEnv = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS";
constexpr int64_t kPrometheusDefaultTimeoutSeconds = 30;

// Argo's rangeQuery: start and end are expr time expressions, step a DurationString.
struct PrometheusRangeQuery {
  std::string start;
  std::string end;
  std::chrono::milliseconds step{0};
};

struct PrometheusSpec {
  std::string name;  // the metric's name, for error messages
  std::string address;
  std::string query;
  int64_t timeout = kPrometheusDefaultTimeoutSeconds;
  bool insecure = false;
  http::Headers headers;
  std::optional<OAuth2Config> oauth2;
  std::optional<PrometheusRangeQuery> range;
  std::string shown_address;         // the address with any password masked, for messages
  std::vector<std::string> secrets;  // credentials masked out of every error message
};

constexpr const char* kOAuth2Path = "provider.prometheus.authentication.oauth2";

bool isAuthorization(const std::string& name) {
  return name.size() == 13 && strncasecmp(name.c_str(), "Authorization", 13) == 0;
}

// Go's http.Client sends the address's userinfo as basic auth unless an Authorization header is
// already set, which is how Argo users reach Grafana Cloud and other protected endpoints
// (argoproj/argo-rollouts#2500, open). The credentials never stay in the URL, which error
// messages print.
void moveUserinfoToHeader(PrometheusSpec& s) {
  UrlUserinfo u = splitUserinfo(s.address);
  s.address = u.url;
  s.shown_address = u.shown;
  if (!u.user) return;
  std::string pass = u.password.value_or("");
  s.secrets.push_back(pass);
  bool has_auth = std::any_of(s.headers.begin(), s.headers.end(),
                              [](const auto& h) { return isAuthorization(h.first); });
  if (!has_auth) {
    s.headers.emplace_back("Authorization", "Basic " + base64Encode(*u.user + ":" + pass));
  }
}

// Everything masked out of this metric's error messages.
void collectSecrets(PrometheusSpec& s) {
  std::vector<std::string> found;
  for (const auto& v : s.secrets) addCredential(found, v);
  for (const auto& [name, value] : s.headers)
    if (isCredentialHeader(name)) addCredential(found, value);
  if (s.oauth2) {
    const OAuth2Config& o = *s.oauth2;
    addCredential(found, o.client_secret);
    addCredential(found, base64Encode(o.client_id + ":" + o.client_secret));
    addCredential(
        found, base64Encode(http::urlEncode(o.client_id) + ":" + http::urlEncode(o.client_secret)));
    addCredential(found, splitUserinfo(o.token_url).password.value_or(""));
  }
  s.secrets = std::move(found);
}

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
    s.secrets.push_back(basic.string("password"));
  }
  kube::Decoder oauth = d.child("authentication").child("oauth2");
  OAuth2Config o;
  o.token_url = oauth.string("tokenUrl");
  o.client_id = oauth.string("clientId");
  o.client_secret = oauth.string("clientSecret");
  if (const json& v = oauth.value();
      v.is_object() && v.contains("scopes") && !v["scopes"].is_null()) {
    const json& scopes = v["scopes"];
    if (!scopes.is_array()) oauth.fail("scopes", "expected array of strings");
    for (size_t i = 0; scopes.is_array() && i < scopes.size(); ++i) {
      if (!scopes[i].is_string()) {
        oauth.fail("scopes[" + std::to_string(i) + "]", "expected string");
        break;
      }
      o.scopes.push_back(scopes[i].get<std::string>());
    }
  }
  s.name = m.string("name");
  auto metricPrefix = [&] { return "metric \"" + s.name + "\": "; };
  if (!d.ok()) return Status(d.status().code(), metricPrefix() + d.status().toString());
  if (!o.token_url.empty()) {
    // Argo needs both credentials once tokenUrl is set; without tokenUrl oauth2 is ignored.
    for (const auto& [field, value] :
         {std::pair{"clientId", &o.client_id}, std::pair{"clientSecret", &o.client_secret}}) {
      if (value->empty()) {
        return Status(Code::kInvalid, metricPrefix() + kOAuth2Path + "." + field +
                                          " is required when tokenUrl is set");
      }
    }
    if (o.token_url.rfind("http://", 0) != 0 && o.token_url.rfind("https://", 0) != 0) {
      return Status(Code::kInvalid, metricPrefix() + kOAuth2Path +
                                        ".tokenUrl must be an http(s) URL, got \"" + o.token_url +
                                        "\"");
    }
    s.oauth2 = std::move(o);
  }
  if (d.has("rangeQuery")) {
    kube::Decoder rq = d.child("rangeQuery");
    PrometheusRangeQuery r;
    r.start = rq.string("start");
    r.end = rq.string("end");
    std::string step = rq.string("step");
    if (!rq.ok()) return Status(rq.status().code(), metricPrefix() + rq.status().toString());
    for (const auto& [field, value] :
         {std::pair{"start", &r.start}, std::pair{"end", &r.end}, std::pair{"step", &step}}) {
      if (value->empty()) {
        return Status(Code::kInvalid, metricPrefix() + "provider.prometheus.rangeQuery." + field +
                                          " is required in a range query");
      }
    }
    auto parsed = parseDuration(step);
    if (!parsed || parsed->count() <= 0) {
      return Status(Code::kInvalid, metricPrefix() +
                                        "provider.prometheus.rangeQuery.step: failed to parse \"" +
                                        step + "\" as a positive duration (e.g. 30s, 5m, 1h)");
    }
    r.step = *parsed;
    s.range = std::move(r);
  }
  if (s.address.empty()) {
    return Status(Code::kInvalid,
                  "prometheus address is not set (provider.prometheus.address or $" +
                      std::string(kAddressEnv) + ")");
  }
  if (s.query.empty()) return Status(Code::kInvalid, "prometheus query is empty");
  while (!s.address.empty() && s.address.back() == '/') s.address.pop_back();
  moveUserinfoToHeader(s);
  collectSecrets(s);
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

// Evaluates rangeQuery.start/end: the time part of expr that Argo's evaluate.EvalTime users write,
// i.e. now(), date("RFC 3339"), duration("5m"), + and - between them, and parentheses. The
// expression must come out a time ("expected time.Time, but got time.Duration" otherwise).
class PrometheusTimeExpr {
 public:
  PrometheusTimeExpr(std::string_view src, TimePoint now) : src_(src), now_(now) {}

  Result<TimePoint> evaluate() {
    auto v = sum();
    if (!v) return v.status();
    skipSpace();
    if (pos_ != src_.size()) return error("unexpected \"" + std::string(src_.substr(pos_)) + "\"");
    if (!v->is_time) return error("expected time.Time, but got time.Duration");
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(v->ms));
  }

 private:
  struct Value {
    bool is_time = false;
    std::chrono::milliseconds ms{0};  // since the epoch for a time
  };

  Status error(const std::string& message) const {
    return Status(Code::kInvalid, message + " (at column " + std::to_string(pos_ + 1) + ")");
  }
  void skipSpace() {
    while (pos_ < src_.size() && std::isspace(static_cast<unsigned char>(src_[pos_]))) ++pos_;
  }
  bool consume(std::string_view tok) {
    skipSpace();
    if (src_.substr(pos_, tok.size()) != tok) return false;
    pos_ += tok.size();
    return true;
  }
  Result<std::string> stringArg() {
    if (!consume("(")) return error("expected \"(\"");
    skipSpace();
    if (pos_ >= src_.size() || (src_[pos_] != '"' && src_[pos_] != '\'')) {
      return error("expected a string argument");
    }
    char quote = src_[pos_++];
    size_t close = src_.find(quote, pos_);
    if (close == std::string_view::npos) return error("unterminated string");
    std::string arg(src_.substr(pos_, close - pos_));
    pos_ = close + 1;
    if (!consume(")")) return error("expected \")\"");
    return arg;
  }
  Result<Value> term() {
    if (consume("(")) {
      auto v = sum();
      if (!v) return v;
      if (!consume(")")) return error("expected \")\"");
      return v;
    }
    if (consume("now")) {
      if (!consume("(") || !consume(")")) return error("expected now()");
      return Value{true,
                   std::chrono::duration_cast<std::chrono::milliseconds>(now_.time_since_epoch())};
    }
    if (consume("duration")) {
      auto arg = stringArg();
      if (!arg) return arg.status();
      auto d = base::parseGoDuration(*arg);  // Go's ParseDuration: a unit is required
      if (!d) return error("time: invalid duration \"" + *arg + "\"");
      return Value{false, std::chrono::duration_cast<std::chrono::milliseconds>(*d)};
    }
    if (consume("date")) {
      auto arg = stringArg();
      if (!arg) return arg.status();
      auto t = parseTime(*arg);
      if (!t) return error("cannot parse \"" + *arg + "\" as an RFC 3339 date");
      return Value{true,
                   std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch())};
    }
    skipSpace();
    return error(pos_ < src_.size() ? "unexpected \"" + std::string(src_.substr(pos_)) + "\""
                                    : "unexpected end of expression");
  }
  Result<Value> sum() {
    auto left = term();
    if (!left) return left;
    Value v = *left;
    for (;;) {
      bool plus = consume("+");
      if (!plus && !consume("-")) return v;
      auto right = term();
      if (!right) return right;
      if (plus) {
        if (v.is_time && right->is_time) return error("invalid operation: time.Time + time.Time");
        v = Value{v.is_time || right->is_time, v.ms + right->ms};
      } else {
        if (!v.is_time && right->is_time) {
          return error("invalid operation: time.Duration - time.Time");
        }
        v = Value{v.is_time && !right->is_time, v.ms - right->ms};
      }
    }
  }

  std::string_view src_;
  size_t pos_ = 0;
  TimePoint now_;
};

// Unix seconds with millisecond precision, as the Go client formats query_range times.
std::string prometheusUnixSeconds(std::chrono::milliseconds ms) {
  int64_t v = ms.count();
  std::string sign = v < 0 ? "-" : "";
  v = v < 0 ? -v : v;
  std::string frac = std::to_string(1000 + v % 1000).substr(1);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return sign + std::to_string(v / 1000) + (frac.empty() ? "" : "." + frac);
}

// The form body of a query: /api/v1/query at the server's now, or /api/v1/query_range.
Result<std::string> prometheusQueryForm(const PrometheusSpec& spec, TimePoint now) {
  std::string form = "query=" + http::urlEncode(spec.query);
  if (spec.range) {
    std::string bounds;
    for (const auto& [field, src] :
         {std::pair{"start", &spec.range->start}, std::pair{"end", &spec.range->end}}) {
      auto t = PrometheusTimeExpr(*src, now).evaluate();
      if (!t) {
        return Status(Code::kInvalid,
                      "metric \"" + spec.name + "\": provider.prometheus.rangeQuery." + field +
                          ": failed to parse \"" + *src + "\" as time: " + t.status().message());
      }
      bounds += std::string("&") + field + "=" +
                prometheusUnixSeconds(
                    std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()));
    }
    form += bounds + "&step=" + prometheusUnixSeconds(spec.range->step);
  }
  return form + "&timeout=" + std::to_string(spec.timeout) + "s";
}

}  // namespace

Result<PrometheusResult> parsePrometheusResponse(int http_status, const std::string& body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  Code code = http_status >= 500 ? Code::kUnavailable : Code::kInvalid;
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("status")) {
    Status st(http_status >= 200 && http_status < 300 ? Code::kInternal : code,
              "HTTP " + std::to_string(http_status) + ": " + bodyExcerpt(body));
    return st.withHttpStatus(http_status);
  }
  if (doc.value("status", "") != "success") {
    std::string type = doc.value("errorType", "");
    std::string err = doc.value("error", "");
    std::string msg = (type.empty() ? "" : type + ": ") + (err.empty() ? bodyExcerpt(body) : err);
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
    : clients_(std::move(client_options)), tokens_(std::make_unique<OAuth2TokenCache>()) {}

PrometheusProvider::~PrometheusProvider() = default;

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
  // Every message below may quote the server, a proxy or the token endpoint, which can echo what
  // they were sent: credentials are masked out of all of them.
  auto fail = [&](const std::string& message) {
    return errorMeasurement(maskCredentials(message, spec->secrets), started, finished());
  };
  auto c = clients_.get(spec->insecure);
  if (!c) return fail("http client: " + c.status().message());

  auto form = prometheusQueryForm(*spec, ctx.now);
  if (!form) return fail(form.status().message());

  http::ClientRequest req;
  req.method = "POST";
  const char* path = spec->range ? "/api/v1/query_range" : "/api/v1/query";
  req.url = spec->address + path;
  req.headers = spec->headers;
  if (spec->oauth2) {
    // The token replaces any other Authorization (Go's oauth2.Transport sets the header last).
    auto auth = tokens_->authorization(**c, *spec->oauth2, spec->insecure,
                                       std::chrono::seconds(spec->timeout), ctx.now);
    if (!auth) {
      return fail("metric \"" + spec->name + "\": " + kOAuth2Path + ".tokenUrl " +
                  splitUserinfo(spec->oauth2->token_url).shown +
                  ": cannot fetch token: " + auth.status().message());
    }
    std::erase_if(req.headers, [](const auto& h) { return isAuthorization(h.first); });
    req.headers.emplace_back("Authorization", *auth);
    addCredential(spec->secrets, *auth);
  }
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  req.body = *form;
  req.timeout = std::chrono::seconds(spec->timeout);
  auto resp = (*c)->send(req);
  if (resp && resp->status == 405) {  // a proxy that only allows GET
    req.method = "GET";
    req.url += "?" + req.body;
    req.body.clear();
    resp = (*c)->send(req);
  }
  if (!resp && resp.status().code() == Code::kTimeout) {
    return fail("prometheus " + spec->shown_address + " did not answer within " +
                std::to_string(spec->timeout) +
                "s (provider.prometheus.timeout): " + resp.status().message());
  }
  if (!resp) {
    return fail("prometheus " + spec->shown_address + " unreachable: " + resp.status().message());
  }
  auto parsed = parsePrometheusResponse(resp->status, resp->body);
  if (!parsed) return fail("prometheus query failed: " + parsed.status().message());
  // Argo's processResponse takes a vector or a scalar from an instant query and errors on any
  // other type ("Prometheus metric type not supported"); a range query gives a matrix. A
  // proxy answering with the wrong shape must not have its samples judged as if they were right.
  const std::string& type = parsed->result_type;
  bool expected = spec->range ? type == "matrix" : (type == "vector" || type == "scalar");
  if (!expected) {
    return fail(std::string("prometheus query failed: ") + path + " answered a " + type +
                (spec->range ? "; a range query must give a matrix"
                             : "; an instant query must give a vector or a scalar") +
                " (Prometheus metric type not supported)");
  }
  Measurement m = measurementFromResult(parsed->value, ctx.metric, started, finished());
  for (size_t i = 0; i < parsed->warnings.size(); ++i)
    m.metadata["warning" + (i ? std::to_string(i) : std::string())] = parsed->warnings[i];
  return m;
}

}  // namespace vane::analysis
