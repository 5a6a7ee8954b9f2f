// The prometheus provider's requests: rangeQuery bounds and step as sent to /api/v1/query_range,
// and the oauth2 token exchange (answer formats, caching, header precedence), against an in-test
// HTTP server on port 0 that records what it receives. The clock is injected.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "analysis/prometheus_provider.h"
#include "analysis/types.h"
#include "kube/http.h"

namespace vane::analysis {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// Answers /token with token_answer and the Prometheus API with query_answer; records requests.
class PromRequestFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = http::Server::start({}, [this](const http::Request& r) {
      std::lock_guard lock(mu_);
      if (r.path == "/token") {
        token_requests_.push_back(r);
        return token_answer_;
      }
      query_requests_.push_back(r);
      return query_answer_;
    });
    ASSERT_TRUE(s.ok()) << s.status().message();
    server_ = std::move(s).value();
    now_ = *parseTime("2026-01-01T00:01:00Z");
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  json metric(json prometheus_extra, json metric_extra = json::object()) const {
    json prom = {{"address", base()}, {"query", "up"}};
    prom.update(prometheus_extra);
    json m = {{"name", "req-m"}, {"provider", {{"prometheus", prom}}}};
    m.update(metric_extra);
    return m;
  }
  json oauth2() const {
    return {
        {"oauth2", {{"tokenUrl", base() + "/token"}, {"clientId", "id"}, {"clientSecret", "sec"}}}};
  }
  Measurement measure(const json& m, std::chrono::seconds offset = 0s) {
    MetricContext ctx{m, "default", "run", "uid", now_ + offset};
    return provider_.run(ctx);
  }

  std::mutex mu_;
  std::vector<http::Request> token_requests_, query_requests_;
  http::Response token_answer_ =
      http::Response::json(200, R"({"access_token":"tok","token_type":"bearer","expires_in":300})");
  http::Response query_answer_ = http::Response::json(
      200,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]}})");
  std::unique_ptr<http::Server> server_;
  PrometheusProvider provider_;
  TimePoint now_;
};

TEST_F(PromRequestFixture, RangeQuerySendsBoundsAndStepAndFlattensMatrix) {
  query_answer_ = http::Response::json(200, R"({"status":"success","data":{"resultType":"matrix",
      "result":[{"metric":{"a":"1"},"values":[[1767225600,"1"],[1767225630,"2"]]},
                {"metric":{"a":"2"},"values":[[1767225660,"3"]]}]}})");
  json m = metric(
      {{"rangeQuery", {{"start", "now() - duration('1m')"}, {"end", "now()"}, {"step", "1.5s"}}}},
      {{"successCondition", "len(result) == 3 && result[2] == 3"}});
  Measurement out = measure(m);
  EXPECT_EQ(out.phase, Phase::kSuccessful) << out.message;
  EXPECT_EQ(out.value, "[1,2,3]");
  std::lock_guard lock(mu_);
  ASSERT_EQ(query_requests_.size(), 1u);
  EXPECT_EQ(query_requests_[0].path, "/api/v1/query_range");
  EXPECT_EQ(query_requests_[0].body,
            "query=up&start=1767225600&end=1767225660&step=1.5&timeout=30s");
}

TEST_F(PromRequestFixture, InstantQueryHasNoRangeParameters) {
  Measurement out = measure(metric(json::object(), {{"successCondition", "result[0] == 1"}}));
  EXPECT_EQ(out.phase, Phase::kSuccessful) << out.message;
  std::lock_guard lock(mu_);
  ASSERT_EQ(query_requests_.size(), 1u);
  EXPECT_EQ(query_requests_[0].path, "/api/v1/query");
  EXPECT_EQ(query_requests_[0].body, "query=up&timeout=30s");
}

TEST_F(PromRequestFixture, OAuth2TokenReplacesOtherAuthorization) {
  json auth = oauth2();
  auth["basicAuth"] = {{"username", "u"}, {"password", "p"}};
  Measurement out = measure(metric({{"authentication", auth}}));
  EXPECT_EQ(out.phase, Phase::kSuccessful) << out.message;
  std::lock_guard lock(mu_);
  ASSERT_EQ(query_requests_.size(), 1u);
  int auth_headers = 0;
  for (const auto& [k, v] : query_requests_[0].headers) auth_headers += k == "Authorization";
  EXPECT_EQ(auth_headers, 1);
  EXPECT_EQ(query_requests_[0].header("Authorization").value_or(""), "Bearer tok");
  ASSERT_EQ(token_requests_.size(), 1u);
  EXPECT_EQ(token_requests_[0].body, "grant_type=client_credentials");  // no scopes: no scope=
}

TEST_F(PromRequestFixture, FormEncodedTokenWithoutExpiryIsKeptAndTypeKept) {
  token_answer_.status = 200;
  token_answer_.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  token_answer_.body = "access_token=a%2Bb+c&token_type=MAC";
  json m = metric({{"authentication", oauth2()}});
  EXPECT_EQ(measure(m).phase, Phase::kSuccessful);
  EXPECT_EQ(measure(m, 36000s).phase, Phase::kSuccessful);  // no expires_in: never expires
  std::lock_guard lock(mu_);
  EXPECT_EQ(token_requests_.size(), 1u);
  ASSERT_EQ(query_requests_.size(), 2u);
  EXPECT_EQ(query_requests_[1].header("Authorization").value_or(""), "MAC a+b c");
}

TEST_F(PromRequestFixture, ExpiresInAsStringIsHonoured) {
  token_answer_.body = R"({"access_token":"tok","expires_in":"20"})";
  json m = metric({{"authentication", oauth2()}});
  EXPECT_EQ(measure(m).phase, Phase::kSuccessful);
  EXPECT_EQ(measure(m, 5s).phase, Phase::kSuccessful);   // 5s + 10s margin < 20s: cached
  EXPECT_EQ(measure(m, 11s).phase, Phase::kSuccessful);  // 11s + 10s margin >= 20s: refetched
  std::lock_guard lock(mu_);
  EXPECT_EQ(token_requests_.size(), 2u);
}

TEST_F(PromRequestFixture, TokenEndpointServerErrorIsMeasurementError) {
  token_answer_ = http::Response::text(500, "boom");
  Measurement out = measure(metric({{"authentication", oauth2()}}));
  EXPECT_EQ(out.phase, Phase::kError);
  EXPECT_THAT(out.message, HasSubstr("metric \"req-m\": provider.prometheus.authentication.oauth2."
                                     "tokenUrl"));
  EXPECT_THAT(out.message, HasSubstr("HTTP 500: boom"));
  std::lock_guard lock(mu_);
  EXPECT_EQ(token_requests_.size(), 2u);  // header style, then body style
  EXPECT_TRUE(query_requests_.empty());
}

TEST_F(PromRequestFixture, OAuth2WithoutTokenUrlIsIgnored) {
  json auth = {{"oauth2", {{"clientId", "id"}}}};
  Measurement out = measure(metric({{"authentication", auth}}));
  EXPECT_EQ(out.phase, Phase::kSuccessful) << out.message;
  std::lock_guard lock(mu_);
  EXPECT_TRUE(token_requests_.empty());
  ASSERT_EQ(query_requests_.size(), 1u);
  EXPECT_FALSE(query_requests_[0].header("Authorization").has_value());
}

TEST_F(PromRequestFixture, RangeQueryDurationArithmeticAndErrors) {
  query_answer_ = http::Response::json(
      200,
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]]}]}})");
  json m = metric({{"rangeQuery",
                    {{"start", "now() - (duration(\"1h\") - duration(\"59m\"))"},
                     {"end", "duration(\"30s\") + now()"},
                     {"step", "1m"}}}});
  EXPECT_EQ(measure(m).phase, Phase::kSuccessful);
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(query_requests_.size(), 1u);
    EXPECT_THAT(query_requests_[0].body, HasSubstr("&start=1767225600&end=1767225690&step=60&"));
  }
  m["provider"]["prometheus"]["rangeQuery"]["start"] = "now() + now()";
  Measurement bad = measure(m);
  EXPECT_EQ(bad.phase, Phase::kError);
  EXPECT_THAT(bad.message, HasSubstr("rangeQuery.start: failed to parse \"now() + now()\" as time: "
                                     "invalid operation: time.Time + time.Time"));
  m["provider"]["prometheus"]["rangeQuery"]["start"] = "now() - duration(\"1m\") extra";
  bad = measure(m);
  EXPECT_EQ(bad.phase, Phase::kError);
  EXPECT_THAT(bad.message, HasSubstr("unexpected \"extra\""));
  std::lock_guard lock(mu_);
  EXPECT_EQ(query_requests_.size(), 1u);  // no request for a bad range
  EXPECT_THAT(bad.message, Not(HasSubstr("unreachable")));
}

}  // namespace
}  // namespace vane::analysis
