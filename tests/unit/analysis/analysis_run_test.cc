#include "analysis/analysis_run.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <limits>

namespace vane::analysis {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

// A provider whose results are scripted (fault injection): each run() pops the next result for
// the metric; a string starting with "error:" becomes an Error measurement. Records the metric
// JSON it was given (intent) so tests can check argument substitution.
class ScriptedProvider : public MetricProvider {
 public:
  std::string_view type() const override { return "prometheus"; }
  Measurement run(const MetricContext& ctx) override {
    std::string name = ctx.metric.value("name", "");
    seen.push_back(ctx.metric);
    auto& q = script[name];
    json result = q.empty() ? json::array({1.0}) : q.front();
    if (!q.empty()) q.pop_front();
    if (result.is_string() && result.get<std::string>().rfind("error:", 0) == 0) {
      return errorMeasurement(result.get<std::string>().substr(6), ctx.now, ctx.now);
    }
    return measurementFromResult(result, ctx.metric, ctx.now, ctx.now);
  }
  Measurement resume(const MetricContext&, const Measurement& m) override { return m; }
  Measurement terminate(const MetricContext&, const Measurement& m) override { return m; }
  std::map<std::string, std::string> metricMetadata(const json& metric) const override {
    return {{"ResolvedPrometheusQuery", metric["provider"]["prometheus"].value("query", "")}};
  }
  std::map<std::string, std::deque<json>> script;
  std::vector<json> seen;
};

class AnalysisRunTest : public ::testing::Test {
 protected:
  AnalysisRunTest() {
    auto p = std::make_unique<ScriptedProvider>();
    provider_ = p.get();
    registry_.add(std::move(p));
    t0_ = *parseTime("2026-11-24T20:00:00Z");
  }
  static json metric(const std::string& name, json extra = json::object()) {
    json m = {
        {"name", name},
        {"provider", {{"prometheus", {{"address", "http://p:9090"}, {"query", "q_" + name}}}}}};
    m.update(extra);
    return m;
  }
  static json run(json metrics, json spec_extra = json::object()) {
    json r = {{"apiVersion", "argoproj.io/v1alpha1"},
              {"kind", "AnalysisRun"},
              {"metadata", {{"name", "demo-abc-1-2"}, {"namespace", "default"}}},
              {"spec", {{"metrics", metrics}}}};
    r["spec"].update(spec_extra);
    return r;
  }
  // Reconciles at t0 + offset and stores the status back into r (as the controller would).
  ReconcileOutcome step(json& r, seconds offset, ReconcileOptions opts = {}) {
    opts.parallel = false;
    auto out = reconcileAnalysisRun(r, t0_ + offset, registry_, opts);
    r["status"] = out.status;
    return out;
  }
  static const json& result(const json& r, size_t i = 0) { return r["status"]["metricResults"][i]; }

  ProviderRegistry registry_;
  ScriptedProvider* provider_;
  TimePoint t0_;
};

TEST_F(AnalysisRunTest, SingleMeasurementSucceeds) {
  provider_->script["sr"] = {json::array({0.99})};
  json r = run({metric("sr", {{"successCondition", "result[0] >= 0.95"}})});
  auto out = step(r, seconds(0));
  EXPECT_TRUE(out.changed);
  EXPECT_EQ(r["status"]["phase"], "Successful");
  EXPECT_EQ(r["status"]["startedAt"], "2026-11-24T20:00:00Z");
  EXPECT_EQ(r["status"]["completedAt"], "2026-11-24T20:00:00Z");
  EXPECT_EQ(result(r)["phase"], "Successful");
  EXPECT_EQ(result(r)["count"], 1);
  EXPECT_EQ(result(r)["successful"], 1);
  EXPECT_EQ(result(r)["measurements"][0]["value"], "[0.99]");
  EXPECT_EQ(result(r)["metadata"]["ResolvedPrometheusQuery"], "q_sr");
  EXPECT_EQ(
      r["status"]["runSummary"],
      json({{"count", 1}, {"successful", 1}, {"failed", 0}, {"inconclusive", 0}, {"error", 0}}));
  EXPECT_FALSE(out.requeue_after.has_value());
  // A completed run is left alone.
  auto again = step(r, seconds(100));
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(provider_->seen.size(), 1u);
}

TEST_F(AnalysisRunTest, FailureLimitExceededExplainsVerdict) {
  provider_->script["error-rate"] = {json::array({0.31}), json::array({0.01}), json::array({0.31})};
  json r = run({metric("error-rate", {{"interval", "1m"},
                                      {"count", 5},
                                      {"failureLimit", 1},
                                      {"successCondition", "result[0] < 0.05"}})});
  auto out = step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Running");
  EXPECT_EQ(result(r)["failed"], 1);
  ASSERT_TRUE(out.requeue_after.has_value());
  EXPECT_EQ(*out.requeue_after, seconds(60));
  EXPECT_THAT(result(r)["measurements"][0]["message"].get<std::string>(),
              HasSubstr("result [0.31] failed \"result[0] < 0.05\""));
  step(r, seconds(60));
  EXPECT_EQ(r["status"]["phase"], "Running");
  step(r, seconds(120));
  EXPECT_EQ(r["status"]["phase"], "Failed");
  EXPECT_EQ(result(r)["phase"], "Failed");
  EXPECT_EQ(r["status"]["message"],
            "Metric \"error-rate\" assessed Failed due to failed (2) > failureLimit (1): "
            "result [0.31] failed \"result[0] < 0.05\"; query \"q_error-rate\"");
  EXPECT_EQ(result(r)["message"],
            "metric \"error-rate\": result [0.31] failed \"result[0] < 0.05\"; "
            "query \"q_error-rate\"; failed (2) > failureLimit (1)");
}

TEST_F(AnalysisRunTest, MeasurementsFollowTimestampsNotCalls) {
  json r = run({metric("m", {{"interval", "30s"}, {"count", 3}})});
  step(r, seconds(0));
  auto early = step(r, seconds(10));  // not due: nothing measured, wait the rest
  EXPECT_EQ(result(r)["measurements"].size(), 1u);
  ASSERT_TRUE(early.requeue_after.has_value());
  EXPECT_EQ(*early.requeue_after, seconds(20));
  step(r, seconds(30));
  EXPECT_EQ(result(r)["measurements"].size(), 2u);
  EXPECT_EQ(result(r)["measurements"][1]["startedAt"], "2026-11-24T20:00:30Z");
  auto last = step(r, seconds(65));  // late reconcile: next is due from this finishedAt
  EXPECT_EQ(r["status"]["phase"], "Successful");
  EXPECT_EQ(result(r)["count"], 3);
  EXPECT_FALSE(last.requeue_after.has_value());
}

TEST_F(AnalysisRunTest, InitialDelayCountsFromStartedAt) {
  json r = run({metric("m", {{"initialDelay", "20s"}})});
  auto out = step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Running");
  EXPECT_FALSE(r["status"].contains("metricResults"));
  ASSERT_TRUE(out.requeue_after.has_value());
  EXPECT_EQ(*out.requeue_after, seconds(20));
  step(r, seconds(20));
  EXPECT_EQ(r["status"]["phase"], "Successful");
}

TEST_F(AnalysisRunTest, ConsecutiveErrorsReachLimit) {
  provider_->script["m"] = {"error:HTTP 503: Service Unavailable", "error:x", "error:x", "error:x",
                            "error:connection refused"};
  json r = run({metric("m", {{"successCondition", "result[0] > 0"}})});
  seconds t(0);
  for (int i = 0; i < 4; ++i) {
    auto out = step(r, t);
    EXPECT_EQ(r["status"]["phase"], "Running");
    ASSERT_TRUE(out.requeue_after.has_value());
    EXPECT_EQ(*out.requeue_after, seconds(10));  // DefaultErrorRetryInterval
    EXPECT_EQ(result(r)["count"], 0);            // errors do not count as measurements
    t += seconds(10);
  }
  step(r, t);
  EXPECT_EQ(r["status"]["phase"], "Error");
  EXPECT_EQ(result(r)["consecutiveError"], 5);
  EXPECT_EQ(r["status"]["message"],
            "Metric \"m\" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): "
            "connection refused; query \"q_m\"");
}

TEST_F(AnalysisRunTest, SuccessResetsConsecutiveErrors) {
  provider_->script["m"] = {"error:a", "error:b", json::array({1}), "error:c"};
  json r = run({metric("m", {{"interval", "5s"}, {"count", 3}, {"consecutiveErrorLimit", 1}})});
  step(r, seconds(0));
  step(r, seconds(5));                       // errors retry after min(10s, interval)
  EXPECT_EQ(r["status"]["phase"], "Error");  // 2 > 1
  json r2 = run({metric("m", {{"interval", "5s"}, {"count", 3}, {"consecutiveErrorLimit", "2"}})});
  provider_->script["m"] = {"error:a", "error:b", json::array({1}), "error:c"};
  for (int i = 0; i < 4; ++i) step(r2, seconds(5 * i));
  EXPECT_EQ(result(r2)["consecutiveError"], 1);
  EXPECT_EQ(result(r2)["error"], 3);
  EXPECT_EQ(r2["status"]["phase"], "Running");
}

TEST_F(AnalysisRunTest, InconclusiveWhenNeitherConditionHolds) {
  provider_->script["m"] = {json::array({0.5})};
  json r = run({metric(
      "m", {{"successCondition", "result[0] > 0.9"}, {"failureCondition", "result[0] < 0.1"}})});
  step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Inconclusive");
  EXPECT_THAT(r["status"]["message"].get<std::string>(),
              HasSubstr("inconclusive (1) > inconclusiveLimit (0): result [0.5] met neither"));
}

TEST_F(AnalysisRunTest, FailFastStopsIndefiniteMetrics) {
  provider_->script["bad"] = {json::array({1})};
  json r = run({metric("bad", {{"failureCondition", "result[0] > 0"}}),
                metric("forever", {{"interval", "10s"}})});
  auto out = step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Failed");
  EXPECT_EQ(result(r, 1)["phase"], "Successful");
  EXPECT_FALSE(out.requeue_after.has_value());
}

TEST_F(AnalysisRunTest, DryRunMetricDoesNotDecide) {
  provider_->script["shadow"] = {json::array({1})};
  json r = run({metric("shadow", {{"failureCondition", "result[0] > 0"}}), metric("real")},
               {{"dryRun", {{{"metricName", "shadow"}}}}});
  step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Successful");
  EXPECT_EQ(result(r)["phase"], "Failed");
  EXPECT_EQ(result(r)["dryRun"], true);
  EXPECT_THAT(result(r)["message"].get<std::string>(), HasSubstr("dry-run metric \"shadow\""));
  EXPECT_EQ(r["status"]["dryRunSummary"]["failed"], 1);
  EXPECT_EQ(r["status"]["runSummary"]["count"], 1);
}

TEST_F(AnalysisRunTest, DryRunRuleMustMatch) {
  json r = run({metric("a")}, {{"dryRun", {{{"metricName", "nope"}}}}});
  step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Error");
  EXPECT_EQ(r["status"]["message"],
            "Analysis spec invalid: dryRun[0]: Rule didn't match any metric name(s)");
}

TEST_F(AnalysisRunTest, TerminateCompletesIndefiniteRun) {
  json r = run({metric("m", {{"interval", "10s"}})});
  step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Running");
  r["spec"]["terminate"] = true;
  auto out = step(r, seconds(3));
  EXPECT_EQ(r["status"]["phase"], "Successful");
  EXPECT_EQ(r["status"]["message"], "Run Terminated");
  EXPECT_EQ(result(r)["measurements"].size(), 1u);
  EXPECT_FALSE(out.requeue_after.has_value());
}

TEST_F(AnalysisRunTest, TerminateBeforeInitialDelay) {
  json r = run({metric("m", {{"initialDelay", "1m"}})}, {{"terminate", true}});
  step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Successful");
  EXPECT_TRUE(provider_->seen.empty());
}

TEST_F(AnalysisRunTest, ArgsSubstitutedAndSecretsMasked) {
  json m = metric("m", {{"successCondition", "result[0] < {{ args.max }}"}});
  m["provider"]["prometheus"]["query"] =
      "rate(x{svc=\"{{args.svc}}\",token=\"{{args.token}}\"}[1m])";
  json r = run(
      {m},
      {{"args",
        {{{"name", "svc"}, {"value", "web"}},
         {{"name", "max"}, {"value", "0.05"}},
         {{"name", "token"}, {"valueFrom", {{"secretKeyRef", {{"name", "s"}, {"key", "k"}}}}}}}}});
  provider_->script["m"] = {json::array({0.31})};
  ReconcileOptions opts;
  opts.secrets = [](const std::string& ns, const std::string& name, const std::string& key) {
    EXPECT_EQ(ns, "default");
    return Result<std::string>(name + "-" + key + "-hunter2");
  };
  step(r, seconds(0), opts);
  ASSERT_EQ(provider_->seen.size(), 1u);
  EXPECT_EQ(provider_->seen[0]["provider"]["prometheus"]["query"],
            "rate(x{svc=\"web\",token=\"s-k-hunter2\"}[1m])");
  EXPECT_EQ(result(r)["metadata"]["ResolvedPrometheusQuery"],
            "rate(x{svc=\"web\",token=\"*****\"}[1m])");
  EXPECT_EQ(r["status"]["phase"], "Failed");
  std::string msg = r["status"]["message"];
  EXPECT_THAT(msg, HasSubstr("failed \"result[0] < 0.05\""));
  EXPECT_THAT(msg, HasSubstr("token=\"*****\""));
  EXPECT_EQ(r["status"].dump().find("hunter2"), std::string::npos);
}

TEST_F(AnalysisRunTest, MissingArgumentIsRunError) {
  json r = run({metric("m")}, {{"args", {{{"name", "svc"}}}}});
  step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Error");
  EXPECT_EQ(r["status"]["message"],
            "Unable to resolve metric arguments: argument \"svc\" was not supplied");
  json r2 = run({metric("m", {{"successCondition", "{{args.nope}}"}})});
  step(r2, seconds(0));
  EXPECT_EQ(r2["status"]["message"],
            "Unable to resolve metric arguments: failed to resolve {{args.nope}}");
}

TEST_F(AnalysisRunTest, InvalidSpecIsRunError) {
  json r = run({{{"name", "m"}}});
  step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Error");
  EXPECT_EQ(
      r["status"]["message"],
      "Analysis spec invalid: spec.metrics[0].provider: exactly one provider must be specified");
  json r2 = run({metric("m", {{"interval", "soon"}})});
  step(r2, seconds(0));
  EXPECT_EQ(r2["status"]["message"],
            "Analysis spec invalid: spec.metrics[0].interval: invalid duration \"soon\"");
}

TEST_F(AnalysisRunTest, UnknownProviderIsErrorMeasurement) {
  json m = {
      {"name", "w"}, {"provider", {{"datadog", {{"query", "x"}}}}}, {"consecutiveErrorLimit", 0}};
  json r = run({m});
  step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Error");
  EXPECT_THAT(r["status"]["message"].get<std::string>(),
              HasSubstr("no metric provider \"datadog\" is available"));
}

TEST_F(AnalysisRunTest, EmptyResultGivesClearError) {
  provider_->script["m"] = {json::array()};
  json r =
      run({metric("m", {{"successCondition", "result[0] < 0.05"}, {"consecutiveErrorLimit", 0}})});
  step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Error");
  EXPECT_THAT(
      result(r)["measurements"][0]["message"].get<std::string>(),
      HasSubstr("metric result is nil or empty: no data returned from the metric provider"));
  EXPECT_EQ(result(r)["measurements"][0]["value"], "[]");
}

TEST_F(AnalysisRunTest, FailureLimitMinusOneNeverFails) {
  provider_->script["m"] = {json::array({1}), json::array({1})};
  json r = run({metric("m", {{"interval", "1s"},
                             {"count", 2},
                             {"failureLimit", -1},
                             {"successCondition", "result[0] < 0"}})});
  step(r, seconds(0));
  step(r, seconds(1));
  EXPECT_EQ(result(r)["failed"], 2);
  EXPECT_EQ(r["status"]["phase"], "Successful");
}

// Argo assessMetricStatus: count reached without consecutiveSuccessLimit successes in a row is
// Inconclusive while failureLimit applies (and was not exceeded), Failed when it is disabled.
TEST_F(AnalysisRunTest, ConsecutiveSuccessLimitNotReachedIsInconclusiveUnderAFailureLimit) {
  for (int failure_limit : {1, -1}) {
    SCOPED_TRACE(failure_limit);
    provider_->script["m"] = {json::array({1}), json::array({-1}), json::array({1})};
    json r = run({metric("m", {{"interval", "1s"},
                               {"count", 3},
                               {"consecutiveSuccessLimit", 2},
                               {"failureLimit", failure_limit},
                               {"successCondition", "result[0] > 0"}})});
    step(r, seconds(0));
    step(r, seconds(1));
    step(r, seconds(2));
    EXPECT_EQ(result(r)["count"], 3);
    EXPECT_EQ(r["status"]["phase"], failure_limit >= 0 ? "Inconclusive" : "Failed");
  }
}

TEST_F(AnalysisRunTest, MeasurementRetentionKeepsLastN) {
  json r = run({metric("m", {{"interval", "1s"}, {"count", 5}})},
               {{"measurementRetention", {{{"metricName", "m"}, {"limit", 2}}}}});
  for (int i = 0; i < 5; ++i) step(r, seconds(i));
  EXPECT_EQ(r["status"]["phase"], "Successful");
  ASSERT_EQ(result(r)["measurements"].size(), 2u);
  EXPECT_EQ(result(r)["measurements"][1]["startedAt"], "2026-11-24T20:00:04Z");
  EXPECT_EQ(result(r)["count"], 5);
}

TEST_F(AnalysisRunTest, IsTerminatingIgnoresDryRunFailures) {
  json status = {{"metricResults", {{{"name", "a"}, {"phase", "Failed"}, {"dryRun", true}}}}};
  EXPECT_FALSE(isTerminating(json::object(), status));
  status["metricResults"][0].erase("dryRun");
  EXPECT_TRUE(isTerminating(json::object(), status));
  EXPECT_TRUE(isTerminating({{"terminate", true}}, json::object()));
}

TEST_F(AnalysisRunTest, GarbageStatusDoesNotThrow) {
  json r = run({metric("m")});
  r["status"] = {{"metricResults", {1, "x", {{"name", "m"}, {"measurements", 3}}}},
                 {"startedAt", 5}};
  auto out = step(r, seconds(0));
  EXPECT_EQ(r["status"]["phase"], "Successful");
}

TEST(AnalysisRunTtl, ExpiryByPhaseAndField) {
  json run = {
      {"spec", {{"ttlStrategy", {{"secondsAfterCompletion", 60}, {"secondsAfterFailure", 5}}}}},
      {"status", {{"phase", "Successful"}, {"completedAt", "2026-11-24T20:00:00Z"}}}};
  auto at = ttlExpiry(run);
  ASSERT_TRUE(at.ok());
  ASSERT_TRUE(at->has_value());
  EXPECT_EQ(formatTime(**at), "2026-11-24T20:01:01Z");  // deleted once past 60 s
  run["status"]["phase"] = "Failed";
  EXPECT_EQ(formatTime(**ttlExpiry(run)), "2026-11-24T20:00:06Z");
  run["status"]["phase"] = "Running";  // not completed: no TTL yet
  EXPECT_FALSE(ttlExpiry(run)->has_value());
  run["status"] = {{"phase", "Error"}};  // no completedAt
  EXPECT_FALSE(ttlExpiry(run)->has_value());
  EXPECT_FALSE(ttlExpiry(json{{"status", {{"phase", "Successful"}}}})->has_value());
  run["spec"]["ttlStrategy"]["secondsAfterSuccess"] = "soon";
  auto bad = ttlExpiry(run);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().toString(), HasSubstr("spec.ttlStrategy.secondsAfterSuccess"));
}

}  // namespace
}  // namespace vane::analysis
