// Condition evaluations per second for typical successCondition/failureCondition forms:
// parse once, evaluate many times against a Prometheus-like result.
#include <benchmark/benchmark.h>

#include <cmath>

#include "analysis/expr.h"
#include "analysis/provider.h"

namespace {

using vane::analysis::expr::Env;
using vane::analysis::expr::json;
using vane::analysis::expr::Program;

void evalCondition(benchmark::State& state, const char* condition, json result) {
  auto program = Program::compile(condition);
  if (!program) {
    state.SkipWithError(program.status().message().c_str());
    return;
  }
  Env env{{"result", std::move(result)}};
  for (auto _ : state) {
    auto r = program->evalBool(env);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

json vectorOf(size_t n) {
  json v = json::array();
  for (size_t i = 0; i < n; ++i) v.push_back(0.01 * static_cast<double>(i % 7));
  return v;
}

BENCHMARK_CAPTURE(evalCondition, index_compare, "result[0] < 0.05", vectorOf(1));
BENCHMARK_CAPTURE(evalCondition, len_or_index, "len(result) == 0 || result[0] >= 0.95",
                  vectorOf(1));
BENCHMARK_CAPTURE(evalCondition, nan_guard, "isNaN(result[0]) || result[0] < 0.01",
                  json::array({std::nan("")}));
BENCHMARK_CAPTURE(evalCondition, all_10, "all(result, {# < 1000})", vectorOf(10));
BENCHMARK_CAPTURE(evalCondition, all_100, "all(result, # < 1000)", vectorOf(100));
BENCHMARK_CAPTURE(evalCondition, default_scalar, "default(result, 0) < 0.05", json(0.01));
BENCHMARK_CAPTURE(evalCondition, sum_div_len, "sum(result) / len(result) < 0.5", vectorOf(10));

void parseCondition(benchmark::State& state) {
  for (auto _ : state) {
    auto p = Program::compile("len(result) == 0 || all(result, {# >= 0.95}) && result[0] != 0");
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(parseCondition);

// Parse + evaluate + verdict, as one measurement does it.
void fullVerdict(benchmark::State& state) {
  json metric = {{"name", "m"},
                 {"successCondition", "result[0] < 0.05"},
                 {"failureCondition", "result[0] > 0.2"}};
  json result = json::array({0.01});
  for (auto _ : state) {
    auto v = vane::analysis::evaluateConditions(result, metric);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(fullVerdict);

}  // namespace

BENCHMARK_MAIN();
