#include "analysis/judge/classifier.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "analysis/judge/mann_whitney.h"
#include "analysis/judge/statistics.h"

namespace vane::judge {
namespace {

std::vector<double> sortedCopy(std::span<const double> v) {
  std::vector<double> out(v.begin(), v.end());
  std::sort(out.begin(), out.end(), javaLess);
  return out;
}

// Distinct values as a boxed Java Double sees them (-0.0 and 0.0 differ).
size_t distinctCount(std::span<const double> a, std::span<const double> b = {}) {
  std::vector<double> all(a.begin(), a.end());
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end(), javaLess);
  size_t n = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i == 0 || javaLess(all[i - 1], all[i])) ++n;
  }
  return n;
}

bool allFinite(std::span<const double> v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

// Kayenta scales the noise to the (single) value: N(0, (value * 1e-5)^2).
std::vector<double> withNoise(std::span<const double> v, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  const double scale = v.front() * 1e-5;
  std::vector<double> out(v.begin(), v.end());
  for (double& x : out) x += normal(rng) * scale;
  return out;
}

Classification missingData(std::string_view name, NanStrategy nan_strategy, bool critical,
                           bool must_have_data) {
  Classification c;
  if (nan_strategy == NanStrategy::kReplace) return c;  // Pass
  c.reason = "Missing data for " + std::string(name);
  if (must_have_data && !critical) {
    c.label = Label::kNodataFailMetric;
  } else {
    c.label = Label::kNodata;
    c.critical = critical;
  }
  return c;
}

bool meetsOrNaN(double effect, bool at_least, double threshold) {
  if (std::isnan(effect)) return true;
  return at_least ? effect >= threshold : effect <= threshold;
}

}  // namespace

std::string_view labelName(Label label) {
  switch (label) {
    case Label::kPass:
      return "Pass";
    case Label::kHigh:
      return "High";
    case Label::kLow:
      return "Low";
    case Label::kNodataFailMetric:
      return "NodataFailMetric";
    case Label::kNodata:
      return "Nodata";
    case Label::kError:
      return "Error";
  }
  return "Error";
}

std::string_view directionName(Direction d) {
  switch (d) {
    case Direction::kIncrease:
      return "increase";
    case Direction::kDecrease:
      return "decrease";
    case Direction::kEither:
      return "either";
  }
  return "either";
}

std::string_view effectSizeName(EffectSizeMeasure m) {
  return m == EffectSizeMeasure::kCles ? "cles" : "meanRatio";
}

std::optional<Direction> parseDirection(std::string_view s) {
  if (s == "increase") return Direction::kIncrease;
  if (s == "decrease") return Direction::kDecrease;
  if (s == "either") return Direction::kEither;
  return std::nullopt;
}

std::optional<NanStrategy> parseNanStrategy(std::string_view s) {
  if (s == "remove") return NanStrategy::kRemove;
  if (s == "replace") return NanStrategy::kReplace;
  return std::nullopt;
}

std::optional<OutlierStrategy> parseOutlierStrategy(std::string_view s) {
  if (s == "remove") return OutlierStrategy::kRemove;
  if (s == "keep") return OutlierStrategy::kKeep;
  return std::nullopt;
}

std::optional<EffectSizeMeasure> parseEffectSizeMeasure(std::string_view s) {
  if (s == "meanRatio") return EffectSizeMeasure::kMeanRatio;
  if (s == "cles") return EffectSizeMeasure::kCles;
  return std::nullopt;
}

Classification classifyMannWhitney(std::span<const double> control,
                                   std::span<const double> experiment, std::string_view name,
                                   Direction direction, NanStrategy nan_strategy, bool critical,
                                   bool must_have_data, const ClassifierParams& params,
                                   std::mt19937_64& rng) {
  // 1. No data on either side.
  if (experiment.empty() || control.empty()) {
    return missingData(name, nan_strategy, critical, must_have_data);
  }
  Classification c;
  // 2. Identical samples, or a single value across both: nothing to test.
  if (sortedCopy(experiment) == sortedCopy(control)) {
    c.reason = "The Canary and Baseline data are identical";
    return c;
  }
  if (distinctCount(experiment, control) == 1) return c;
  if (!allFinite(experiment) || !allFinite(control)) {
    // Kayenta would feed infinities to the solver; we refuse to judge them and say so.
    c.label = Label::kError;
    c.reason = "Metric Classification Failed: an infinite sample (+Inf/-Inf) in the " +
               std::string(allFinite(experiment) ? "Baseline" : "Canary") + " data";
    return c;
  }

  // 3. Each side constant: add noise so the ranks are not all tied.
  std::vector<double> exp(experiment.begin(), experiment.end());
  std::vector<double> ctl(control.begin(), control.end());
  if (distinctCount(experiment) == 1 && distinctCount(control) == 1) {
    exp = withNoise(experiment, rng);
    ctl = withNoise(control, rng);
    c.noise_added = true;
  }

  // 4. The rank-sum interval against a band of tolerance * |estimate|, gated by the effect size.
  const MannWhitneyResult mw = mannWhitneyUTest(exp, ctl, params.confLevel);
  if (!mw.error.empty()) {
    c.label = Label::kError;
    c.reason = "Metric Classification Failed: " + mw.error;
    return c;  // built without the critical flag, as Kayenta does
  }
  c.tested = true;
  c.lower = mw.lower;
  c.upper = mw.upper;
  c.estimate = mw.estimate;
  c.deviation = meanRatio(ctl, exp);
  c.effect_size = params.measure == EffectSizeMeasure::kCles ? cles(ctl, exp) : meanRatio(ctl, exp);
  const double bound = params.tolerance * std::fabs(mw.estimate);
  const bool up = direction == Direction::kIncrease || direction == Direction::kEither;
  const bool down = direction == Direction::kDecrease || direction == Direction::kEither;
  if (up && mw.lower > bound && meetsOrNaN(c.effect_size, true, params.allowedIncrease)) {
    c.label = Label::kHigh;
  } else if (down && mw.upper < -bound &&
             meetsOrNaN(c.effect_size, false, params.allowedDecrease)) {
    c.label = Label::kLow;
  }
  if (c.label == Label::kPass) return c;

  // 5. A critical metric fails the canary only past the critical effect-size gate.
  const bool critical_fail =
      critical &&
      (c.label == Label::kHigh ? meetsOrNaN(c.effect_size, true, params.criticalIncrease)
                               : meetsOrNaN(c.effect_size, false, params.criticalDecrease));
  c.critical = critical_fail;
  c.reason = critical_fail
                 ? "The metric " + std::string(name) + " was classified as " +
                       std::string(labelName(c.label)) + " (Critical)"
                 : std::string(name) + " was classified as " + std::string(labelName(c.label));
  return c;
}

Classification classifyMeanInequality(std::span<const double> control,
                                      std::span<const double> experiment, Direction direction,
                                      NanStrategy nan_strategy, bool critical,
                                      bool must_have_data) {
  if (experiment.empty() || control.empty()) {
    Classification c = missingData("", nan_strategy, critical, must_have_data);
    c.reason.clear();
    if (c.label == Label::kNodata) c.deviation = 0.0;
    return c;
  }
  const double e = mean(experiment), k = mean(control);
  Classification c;
  const bool up = direction == Direction::kIncrease || direction == Direction::kEither;
  const bool down = direction == Direction::kDecrease || direction == Direction::kEither;
  if (up && e > k) {
    c = {Label::kHigh, "The Canary mean was greater than the Baseline mean", e / k, critical};
  } else if (down && e < k) {
    c = {Label::kLow, "The Canary mean was less than the Baseline mean", e / k, critical};
  }
  return c;
}

}  // namespace vane::judge
