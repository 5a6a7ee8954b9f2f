#include "analysis/provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/args.h"
#include "analysis/prometheus_provider.h"
#include "analysis/web_provider.h"

namespace vane::analysis {
namespace {

using ::testing::HasSubstr;

json metricWith(const std::string& success, const std::string& failure) {
  json m = {{"name", "m"}};
  if (!success.empty()) m["successCondition"] = success;
  if (!failure.empty()) m["failureCondition"] = failure;
  return m;
}

Phase verdict(const json& result, const std::string& success, const std::string& failure) {
  return evaluateConditions(result, metricWith(success, failure)).phase;
}

// Argo's evaluate.EvaluateResult decision table.
TEST(DecisionTableTest, AllCombinations) {
  json r = json::array({0.5});
  EXPECT_EQ(verdict(r, "", ""), Phase::kSuccessful);
  EXPECT_EQ(verdict(r, "result[0] > 0.1", ""), Phase::kSuccessful);
  EXPECT_EQ(verdict(r, "result[0] > 0.9", ""), Phase::kFailed);
  EXPECT_EQ(verdict(r, "", "result[0] > 0.9"), Phase::kSuccessful);
  EXPECT_EQ(verdict(r, "", "result[0] > 0.1"), Phase::kFailed);
  EXPECT_EQ(verdict(r, "result[0] > 0.1", "result[0] > 0.9"), Phase::kSuccessful);
  EXPECT_EQ(verdict(r, "result[0] > 0.9", "result[0] > 0.1"), Phase::kFailed);
  EXPECT_EQ(verdict(r, "result[0] > 0.9", "result[0] > 0.9"), Phase::kInconclusive);
  EXPECT_EQ(verdict(r, "result[0] > 0.1", "result[0] > 0.1"), Phase::kFailed);  // failure wins
}

TEST(DecisionTableTest, ErrorsAreErrorPhase) {
  auto v = evaluateConditions(json::array({1}), metricWith("result[0] >", ""));
  EXPECT_EQ(v.phase, Phase::kError);
  EXPECT_EQ(v.message,
            "successCondition \"result[0] >\" is invalid: unexpected end of input at 1:12");
  v = evaluateConditions(json::array({1}), metricWith("result[0]", ""));
  EXPECT_EQ(v.phase, Phase::kError);
  EXPECT_THAT(v.message, HasSubstr("expected bool, but got int"));
  v = evaluateConditions(json::array(), metricWith("", "result[0] > 1"));
  EXPECT_EQ(v.phase, Phase::kError);
  EXPECT_THAT(v.message, HasSubstr("no data returned from the metric provider"));
  EXPECT_THAT(v.message, HasSubstr("index out of range: 0 (array length is 0)"));
}

TEST(DecisionTableTest, NaNResult) {
  json nan = json::array({std::nan("")});
  EXPECT_EQ(verdict(nan, "result[0] < 0.05", ""), Phase::kFailed);
  EXPECT_EQ(verdict(nan, "isNaN(result[0]) || result[0] < 0.05", ""), Phase::kSuccessful);
  auto m = measurementFromResult(nan, metricWith("result[0] < 0.05", ""), {}, {});
  EXPECT_EQ(m.value, "[NaN]");
  EXPECT_EQ(m.message, "result [NaN] failed \"result[0] < 0.05\"");
}

TEST(PrometheusResponseTest, Vector) {
  auto r =
      parsePrometheusResponse(200, R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"job":"a"},"value":[1435781451.781,"0.25"]},
        {"metric":{"job":"b"},"value":[1435781451.781,"NaN"]},
        {"metric":{"job":"c"},"value":[1435781451.781,"+Inf"]},
        {"metric":{"job":"d"},"value":[1435781451.781,"1e-07"]}]},"warnings":["w1"]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->result_type, "vector");
  ASSERT_EQ(r->value.size(), 4u);
  EXPECT_EQ(r->value[0], 0.25);
  EXPECT_TRUE(std::isnan(r->value[1].get<double>()));
  EXPECT_TRUE(std::isinf(r->value[2].get<double>()));
  EXPECT_EQ(r->value[3], 1e-7);
  EXPECT_EQ(r->warnings, std::vector<std::string>{"w1"});
}

TEST(PrometheusResponseTest, EmptyScalarMatrixString) {
  auto empty = parsePrometheusResponse(
      200, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->value, json::array());
  auto scalar = parsePrometheusResponse(
      200, R"({"status":"success","data":{"resultType":"scalar","result":[1,"-Inf"]}})");
  ASSERT_TRUE(scalar.ok());
  EXPECT_TRUE(std::isinf(scalar->value.get<double>()) && scalar->value.get<double>() < 0);
  auto matrix =
      parsePrometheusResponse(200, R"({"status":"success","data":{"resultType":"matrix","result":[
      {"metric":{},"values":[[1,"1"],[2,"2"]]},{"metric":{},"values":[[1,"3"]]}]}})");
  ASSERT_TRUE(matrix.ok());
  EXPECT_EQ(matrix->value, json::array({1.0, 2.0, 3.0}));
  auto str = parsePrometheusResponse(
      200, R"({"status":"success","data":{"resultType":"string","result":[1,"hello"]}})");
  ASSERT_TRUE(str.ok());
  EXPECT_EQ(str->value, "hello");
}

TEST(PrometheusResponseTest, Errors) {
  auto bad = parsePrometheusResponse(
      400,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error: unexpected end of input"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "bad_data: invalid parameter \"query\": 1:1: parse error: unexpected end of input "
            "(HTTP 400)");
  EXPECT_EQ(bad.status().httpStatus(), 400);
  auto exec = parsePrometheusResponse(
      422,
      R"({"status":"error","errorType":"execution","error":"many-to-many matching not allowed"})");
  EXPECT_EQ(exec.status().message(), "execution: many-to-many matching not allowed (HTTP 422)");
  auto not_ready = parsePrometheusResponse(503, "Service Unavailable\n");
  ASSERT_FALSE(not_ready.ok());
  EXPECT_EQ(not_ready.status().message(), "HTTP 503: Service Unavailable");
  EXPECT_EQ(not_ready.status().code(), Code::kUnavailable);
  auto timeout = parsePrometheusResponse(
      503,
      R"({"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"})");
  EXPECT_EQ(timeout.status().message(),
            "timeout: query timed out in expression evaluation (HTTP 503)");
  auto garbage = parsePrometheusResponse(
      200,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}})");
  EXPECT_FALSE(garbage.ok());
}

TEST(WebResultTest, JsonPath) {
  auto r = webResult(R"({"data":{"ok":true,"rate":0.02,"items":[1,2]}})", "{$.data.rate}");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, 0.02);
  auto whole = webResult(R"({"a":1})", "{$}");
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(*whole, json({{"a", 1}}));
  auto missing = webResult(R"({"a":1})", "{$.b}");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_null());
  auto notjson = webResult("<html>", "{$}");
  EXPECT_FALSE(notjson.ok());
  EXPECT_THAT(notjson.status().message(), HasSubstr("response is not JSON"));
}

TEST(ArgsTest, SubstituteAndMask) {
  std::map<std::string, std::string> args = {{"svc", "web"}, {"n", "3"}};
  auto s = substituteArgs(std::string("a {{args.svc}} b {{ args.n }} c"), args);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "a web b 3 c");
  auto j = substituteArgs(json{{"count", "{{args.n}}"}, {"list", {"{{args.svc}}"}}}, args);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(*j, json({{"count", "3"}, {"list", {"web"}}}));
  EXPECT_FALSE(substituteArgs(std::string("{{args.x}}"), args).ok());
  EXPECT_EQ(maskSecrets("token=abc&x=abc", {"abc"}), "token=*****&x=*****");
}

TEST(ArgsTest, FieldPath) {
  json ro = {{"metadata", {{"name", "demo"}, {"labels", {{"app.kubernetes.io/name", "x"}}}}},
             {"spec",
              {{"replicas", 3}, {"template", {{"spec", {{"containers", {{{"image", "i:1"}}}}}}}}}}};
  EXPECT_EQ(*resolveFieldPath(ro, "metadata.name"), "demo");
  EXPECT_EQ(*resolveFieldPath(ro, "metadata.labels['app.kubernetes.io/name']"), "x");
  EXPECT_EQ(*resolveFieldPath(ro, "spec.replicas"), "3");
  EXPECT_EQ(*resolveFieldPath(ro, "spec.template.spec.containers[0].image"), "i:1");
  EXPECT_FALSE(resolveFieldPath(ro, "spec.nope").ok());
}

TEST(TypesTest, TimesAndDurations) {
  auto t = parseTime("2026-11-24T19:43:18Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(formatTime(*t), "2026-11-24T19:43:18Z");
  EXPECT_EQ(formatTime(*parseTime("2026-11-24T20:43:18.5+01:00")), "2026-11-24T19:43:18Z");
  EXPECT_FALSE(parseTime("yesterday").has_value());
  EXPECT_EQ(*parseDuration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(*parseDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(*parseDuration("30"), std::chrono::seconds(30));
  EXPECT_FALSE(parseDuration("5 minutes").ok());
  EXPECT_TRUE(isWorse(Phase::kInconclusive, Phase::kError));
  EXPECT_TRUE(isWorse(Phase::kError, Phase::kFailed));
  EXPECT_FALSE(isWorse(Phase::kFailed, Phase::kRunning));
  EXPECT_EQ(base64Encode("user:pass"), "dXNlcjpwYXNz");
}

}  // namespace
}  // namespace vane::analysis
