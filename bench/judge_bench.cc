// The statistical judge (analysis/judge/, Kayenta's NetflixACAJudge-v1.0): judgements per second
// for one metric of 1,000 canary and 1,000 baseline samples, the whole per-metric pipeline (NaN
// and outlier handling, statistics, Mann-Whitney interval and estimate, effect size), for a canary
// like its baseline and one 25% slower, with and without outlier removal; and the Mann-Whitney
// test alone. items_per_second is judgements per second.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "analysis/judge/judge.h"
#include "analysis/judge/mann_whitney.h"

namespace {

using namespace vane::judge;

// Latency-like samples: lognormal around `median`, fixed seed.
std::vector<double> samples(double median, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(std::log(median), 0.25);
  std::vector<double> out(n);
  for (double& v : out) v = d(rng);
  return out;
}

void judgeOne(benchmark::State& state, double canary_factor, bool remove_outliers) {
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<double> baseline = samples(100, n, 1);
  const std::vector<double> canary = samples(100 * canary_factor, n, 2);
  MetricConfig config;
  config.name = "latency";
  config.groups = {"latency"};
  if (remove_outliers) config.outlierStrategy = OutlierStrategy::kRemove;
  std::mt19937_64 rng(3);
  Label label = Label::kPass;
  for (auto _ : state) {
    MetricResult r = judgeMetric(config, canary, baseline, rng);
    label = r.classification.label;
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(labelName(label)));
}

void BM_JudgeMetricSame(benchmark::State& s) { judgeOne(s, 1.0, false); }
void BM_JudgeMetric25PercentSlower(benchmark::State& s) { judgeOne(s, 1.25, false); }
void BM_JudgeMetric25PercentSlowerOutliersRemoved(benchmark::State& s) { judgeOne(s, 1.25, true); }

void BM_MannWhitney(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<double> baseline = samples(100, n, 1);
  const std::vector<double> canary = samples(125, n, 2);
  for (auto _ : state) {
    MannWhitneyResult r = mannWhitneyUTest(canary, baseline, kJudgeConfidence);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_JudgeMetricSame)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_JudgeMetric25PercentSlower)->Arg(1000)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_JudgeMetric25PercentSlowerOutliersRemoved)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MannWhitney)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
