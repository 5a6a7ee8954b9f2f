// Scoring (kayenta-judge: scorers/WeightedSumScorer.scala, classifiers/score/
// ThresholdScoreClassifier.scala).
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "analysis/judge/judge.h"

namespace vane::judge {
namespace {

constexpr double kNodataThreshold = 50;

GroupScore groupScore(const std::string& name, const std::vector<Label>& labels) {
  int pass = 0, total = 0;
  for (Label l : labels) {
    if (l == Label::kPass) ++pass;
    if (l == Label::kPass || l == Label::kHigh || l == Label::kLow ||
        l == Label::kNodataFailMetric) {
      ++total;
    }
  }
  GroupScore g{name, 0.0, total == 0};
  if (total > 0) g.score = (pass / static_cast<double>(total)) * 100;
  return g;
}

double summaryScore(const std::vector<GroupScore>& groups,
                    const std::map<std::string, double>& weights) {
  double weight_sum = 0;
  for (const auto& [name, w] : weights) weight_sum += w;
  size_t unweighted = 0;
  for (const GroupScore& g : groups) unweighted += weights.count(g.name) == 0 ? 1 : 0;
  const double shared = unweighted > 0 ? (100 - weight_sum) / static_cast<double>(unweighted) : 0;
  double score = 0;
  for (const GroupScore& g : groups) {
    const auto it = weights.find(g.name);
    const double w = it != weights.end() ? it->second : shared;
    score += (g.noData ? 100.0 : g.score) * (w / 100);
  }
  return roundHalfUp(score, 2);
}

}  // namespace

std::string_view verdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "Pass";
    case Verdict::kMarginal:
      return "Marginal";
    case Verdict::kFail:
      return "Fail";
  }
  return "Fail";
}

double roundHalfUp(double v, int scale) {
  if (!std::isfinite(v)) return std::isinf(v) ? v : std::nan("");
  char buf[400];
  const auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::fixed);
  std::string digits(buf, res.ptr);
  const size_t dot = digits.find('.');
  if (dot == std::string::npos || digits.size() - dot - 1 <= static_cast<size_t>(scale)) return v;
  const bool up = digits[dot + 1 + scale] >= '5';
  digits.resize(dot + 1 + scale);
  if (up) {  // add one unit in the last kept place, carrying left
    int i = static_cast<int>(digits.size()) - 1;
    for (; i >= 0; --i) {
      if (digits[i] == '.') continue;
      if (digits[i] == '9') {
        digits[i] = '0';
      } else {
        ++digits[i];
        break;
      }
    }
    if (i < 0) digits.insert(digits.begin(), '1');
  }
  const double r = std::strtod(digits.c_str(), nullptr);
  return std::signbit(v) ? -r : r;
}

JudgeResult scoreMetrics(std::vector<MetricResult> metrics,
                         const std::map<std::string, double>& groupWeights,
                         const Thresholds& thresholds) {
  JudgeResult out;
  out.metrics = std::move(metrics);
  std::vector<const MetricResult*> scored;
  for (const MetricResult& m : out.metrics) {
    if (!m.muted) scored.push_back(&m);
  }
  std::map<std::string, std::vector<Label>> labels_by_group;
  for (const MetricResult* m : scored) {
    for (const std::string& g : m->groups) {  // listed twice counts twice, as in Kayenta
      labels_by_group[g].push_back(m->classification.label);
    }
  }
  for (const auto& [name, labels] : labels_by_group) out.groups.push_back(groupScore(name, labels));

  size_t nodata = 0;
  const MetricResult* critical_failure = nullptr;
  for (const MetricResult* m : scored) {
    if (m->classification.label == Label::kNodata) ++nodata;
    if (!critical_failure && m->classification.critical &&
        m->classification.label != Label::kPass) {
      critical_failure = m;
    }
  }
  if (critical_failure) {
    out.score = 0;
    out.reason = "Canary Failed: " + critical_failure->classification.reason;
  } else if (static_cast<double>(nodata) / static_cast<double>(scored.size()) * 100 >=
             kNodataThreshold) {
    out.score = 0;
    out.reason = "Canary Failed: 50% or more metrics returned NODATA";
  } else {
    out.score = summaryScore(out.groups, groupWeights);
  }
  out.verdict = out.score >= thresholds.pass       ? Verdict::kPass
                : out.score >= thresholds.marginal ? Verdict::kMarginal
                                                   : Verdict::kFail;
  return out;
}

}  // namespace vane::judge
