#include "analysis/judge/mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace vane::judge {
namespace {

constexpr int kMaxIterations = 1000;
constexpr double kTolerance = 1e-4;
constexpr double kEpsilon = 2.220446049250313e-16;

// commons-math Precision.equals(x, 0): equal within one ulp, so 0 and the smallest subnormals.
bool isZeroWithinUlp(double v) { return std::fabs(v) <= std::numeric_limits<double>::denorm_min(); }

bool javaEqual(double a, double b) { return !javaLess(a, b) && !javaLess(b, a); }

}  // namespace

bool javaLess(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  if (a < b) return true;
  if (a > b) return false;
  return std::signbit(a) && !std::signbit(b);
}

double brentSolve(double ax, double bx, double fa, double fb,
                  const std::function<double(double)>& f) {
  double a = ax, b = bx, c = a, fc = fa;
  if (isZeroWithinUlp(fa)) return a;
  if (isZeroWithinUlp(fb)) return b;
  for (int left = kMaxIterations + 1; left-- > 0;) {
    const double prev_step = b - a;
    // Keep b the best guess: |f(b)| <= |f(c)|.
    if (std::fabs(fc) < std::fabs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const double tol_act = 2 * kEpsilon * std::fabs(b) + kTolerance / 2;
    double new_step = (c - b) / 2;
    if (std::fabs(new_step) <= tol_act || isZeroWithinUlp(fb)) return b;

    // Interpolate when the previous step was large enough and went the right way.
    if (std::fabs(prev_step) >= tol_act && std::fabs(fa) > std::fabs(fb)) {
      const double cb = c - b;
      double p, q;
      if (a == c) {  // two points: secant
        const double t1 = fb / fa;
        p = cb * t1;
        q = 1.0 - t1;
      } else {  // three points: inverse quadratic interpolation
        const double qa = fa / fc;
        const double t1 = fb / fc;
        const double t2 = fb / fa;
        p = t2 * (cb * qa * (qa - t1) - (b - a) * (t1 - 1.0));
        q = (qa - 1.0) * (t1 - 1.0) * (t2 - 1.0);
      }
      if (p > 0.0) {
        q = -q;
      } else {
        p = -p;
      }
      if (p < (0.75 * cb * q - std::fabs(tol_act * q) / 2) && p < std::fabs(prev_step * q / 2)) {
        new_step = p / q;
      }
    }
    if (std::fabs(new_step) < tol_act) new_step = new_step > 0 ? tol_act : -tol_act;
    a = b;
    fa = fb;
    b += new_step;
    fb = f(b);
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
    }
  }
  return b;  // not converged: Kayenta returns the last iterate too
}

double normalQuantile(double p) {
  // Acklam's rational approximation (relative error 1.15e-9), then one Halley step on erfc,
  // which brings it to full double precision (commons-math gives -2.3263478740408408 at 0.01).
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  if (!(p > 0 && p < 1)) {
    if (p == 0) return -std::numeric_limits<double>::infinity();
    if (p == 1) return std::numeric_limits<double>::infinity();
    return std::numeric_limits<double>::quiet_NaN();
  }
  constexpr double p_low = 0.02425;
  double x;
  if (p < p_low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - p_low) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

std::vector<double> averageRanks(std::span<const double> values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  auto key = [&](size_t i) {
    return std::isnan(values[i]) ? std::numeric_limits<double>::infinity() : values[i];
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t l, size_t r) { return javaLess(key(l), key(r)); });
  std::vector<double> ranks(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i + 1;
    while (j < order.size() && javaEqual(key(order[i]), key(order[j]))) ++j;
    const double rank = (2.0 * static_cast<double>(i + 1) + static_cast<double>(j - i) - 1) / 2;
    for (size_t k = i; k < j; ++k) ranks[order[k]] = rank;
    i = j;
  }
  return ranks;
}

WilcoxonDiff::WilcoxonDiff(std::span<const double> x, std::span<const double> y)
    : xs_(x.begin(), x.end()), ys_(y.begin(), y.end()) {
  auto nan_high = [](double& v) {
    if (std::isnan(v)) v = std::numeric_limits<double>::infinity();
  };
  std::for_each(xs_.begin(), xs_.end(), nan_high);
  std::for_each(ys_.begin(), ys_.end(), nan_high);
  std::sort(xs_.begin(), xs_.end(), javaLess);
  std::sort(ys_.begin(), ys_.end(), javaLess);
  shifted_.resize(xs_.size());
}

double WilcoxonDiff::operator()(double mu, double quantile, bool* tied) const {
  const size_t n = xs_.size(), m = ys_.size();
  bool sorted = true;
  for (size_t i = 0; i < n; ++i) {
    double v = xs_[i] - mu;
    if (std::isnan(v)) v = std::numeric_limits<double>::infinity();
    shifted_[i] = v;
    if (i > 0 && javaLess(v, shifted_[i - 1])) sorted = false;
  }
  if (!sorted) std::sort(shifted_.begin(), shifted_.end(), javaLess);

  // Merge the two sorted samples; every run of equal values is one tie group sharing the
  // average of its positions. Rank sums are multiples of 1/2, so the order of summing is exact.
  double rank_sum_x = 0, tie_sum = 0;
  size_t i = 0, j = 0, pos = 1;
  while (i < n || j < m) {
    const double v = (j == m || (i < n && !javaLess(ys_[j], shifted_[i]))) ? shifted_[i] : ys_[j];
    size_t cx = 0, cy = 0;
    while (i < n && javaEqual(shifted_[i], v)) ++i, ++cx;
    while (j < m && javaEqual(ys_[j], v)) ++j, ++cy;
    const size_t t = cx + cy;
    const double rank = (2.0 * static_cast<double>(pos) + static_cast<double>(t) - 1) / 2;
    rank_sum_x += static_cast<double>(cx) * rank;
    if (t > 1) tie_sum += std::pow(static_cast<double>(t), 3) - static_cast<double>(t);
    pos += t;
  }
  const double nx = static_cast<double>(n), ny = static_cast<double>(m);
  const double dz = rank_sum_x - nx * (nx + 1) / 2 - nx * ny / 2;
  const double correction = (dz > 0 ? 1.0 : dz < 0 ? -1.0 : 0.0) * 0.5;
  const double sigma =
      std::sqrt((nx * ny / 12) * ((nx + ny + 1) - tie_sum / ((nx + ny) * (nx + ny - 1))));
  if (sigma == 0) {
    if (tied) *tied = true;
    return std::numeric_limits<double>::quiet_NaN();
  }
  return (dz - correction) / sigma - quantile;
}

MannWhitneyResult mannWhitneyUTest(std::span<const double> x, std::span<const double> y,
                                   double confLevel) {
  MannWhitneyResult out;
  if (x.empty() || y.empty()) {
    out.error = "cannot compute a confidence interval without data on both sides";
    return out;
  }
  const WilcoxonDiff diff(x, y);
  bool tied = false;
  const double alpha = 1.0 - confLevel;
  const double mu_min = diff.minX() - diff.maxY();
  const double mu_max = diff.maxX() - diff.minY();
  auto root = [&](double zq) {
    const double f_lower = diff(mu_min, zq, &tied);
    const double f_upper = diff(mu_max, zq, &tied);
    if (tied) return std::numeric_limits<double>::quiet_NaN();
    if (f_lower <= 0) return mu_min;
    if (f_upper >= 0) return mu_max;
    return brentSolve(mu_min, mu_max, f_lower, f_upper,
                      [&](double mu) { return tied ? 0.0 : diff(mu, zq, &tied); });
  };
  const double z = normalQuantile(alpha / 2);
  out.lower = root(-z);
  out.upper = root(z);
  if (!tied) {
    out.estimate = brentSolve(mu_min, mu_max, diff(mu_min, 0, &tied), diff(mu_max, 0, &tied),
                              [&](double mu) { return tied ? 0.0 : diff(mu, 0, &tied); });
  }
  if (tied) {  // Kayenta throws here; the classifier turns it into Error
    out = {};
    out.error = "cannot compute confidence interval when all observations are tied";
  }
  return out;
}

}  // namespace vane::judge
