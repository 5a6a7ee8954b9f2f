// The Mann-Whitney U (Wilcoxon rank-sum) confidence interval and Hodges-Lehmann estimate, as
// Kayenta computes them (kayenta-mannwhitney: MannWhitney.scala, BrentSolver.java), which in turn
// follow R's wilcox.test(x, y, conf.int = TRUE, exact = FALSE, correct = TRUE): the normal
// approximation with continuity and tie corrections, the interval ends found by R's zeroin
// (Brent) with Kayenta's loose tolerance 1e-4. Matching that solver, not a more exact one, is
// what makes our intervals (and so the classifications that depend on them) Kayenta's.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace vane::judge {

/// Interval and estimate of the location shift x - y (canary - baseline in the judge).
struct MannWhitneyResult {
  double lower = 0;  // may exceed upper under heavy ties; Kayenta keeps it as is
  double upper = 0;
  double estimate = 0;  // Hodges-Lehmann estimate
  std::string error;    // non-empty: no interval (every observation tied); numbers unset
};

/// Brent's root finder as R_zeroin2 / Kayenta's BrentSolver: tolerance 1e-4, at most 1,000
/// iterations, fa and fb given. Returns the last iterate when it does not converge.
double brentSolve(double ax, double bx, double fa, double fb,
                  const std::function<double(double)>& f);

/// Quantile function of the standard normal distribution (p in (0, 1)).
double normalQuantile(double p);

/// The standardised rank-sum statistic of (x - mu, y) minus quantile. Ranks average ties and
/// treat values as Java's Double.compare orders them (-0.0 < 0.0, NaN highest). Holds sorted
/// copies so each evaluation is a linear merge, not a sort.
class WilcoxonDiff {
 public:
  WilcoxonDiff(std::span<const double> x, std::span<const double> y);
  /// Sets *tied (when given) when every observation is tied (sigma 0); the value is then NaN.
  double operator()(double mu, double quantile, bool* tied = nullptr) const;
  double minX() const { return xs_.front(); }
  double maxX() const { return xs_.back(); }
  double minY() const { return ys_.front(); }
  double maxY() const { return ys_.back(); }

 private:
  std::vector<double> xs_, ys_;
  mutable std::vector<double> shifted_;
};

/// Two-sided test of x against y at confLevel. x and y must be non-empty and free of NaN.
MannWhitneyResult mannWhitneyUTest(std::span<const double> x, std::span<const double> y,
                                   double confLevel = 0.95);

/// Average ranks (1-based) of values in input order, ties averaged, NaN ranked highest.
std::vector<double> averageRanks(std::span<const double> values);

/// Java's Double.compare order: -0.0 before 0.0, NaN after everything.
bool javaLess(double a, double b);

}  // namespace vane::judge
