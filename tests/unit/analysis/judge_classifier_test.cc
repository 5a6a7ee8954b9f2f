// Kayenta's ClassifierSuite (kayenta-judge), all 37 cases: same labels, critical flags and
// deviations. Cases whose samples are constant on both sides go through Kayenta's random noise;
// those are run under many seeds and only the label is asserted, as Kayenta's suite does.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "analysis/judge/classifier.h"
#include "analysis/judge/judge.h"
#include "judge_kayenta_vectors.h"

namespace vane::judge {
namespace {

using kayenta_vectors::ClassifierCase;
using kayenta_vectors::kClassifierCases;

Classification run(const ClassifierCase& k, std::mt19937_64& rng) {
  const Direction direction = *parseDirection(k.direction);
  const NanStrategy nan = *parseNanStrategy(k.nanStrategy);
  if (k.meanInequality) {
    return classifyMeanInequality(k.control, k.experiment, direction, nan, k.critical, false);
  }
  ClassifierParams p;
  p.tolerance = k.tolerance;
  p.confLevel = k.confLevel;
  p.allowedDecrease = k.allowedDecrease;
  p.allowedIncrease = k.allowedIncrease;
  p.criticalDecrease = k.criticalDecrease;
  p.criticalIncrease = k.criticalIncrease;
  p.measure = *parseEffectSizeMeasure(k.measure);
  return classifyMannWhitney(k.control, k.experiment, "test-metric", direction, nan, k.critical,
                             false, p, rng);
}

class KayentaClassifierSuite : public ::testing::TestWithParam<size_t> {};

TEST_P(KayentaClassifierSuite, Case) {
  const ClassifierCase& k = kClassifierCases[GetParam()];
  SCOPED_TRACE(k.name);
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    std::mt19937_64 rng(seed);
    const Classification c = run(k, rng);
    if (k.expectLabel) {
      EXPECT_EQ(k.expectLabel, labelName(c.label)) << "seed " << seed;
    }
    if (k.expectCritical) {
      EXPECT_EQ(*k.expectCritical, c.critical);
    }
    if (k.expectDeviationNaN) {
      EXPECT_TRUE(std::isnan(c.deviation)) << c.deviation;
    }
    if (k.expectDeviation) {
      EXPECT_EQ(*k.expectDeviation, c.deviation);
    }
    if (k.expectReason) {
      EXPECT_FALSE(c.reason.empty());
    }
    if (!c.noise_added) break;  // deterministic: one run is the answer
  }
}

std::string caseName(const ::testing::TestParamInfo<size_t>& info) {
  std::string out;
  for (char ch : std::string(kClassifierCases[info.param].name)) {
    if (std::isalnum(static_cast<unsigned char>(ch))) out += ch;
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(All, KayentaClassifierSuite,
                         ::testing::Range<size_t>(0, kClassifierCases.size()), caseName);

TEST(JudgeClassifier, SuiteHasEveryCase) { EXPECT_EQ(37u, kClassifierCases.size()); }

TEST(JudgeClassifier, HighKeepsTheNumbersBehindIt) {
  const std::vector<double> canary = {20.0, 22.0, 21.0, 25.0, 30.0};
  const std::vector<double> baseline = {1.0, 2.2, 1.1, 2.5, 3.0};
  std::mt19937_64 rng(1);
  const Classification c = classifyMannWhitney(baseline, canary, "latency", Direction::kEither,
                                               NanStrategy::kRemove, false, false, {}, rng);
  EXPECT_EQ(Label::kHigh, c.label);
  EXPECT_TRUE(c.tested);
  EXPECT_GT(c.lower, 0);
  EXPECT_GE(c.upper, c.lower);
  EXPECT_NEAR(23.6 / 1.96, c.effect_size, 1e-12);  // mean ratio canary / baseline
  EXPECT_EQ(c.deviation, c.effect_size);
  EXPECT_EQ("latency was classified as High", c.reason);
}

TEST(JudgeClassifier, InfiniteSampleIsAnExplainedError) {
  const std::vector<double> canary = {1.0, INFINITY, 2.0};
  const std::vector<double> baseline = {1.0, 2.0, 3.0};
  std::mt19937_64 rng(1);
  const Classification c = classifyMannWhitney(baseline, canary, "latency", Direction::kEither,
                                               NanStrategy::kRemove, true, false, {}, rng);
  EXPECT_EQ(Label::kError, c.label);
  EXPECT_NE(c.reason.find("Canary"), std::string::npos) << c.reason;
}

TEST(JudgeClassifier, MustHaveDataFailsTheMetricUnlessCritical) {
  std::mt19937_64 rng(1);
  const std::vector<double> empty, some = {1.0, 2.0};
  EXPECT_EQ(Label::kNodataFailMetric,
            classifyMannWhitney(some, empty, "m", Direction::kEither, NanStrategy::kRemove, false,
                                true, {}, rng)
                .label);
  const Classification critical = classifyMannWhitney(some, empty, "m", Direction::kEither,
                                                      NanStrategy::kRemove, true, true, {}, rng);
  EXPECT_EQ(Label::kNodata, critical.label);
  EXPECT_TRUE(critical.critical);
}

}  // namespace
}  // namespace vane::judge
