// Per-metric classification: Kayenta's MannWhitneyClassifier (the one NetflixACAJudge-v1.0
// uses) and its MeanInequalityClassifier, with Kayenta's labels and decision order
// (kayenta-judge: classifiers/metric/*.scala).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>

namespace vane::judge {

enum class Direction { kIncrease, kDecrease, kEither };
enum class NanStrategy { kRemove, kReplace };
enum class OutlierStrategy { kKeep, kRemove };
enum class EffectSizeMeasure { kMeanRatio, kCles };
enum class Label { kPass, kHigh, kLow, kNodataFailMetric, kNodata, kError };

/// Kayenta's spellings: "Pass", "High", "Low", "NodataFailMetric", "Nodata", "Error".
std::string_view labelName(Label label);
std::string_view directionName(Direction d);           // increase, decrease, either
std::string_view effectSizeName(EffectSizeMeasure m);  // meanRatio, cles
/// Parsers that return nullopt for an unknown word (Kayenta silently picks a default; we let
/// the caller report the field instead).
std::optional<Direction> parseDirection(std::string_view s);
std::optional<NanStrategy> parseNanStrategy(std::string_view s);
std::optional<OutlierStrategy> parseOutlierStrategy(std::string_view s);
std::optional<EffectSizeMeasure> parseEffectSizeMeasure(std::string_view s);

struct ClassifierParams {
  double tolerance = 0.25;
  double confLevel = 0.95;
  double allowedDecrease = 1.0, allowedIncrease = 1.0;    // effect-size gates for Low / High
  double criticalDecrease = 1.0, criticalIncrease = 1.0;  // gates for a critical Low / High
  EffectSizeMeasure measure = EffectSizeMeasure::kMeanRatio;
};

/// The outcome for one metric, with the numbers behind it. The interval fields are set only when
/// the rank-sum test ran (tested == true); effect_size is NaN when it was not computed or is
/// undefined (a zero mean), in which case the effect-size gates count as met, as in Kayenta.
struct Classification {
  Label label = Label::kPass;
  std::string reason;      // empty when Kayenta gives none
  double deviation = 1.0;  // mean ratio canary/baseline (Kayenta's "ratio")
  bool critical = false;
  bool tested = false;
  double lower = 0, upper = 0, estimate = 0;  // CI and Hodges-Lehmann estimate, canary - baseline
  double effect_size = 0;
  bool noise_added = false;  // both sides constant: Gaussian noise was added before the test
};

/// Classifies experiment (canary) against control (baseline). rng supplies the noise Kayenta adds
/// when each side holds one distinct value (tests seed it; only the label is then stable).
Classification classifyMannWhitney(std::span<const double> control,
                                   std::span<const double> experiment, std::string_view name,
                                   Direction direction, NanStrategy nan_strategy, bool critical,
                                   bool must_have_data, const ClassifierParams& params,
                                   std::mt19937_64& rng);

/// Kayenta's MeanInequalityClassifier: High/Low by comparing means alone.
Classification classifyMeanInequality(std::span<const double> control,
                                      std::span<const double> experiment, Direction direction,
                                      NanStrategy nan_strategy, bool critical, bool must_have_data);

}  // namespace vane::judge
