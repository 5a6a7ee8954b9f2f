// The analysis engine and the prometheus provider against a real Prometheus 2.42
// (/usr/bin/prometheus) on a free loopback port with its own data dir, and vane-test-app
// scraped by it. Time for the engine is injected; Prometheus and the app are real.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "analysis/analysis_run.h"
#include "analysis/prometheus_provider.h"
#include "kube/http.h"
#include "support/process.h"

namespace vane::analysis {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
namespace vt = vane::testing;

std::unique_ptr<http::Client> newClient() {
  auto c = http::Client::create({});
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c ? std::move(c).value() : nullptr;
}

// A Prometheus process with a scrape config; stopped (SIGTERM, then SIGKILL) by PID.
struct Prometheus {
  std::string dir;
  uint16_t port = 0;
  std::unique_ptr<vt::Process> process;

  static std::unique_ptr<Prometheus> start(const std::string& scrape_configs = "[]") {
    auto p = std::make_unique<Prometheus>();
    p->dir = vt::makeTempDir("vane-prom");
    p->port = vt::freePort();
    std::ofstream(p->dir + "/prometheus.yml")
        << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        << "scrape_configs: " << scrape_configs << "\n";
    p->process = std::make_unique<vt::Process>(
        std::vector<std::string>{"/usr/bin/prometheus",
                                 "--config.file=" + p->dir + "/prometheus.yml",
                                 "--storage.tsdb.path=" + p->dir + "/data",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(p->port)},
        p->dir + "/prometheus.log");
    auto client = newClient();
    bool ready =
        client && vt::waitFor(
                      [&] {
                        auto r = client->send({"GET", p->url() + "/-/ready", {}, "", 1000ms});
                        return r.ok() && r->status == 200;
                      },
                      20s);
    EXPECT_TRUE(ready) << p->process->log();
    return ready ? std::move(p) : nullptr;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
  ~Prometheus() {
    if (process) process->terminate();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

json prometheusMetric(const std::string& name, const std::string& address, const std::string& query,
                      json extra = json::object()) {
  json m = {{"name", name},
            {"provider", {{"prometheus", {{"address", address}, {"query", query}}}}}};
  m.update(extra);
  return m;
}

json analysisRun(json metrics, json spec_extra = json::object()) {
  json r = {{"apiVersion", "argoproj.io/v1alpha1"},
            {"kind", "AnalysisRun"},
            {"metadata", {{"name", "it-run"}, {"namespace", "default"}}},
            {"spec", {{"metrics", metrics}}}};
  r["spec"].update(spec_extra);
  return r;
}

class AnalysisPrometheusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { prom_ = Prometheus::start().release(); }
  static void TearDownTestSuite() {
    delete prom_;
    prom_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(prom_, nullptr) << "prometheus did not start";
    registry_.add(std::make_unique<PrometheusProvider>());
    t0_ = std::chrono::system_clock::now();
  }
  // One reconcile at t0 + offset; the status is stored back into the run.
  ReconcileOutcome step(json& run, std::chrono::seconds offset) {
    auto out = reconcileAnalysisRun(run, t0_ + offset, registry_);
    run["status"] = out.status;
    return out;
  }
  json single(const std::string& query, json extra) {
    json run = analysisRun({prometheusMetric("m", prom_->url(), query, extra)});
    step(run, 0s);
    return run;
  }
  static const json& firstMeasurement(const json& run) {
    return run["status"]["metricResults"][0]["measurements"][0];
  }

  static Prometheus* prom_;
  ProviderRegistry registry_;
  TimePoint t0_;
};
Prometheus* AnalysisPrometheusTest::prom_ = nullptr;

TEST_F(AnalysisPrometheusTest, VectorPasses) {
  json run = single("vector(0.99)", {{"successCondition", "result[0] >= 0.95"}});
  EXPECT_EQ(run["status"]["phase"], "Successful") << run["status"].dump(2);
  EXPECT_EQ(firstMeasurement(run)["value"], "[0.99]");
  EXPECT_EQ(run["status"]["metricResults"][0]["metadata"]["ResolvedPrometheusQuery"],
            "vector(0.99)");
}

TEST_F(AnalysisPrometheusTest, ScalarResult) {
  json run = single("scalar(vector(0.5))", {{"successCondition", "result == 0.5"}});
  EXPECT_EQ(run["status"]["phase"], "Successful") << run["status"].dump(2);
  EXPECT_EQ(firstMeasurement(run)["value"], "0.5");
}

TEST_F(AnalysisPrometheusTest, FailingThreshold) {
  json run = single("vector(0.31)", {{"successCondition", "result[0] < 0.05"}});
  EXPECT_EQ(run["status"]["phase"], "Failed") << run["status"].dump(2);
  EXPECT_EQ(
      run["status"]["message"],
      "Metric \"m\" assessed Failed due to failed (1) > failureLimit (0): result [0.31] failed "
      "\"result[0] < 0.05\"; query \"vector(0.31)\"");
}

TEST_F(AnalysisPrometheusTest, EmptyResult) {
  json run = single("vane_no_such_metric",
                    {{"successCondition", "result[0] < 0.05"}, {"consecutiveErrorLimit", 0}});
  EXPECT_EQ(run["status"]["phase"], "Error") << run["status"].dump(2);
  EXPECT_EQ(firstMeasurement(run)["value"], "[]");
  EXPECT_THAT(firstMeasurement(run)["message"].get<std::string>(),
              HasSubstr("no data returned from the metric provider"));
  json tolerant =
      single("vane_no_such_metric", {{"successCondition", "len(result) == 0 || result[0] < 0.05"}});
  EXPECT_EQ(tolerant["status"]["phase"], "Successful");
  json defaulted =
      single("vane_no_such_metric", {{"successCondition", "default(result, [0])[0] < 0.05"}});
  EXPECT_EQ(defaulted["status"]["phase"], "Successful");
}

TEST_F(AnalysisPrometheusTest, NaNResult) {
  json run = single("vector(0/0)", {{"successCondition", "result[0] < 0.05"}});
  EXPECT_EQ(run["status"]["phase"], "Failed") << run["status"].dump(2);
  EXPECT_EQ(firstMeasurement(run)["value"], "[NaN]");
  json tolerant =
      single("vector(NaN)", {{"successCondition", "isNaN(result[0]) || result[0] < 0.05"}});
  EXPECT_EQ(tolerant["status"]["phase"], "Successful");
}

TEST_F(AnalysisPrometheusTest, BadQueryIsErrorWithServerMessage) {
  json run =
      single("sum(rate(", {{"successCondition", "result[0] < 1"}, {"consecutiveErrorLimit", 0}});
  EXPECT_EQ(run["status"]["phase"], "Error") << run["status"].dump(2);
  std::string msg = firstMeasurement(run)["message"];
  EXPECT_THAT(msg, HasSubstr("prometheus query failed: bad_data: invalid parameter \"query\""));
  EXPECT_THAT(msg, HasSubstr("(HTTP 400)"));
  EXPECT_THAT(run["status"]["message"].get<std::string>(),
              HasSubstr("consecutiveErrors (1) > consecutiveErrorLimit (0)"));
}

TEST_F(AnalysisPrometheusTest, DryRunMetricDoesNotFailRun) {
  json run = analysisRun({prometheusMetric("shadow", prom_->url(), "vector(1)",
                                           {{"failureCondition", "result[0] > 0"}}),
                          prometheusMetric("real", prom_->url(), "vector(1)",
                                           {{"successCondition", "result[0] == 1"}})},
                         {{"dryRun", {{{"metricName", "shadow"}}}}});
  step(run, 0s);
  EXPECT_EQ(run["status"]["phase"], "Successful") << run["status"].dump(2);
  EXPECT_EQ(run["status"]["metricResults"][0]["phase"], "Failed");
  EXPECT_EQ(run["status"]["dryRunSummary"]["failed"], 1);
}

TEST(AnalysisPrometheusStopTest, StoppedMidRunErrorsUntilLimit) {
  auto prom = Prometheus::start();
  ASSERT_NE(prom, nullptr);
  ProviderRegistry registry;
  registry.add(std::make_unique<PrometheusProvider>());
  json run = analysisRun({prometheusMetric("m", prom->url(), "vector(1)",
                                           {{"interval", "5s"},
                                            {"count", 10},
                                            {"consecutiveErrorLimit", 2},
                                            {"successCondition", "result[0] == 1"}})});
  TimePoint t = std::chrono::system_clock::now();
  auto out = reconcileAnalysisRun(run, t, registry);
  run["status"] = out.status;
  ASSERT_EQ(run["status"]["metricResults"][0]["successful"], 1) << run["status"].dump(2);
  prom->process->terminate();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(out.requeue_after.has_value());
    t += *out.requeue_after;
    out = reconcileAnalysisRun(run, t, registry);
    run["status"] = out.status;
  }
  EXPECT_EQ(run["status"]["phase"], "Error") << run["status"].dump(2);
  const json& r = run["status"]["metricResults"][0];
  EXPECT_EQ(r["consecutiveError"], 3);
  EXPECT_EQ(r["measurements"].back()["phase"], "Error");
  EXPECT_THAT(r["measurements"].back()["message"].get<std::string>(), HasSubstr("unreachable"));
  EXPECT_THAT(
      run["status"]["message"].get<std::string>(),
      HasSubstr(
          "Metric \"m\" assessed Error due to consecutiveErrors (3) > consecutiveErrorLimit (2)"));
}

// The demo's shape: vane-test-app scraped by Prometheus, an error-rate query judged at 0% and 50%.
TEST(AnalysisTestAppTest, ErrorRatePassesThenFails) {
  std::string dir = vt::makeTempDir("vane-app");
  vt::Process app({std::string(VANE_BIN_DIR) + "/vane-test-app", "--listen", "127.0.0.1:0",
                   "--version", "v2", "--error-rate", "0", "--port-file", dir + "/port"},
                  dir + "/app.log");
  std::string port;
  ASSERT_TRUE(vt::waitFor(
      [&] {
        std::ifstream in(dir + "/port");
        return static_cast<bool>(in >> port);
      },
      10s))
      << app.log();
  std::string app_url = "http://127.0.0.1:" + port;
  auto prom = Prometheus::start("[{job_name: app, static_configs: [{targets: ['127.0.0.1:" + port +
                                "']}]}]");
  ASSERT_NE(prom, nullptr);
  auto client = newClient();
  ASSERT_NE(client, nullptr);
  auto hit = [&](int n) {
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(client->send({"GET", app_url + "/checkout", {}, "", 2000ms}).ok());
  };
  // Waits until Prometheus has scraped at least `total` requests.
  auto scraped = [&](int total) {
    return vt::waitFor(
        [&] {
          auto r = client->send({"GET",
                                 prom->url() + "/api/v1/query?query=" +
                                     http::urlEncode("sum(http_requests_total{version=\"v2\"})"),
                                 {},
                                 "",
                                 2000ms});
          if (!r.ok()) return false;
          auto parsed = parsePrometheusResponse(r->status, r->body);
          return parsed.ok() && parsed->value.size() == 1 &&
                 parsed->value[0].get<double>() >= total;
        },
        30s);
  };
  const std::string query =
      "(sum(http_requests_total{version=\"{{args.version}}\",code=~\"5..\"}) or vector(0)) / "
      "sum(http_requests_total{version=\"{{args.version}}\"})";
  auto judge = [&] {
    ProviderRegistry registry;
    registry.add(std::make_unique<PrometheusProvider>());
    json run = analysisRun({prometheusMetric("error-rate", prom->url(), query,
                                             {{"successCondition", "result[0] <= 0.05"}})},
                           {{"args", {{{"name", "version"}, {"value", "v2"}}}}});
    auto out = reconcileAnalysisRun(run, std::chrono::system_clock::now(), registry);
    return out.status;
  };

  hit(20);
  ASSERT_TRUE(scraped(20)) << prom->process->log();
  json ok = judge();
  EXPECT_EQ(ok["phase"], "Successful") << ok.dump(2);
  EXPECT_EQ(ok["metricResults"][0]["measurements"][0]["value"], "[0]");

  auto set = client->send({"POST", app_url + "/error-rate", {}, "0.5", 2000ms});
  ASSERT_TRUE(set.ok() && set->status == 200);
  hit(40);  // 20 of them fail: 20 / 60 overall
  ASSERT_TRUE(scraped(60));
  json bad = judge();
  EXPECT_EQ(bad["phase"], "Failed") << bad.dump(2);
  EXPECT_THAT(bad["message"].get<std::string>(),
              HasSubstr("result [0.3333333333333333] failed \"result[0] <= 0.05\""));
  EXPECT_THAT(bad["message"].get<std::string>(), HasSubstr("version=\"v2\""));
  app.terminate();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// authentication.oauth2 (client credentials): a token endpoint and a proxy that lets a query
// through to the real Prometheus only with the token it last issued, both in-test servers on port
// 0.
class PromOAuth2Fixture : public AnalysisPrometheusTest {
 protected:
  void SetUp() override {
    AnalysisPrometheusTest::SetUp();
    auto token = http::Server::start({}, [this](const http::Request& r) { return tokenAnswer(r); });
    ASSERT_TRUE(token.ok()) << token.status().message();
    token_server_ = std::move(token).value();
    forward_ = newClient();
    ASSERT_NE(forward_, nullptr);
    auto proxy = http::Server::start({}, [this](const http::Request& r) { return proxyAnswer(r); });
    ASSERT_TRUE(proxy.ok()) << proxy.status().message();
    proxy_server_ = std::move(proxy).value();
  }
  void TearDown() override {
    if (proxy_server_) proxy_server_->stop();
    if (token_server_) token_server_->stop();
  }

  http::Response tokenAnswer(const http::Request& r) {
    std::lock_guard lock(mu_);
    token_requests_.push_back(r);
    if (reject_basic_ && r.header("Authorization")) {
      return http::Response::json(401, R"({"error":"invalid_client"})");
    }
    if (!token_body_.empty()) return http::Response::json(200, token_body_);
    issued_ = "tok-" + std::to_string(token_requests_.size());
    return http::Response::json(
        200,
        json({{"access_token", issued_}, {"token_type", "bearer"}, {"expires_in", 60}}).dump());
  }
  http::Response proxyAnswer(const http::Request& r) {
    std::string want;
    {
      std::lock_guard lock(mu_);
      query_auth_.push_back(r.header("Authorization").value_or(""));
      want = "Bearer " + issued_;
    }
    if (r.header("Authorization").value_or("") != want) {
      return http::Response::json(401,
                                  R"({"status":"error","errorType":"auth","error":"bad token"})");
    }
    http::ClientRequest fwd{r.method, prom_->url() + r.target, {}, r.body, 10s};
    if (auto ct = r.header("Content-Type")) fwd.headers.emplace_back("Content-Type", *ct);
    auto resp = forward_->send(fwd);
    if (!resp) return http::Response::text(502, resp.status().message());
    return http::Response::json(resp->status, resp->body);
  }
  std::string proxyUrl() const {
    return "http://127.0.0.1:" + std::to_string(proxy_server_->port());
  }
  std::string tokenUrl() const {
    return "http://127.0.0.1:" + std::to_string(token_server_->port()) + "/oauth/token";
  }
  json oauthMetric(json oauth2) {
    json m = prometheusMetric("oauth-m", proxyUrl(), "vector(1)",
                              {{"successCondition", "result[0] == 1"}});
    m["provider"]["prometheus"]["authentication"] = {{"oauth2", oauth2}};
    return m;
  }
  json goodOAuth2() const {
    return {{"tokenUrl", tokenUrl()},
            {"clientId", "vane client"},
            {"clientSecret", "s3cret"},
            {"scopes", {"read", "metrics"}}};
  }
  Measurement measure(PrometheusProvider& p, const json& metric, std::chrono::seconds offset) {
    MetricContext ctx{metric, "default", "it-run", "uid-1", t0_ + offset};
    return p.run(ctx);
  }

  std::mutex mu_;
  std::vector<http::Request> token_requests_;
  std::vector<std::string> query_auth_;
  std::string issued_ = "none";
  std::string token_body_;  // when set, the token endpoint answers this instead
  bool reject_basic_ = false;
  std::unique_ptr<http::Server> token_server_, proxy_server_;
  std::unique_ptr<http::Client> forward_;
};

TEST_F(PromOAuth2Fixture, TokenIsSentAsBearerAndCachedUntilExpiry) {
  PrometheusProvider provider;
  json metric = oauthMetric(goodOAuth2());
  Measurement m0 = measure(provider, metric, 0s);
  EXPECT_EQ(m0.phase, Phase::kSuccessful) << m0.message;
  EXPECT_EQ(m0.value, "[1]");
  Measurement m30 = measure(provider, metric, 30s);  // within expires_in (60s): cached token
  EXPECT_EQ(m30.phase, Phase::kSuccessful) << m30.message;
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(token_requests_.size(), 1u);
    const http::Request& tr = token_requests_[0];
    EXPECT_EQ(tr.method, "POST");
    EXPECT_EQ(tr.path, "/oauth/token");
    EXPECT_THAT(tr.header("Content-Type").value_or(""),
                HasSubstr("application/x-www-form-urlencoded"));
    EXPECT_THAT(tr.body, HasSubstr("grant_type=client_credentials"));
    EXPECT_THAT(tr.body, HasSubstr("scope=read%20metrics"));
    // Client credentials go in a basic header, each url-encoded first (Go's AuthStyleInHeader).
    EXPECT_EQ(tr.header("Authorization").value_or(""),
              "Basic " + base64Encode("vane%20client:s3cret"));
    EXPECT_EQ(query_auth_, (std::vector<std::string>{"Bearer tok-1", "Bearer tok-1"}));
  }
  // 55s: inside Go's 10s expiry margin, so a new token is fetched and used.
  Measurement m55 = measure(provider, metric, 55s);
  EXPECT_EQ(m55.phase, Phase::kSuccessful) << m55.message;
  std::lock_guard lock(mu_);
  EXPECT_EQ(token_requests_.size(), 2u);
  EXPECT_EQ(query_auth_.back(), "Bearer tok-2");
}

TEST_F(PromOAuth2Fixture, CredentialsMoveToBodyWhenBasicHeaderIsRefused) {
  reject_basic_ = true;
  PrometheusProvider provider;
  json metric = oauthMetric(goodOAuth2());
  Measurement m = measure(provider, metric, 0s);
  EXPECT_EQ(m.phase, Phase::kSuccessful) << m.message;
  std::lock_guard lock(mu_);
  ASSERT_EQ(token_requests_.size(), 2u);
  EXPECT_FALSE(token_requests_[1].header("Authorization").has_value());
  EXPECT_THAT(token_requests_[1].body, HasSubstr("client_id=vane%20client"));
  EXPECT_THAT(token_requests_[1].body, HasSubstr("client_secret=s3cret"));
}

TEST_F(PromOAuth2Fixture, BadTokenJsonIsErrorNamingMetricAndField) {
  token_body_ = "this is not json";
  PrometheusProvider provider;
  json metric = oauthMetric(goodOAuth2());
  Measurement m = measure(provider, metric, 0s);
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_THAT(m.message, HasSubstr("metric \"oauth-m\""));
  EXPECT_THAT(m.message, HasSubstr("provider.prometheus.authentication.oauth2.tokenUrl"));
  EXPECT_THAT(m.message, HasSubstr("not a JSON token"));
  std::lock_guard lock(mu_);
  EXPECT_TRUE(query_auth_.empty());  // no query without a token
}

TEST_F(PromOAuth2Fixture, TokenWithoutAccessTokenIsError) {
  token_body_ = R"({"token_type":"bearer","expires_in":60})";
  PrometheusProvider provider;
  Measurement m = measure(provider, oauthMetric(goodOAuth2()), 0s);
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_THAT(m.message, HasSubstr("no access_token"));
}

TEST_F(PromOAuth2Fixture, TokenEndpointDownIsErrorInRun) {
  json oauth2 = goodOAuth2();
  oauth2["tokenUrl"] = "http://127.0.0.1:" + std::to_string(vt::freePort()) + "/token";
  json run = analysisRun({oauthMetric(oauth2)});
  step(run, 0s);
  const json& m = firstMeasurement(run);
  EXPECT_EQ(m["phase"], "Error") << run["status"].dump(2);
  std::string msg = m["message"];
  EXPECT_THAT(msg,
              HasSubstr("metric \"oauth-m\": provider.prometheus.authentication.oauth2.tokenUrl"));
  EXPECT_THAT(msg, HasSubstr("cannot fetch token"));
}

TEST_F(PromOAuth2Fixture, MissingClientSecretIsInvalid) {
  json oauth2 = goodOAuth2();
  oauth2.erase("clientSecret");
  PrometheusProvider provider;
  Measurement m = measure(provider, oauthMetric(oauth2), 0s);
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_THAT(m.message, HasSubstr("metric \"oauth-m\": "
                                   "provider.prometheus.authentication.oauth2.clientSecret is "
                                   "required when tokenUrl is set"));
  std::lock_guard lock(mu_);
  EXPECT_TRUE(token_requests_.empty());
}

TEST_F(PromOAuth2Fixture, ScopesMustBeStrings) {
  json oauth2 = goodOAuth2();
  oauth2["scopes"] = {"read", 7};
  PrometheusProvider provider;
  Measurement m = measure(provider, oauthMetric(oauth2), 0s);
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_THAT(m.message, HasSubstr("metric \"oauth-m\": "
                                   "provider.prometheus.authentication.oauth2.scopes[1]"));
}

// rangeQuery: /api/v1/query_range on the real Prometheus; the matrix is flattened as Argo does.
json promRangeQuery(const std::string& start, const std::string& end, const std::string& step) {
  return {{"start", start}, {"end", end}, {"step", step}};
}

TEST_F(AnalysisPrometheusTest, RangeQueryFlattensAllSamples) {
  json metric = prometheusMetric("range", prom_->url(), "vector(1)",
                                 {{"successCondition", "len(result) == 5 && all(result, # == 1)"}});
  metric["provider"]["prometheus"]["rangeQuery"] =
      promRangeQuery("now() - duration(\"1m\")", "now()", "15s");
  json run = analysisRun({metric});
  step(run, 0s);
  EXPECT_EQ(run["status"]["phase"], "Successful") << run["status"].dump(2);
  EXPECT_EQ(firstMeasurement(run)["value"], "[1,1,1,1,1]");
}

TEST_F(AnalysisPrometheusTest, RangeQuerySendsEvaluatedBounds) {
  // time() at each step: the samples are the evaluated start, start + step, ..., end.
  json metric = prometheusMetric(
      "range", prom_->url(), "time()",
      {{"successCondition",
        "len(result) == 4 && result[0] == 1767225600 && result[3] == 1767225630"}});
  metric["provider"]["prometheus"]["rangeQuery"] =
      promRangeQuery("date(\"2026-01-01T00:00:00Z\")",
                     "(date(\"2026-01-01T00:00:00Z\") + duration(\"1m\")) - duration('30s')", "10");
  json run = analysisRun({metric});
  step(run, 0s);
  EXPECT_EQ(run["status"]["phase"], "Successful") << run["status"].dump(2);
}

TEST_F(AnalysisPrometheusTest, RangeQueryEndBeforeStartIsServerError) {
  json metric = prometheusMetric("range", prom_->url(), "vector(1)",
                                 {{"successCondition", "true"}, {"consecutiveErrorLimit", 0}});
  metric["provider"]["prometheus"]["rangeQuery"] =
      promRangeQuery("now()", "now() - duration(\"1h\")", "1m");
  json run = analysisRun({metric});
  step(run, 0s);
  EXPECT_EQ(firstMeasurement(run)["phase"], "Error") << run["status"].dump(2);
  EXPECT_THAT(firstMeasurement(run)["message"].get<std::string>(),
              HasSubstr("prometheus query failed: bad_data"));
}

TEST_F(AnalysisPrometheusTest, RangeQueryBadFieldsNameMetricAndField) {
  struct Case {
    json range;
    std::string want;
  };
  std::vector<Case> cases = {
      {promRangeQuery("now() -", "now()", "1m"),
       "metric \"range\": provider.prometheus.rangeQuery.start: failed to parse \"now() -\" as "
       "time"},
      {promRangeQuery("now()", "duration(\"5m\")", "1m"),
       "provider.prometheus.rangeQuery.end: failed to parse \"duration(\"5m\")\" as time: "
       "expected time.Time, but got time.Duration"},
      {promRangeQuery("now() - duration(\"5\")", "now()", "1m"),
       "rangeQuery.start: failed to parse \"now() - duration(\"5\")\" as time: time: invalid "
       "duration \"5\""},
      {promRangeQuery("now()", "now()", ""),
       "metric \"range\": provider.prometheus.rangeQuery.step is required in a range query"},
      {promRangeQuery("now()", "now()", "fast"),
       "provider.prometheus.rangeQuery.step: failed to parse \"fast\" as a positive duration"},
      {{{"end", "now()"}, {"step", "1m"}},
       "provider.prometheus.rangeQuery.start is required in a range query"},
  };
  for (const auto& c : cases) {
    json metric =
        prometheusMetric("range", prom_->url(), "vector(1)", {{"successCondition", "true"}});
    metric["provider"]["prometheus"]["rangeQuery"] = c.range;
    json run = analysisRun({metric});
    step(run, 0s);
    EXPECT_EQ(firstMeasurement(run)["phase"], "Error") << c.range.dump();
    EXPECT_THAT(firstMeasurement(run)["message"].get<std::string>(), HasSubstr(c.want))
        << c.range.dump();
  }
}

}  // namespace
}  // namespace vane::analysis
