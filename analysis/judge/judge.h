// The statistical canary judge: Kayenta's NetflixACAJudge-v1.0 in process. Per metric: NaN
// handling, optional IQR outlier removal, descriptive statistics, the Mann-Whitney classifier
// (tolerance 0.25, 98% confidence); then group scores, the weighted summary score and the
// pass/marginal thresholds (kayenta-judge: NetflixACAJudge.scala, scorers/, classifiers/score/).
// Each result keeps the numbers behind it so a verdict can explain itself.
#pragma once

#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "analysis/judge/classifier.h"
#include "analysis/judge/statistics.h"

namespace vane::judge {

inline constexpr std::string_view kJudgeName = "NetflixACAJudge-v1.0";
inline constexpr double kJudgeTolerance = 0.25;
inline constexpr double kJudgeConfidence = 0.98;

/// One metric's judge settings: Kayenta's analysisConfigurations.canary keys and defaults.
struct MetricConfig {
  std::string name;
  std::vector<std::string> groups;
  Direction direction = Direction::kEither;
  NanStrategy nanStrategy = NanStrategy::kRemove;
  OutlierStrategy outlierStrategy = OutlierStrategy::kKeep;
  double outlierFactor = 3.0;
  bool critical = false;
  bool mustHaveData = false;
  bool muted = false;
  EffectSizeMeasure effectSizeMeasure = EffectSizeMeasure::kMeanRatio;
  // Unset: 1.0 for meanRatio, 0.5 for cles.
  std::optional<double> allowedIncrease, allowedDecrease, criticalIncrease, criticalDecrease;

  ClassifierParams params() const;  // the judge's tolerance and confidence, these gates
};

struct MetricResult {
  std::string name;
  std::vector<std::string> groups;
  bool muted = false;
  Classification classification;
  Direction direction = Direction::kEither;
  ClassifierParams params;
  size_t canaryRaw = 0, baselineRaw = 0;  // samples received, before NaN/outlier handling
  SampleStats canary, baseline;           // after NaN/outlier handling
};

/// Judges one metric: canary (experiment) against baseline (control).
MetricResult judgeMetric(const MetricConfig& config, std::span<const double> canary,
                         std::span<const double> baseline, std::mt19937_64& rng);

struct GroupScore {
  std::string name;
  double score = 0;  // percent of Pass among Pass/High/Low/NodataFailMetric
  bool noData = false;
};

enum class Verdict { kPass, kMarginal, kFail };
std::string_view verdictName(Verdict v);  // "Pass", "Marginal", "Fail"

struct Thresholds {
  double pass = 95;
  double marginal = 75;
};

struct JudgeResult {
  std::vector<MetricResult> metrics;  // muted ones included, not scored
  std::vector<GroupScore> groups;     // sorted by name
  double score = 0;                   // 0-100, two decimals
  Verdict verdict = Verdict::kFail;
  std::string reason;  // why the score was forced to 0, if it was
};

/// Kayenta's WeightedSumScorer + ThresholdScoreClassifier over the results. groupWeights are
/// percents; groups without a weight share what is left of 100 equally.
JudgeResult scoreMetrics(std::vector<MetricResult> metrics,
                         const std::map<std::string, double>& groupWeights,
                         const Thresholds& thresholds);

/// Rounds half up (away from zero) to `scale` decimals of the shortest decimal form of v, as
/// commons-math Precision.round does.
double roundHalfUp(double v, int scale);

/// One line: the classification and the numbers behind it (interval, estimate, effect size,
/// sample counts), e.g. "latency High: canary-baseline 98% CI [2.1, 2.9], estimate 2.5,
/// meanRatio 1.25 (allowed increase 1), samples canary 60 baseline 60".
std::string explain(const MetricResult& m);
/// The score, the verdict, and every metric that did not pass, explained.
std::string explain(const JudgeResult& r, const Thresholds& thresholds);

/// %g-style number with up to 6 significant digits ("nan" for NaN).
std::string formatNumber(double v);

}  // namespace vane::judge
