// Kayenta's MannWhitneySuite (kayenta-mannwhitney), case for case, to its tolerances; where
// Kayenta's own numbers are the reference (not R's), also to 1e-6 relative.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/judge/mann_whitney.h"
#include "judge_kayenta_vectors.h"

namespace vane::judge {
namespace {

namespace kv = kayenta_vectors;
constexpr double kE = 0.000001;  // the suite's tolerance

void expectRelative(double expected, double actual, double rel = 1e-6) {
  EXPECT_LE(std::fabs(actual - expected), rel * std::fabs(expected))
      << "expected " << expected << " got " << actual;
}

TEST(JudgeMannWhitney, WilcoxonDiffFunction) {
  const WilcoxonDiff diff(kv::kMwWilcoxon_x, kv::kMwWilcoxon_y);
  EXPECT_NEAR(-1.229416, diff(0, 0), kE);
  EXPECT_NEAR(-35.80606, diff(5, 0), kE);
}

TEST(JudgeMannWhitney, ZQuant) {
  EXPECT_NEAR(-2.326348, normalQuantile((1 - 0.98) / 2), kE);
  // commons-math's value, which the intervals below depend on.
  EXPECT_DOUBLE_EQ(-2.3263478740408408, normalQuantile(0.01));
  EXPECT_NEAR(-1.959963984540054, normalQuantile(0.025), 1e-15);
}

TEST(JudgeMannWhitney, ConfidenceIntervalAndEstimate) {
  const std::vector<double> experiment = {10.0, 20.0, 30.0, 40.0};
  const std::vector<double> control = {1.0, 2.0, 3.0, 4.0};
  const MannWhitneyResult r = mannWhitneyUTest(experiment, control);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_NEAR(6.0, r.lower, kE);
  EXPECT_NEAR(39.0, r.upper, kE);
  EXPECT_NEAR(22.5, r.estimate, kE);
  // The hand-checkable statistic at mu 0: (8 - 0.5) / sqrt(12).
  const WilcoxonDiff diff(experiment, control);
  EXPECT_NEAR(7.5 / std::sqrt(12.0), diff(0, 0), 1e-12);
}

TEST(JudgeMannWhitney, ProblemCase) {
  const MannWhitneyResult r =
      mannWhitneyUTest(kv::kMwProblem_experiment, kv::kMwProblem_control, 0.98);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_NEAR(-1.4808028936386108E-5, r.lower, kE);
  EXPECT_NEAR(1.808255910873413E-5, r.upper, kE);
  EXPECT_NEAR(1.808255910873413E-5, r.estimate, kE);
  // Kayenta's numbers, not R's: these hold to 1e-6 relative only with Kayenta's solver.
  expectRelative(-1.4808028936386108E-5, r.lower);
  expectRelative(1.808255910873413E-5, r.upper);
  expectRelative(1.808255910873413E-5, r.estimate);
}

TEST(JudgeMannWhitney, TieOutWithR) {
  const MannWhitneyResult r = mannWhitneyUTest(kv::kMwTieR_experiment, kv::kMwTieR_control);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_NEAR(-0.500002521696696, r.lower, kE);
  EXPECT_NEAR(-3.486287505871302E-5, r.upper, kE);
  EXPECT_NEAR(-0.4999393907180323, r.estimate, 0.0001);
}

TEST(JudgeMannWhitney, TieOutWithRLarge) {
  const MannWhitneyResult r =
      mannWhitneyUTest(kv::kMwTieRLarge_experiment, kv::kMwTieRLarge_control, 0.98);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_NEAR(-0.4999173250549087, r.lower, kE);
  EXPECT_NEAR(-6.912685789769486E-6, r.upper, kE);
  EXPECT_NEAR(-3.45044082729315E-5, r.estimate, 0.0001);
}

TEST(JudgeMannWhitney, IntermediateValues) {
  const auto& x = kv::kMwIntermediate_x;
  const auto& y = kv::kMwIntermediate_y;
  const WilcoxonDiff diff(x, y);
  const double alpha = 1.0 - 0.95;
  const double mu_min = diff.minX() - diff.maxY();
  const double mu_max = diff.maxX() - diff.minY();
  const double zq_lower = -normalQuantile(alpha / 2);
  const double zq_upper = normalQuantile(alpha / 2);
  const double f_lower1 = diff(mu_min, zq_lower), f_upper1 = diff(mu_max, zq_lower);
  const double f_lower2 = diff(mu_min, zq_upper), f_upper2 = diff(mu_max, zq_upper);
  auto at = [&](double zq) { return [&diff, zq](double mu) { return diff(mu, zq); }; };
  const double ci_lower = brentSolve(mu_min, mu_max, f_lower1, f_upper1, at(zq_lower));
  const double ci_upper = brentSolve(mu_min, mu_max, f_lower2, f_upper2, at(zq_upper));
  const double estimate = brentSolve(mu_min, mu_max, diff(mu_min, 0), diff(mu_max, 0), at(0));

  EXPECT_NEAR(-3.124999999999986, mu_min, kE);
  EXPECT_NEAR(5.555555555555557, mu_max, kE);
  EXPECT_NEAR(1.9599639845400536, zq_lower, kE);
  EXPECT_NEAR(-1.9599639845400536, zq_upper, kE);
  EXPECT_NEAR(17.090968923762254, f_lower1, kE);
  EXPECT_NEAR(-20.997687930433106, f_upper1, kE);
  EXPECT_NEAR(21.01089689284236, f_lower2, kE);
  EXPECT_NEAR(-17.077759961353, f_upper2, kE);
  EXPECT_NEAR(3.521755377702165E-5, ci_lower, kE);
  EXPECT_NEAR(2.02456461662334E-5, ci_upper, kE);
  EXPECT_NEAR(2.6279243045155653E-5, estimate, kE);
  // Kayenta's inverted interval (lower > upper under heavy ties), to 1e-6 relative.
  expectRelative(3.521755377702165E-5, ci_lower);
  expectRelative(2.02456461662334E-5, ci_upper);
  expectRelative(2.6279243045155653E-5, estimate);
  expectRelative(17.090968923762254, f_lower1, 1e-12);
  expectRelative(-20.997687930433106, f_upper1, 1e-12);
}

TEST(JudgeMannWhitney, AllTiedIsAnError) {
  const std::vector<double> same = {3.0, 3.0, 3.0};
  const MannWhitneyResult r = mannWhitneyUTest(same, same);
  EXPECT_NE(r.error.find("all observations are tied"), std::string::npos);
}

TEST(JudgeMannWhitney, AverageRanksInInputOrder) {
  const std::vector<double> v = {3.0, 1.0, 3.0, 2.0, NAN};
  EXPECT_EQ((std::vector<double>{3.5, 1.0, 3.5, 2.0, 5.0}), averageRanks(v));
}

TEST(JudgeMannWhitney, BrentStopsAtTolerance) {
  // Root of x^2 - 2 on [0, 2]: Kayenta's tolerance (1e-4) bounds the error, not machine precision.
  const double r = brentSolve(0, 2, -2, 2, [](double x) { return x * x - 2; });
  EXPECT_NEAR(std::sqrt(2.0), r, 1e-4);
}

}  // namespace
}  // namespace vane::judge
