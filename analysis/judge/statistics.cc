#include "analysis/judge/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/judge/mann_whitney.h"

namespace vane::judge {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

double mean(std::span<const double> v) {
  if (v.empty()) return kNaN;
  const double n = static_cast<double>(v.size());
  double sum = 0;
  for (double x : v) sum += x;
  const double xbar = sum / n;
  double correction = 0;
  for (double x : v) correction += x - xbar;
  return xbar + correction / n;
}

double variance(std::span<const double> v) {
  if (v.empty()) return kNaN;
  if (v.size() == 1) return 0.0;
  const double m = mean(v);
  double accum = 0, accum2 = 0;
  for (double x : v) {
    const double dev = x - m;
    accum += dev * dev;
    accum2 += dev;
  }
  const double n = static_cast<double>(v.size());
  return (accum - (accum2 * accum2 / n)) / (n - 1.0);
}

double percentile(std::span<const double> v, double p) {
  if (v.empty()) return kNaN;
  std::vector<double> sorted(v.begin(), v.end());
  std::sort(sorted.begin(), sorted.end(), javaLess);
  if (sorted.size() == 1) return sorted[0];
  const double q = p / 100.0;
  const double n = static_cast<double>(sorted.size());
  const double pos = q == 0 ? 0 : q == 1 ? n : 1 + (n - 1) * q;
  if (pos < 1) return sorted.front();
  if (pos >= n) return sorted.back();
  const double fpos = std::floor(pos);
  const auto i = static_cast<size_t>(fpos);
  const double lower = sorted[i - 1], upper = sorted[i];
  return lower + (pos - fpos) * (upper - lower);
}

SampleStats summarize(std::span<const double> v) {
  SampleStats s;
  s.count = v.size();
  if (v.empty()) return s;
  s.mean = mean(v);
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  s.std = std::sqrt(variance(v));
  return s;
}

std::vector<double> removeNaNs(std::span<const double> v) {
  std::vector<double> out;
  out.reserve(v.size());
  for (double x : v) {
    if (!std::isnan(x)) out.push_back(x);
  }
  return out;
}

std::vector<double> replaceNaNs(std::span<const double> v) {
  std::vector<double> out(v.begin(), v.end());
  for (double& x : out) {
    if (std::isnan(x)) x = 0.0;
  }
  return out;
}

std::vector<bool> detectOutliersIqr(std::span<const double> v, double factor,
                                    bool reduceSensitivity) {
  const double q1 = percentile(v, 25), q3 = percentile(v, 75);
  const double iqr = q3 - q1;
  double low = q1 - factor * iqr, high = q3 + factor * iqr;
  if (reduceSensitivity) {
    low = std::min(percentile(v, 1), low);
    high = std::max(percentile(v, 99), high);
  }
  std::vector<bool> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = v[i] > high || v[i] < low;
  return out;
}

std::vector<double> removeOutliersIqr(std::span<const double> v, double factor,
                                      bool reduceSensitivity) {
  const std::vector<bool> outlier = detectOutliersIqr(v, factor, reduceSensitivity);
  std::vector<double> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!outlier[i]) out.push_back(v[i]);
  }
  return out;
}

double meanRatio(std::span<const double> control, std::span<const double> experiment) {
  const double c = mean(control), e = mean(experiment);
  if (c == 0.0 || e == 0.0) return kNaN;
  return e / c;
}

double cles(std::span<const double> control, std::span<const double> experiment) {
  std::vector<double> pooled(experiment.begin(), experiment.end());
  pooled.insert(pooled.end(), control.begin(), control.end());
  const std::vector<double> ranks = averageRanks(pooled);
  double r1 = 0;
  for (size_t i = 0; i < experiment.size(); ++i) r1 += ranks[i];
  const double m = static_cast<double>(experiment.size());
  const double n = static_cast<double>(control.size());
  return (2 * r1 - m * (m + 1)) / (2 * n * m);
}

}  // namespace vane::judge
