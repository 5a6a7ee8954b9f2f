// Descriptive statistics, outlier detection and effect sizes, computed the way Kayenta's judge
// computes them through commons-math (kayenta-judge: stats/, detectors/IQRDetector.scala,
// preprocessing/Transforms.scala), so summary numbers and effect sizes agree to the last digit.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace vane::judge {

/// Mean with commons-math's second-pass correction. NaN for no values.
double mean(std::span<const double> v);
/// Sample variance (n - 1), commons-math's corrected two-pass formula; 0 for one value.
double variance(std::span<const double> v);
/// Percentile p (0-100] with the R-7 estimator (linear interpolation, h = (n-1)p/100 + 1).
double percentile(std::span<const double> v, double p);

struct SampleStats {
  double min = 0, max = 0, mean = 0, std = 0;  // all 0 when count is 0
  size_t count = 0;
};
SampleStats summarize(std::span<const double> v);

/// NaN handling: remove drops NaNs; replace maps them to 0.
std::vector<double> removeNaNs(std::span<const double> v);
std::vector<double> replaceNaNs(std::span<const double> v);

/// IQR outlier detection: true for values strictly outside [Q1 - factor*IQR, Q3 + factor*IQR].
/// With reduceSensitivity (what the judge uses) the fences widen to at least P1 and P99.
std::vector<bool> detectOutliersIqr(std::span<const double> v, double factor,
                                    bool reduceSensitivity);
/// The values detectOutliersIqr does not flag, in order.
std::vector<double> removeOutliersIqr(std::span<const double> v, double factor,
                                      bool reduceSensitivity = true);

/// mean(experiment) / mean(control); NaN when either mean is 0.
double meanRatio(std::span<const double> control, std::span<const double> experiment);
/// Common-language effect size (Vargha-Delaney A): the share of (experiment, control) pairs
/// where the experiment value is higher, ties counting half. 0.5 means no difference.
double cles(std::span<const double> control, std::span<const double> experiment);

}  // namespace vane::judge
