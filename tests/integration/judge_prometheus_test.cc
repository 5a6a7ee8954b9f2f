// The vane.dev/judge provider through the analysis engine against a real Prometheus 2.42 whose
// data were backfilled with `promtool tsdb create-blocks-from openmetrics`: a baseline latency
// series and two canaries, one 25% slower and one within 2%, 15 s apart over the last 12 minutes.
// The slow canary fails the AnalysisRun with a message that names the metric, its interval and its
// effect size; the close one passes. Time for the engine is the wall clock the data were written
// against; Prometheus is real.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "analysis/analysis_run.h"
#include "analysis/judge_provider.h"
#include "kube/http.h"
#include "support/process.h"

namespace vane::analysis {
namespace {

using namespace std::chrono_literals;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
namespace vt = vane::testing;

// OpenMetrics text for app_latency_seconds{role=...}: one sample every 15 s over [end - 12m, end],
// lognormal noise (sigma 0.1) around 0.1 s times the role's factor, a fixed seed per role.
std::string openMetrics(int64_t end_seconds) {
  std::string out = "# TYPE app_latency_seconds gauge\n";
  const std::vector<std::pair<std::string, double>> roles = {
      {"baseline", 1.0}, {"canary-slow", 1.25}, {"canary-close", 1.02}};
  uint64_t seed = 1;
  for (const auto& [role, factor] : roles) {
    std::mt19937_64 rng(seed++);
    std::lognormal_distribution<double> noise(0.0, 0.1);
    for (int64_t t = end_seconds - 12 * 60; t <= end_seconds; t += 15) {
      out += "app_latency_seconds{role=\"" + role + "\"} " +
             std::to_string(0.1 * factor * noise(rng)) + " " + std::to_string(t) + "\n";
    }
  }
  return out + "# EOF\n";
}

class JudgePrometheusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    now_ = std::chrono::system_clock::now();
    dir_ = vt::makeTempDir("vane-judge-prom");
    const int64_t end =
        std::chrono::duration_cast<std::chrono::seconds>(now_.time_since_epoch()).count() - 30;
    std::ofstream(dir_ + "/latency.om") << openMetrics(end);
    const vt::CommandResult backfill = vt::run(
        "promtool tsdb create-blocks-from openmetrics " + dir_ + "/latency.om " + dir_ + "/data",
        60s);
    ASSERT_EQ(0, backfill.exit_code) << backfill.output;
    port_ = vt::freePort();
    prometheus_ = new vt::Process({"/usr/bin/prometheus", "--config.file=" + writeConfig(),
                                   "--storage.tsdb.path=" + dir_ + "/data",
                                   "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
                                  dir_ + "/prometheus.log");
    auto client = http::Client::create({});
    ASSERT_TRUE(client.ok());
    const bool ready = vt::waitFor(
        [&] {
          auto r = (*client)->send({"GET", url() + "/-/ready", {}, "", 1000ms});
          return r.ok() && r->status == 200;
        },
        30s);
    ASSERT_TRUE(ready) << prometheus_->log();
  }
  static void TearDownTestSuite() {
    delete prometheus_;
    prometheus_ = nullptr;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static std::string writeConfig() {
    std::ofstream(dir_ + "/prometheus.yml")
        << "global: {scrape_interval: 15s}\nscrape_configs: []\n";
    return dir_ + "/prometheus.yml";
  }
  static std::string url() { return "http://127.0.0.1:" + std::to_string(port_); }

  // An AnalysisRun with one judge metric comparing `canary_role` against the baseline through
  // Argo's scopes, reconciled once at now.
  json judge(const std::string& canary_role) {
    const json judge_spec = {{"address", url()},
                             {"window", "10m"},
                             {"step", "15s"},
                             {"threshold", {{"pass", 95}, {"marginal", 75}}},
                             {"scopes",
                              {{{"name", "default"},
                                {"controlScope", {{"scope", "baseline"}}},
                                {"experimentScope", {{"scope", canary_role}}}}}},
                             {"metrics",
                              {{{"name", "latency"},
                                {"query", "app_latency_seconds{role=\"${scope}\"}"},
                                {"direction", "increase"},
                                {"mustHaveData", true},
                                {"effectSize", {{"allowedIncrease", 1.1}}}}}}};
    json metric = {{"name", "judge"},
                   {"provider", {{"plugin", {{std::string(kJudgePluginName), judge_spec}}}}}};
    json run = {{"apiVersion", "argoproj.io/v1alpha1"},
                {"kind", "AnalysisRun"},
                {"metadata", {{"name", "judge-run"}, {"namespace", "default"}}},
                {"spec", {{"metrics", {metric}}}}};
    ProviderRegistry registry;
    registry.add(std::make_unique<JudgeProvider>());
    run["status"] = reconcileAnalysisRun(run, now_, registry).status;
    return run;
  }

  static inline TimePoint now_;
  static inline std::string dir_;
  static inline uint16_t port_ = 0;
  static inline vt::Process* prometheus_ = nullptr;
};

TEST_F(JudgePrometheusTest, CanaryTwentyFivePercentSlowerFailsNamingTheMetric) {
  const json run = judge("canary-slow");
  const json& status = run["status"];
  ASSERT_EQ("Failed", status["phase"]) << status.dump(2);
  const std::string message = status.value("message", "");
  EXPECT_THAT(message, HasSubstr("Metric \"judge\" assessed Failed"));
  EXPECT_THAT(message, HasSubstr("latency High: canary-baseline 98% CI ["));
  EXPECT_THAT(message, ContainsRegex("meanRatio 1\\.2[0-9]* \\(allowed increase 1\\.1\\)"));
  EXPECT_THAT(message, HasSubstr("samples canary 41 baseline 41"));
  const json& m = status["metricResults"][0]["measurements"][0];
  EXPECT_EQ("0", m["value"]);
  const json j = json::parse(m["metadata"]["judgement"].get<std::string>());
  const json& latency = j["metrics"][0];
  EXPECT_EQ("High", latency["classification"]);
  EXPECT_GT(latency["interval"]["lower"].get<double>(), 0.01);  // seconds: >= 10 ms slower
  EXPECT_NEAR(1.25, latency["effectSize"]["value"].get<double>(), 0.05);
}

TEST_F(JudgePrometheusTest, CanaryWithinTwoPercentPasses) {
  const json run = judge("canary-close");
  const json& status = run["status"];
  EXPECT_EQ("Successful", status["phase"]) << status.dump(2);
  const json& m = status["metricResults"][0]["measurements"][0];
  EXPECT_EQ("100", m["value"]);
  const json j = json::parse(m["metadata"]["judgement"].get<std::string>());
  EXPECT_EQ("Pass", j["metrics"][0]["classification"]);
  EXPECT_EQ(41, j["metrics"][0]["canary"]["count"]);
}

TEST_F(JudgePrometheusTest, MissingSeriesFailsTheMetricWhenDataIsRequired) {
  const json run = judge("no-such-role");
  const json& status = run["status"];
  EXPECT_EQ("Failed", status["phase"]) << status.dump(2);
  EXPECT_THAT(status.value("message", ""), HasSubstr("latency NodataFailMetric: Missing data"));
}

TEST_F(JudgePrometheusTest, KubectlVaneJudgeQueriesPrometheus) {
  const std::string cmd = std::string(VANE_BIN_DIR) + "/kubectl-vane judge --prometheus " + url() +
                          " --canary-query 'app_latency_seconds{role=\"canary-slow\"}'"
                          " --baseline-query 'app_latency_seconds{role=\"baseline\"}'"
                          " --range 10m --step 15s --name latency --direction increase"
                          " --allowed-increase 1.1 -o json 2>&1";
  const vt::CommandResult r = vt::run(cmd, 30s);
  EXPECT_EQ(2, r.exit_code) << r.output;  // not Pass
  const json j = json::parse(r.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.output;
  EXPECT_EQ("Fail", j["classification"]);
  EXPECT_EQ("High", j["metrics"][0]["classification"]);
  EXPECT_GE(j["metrics"][0]["canary"]["count"].get<int>(), 35);
  EXPECT_NEAR(1.25, j["metrics"][0]["effectSize"]["value"].get<double>(), 0.05);

  const vt::CommandResult bad =
      vt::run(std::string(VANE_BIN_DIR) + "/kubectl-vane judge --prometheus " + url() +
                  " --query 'app_latency_seconds' --range 10m 2>&1",
              30s);
  EXPECT_EQ(1, bad.exit_code);
  EXPECT_THAT(bad.output, HasSubstr("returned 3 series"));
}

}  // namespace
}  // namespace vane::analysis
