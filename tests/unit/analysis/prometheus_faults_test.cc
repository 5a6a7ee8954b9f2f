// Prometheus faults as the prometheus provider sees them (issue 16): each answer a misbehaving
// Prometheus or proxy can give becomes an Error measurement naming the reason; NaN, +Inf, -Inf and
// an empty vector are values handed to the condition as Argo does ("Handling Metric Results" in
// Argo's analysis docs), and a condition that cannot be evaluated on them is an Error, never a
// Successful or Failed measurement. No credential ever appears in a message. The server is an
// in-test HTTP server on port 0; the clock is injected.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <condition_variable>
#include <mutex>

#include "analysis/expr.h"
#include "analysis/http_auth.h"
#include "analysis/prometheus_provider.h"
#include "analysis/provider.h"
#include "analysis/types.h"
#include "kube/http.h"

namespace vane::analysis {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

std::string vectorOf(const std::string& samples) {
  return R"({"status":"success","data":{"resultType":"vector","result":[)" + samples + "]}}";
}
std::string sample(const std::string& v) {
  return R"({"metric":{"job":"a"},"value":[1767225660,")" + v + R"("]})";
}

// A loopback port nobody listens on: bound, never listened, closed.
uint16_t refusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// --- Decoding -------------------------------------------------------------------------------

TEST(PrometheusDecodeTest, SpecialValuesAreDoubles) {
  auto r = parsePrometheusResponse(200, vectorOf(sample("NaN") + "," + sample("+Inf") + "," +
                                                 sample("-Inf") + "," + sample("0.5")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->value.size(), 4u);
  EXPECT_TRUE(std::isnan(r->value[0].get<double>()));
  EXPECT_EQ(r->value[1].get<double>(), HUGE_VAL);
  EXPECT_EQ(r->value[2].get<double>(), -HUGE_VAL);
  EXPECT_EQ(r->value[3].get<double>(), 0.5);
  EXPECT_EQ(expr::formatValue(r->value), "[NaN,+Inf,-Inf,0.5]");
}

TEST(PrometheusDecodeTest, NonJsonBodies) {
  auto ok_status = parsePrometheusResponse(200, "<html>hello from the proxy</html>");
  ASSERT_FALSE(ok_status.ok());
  EXPECT_EQ(ok_status.status().message(), "HTTP 200: <html>hello from the proxy</html>");
  auto gateway = parsePrometheusResponse(502, "Bad Gateway");
  ASSERT_FALSE(gateway.ok());
  EXPECT_EQ(gateway.status().message(), "HTTP 502: Bad Gateway");
  EXPECT_EQ(gateway.status().code(), Code::kUnavailable);
  auto empty = parsePrometheusResponse(500, "");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("HTTP 500"));
  auto truncated = parsePrometheusResponse(200, R"({"status":"success","data":{"resultT)");
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.status().message(), HasSubstr("HTTP 200"));
}

TEST(PrometheusDecodeTest, StatusErrorEvenWith200) {
  auto r = parsePrometheusResponse(
      200, R"({"status":"error","errorType":"internal","error":"something broke"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "internal: something broke (HTTP 200)");
}

// --- Conditions on special values (Argo: docs "Handling Metric Results") ----------------------

json faultMetricWith(const std::string& success, const std::string& failure = "") {
  json m = {{"name", "m"}};
  if (!success.empty()) m["successCondition"] = success;
  if (!failure.empty()) m["failureCondition"] = failure;
  return m;
}

TEST(PrometheusConditionTest, EmptyVectorIndexedIsErrorWithReason) {
  for (const auto& metric :
       {faultMetricWith("result[0] < 0.05"), faultMetricWith("", "result[0] >= 0.05"),
        faultMetricWith("result[0] < 0.05", "result[0] >= 0.05")}) {
    Measurement m = measurementFromResult(json::array(), metric, {}, {});
    EXPECT_EQ(m.phase, Phase::kError) << metric.dump();
    EXPECT_EQ(m.value, "[]");
    EXPECT_THAT(m.message, HasSubstr("no data returned from the metric provider"));
    EXPECT_THAT(m.message, HasSubstr("index out of range: 0 (array length is 0)"));
  }
}

TEST(PrometheusConditionTest, EmptyVectorHandledByCondition) {
  EXPECT_EQ(evaluateConditions(json::array(), faultMetricWith("len(result) == 0")).phase,
            Phase::kSuccessful);
  EXPECT_EQ(
      evaluateConditions(json::array(), faultMetricWith("len(result) == 0 || result[0] < 0.05"))
          .phase,
      Phase::kSuccessful);
  EXPECT_EQ(evaluateConditions(json::array(), faultMetricWith("len(result) > 0")).phase,
            Phase::kFailed);
  // No condition at all: Argo's "always Successful unless there is an error".
  EXPECT_EQ(evaluateConditions(json::array(), faultMetricWith("")).phase, Phase::kSuccessful);
}

TEST(PrometheusConditionTest, NaNAndInf) {
  json nan = json::array({std::nan("")});
  json pinf = json::array({HUGE_VAL});
  json ninf = json::array({-HUGE_VAL});
  EXPECT_EQ(evaluateConditions(nan, faultMetricWith("isNaN(result[0])")).phase, Phase::kSuccessful);
  EXPECT_EQ(evaluateConditions(nan, faultMetricWith("result[0] < 0.05")).phase, Phase::kFailed);
  EXPECT_EQ(evaluateConditions(nan, faultMetricWith("", "result[0] >= 0.05")).phase,
            Phase::kSuccessful);  // every comparison with NaN is false, as in Go
  EXPECT_EQ(evaluateConditions(pinf, faultMetricWith("isInf(result[0])")).phase,
            Phase::kSuccessful);
  EXPECT_EQ(evaluateConditions(ninf, faultMetricWith("isInf(result[0])")).phase,
            Phase::kSuccessful);
  EXPECT_EQ(evaluateConditions(pinf, faultMetricWith("result[0] < 0.05")).phase, Phase::kFailed);
  EXPECT_EQ(evaluateConditions(ninf, faultMetricWith("result[0] < 0.05")).phase,
            Phase::kSuccessful);
  EXPECT_EQ(evaluateConditions(nan, faultMetricWith("isInf(result[0])")).phase, Phase::kFailed);
  EXPECT_EQ(evaluateConditions(json::array({0.5}), faultMetricWith("isNaN(result[0])")).phase,
            Phase::kFailed);
  // Indexing past the end of a one-sample vector is an Error too, not a Failed measurement.
  auto v = evaluateConditions(nan, faultMetricWith("result[1] < 0.05"));
  EXPECT_EQ(v.phase, Phase::kError);
  EXPECT_THAT(v.message, HasSubstr("index out of range: 1 (array length is 1)"));
  Measurement m = measurementFromResult(pinf, faultMetricWith("result[0] < 0.05"), {}, {});
  EXPECT_EQ(m.value, "[+Inf]");
  EXPECT_EQ(m.message, "result [+Inf] failed \"result[0] < 0.05\"");
}

// --- The provider against a misbehaving server ------------------------------------------------

enum class Fault { kNone, kStall, k500, k503, kMatrix, kNonJson, kStatusError, kString, kEcho };

class PromFaultFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = http::Server::start({}, [this](const http::Request& r) { return answer(r); });
    ASSERT_TRUE(s.ok()) << s.status().message();
    server_ = std::move(s).value();
  }
  void TearDown() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (server_) server_->stop();
  }
  http::Response answer(const http::Request& r) {
    std::unique_lock lock(mu_);
    if (r.path == "/token") {
      return http::Response::text(
          401, "invalid client: " + r.body + " " + r.header("Authorization").value_or(""));
    }
    switch (fault_) {
      case Fault::kStall:
        cv_.wait_for(lock, 3s, [this] { return stopping_; });
        return http::Response::json(200, vectorOf(sample("1")));
      case Fault::k500:
        return http::Response::text(500, "Internal Server Error");
      case Fault::k503:
        return http::Response::text(503, "Service Unavailable");
      case Fault::kMatrix:
        return http::Response::json(
            200,
            R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]]}]}})");
      case Fault::kNonJson:
        return http::Response::text(200, "<html>proxy login page</html>");
      case Fault::kStatusError:
        return http::Response::json(
            422, R"({"status":"error","errorType":"execution","error":"vector cannot contain )"
                 R"(metrics with the same labelset"})");
      case Fault::kString:
        return http::Response::json(
            200, R"({"status":"success","data":{"resultType":"string","result":[1,"hi"]}})");
      case Fault::kEcho:  // a proxy that echoes what it got, credentials included
        return http::Response::text(502,
                                    "upstream refused request with Authorization: " +
                                        r.header("Authorization").value_or("") +
                                        " and X-Api-Key: " + r.header("X-Api-Key").value_or(""));
      case Fault::kNone:
        break;
    }
    return http::Response::json(200, body_);
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  json metric(json prom_extra = json::object(), json metric_extra = json::object()) const {
    json prom = {{"address", base()}, {"query", "up"}, {"timeout", 1}};
    if (prom_extra.is_object()) prom.update(prom_extra);
    json m = {{"name", "fault-m"},
              {"successCondition", "result[0] < 0.05"},
              {"provider", {{"prometheus", prom}}}};
    m.update(metric_extra);
    return m;
  }
  Measurement measure(const json& m) {
    MetricContext ctx{m, "default", "run", "uid", *parseTime("2026-01-01T00:01:00Z")};
    return provider_.run(ctx);
  }
  void setBody(std::string body) {
    std::lock_guard lock(mu_);
    body_ = std::move(body);
  }
  void setFault(Fault f) {
    std::lock_guard lock(mu_);
    fault_ = f;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  Fault fault_ = Fault::kNone;
  std::string body_ = vectorOf(sample("0.01"));
  std::unique_ptr<http::Server> server_;
  PrometheusProvider provider_;
};

TEST_F(PromFaultFixture, HealthyAnswerIsSuccessful) {
  Measurement m = measure(metric());
  EXPECT_EQ(m.phase, Phase::kSuccessful) << m.message;
  EXPECT_EQ(m.value, "[0.01]");
}

TEST_F(PromFaultFixture, StallPastTimeoutIsError) {
  setFault(Fault::kStall);
  auto t0 = std::chrono::steady_clock::now();
  Measurement m = measure(metric());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2900ms);  // the server holds 3 s
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_THAT(m.message, HasSubstr("did not answer within 1s (provider.prometheus.timeout)"));
}

TEST_F(PromFaultFixture, ServerErrorsAreErrors) {
  setFault(Fault::k500);
  Measurement m = measure(metric());
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_EQ(m.message, "prometheus query failed: HTTP 500: Internal Server Error");
  setFault(Fault::k503);
  m = measure(metric());
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_EQ(m.message, "prometheus query failed: HTTP 503: Service Unavailable");
  setFault(Fault::kStatusError);
  m = measure(metric());
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_EQ(m.message,
            "prometheus query failed: execution: vector cannot contain metrics with the same "
            "labelset (HTTP 422)");
}

TEST_F(PromFaultFixture, NonJsonIsError) {
  setFault(Fault::kNonJson);
  Measurement m = measure(metric());
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_EQ(m.message, "prometheus query failed: HTTP 200: <html>proxy login page</html>");
}

TEST_F(PromFaultFixture, MatrixOrStringFromInstantQueryIsError) {
  setFault(Fault::kMatrix);
  Measurement m = measure(metric());
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_EQ(m.message,
            "prometheus query failed: /api/v1/query answered a matrix; an instant query must "
            "give a vector or a scalar (Prometheus metric type not supported)");
  // A range query expects the matrix.
  m = measure(metric(
      {{"rangeQuery", {{"start", "now() - duration(\"1m\")"}, {"end", "now()"}, {"step", "30s"}}}},
      {{"successCondition", "result[0] == 1"}}));
  EXPECT_EQ(m.phase, Phase::kSuccessful) << m.message;
  setFault(Fault::kString);
  m = measure(metric());
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_THAT(m.message, HasSubstr("/api/v1/query answered a string"));
}

TEST_F(PromFaultFixture, VectorFromRangeQueryIsError) {
  Measurement m = measure(
      metric({{"rangeQuery",
               {{"start", "now() - duration(\"1m\")"}, {"end", "now()"}, {"step", "30s"}}}}));
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_THAT(m.message, HasSubstr("/api/v1/query_range answered a vector; a range query must "
                                   "give a matrix"));
}

TEST_F(PromFaultFixture, ConnectionRefusedIsError) {
  json m = metric({{"address", "http://127.0.0.1:" + std::to_string(refusedPort())}});
  Measurement out = measure(m);
  EXPECT_EQ(out.phase, Phase::kError);
  EXPECT_THAT(out.message, HasSubstr("unreachable"));
  EXPECT_THAT(out.message, HasSubstr("refused"));
}

TEST_F(PromFaultFixture, EmptyNaNInfFromServer) {
  setBody(vectorOf(""));
  Measurement m = measure(metric());
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_EQ(m.value, "[]");
  EXPECT_THAT(m.message, HasSubstr("no data returned from the metric provider"));
  EXPECT_EQ(measure(metric({}, {{"successCondition", "len(result) == 0"}})).phase,
            Phase::kSuccessful);
  setBody(vectorOf(sample("NaN")));
  EXPECT_EQ(measure(metric({}, {{"successCondition", "isNaN(result[0])"}})).phase,
            Phase::kSuccessful);
  EXPECT_EQ(measure(metric()).phase, Phase::kFailed);
  setBody(vectorOf(sample("+Inf")));
  EXPECT_EQ(measure(metric({}, {{"successCondition", "isInf(result[0])"}})).phase,
            Phase::kSuccessful);
  setBody(vectorOf(sample("-Inf")));
  m = measure(metric({}, {{"successCondition", "isInf(result[0]) && result[0] < 0"}}));
  EXPECT_EQ(m.phase, Phase::kSuccessful) << m.message;
  EXPECT_EQ(m.value, "[-Inf]");
}

// --- Credentials never reach a message ------------------------------------------------------

TEST_F(PromFaultFixture, BasicAuthPasswordNeverInMessage) {
  setFault(Fault::kEcho);
  json m = metric(
      {{"authentication", {{"basicAuth", {{"username", "alice"}, {"password", "s3cret-basic"}}}}}});
  Measurement out = measure(m);
  EXPECT_EQ(out.phase, Phase::kError);
  EXPECT_THAT(out.message, HasSubstr("upstream refused request with Authorization: Basic *****"));
  EXPECT_THAT(out.message, Not(HasSubstr("s3cret-basic")));
  EXPECT_THAT(out.message, Not(HasSubstr(base64Encode("alice:s3cret-basic"))));
}

TEST_F(PromFaultFixture, HeaderTokensNeverInMessage) {
  setFault(Fault::kEcho);
  json headers = json::array({{{"key", "Authorization"}, {"value", "Bearer tok-from-header"}},
                              {{"key", "X-Api-Key"}, {"value", "api-key-value"}}});
  json m = metric({{"headers", headers}});
  Measurement out = measure(m);
  EXPECT_EQ(out.phase, Phase::kError);
  EXPECT_THAT(out.message, Not(HasSubstr("tok-from-header")));
  EXPECT_THAT(out.message, Not(HasSubstr("api-key-value")));
  EXPECT_THAT(out.message, HasSubstr("Bearer *****"));
}

TEST_F(PromFaultFixture, UserinfoInAddressIsSentAsBasicAuthAndRedacted) {
  setFault(Fault::kEcho);
  std::string addr = "http://bob:p%40ss-in-url@127.0.0.1:" + std::to_string(server_->port());
  Measurement out = measure(metric({{"address", addr}}));
  EXPECT_EQ(out.phase, Phase::kError);
  EXPECT_THAT(out.message, Not(HasSubstr("p%40ss-in-url")));
  EXPECT_THAT(out.message, Not(HasSubstr("p@ss-in-url")));
  EXPECT_THAT(out.message, Not(HasSubstr(base64Encode("bob:p@ss-in-url"))));
  EXPECT_THAT(out.message, HasSubstr("Authorization: Basic *****"));  // sent, as Go's client does
  // Unreachable: the address in the message has its password masked, as Go's URL.Redacted().
  std::string refused = "http://bob:p%40ss-in-url@127.0.0.1:" + std::to_string(refusedPort());
  out = measure(metric({{"address", refused}}));
  EXPECT_EQ(out.phase, Phase::kError);
  EXPECT_THAT(out.message, HasSubstr("prometheus http://bob:*****@127.0.0.1:"));
  EXPECT_THAT(out.message, Not(HasSubstr("ss-in-url")));
}

TEST_F(PromFaultFixture, OAuth2SecretNeverInMessage) {
  json m = metric({{"authentication",
                    {{"oauth2",
                      {{"tokenUrl", base() + "/token"},
                       {"clientId", "the-client"},
                       {"clientSecret", "oauth-secret-value"}}}}}});
  Measurement out = measure(m);
  EXPECT_EQ(out.phase, Phase::kError);
  EXPECT_THAT(out.message, HasSubstr("invalid client"));  // the endpoint's answer is kept
  EXPECT_THAT(out.message, Not(HasSubstr("oauth-secret-value")));
  EXPECT_THAT(out.message, Not(HasSubstr(base64Encode("the-client:oauth-secret-value"))));
}

}  // namespace
}  // namespace vane::analysis
