// The vane.dev/judge plugin provider against an in-test Prometheus API on port 0 that answers
// query_range with a canary and a baseline latency series: decoding (Argo's plugin field, Kayenta
// field names, a Kayenta canary-config document), the queries sent, the phase mapping and the
// explained verdicts. The clock is injected.
#include "analysis/judge_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "kube/http.h"

namespace vane::analysis {
namespace {

using ::testing::HasSubstr;

// A matrix answer with one series of n samples: base * factor, with a deterministic +-5% wobble.
std::string latencyMatrix(double base, double factor, int n = 40) {
  json values = json::array();
  for (int i = 0; i < n; ++i) {
    const double wobble = 1.0 + 0.05 * ((i * 7) % 11 - 5) / 5.0;
    values.push_back({1767225600 + 15 * i, std::to_string(base * factor * wobble)});
  }
  json series = {{"metric", json::object()}, {"values", values}};
  return json{{"status", "success"},
              {"data", {{"resultType", "matrix"}, {"result", json::array({series})}}}}
      .dump();
}

std::string formValue(const std::string& body, const std::string& key) {
  const std::string k = key + "=";
  size_t pos = body.find(k);
  if (pos == std::string::npos) return "";
  size_t end = body.find('&', pos);
  return body.substr(pos + k.size(),
                     end == std::string::npos ? std::string::npos : end - pos - k.size());
}

class JudgeProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = http::Server::start({}, [this](const http::Request& r) {
      std::lock_guard lock(mu_);
      bodies_.push_back(r.body);
      if (series_ > 1) {
        json one = {{"metric", json::object()}, {"values", json::array({{1, "1"}})}};
        return http::Response::json(
            200, json{{"status", "success"},
                      {"data", {{"resultType", "matrix"}, {"result", {one, one}}}}}
                     .dump());
      }
      const bool canary = r.body.find("canary") != std::string::npos;
      return http::Response::json(200, latencyMatrix(100, canary ? canary_factor_ : 1.0));
    });
    ASSERT_TRUE(s.ok()) << s.status().message();
    server_ = std::move(s).value();
    now_ = *parseTime("2026-01-01T00:10:00Z");
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  json metric(json judge_extra = json::object()) const {
    json j = {{"address", "http://127.0.0.1:" + std::to_string(server_->port())},
              {"window", "10m"},
              {"threshold", {{"pass", 95}, {"marginal", 75}}},
              {"metrics",
               {{{"name", "latency"},
                 {"query", "avg(latency{role=\"${role}\"})"},
                 {"direction", "increase"},
                 {"effectSize", {{"allowedIncrease", 1.1}}}}}}};
    j.update(judge_extra);
    return {{"name", "judge"}, {"provider", {{"plugin", {{std::string(kJudgePluginName), j}}}}}};
  }
  Measurement measure(const json& m) {
    MetricContext ctx{m, "default", "run", "uid", now_};
    return provider_.run(ctx);
  }

  std::mutex mu_;
  std::vector<std::string> bodies_;
  double canary_factor_ = 1.0;
  int series_ = 1;
  std::unique_ptr<http::Server> server_;
  TimePoint now_;
  JudgeProvider provider_{{}, 42};
};

TEST_F(JudgeProviderTest, CanaryTwentyFivePercentSlowerFailsWithItsNumbers) {
  canary_factor_ = 1.25;
  const Measurement m = measure(metric());
  ASSERT_EQ(Phase::kFailed, m.phase) << m.message;
  EXPECT_EQ("0", m.value);
  EXPECT_THAT(m.message, HasSubstr("score 0 (Fail; pass 95, marginal 75)"));
  EXPECT_THAT(m.message, HasSubstr("latency High: canary-baseline 98% CI ["));
  EXPECT_THAT(m.message, HasSubstr("meanRatio 1.25 (allowed increase 1.1)"));
  EXPECT_THAT(m.message, HasSubstr("samples canary 40 baseline 40"));
  const json j = json::parse(m.metadata.at("judgement"));
  EXPECT_EQ("Fail", j["classification"]);
  const json& lat = j["metrics"][0];
  EXPECT_EQ("High", lat["classification"]);
  EXPECT_GT(lat["interval"]["lower"].get<double>(), 0);
  EXPECT_NEAR(1.25, lat["effectSize"]["value"].get<double>(), 1e-9);
  EXPECT_EQ(40, lat["canary"]["count"]);

  // Both roles were queried over [now - 10m, now] with the ${role} placeholder resolved.
  ASSERT_EQ(2u, bodies_.size());
  EXPECT_THAT(bodies_[0], HasSubstr("canary"));
  EXPECT_THAT(bodies_[1], HasSubstr("baseline"));
  EXPECT_EQ("1767225600.000", formValue(bodies_[0], "start"));
  EXPECT_EQ("1767226200.000", formValue(bodies_[0], "end"));
}

TEST_F(JudgeProviderTest, CanaryWithinTwoPercentPasses) {
  canary_factor_ = 1.02;
  const Measurement m = measure(metric());
  EXPECT_EQ(Phase::kSuccessful, m.phase) << m.message;
  EXPECT_EQ("100", m.value);
  EXPECT_TRUE(m.message.empty());
  EXPECT_THAT(m.metadata.at("latency"), HasSubstr("latency Pass"));
}

TEST_F(JudgeProviderTest, KayentaCanaryConfigDocumentAndScopes) {
  canary_factor_ = 1.25;
  json config = {
      {"name", "my-config"},
      {"metrics",
       {{{"name", "latency"},
         {"groups", {"perf"}},
         {"query",
          {{"type", "prometheus"},
           {"customInlineTemplate", "PromQL:avg(latency{version=\"${scope}\"})"}}},
         {"analysisConfigurations", {{"canary", {{"direction", "increase"}, {"critical", true}}}}},
         {"scopeName", "default"}}}},
      {"classifier", {{"groupWeights", {{"perf", 100}}}}}};
  json extra = {{"metrics", json::array()},
                {"canaryConfig", config},
                {"scopes",
                 {{{"name", "default"},
                   {"controlScope", {{"scope", "baseline-v1"}, {"step", 30}}},
                   {"experimentScope", {{"scope", "canary-v2"}, {"step", 30}}}}}}};
  const Measurement m = measure(metric(extra));
  ASSERT_EQ(Phase::kFailed, m.phase) << m.message;
  EXPECT_THAT(m.message, HasSubstr("Canary Failed: The metric latency was classified as High "
                                   "(Critical)"));
  ASSERT_EQ(2u, bodies_.size());
  EXPECT_THAT(bodies_[0], HasSubstr("canary-v2"));
  EXPECT_THAT(bodies_[1], HasSubstr("baseline-v1"));
  EXPECT_EQ("30.000000", formValue(bodies_[0], "step"));
}

TEST_F(JudgeProviderTest, SeveralSeriesIsAnError) {
  series_ = 2;
  const Measurement m = measure(metric());
  EXPECT_EQ(Phase::kError, m.phase);
  EXPECT_THAT(m.message, HasSubstr("judge metric \"latency\" (canary)"));
  EXPECT_THAT(m.message, HasSubstr("returned 2 series"));
}

TEST(JudgeProviderSpec, ErrorsNameTheField) {
  json m = {{"name", "j"},
            {"provider",
             {{"plugin",
               {{"vane.dev/judge",
                 {{"address", "http://p"},
                  {"threshold", {{"marginal", 75}}},
                  {"metrics", {{{"name", "l"}, {"query", "x{r=\"${role}\"}"}}}}}}}}}}};
  auto s = decodeJudgeSpec(m);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("threshold.pass"));

  m["provider"]["plugin"]["vane.dev/judge"]["threshold"]["pass"] = 95;
  m["provider"]["plugin"]["vane.dev/judge"]["metrics"][0]["direction"] = "up";
  s = decodeJudgeSpec(m);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("direction"));
  EXPECT_THAT(s.status().message(), HasSubstr("increase, decrease, either"));

  m["provider"]["plugin"]["vane.dev/judge"]["metrics"][0].erase("direction");
  m["provider"]["plugin"]["vane.dev/judge"]["metrics"][0]["query"] = "x";
  s = decodeJudgeSpec(m);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("no ${role} or ${scope} placeholder"));

  json other = {{"name", "j"}, {"provider", {{"plugin", {{"acme/metric", json::object()}}}}}};
  EXPECT_THAT(decodeJudgeSpec(other).status().message(), HasSubstr("\"acme/metric\""));
}

TEST(JudgeProviderSpec, DefaultsAndKayentaKeys) {
  const json canary = {{"nanStrategy", "replace"},
                       {"outliers", {{"strategy", "remove"}, {"outlierFactor", 2.5}}},
                       {"effectSize", {{"measure", "cles"}}},
                       {"mustHaveData", true}};
  const json judge_metric = {{"name", "l"},
                             {"canaryQuery", "a"},
                             {"baselineQuery", "b"},
                             {"analysisConfigurations", {{"canary", canary}}}};
  const json spec = {{"address", "http://p/"},
                     {"threshold", {{"pass", 90}, {"marginal", 50}}},
                     {"metrics", json::array({judge_metric})}};
  const json m = {{"name", "j"}, {"provider", {{"plugin", {{"vane.dev/judge", spec}}}}}};
  auto s = decodeJudgeSpec(m);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ("http://p", s->address);
  EXPECT_EQ(std::chrono::minutes(10), s->window);
  const judge::MetricConfig& c = s->metrics[0].config;
  EXPECT_EQ(std::vector<std::string>{"l"}, c.groups);
  EXPECT_EQ(judge::NanStrategy::kReplace, c.nanStrategy);
  EXPECT_EQ(judge::OutlierStrategy::kRemove, c.outlierStrategy);
  EXPECT_EQ(2.5, c.outlierFactor);
  EXPECT_TRUE(c.mustHaveData);
  EXPECT_EQ(0.5, c.params().allowedIncrease);
}

TEST(JudgeProviderSpec, ScoreToPhaseAsArgosKayentaProvider) {
  const judge::Thresholds t{90, 75};
  EXPECT_EQ(Phase::kSuccessful, phaseForScore(90.4, t));
  EXPECT_EQ(Phase::kInconclusive, phaseForScore(89.99, t));  // int(89.99) = 89
  EXPECT_EQ(Phase::kInconclusive, phaseForScore(75, t));
  EXPECT_EQ(Phase::kFailed, phaseForScore(74.99, t));
}

TEST(JudgeProviderSpec, KayentaProviderIsReportedUnsupported) {
  KayentaUnsupportedProvider p;
  json m = {{"name", "k"}, {"provider", {{"kayenta", {{"address", "http://kayenta"}}}}}};
  const Measurement out = p.run({m, "default", "run", "uid", TimePoint{}});
  EXPECT_EQ(Phase::kError, out.phase);
  EXPECT_THAT(out.message, HasSubstr("kayenta provider is not supported"));
  EXPECT_THAT(out.message, HasSubstr("vane.dev/judge"));
}

TEST(JudgeProviderSpec, ResolvesPlaceholders) {
  EXPECT_EQ("a{r=\"canary\",v=\"x\",w=\"x\",u=\"canary\"}",
            resolveJudgeQuery("a{r=\"{{ role }}\",v=\"{{scope}}\",w=\"${scope}\",u=\"${role}\"}",
                              "canary", "x"));
}

}  // namespace
}  // namespace vane::analysis
