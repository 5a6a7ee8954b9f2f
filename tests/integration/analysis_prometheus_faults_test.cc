// Prometheus faults (issue 16): a real Prometheus, stopped or fronted by a loopback proxy that
// misbehaves on purpose (stall past the provider timeout, 500, 503, a matrix where a vector was
// expected, a non-JSON body). Each gives an Error measurement naming the reason and
// consecutiveErrorLimit decides the run, as in Argo (an Error does not count towards `count`; any
// other measurement resets consecutiveError). The engine's clock is injected; the processes are
// real and stopped by PID.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/analysis_run.h"
#include "analysis/prometheus_provider.h"
#include "support/process.h"
#include "support/prometheus_proxy.h"

namespace vane::analysis {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using vane::testing::FaultyProxy;
using vane::testing::PrometheusProcess;
using Fault = vane::testing::ProxyFault;

json analysisRun(json metric) {
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "AnalysisRun"},
          {"metadata", {{"name", "faults-run"}, {"namespace", "default"}}},
          {"spec", {{"metrics", json::array({metric})}}}};
}

json metricAt(const std::string& address, const std::string& query, json extra) {
  json m = {
      {"name", "m"},
      {"interval", "1s"},
      {"successCondition", "result[0] < 0.05"},
      {"provider", {{"prometheus", {{"address", address}, {"query", query}, {"timeout", 1}}}}}};
  m.update(extra);
  return m;
}

const json& result(const json& run) { return run["status"]["metricResults"][0]; }
std::string lastMessage(const json& run) {
  return result(run)["measurements"].back().value("message", "");
}
std::string lastPhase(const json& run) {
  return result(run)["measurements"].back().value("phase", "");
}

class PrometheusFaultsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { prom_ = PrometheusProcess::start().release(); }
  static void TearDownTestSuite() {
    delete prom_;
    prom_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(prom_, nullptr) << "prometheus did not start";
    proxy_ = FaultyProxy::start(prom_->url());
    ASSERT_NE(proxy_, nullptr);
    registry_.add(std::make_unique<PrometheusProvider>());
    t_ = std::chrono::system_clock::now();
  }
  json run(const std::string& query, json extra) {
    return analysisRun(metricAt(proxy_->url(), query, std::move(extra)));
  }
  // One reconcile with the proxy doing `fault`; the clock then moves to the requeue time.
  void step(json& run, Fault fault) {
    proxy_->setFault(fault);
    auto out = reconcileAnalysisRun(run, t_, registry_);
    run["status"] = out.status;
    t_ += out.requeue_after.value_or(1s);
  }

  static PrometheusProcess* prom_;
  std::unique_ptr<FaultyProxy> proxy_;
  ProviderRegistry registry_;
  TimePoint t_;
};
PrometheusProcess* PrometheusFaultsTest::prom_ = nullptr;

TEST_F(PrometheusFaultsTest, EachFaultIsAnErrorNamingTheReason) {
  const std::vector<std::pair<Fault, std::string>> cases = {
      {Fault::kStall, "did not answer within 1s (provider.prometheus.timeout)"},
      {Fault::k500, "prometheus query failed: HTTP 500: Internal Server Error"},
      {Fault::k503, "prometheus query failed: HTTP 503: Service Unavailable"},
      {Fault::kMatrix,
       "prometheus query failed: /api/v1/query answered a matrix; an instant "
       "query must give a vector or a scalar"},
      {Fault::kNonJson,
       "prometheus query failed: HTTP 200: <html><body>Please sign in</body></html>"},
  };
  for (const auto& [fault, reason] : cases) {
    SCOPED_TRACE(reason);
    json r = run("vector(0.01)", {{"consecutiveErrorLimit", 0}});
    auto started = std::chrono::steady_clock::now();
    step(r, fault);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // the proxy holds 10 s
    EXPECT_EQ(r["status"]["phase"], "Error") << r["status"].dump(2);
    EXPECT_EQ(lastPhase(r), "Error");
    EXPECT_THAT(lastMessage(r), HasSubstr(reason));
    EXPECT_EQ(result(r)["error"], 1);
    EXPECT_THAT(r["status"]["message"].get<std::string>(),
                HasSubstr("Metric \"m\" assessed Error due to consecutiveErrors (1) > "
                          "consecutiveErrorLimit (0): " +
                          lastMessage(r)));
  }
  EXPECT_GE(proxy_->requests(), 5);
}

TEST_F(PrometheusFaultsTest, ThreeErrorsInARowOverLimitTwoEndTheRunAsError) {
  json r = run("vector(0.01)", {{"count", 10}, {"consecutiveErrorLimit", 2}});
  step(r, Fault::kPass);
  EXPECT_EQ(lastPhase(r), "Successful") << r["status"].dump(2);
  for (Fault f : {Fault::k500, Fault::kMatrix}) {
    step(r, f);
    EXPECT_EQ(r["status"]["phase"], "Running") << r["status"].dump(2);
  }
  step(r, Fault::kNonJson);
  EXPECT_EQ(r["status"]["phase"], "Error") << r["status"].dump(2);
  EXPECT_EQ(result(r)["consecutiveError"], 3);
  EXPECT_EQ(result(r)["error"], 3);
  EXPECT_EQ(result(r)["successful"], 1);
  EXPECT_THAT(r["status"]["message"].get<std::string>(),
              HasSubstr("consecutiveErrors (3) > consecutiveErrorLimit (2): prometheus query "
                        "failed: HTTP 200: <html>"));
}

TEST_F(PrometheusFaultsTest, ASuccessBetweenErrorsResetsTheStreak) {
  json r = run("vector(0.01)", {{"count", 3}, {"consecutiveErrorLimit", 2}});
  const std::vector<Fault> sequence = {Fault::k503,     Fault::kStall,  Fault::kPass,
                                       Fault::k500,     Fault::kMatrix, Fault::kPass,
                                       Fault::kNonJson, Fault::kPass};
  for (size_t i = 0; i < sequence.size(); ++i) {
    step(r, sequence[i]);
    if (sequence[i] == Fault::kPass) EXPECT_EQ(result(r)["consecutiveError"], 0);
    if (i + 1 < sequence.size()) EXPECT_EQ(r["status"]["phase"], "Running") << i;
  }
  EXPECT_EQ(r["status"]["phase"], "Successful") << r["status"].dump(2);
  EXPECT_EQ(result(r)["error"], 5);
  EXPECT_EQ(result(r)["successful"], 3);
  EXPECT_EQ(result(r)["count"], 3);  // errors do not count towards `count`, as in Argo
}

TEST_F(PrometheusFaultsTest, DefaultConsecutiveErrorLimitIsFour) {
  json r = run("vector(0.01)", {{"count", 10}});
  for (int i = 0; i < 4; ++i) step(r, Fault::k500);
  EXPECT_EQ(r["status"]["phase"], "Running") << r["status"].dump(2);
  step(r, Fault::k500);
  EXPECT_EQ(r["status"]["phase"], "Error");
  EXPECT_THAT(r["status"]["message"].get<std::string>(),
              HasSubstr("consecutiveErrors (5) > consecutiveErrorLimit (4)"));
}

// NaN, +Inf, -Inf and an empty vector are values handed to the condition (Argo's docs, "Handling
// Metric Results"); indexing an empty result is an Error, never Successful nor Failed.
TEST_F(PrometheusFaultsTest, SpecialValuesReachTheCondition) {
  struct Case {
    std::string query, condition, phase, value;
  };
  const std::vector<Case> cases = {
      {"vector(1/0)", "isInf(result[0])", "Successful", "[+Inf]"},
      {"vector(-1/0)", "isInf(result[0]) && result[0] < 0", "Successful", "[-Inf]"},
      {"vector(1/0)", "result[0] < 0.05", "Failed", "[+Inf]"},
      {"vector(0/0)", "isNaN(result[0])", "Successful", "[NaN]"},
      {"vector(0/0)", "result[0] < 0.05", "Failed", "[NaN]"},
      {"vane_no_such_metric", "len(result) == 0", "Successful", "[]"},
      {"vane_no_such_metric", "result[0] < 0.05", "Error", "[]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.query + " / " + c.condition);
    json r = run(c.query, {{"successCondition", c.condition}, {"consecutiveErrorLimit", 0}});
    step(r, Fault::kPass);
    EXPECT_EQ(lastPhase(r), c.phase) << r["status"].dump(2);
    EXPECT_EQ(result(r)["measurements"].back()["value"], c.value);
    if (c.phase == "Error") {
      EXPECT_THAT(lastMessage(r), HasSubstr("no data returned from the metric provider"));
      EXPECT_THAT(lastMessage(r), HasSubstr("index out of range"));
    }
  }
}

TEST(PrometheusStoppedTest, ConnectionRefusedIsAnErrorUntilTheLimit) {
  auto prom = PrometheusProcess::start();
  ASSERT_NE(prom, nullptr);
  auto proxy = FaultyProxy::start(prom->url());
  ASSERT_NE(proxy, nullptr);
  ProviderRegistry registry;
  registry.add(std::make_unique<PrometheusProvider>());
  json direct = analysisRun(
      metricAt(prom->url(), "vector(0.01)", {{"count", 5}, {"consecutiveErrorLimit", 1}}));
  json proxied = analysisRun(
      metricAt(proxy->url(), "vector(0.01)", {{"count", 5}, {"consecutiveErrorLimit", 1}}));
  TimePoint t = std::chrono::system_clock::now();
  auto step = [&](json& r) { r["status"] = reconcileAnalysisRun(r, t, registry).status; };
  step(direct);
  step(proxied);
  ASSERT_EQ(lastPhase(direct), "Successful") << direct["status"].dump(2);
  ASSERT_EQ(lastPhase(proxied), "Successful") << proxied["status"].dump(2);
  prom->process().terminate();
  for (int i = 0; i < 2; ++i) {
    t += 1s;
    step(direct);
    step(proxied);
  }
  EXPECT_EQ(direct["status"]["phase"], "Error") << direct["status"].dump(2);
  EXPECT_THAT(lastMessage(direct), HasSubstr("prometheus " + prom->url() + " unreachable"));
  EXPECT_THAT(lastMessage(direct), HasSubstr("refused"));
  EXPECT_THAT(direct["status"]["message"].get<std::string>(),
              HasSubstr("consecutiveErrors (2) > consecutiveErrorLimit (1)"));
  // Behind a proxy the refusal arrives as the proxy's 502.
  EXPECT_EQ(proxied["status"]["phase"], "Error") << proxied["status"].dump(2);
  EXPECT_THAT(lastMessage(proxied), HasSubstr("prometheus query failed: HTTP 502: proxy: "));
}

}  // namespace
}  // namespace vane::analysis
