#include "analysis/prometheus_provider.h"

#include <openssl/evp.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>

#include "analysis/types.h"
#include "kube/decode.h"

namespace vane::analysis {

namespace {

constexpr const char* kAddressEnv = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS";
constexpr int64_t kPrometheusDefaultTimeoutSeconds = 30;

// Argo's authentication.oauth2: the client-credentials grant
// (golang.org/x/oauth2/clientcredentials).
struct PrometheusOAuth2 {
  std::string token_url;
  std::string client_id;
  std::string client_secret;
  std::vector<std::string> scopes;
};

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
  std::optional<PrometheusOAuth2> oauth2;
  std::optional<PrometheusRangeQuery> range;
};

constexpr const char* kOAuth2Path = "provider.prometheus.authentication.oauth2";

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
  kube::Decoder oauth = d.child("authentication").child("oauth2");
  PrometheusOAuth2 o;
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
      bool digits_only = !arg->empty() && arg->find_first_not_of("0123456789") == std::string::npos;
      auto d = parseDuration(*arg);
      if (!d || (digits_only && *arg != "0")) {  // Go's ParseDuration wants a unit
        return error("time: invalid duration \"" + *arg + "\"");
      }
      return Value{false, *d};
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

// A token from the client-credentials grant, cached per (tokenUrl, clientId, clientSecret, scopes,
// insecure) until it expires, as oauth2.ReuseTokenSource does: a token counts as expired 10s early
// (Go's expiryDelta) and one without expires_in never expires.
struct PrometheusOAuth2Token {
  std::string header;  // "Bearer abc"
  std::optional<TimePoint> expiry;
};

struct PrometheusTokenCache {
  std::mutex mu;
  std::map<std::string, PrometheusOAuth2Token> tokens;
};

namespace {

constexpr auto kPrometheusTokenExpiryDelta = std::chrono::seconds(10);

std::string prometheusTokenCacheKey(const PrometheusOAuth2& o, bool insecure) {
  std::string key = o.token_url + '\n' + o.client_id + '\n' + o.client_secret + '\n';
  for (const auto& s : o.scopes) key += s + ' ';
  return key + (insecure ? "\ninsecure" : "");
}

std::string joinedScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

// Decodes a token endpoint's 2xx body: JSON, or a form body when the server says
// application/x-www-form-urlencoded or text/plain (as Go's oauth2 accepts).
Result<PrometheusOAuth2Token> decodeTokenResponse(const http::ClientResponse& resp, TimePoint now) {
  std::string content_type = http::findHeader(resp.headers, "Content-Type").value_or("");
  std::string access_token, token_type;
  std::optional<int64_t> expires_in;
  if (content_type.rfind("application/x-www-form-urlencoded", 0) == 0 ||
      content_type.rfind("text/plain", 0) == 0) {
    std::string_view body = resp.body;
    while (!body.empty()) {
      size_t amp = body.find('&');
      std::string kv(body.substr(0, amp));
      std::replace(kv.begin(), kv.end(), '+', ' ');  // form encoding; urlDecode keeps '+'
      size_t eq = kv.find('=');
      std::string k = http::urlDecode(kv.substr(0, eq));
      std::string v = eq == std::string::npos ? "" : http::urlDecode(kv.substr(eq + 1));
      if (k == "access_token") access_token = v;
      if (k == "token_type") token_type = v;
      if (k == "expires_in" && !v.empty()) {
        char* end = nullptr;
        long long n = std::strtoll(v.c_str(), &end, 10);
        if (end == v.c_str() + v.size()) expires_in = n;
      }
      body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    }
  } else {
    json doc = json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
      return Status(Code::kInternal, "answer is not a JSON token: " + trimmedBody(resp.body));
    }
    auto str = [&](const char* k) {
      auto it = doc.find(k);
      return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    access_token = str("access_token");
    token_type = str("token_type");
    if (auto it = doc.find("expires_in"); it != doc.end() && !it->is_null()) {
      if (it->is_number_integer()) {
        expires_in = it->get<int64_t>();
      } else if (it->is_number()) {
        expires_in = static_cast<int64_t>(it->get<double>());
      } else if (it->is_string() && !it->get_ref<const std::string&>().empty()) {
        const std::string& v = it->get_ref<const std::string&>();
        char* end = nullptr;
        long long n = std::strtoll(v.c_str(), &end, 10);
        if (end != v.c_str() + v.size()) {
          return Status(Code::kInternal, "expires_in \"" + v + "\" is not a number");
        }
        expires_in = n;
      } else {
        return Status(Code::kInternal, "expires_in is not a number: " + it->dump());
      }
    }
  }
  if (access_token.empty()) {
    return Status(Code::kInternal, "answer has no access_token: " + trimmedBody(resp.body));
  }
  // Go's Token.Type(): "bearer" in any case (or none) is sent as "Bearer"; other types as given.
  std::string lower = token_type;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.empty() || lower == "bearer") token_type = "Bearer";
  PrometheusOAuth2Token t;
  t.header = token_type + " " + access_token;
  if (expires_in && *expires_in != 0) t.expiry = now + std::chrono::seconds(*expires_in);
  return t;
}

// Fetches a token: the client credentials in a basic authorization header first, then, when the
// endpoint refuses that, in the form body (Go's AuthStyleAutoDetect).
Result<PrometheusOAuth2Token> fetchOAuth2Token(http::Client& client, const PrometheusOAuth2& o,
                                               std::chrono::seconds timeout, TimePoint now) {
  std::string form = "grant_type=client_credentials";
  if (!o.scopes.empty()) form += "&scope=" + http::urlEncode(joinedScopes(o.scopes));
  Result<http::ClientResponse> resp = Status(Code::kInternal, "no token request sent");
  for (bool in_header : {true, false}) {
    http::ClientRequest req;
    req.method = "POST";
    req.url = o.token_url;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.headers.emplace_back("Accept", "application/json");
    req.body = form;
    if (in_header) {
      req.headers.emplace_back("Authorization",
                               "Basic " + base64Encode(http::urlEncode(o.client_id) + ":" +
                                                       http::urlEncode(o.client_secret)));
    } else {
      req.body += "&client_id=" + http::urlEncode(o.client_id) +
                  "&client_secret=" + http::urlEncode(o.client_secret);
    }
    req.timeout = timeout;
    resp = client.send(req);
    if (!resp) return Status(Code::kUnavailable, "request failed: " + resp.status().message());
    if (resp->status >= 200 && resp->status < 300) break;
  }
  if (resp->status < 200 || resp->status >= 300) {
    return Status(resp->status >= 500 ? Code::kUnavailable : Code::kInvalid,
                  "HTTP " + std::to_string(resp->status) + ": " + trimmedBody(resp->body));
  }
  return decodeTokenResponse(*resp, now);
}

// The Authorization value for a metric's oauth2 settings: the cached token while it is valid,
// otherwise a new one. Errors name the metric and the tokenUrl field.
Result<std::string> oauth2AuthorizationHeader(PrometheusTokenCache& cache, http::Client& client,
                                              const PrometheusSpec& spec, TimePoint now) {
  const PrometheusOAuth2& o = *spec.oauth2;
  std::string key = prometheusTokenCacheKey(o, spec.insecure);
  {
    std::lock_guard lock(cache.mu);
    auto it = cache.tokens.find(key);
    if (it != cache.tokens.end() &&
        (!it->second.expiry || now + kPrometheusTokenExpiryDelta < *it->second.expiry)) {
      return it->second.header;
    }
  }
  // Fetched outside the lock: a slow token endpoint must not hold up other metrics. Two metrics
  // racing for the same key both fetch; the later token wins, both are valid.
  auto token = fetchOAuth2Token(client, o, std::chrono::seconds(spec.timeout), now);
  if (!token) {
    return Status(token.status().code(), "metric \"" + spec.name + "\": " + kOAuth2Path +
                                             ".tokenUrl " + o.token_url +
                                             ": cannot fetch token: " + token.status().message());
  }
  std::lock_guard lock(cache.mu);
  cache.tokens[key] = *token;
  return token->header;
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
    : clients_(std::move(client_options)), tokens_(std::make_unique<PrometheusTokenCache>()) {}

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
  auto c = clients_.get(spec->insecure);
  if (!c) return errorMeasurement("http client: " + c.status().message(), started, finished());

  auto form = prometheusQueryForm(*spec, ctx.now);
  if (!form) return errorMeasurement(form.status().message(), started, finished());

  http::ClientRequest req;
  req.method = "POST";
  req.url = spec->address + (spec->range ? "/api/v1/query_range" : "/api/v1/query");
  req.headers = spec->headers;
  if (spec->oauth2) {
    // The token replaces any other Authorization (Go's oauth2.Transport sets the header last).
    auto auth = oauth2AuthorizationHeader(*tokens_, **c, *spec, ctx.now);
    if (!auth) return errorMeasurement(auth.status().message(), started, finished());
    std::erase_if(req.headers, [](const auto& h) {
      return h.first.size() == 13 && strncasecmp(h.first.c_str(), "Authorization", 13) == 0;
    });
    req.headers.emplace_back("Authorization", *auth);
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
