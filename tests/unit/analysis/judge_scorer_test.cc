// Kayenta's ScorerSuite (kayenta-judge), all 13 cases, plus the score classification, the
// rounding and the judge pipeline (NaN and outlier handling) around them.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/judge/judge.h"

namespace vane::judge {
namespace {

MetricResult metric(const std::string& name, Label label, std::vector<std::string> groups,
                    bool critical = false) {
  MetricResult m;
  m.name = name;
  m.groups = std::move(groups);
  m.classification.label = label;
  m.classification.critical = critical;
  m.classification.reason = name + " was classified as " + std::string(labelName(label));
  return m;
}

double score(std::vector<MetricResult> ms, std::map<std::string, double> weights = {}) {
  return scoreMetrics(std::move(ms), weights, {}).score;
}

using L = Label;

TEST(KayentaScorerSuite, SingleMetricPass) {
  EXPECT_EQ(100.0, score({metric("test-metric-pass", L::kPass, {"test-group"})}));
}

TEST(KayentaScorerSuite, SingleMetricFail) {
  EXPECT_EQ(0.0, score({metric("test-metric-high", L::kHigh, {"test-group"})}));
}

TEST(KayentaScorerSuite, SingleGroupNodata) {
  const JudgeResult r =
      scoreMetrics({metric("test-metric-nodata", L::kNodata, {"test-group-nodata"})}, {}, {});
  ASSERT_EQ(1u, r.groups.size());
  EXPECT_EQ(0.0, r.groups[0].score);
  EXPECT_EQ(0.0, r.score);
}

TEST(KayentaScorerSuite, TwoGroupsOnePassOneNodata) {
  const JudgeResult r =
      scoreMetrics({metric("test-metric-pass1a", L::kPass, {"test-group-pass"}),
                    metric("test-metric-pass1b", L::kPass, {"test-group-pass"}),
                    metric("test-metric-nodata", L::kNodata, {"test-group-nodata"})},
                   {}, {});
  ASSERT_EQ(2u, r.groups.size());
  std::vector<double> scores = {r.groups[0].score, r.groups[1].score};
  std::sort(scores.begin(), scores.end());
  EXPECT_EQ((std::vector<double>{0.0, 100.0}), scores);
  EXPECT_EQ(100.0, r.score);
}

TEST(KayentaScorerSuite, OneGroupTwoMetrics) {
  EXPECT_EQ(50.0, score({metric("test-metric-pass", L::kPass, {"test-group"}),
                         metric("test-metric-high", L::kHigh, {"test-group"})}));
}

TEST(KayentaScorerSuite, OneGroupThreeMetrics) {
  EXPECT_EQ(33.33, score({metric("test-metric-pass", L::kPass, {"test-group"}),
                          metric("test-metric-high", L::kHigh, {"test-group"}),
                          metric("test-metric-low", L::kLow, {"test-group"})}));
}

TEST(KayentaScorerSuite, TwoGroupsThreeMetrics) {
  EXPECT_EQ(75.0, score({metric("test-metric-pass-1", L::kPass, {"group-1"}),
                         metric("test-metric-pass-2", L::kPass, {"group-1"}),
                         metric("test-metric-fail", L::kHigh, {"group-2"})},
                        {{"group-1", 75.0}, {"group-2", 25.0}}));
}

TEST(KayentaScorerSuite, TwoGroupsThreeMetricsEqualWeight) {
  EXPECT_EQ(25.0, score({metric("test-metric-pass", L::kPass, {"group-1"}),
                         metric("test-metric-fail-1", L::kHigh, {"group-1"}),
                         metric("test-metric-fail-2", L::kHigh, {"group-2"})},
                        {{"group-1", 50.0}, {"group-2", 50.0}}));
}

TEST(KayentaScorerSuite, TwoGroupsThreeMetricsEqualWeightOneNodata) {
  EXPECT_EQ(50.0, score({metric("test-metric-pass", L::kPass, {"group-1"}),
                         metric("test-metric-nodata", L::kNodata, {"group-1"}),
                         metric("test-metric-fail", L::kHigh, {"group-2"})},
                        {{"group-1", 50.0}, {"group-2", 50.0}}));
}

TEST(KayentaScorerSuite, OneGoodOneCriticalFail) {
  const JudgeResult r = scoreMetrics({metric("test-metric-pass", L::kPass, {"test-group"}),
                                      metric("test-metric-high", L::kHigh, {"test-group"}, true)},
                                     {}, {});
  EXPECT_EQ(0.0, r.score);
  EXPECT_EQ("Canary Failed: test-metric-high was classified as High", r.reason);
}

TEST(KayentaScorerSuite, OneLowOneCriticalGood) {
  EXPECT_EQ(50.0, score({metric("test-metric-low", L::kLow, {"test-group"}),
                         metric("test-metric-pass2", L::kPass, {"test-group"}, true)}));
}

TEST(KayentaScorerSuite, OneGoodOneCriticalNodata) {
  EXPECT_EQ(0.0, score({metric("test-metric-pass", L::kPass, {"test-group"}),
                        metric("test-metric-nodata", L::kNodata, {"test-group"}, true)}));
}

TEST(KayentaScorerSuite, TwoGroupsUnequalWeightFourMetrics) {
  EXPECT_EQ(5.0, score({metric("test-metric-high", L::kHigh, {"group1"}),
                        metric("test-metric-low", L::kLow, {"group1"}),
                        metric("test-metric-pass", L::kPass, {"group1"}),
                        metric("test-metric-pass2", L::kHigh, {"group2"})},
                       {{"group1", 15.0}, {"group2", 85.0}}));
}

TEST(JudgeScorer, HalfOrMoreNodataScoresZero) {
  const JudgeResult r =
      scoreMetrics({metric("a", L::kPass, {"g"}), metric("b", L::kNodata, {"g"})}, {}, {});
  EXPECT_EQ(0.0, r.score);
  EXPECT_EQ("Canary Failed: 50% or more metrics returned NODATA", r.reason);
}

TEST(JudgeScorer, MutedMetricsAreNotScored) {
  MetricResult muted = metric("b", L::kHigh, {"g"}, true);
  muted.muted = true;
  EXPECT_EQ(100.0, score({metric("a", L::kPass, {"g"}), muted}));
}

TEST(JudgeScorer, ThresholdsMapScoreToVerdict) {
  const std::vector<MetricResult> half = {metric("a", L::kPass, {"g"}),
                                          metric("b", L::kHigh, {"g"})};
  EXPECT_EQ(Verdict::kPass, scoreMetrics(half, {}, {50, 25}).verdict);
  EXPECT_EQ(Verdict::kMarginal, scoreMetrics(half, {}, {90, 50}).verdict);
  EXPECT_EQ(Verdict::kFail, scoreMetrics(half, {}, {90, 75}).verdict);
}

TEST(JudgeScorer, RoundsHalfUpOnTheShortestDecimal) {
  EXPECT_EQ(33.33, roundHalfUp(100.0 / 3, 2));
  EXPECT_EQ(66.67, roundHalfUp(200.0 / 3, 2));
  EXPECT_EQ(0.13, roundHalfUp(0.125, 2));  // 0.125 exactly: half up
  EXPECT_EQ(1.01, roundHalfUp(1.005, 2));  // shortest form "1.005", not the binary 1.00499...
  EXPECT_EQ(-2.35, roundHalfUp(-2.345, 2));
  EXPECT_EQ(100.0, roundHalfUp(99.995, 2));
}

TEST(JudgePipeline, NanStrategyAndOutliers) {
  MetricConfig config;
  config.name = "latency";
  config.groups = {"g"};
  const std::vector<double> canary = {1, 2, NAN, 3, 4, 5, 6, 7, 8, 9, 1000};
  const std::vector<double> baseline = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::mt19937_64 rng(1);
  MetricResult r = judgeMetric(config, canary, baseline, rng);
  EXPECT_EQ(11u, r.canaryRaw);
  EXPECT_EQ(10u, r.canary.count);  // NaN removed
  EXPECT_EQ(1000.0, r.canary.max);

  config.outlierStrategy = OutlierStrategy::kRemove;
  r = judgeMetric(config, canary, baseline, rng);
  EXPECT_EQ(9u, r.canary.count);  // and 1000 beyond Q3 + 3 IQR
  EXPECT_EQ(9.0, r.canary.max);

  config.nanStrategy = NanStrategy::kReplace;
  config.outlierStrategy = OutlierStrategy::kKeep;
  r = judgeMetric(config, canary, baseline, rng);
  EXPECT_EQ(11u, r.canary.count);
  EXPECT_EQ(0.0, r.canary.min);
}

TEST(JudgePipeline, EffectSizeDefaultsFollowTheMeasure) {
  MetricConfig c;
  EXPECT_EQ(1.0, c.params().allowedIncrease);
  c.effectSizeMeasure = EffectSizeMeasure::kCles;
  EXPECT_EQ(0.5, c.params().criticalDecrease);
  c.allowedIncrease = 0.8;
  EXPECT_EQ(0.8, c.params().allowedIncrease);
  EXPECT_EQ(0.98, c.params().confLevel);
  EXPECT_EQ(0.25, c.params().tolerance);
}

TEST(JudgePipeline, ExplainsAFailureWithItsNumbers) {
  MetricConfig config;
  config.name = "latency";
  config.groups = {"latency"};
  std::vector<double> canary, baseline;
  for (int i = 0; i < 60; ++i) {
    baseline.push_back(100 + (i % 10));
    canary.push_back(125 + (i % 10) * 1.25);
  }
  std::mt19937_64 rng(1);
  const MetricResult m = judgeMetric(config, canary, baseline, rng);
  ASSERT_EQ(Label::kHigh, m.classification.label);
  const std::string text = explain(m);
  EXPECT_NE(text.find("latency High: canary-baseline 98% CI ["), std::string::npos) << text;
  EXPECT_NE(text.find("meanRatio 1.25"), std::string::npos) << text;
  EXPECT_NE(text.find("samples canary 60 baseline 60"), std::string::npos) << text;
  const JudgeResult r = scoreMetrics({m}, {}, {95, 75});
  EXPECT_EQ(Verdict::kFail, r.verdict);
  EXPECT_NE(explain(r, {95, 75}).find("score 0 (Fail; pass 95, marginal 75): latency High"),
            std::string::npos)
      << explain(r, {95, 75});
}

}  // namespace
}  // namespace vane::judge
