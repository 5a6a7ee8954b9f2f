#include "analysis/judge/judge.h"

#include <cmath>
#include <cstdio>

namespace vane::judge {

ClassifierParams MetricConfig::params() const {
  const double fallback = effectSizeMeasure == EffectSizeMeasure::kCles ? 0.5 : 1.0;
  ClassifierParams p;
  p.tolerance = kJudgeTolerance;
  p.confLevel = kJudgeConfidence;
  p.measure = effectSizeMeasure;
  p.allowedIncrease = allowedIncrease.value_or(fallback);
  p.allowedDecrease = allowedDecrease.value_or(fallback);
  p.criticalIncrease = criticalIncrease.value_or(fallback);
  p.criticalDecrease = criticalDecrease.value_or(fallback);
  return p;
}

MetricResult judgeMetric(const MetricConfig& config, std::span<const double> canary,
                         std::span<const double> baseline, std::mt19937_64& rng) {
  auto transform = [&](std::span<const double> v) {
    std::vector<double> out =
        config.nanStrategy == NanStrategy::kRemove ? removeNaNs(v) : replaceNaNs(v);
    if (config.outlierStrategy == OutlierStrategy::kRemove) {
      out = removeOutliersIqr(out, config.outlierFactor);
    }
    return out;
  };
  const std::vector<double> experiment = transform(canary);
  const std::vector<double> control = transform(baseline);
  MetricResult r;
  r.name = config.name;
  r.groups = config.groups;
  r.muted = config.muted;
  r.direction = config.direction;
  r.params = config.params();
  r.canaryRaw = canary.size();
  r.baselineRaw = baseline.size();
  r.canary = summarize(experiment);
  r.baseline = summarize(control);
  r.classification =
      classifyMannWhitney(control, experiment, config.name, config.direction, config.nanStrategy,
                          config.critical, config.mustHaveData, r.params, rng);
  return r;
}

std::string formatNumber(double v) {
  if (std::isnan(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string explain(const MetricResult& m) {
  const Classification& c = m.classification;
  std::string s = m.name + " " + std::string(labelName(c.label));
  if (c.critical) s += " (critical)";
  if (c.tested) {
    const bool cles = m.params.measure == EffectSizeMeasure::kCles;
    s += ": canary-baseline " + formatNumber(m.params.confLevel * 100) + "% CI [" +
         formatNumber(c.lower) + ", " + formatNumber(c.upper) + "], estimate " +
         formatNumber(c.estimate) + ", " + std::string(effectSizeName(m.params.measure)) + " " +
         formatNumber(c.effect_size);
    if (c.label == Label::kHigh) {
      s += " (allowed increase " + formatNumber(m.params.allowedIncrease) + ")";
    } else if (c.label == Label::kLow) {
      s += " (allowed decrease " + formatNumber(m.params.allowedDecrease) + ")";
    } else if (!cles && !std::isnan(c.effect_size)) {
      s += " (allowed " + formatNumber(m.params.allowedDecrease) + ".." +
           formatNumber(m.params.allowedIncrease) + ")";
    }
    if (c.noise_added) s += ", noise added to constant samples";
  } else if (!c.reason.empty()) {
    s += ": " + c.reason;
  }
  s += ", samples canary " + std::to_string(m.canary.count) + " baseline " +
       std::to_string(m.baseline.count);
  if (m.canary.count != m.canaryRaw || m.baseline.count != m.baselineRaw) {
    s += " (of " + std::to_string(m.canaryRaw) + "/" + std::to_string(m.baselineRaw) + ")";
  }
  return s;
}

std::string explain(const JudgeResult& r, const Thresholds& thresholds) {
  std::string s = "score " + formatNumber(r.score) + " (" + std::string(verdictName(r.verdict)) +
                  "; pass " + formatNumber(thresholds.pass) + ", marginal " +
                  formatNumber(thresholds.marginal) + ")";
  if (!r.reason.empty()) s += ": " + r.reason;
  std::string failed;
  for (const MetricResult& m : r.metrics) {
    if (m.classification.label == Label::kPass) continue;
    failed += (failed.empty() ? "" : "; ") + explain(m) + (m.muted ? " [muted]" : "");
  }
  if (!failed.empty()) s += (r.reason.empty() ? ": " : "; ") + failed;
  return s;
}

}  // namespace vane::judge
