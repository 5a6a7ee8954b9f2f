// analysis/analysis_spec: an AnalysisTemplate's spec (args, metrics, dryRun, retention) and each
// metric's provider, limits and durations.
#include "analysis/analysis_spec.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto obj = vane::fuzz::parseJson(vane::fuzz::text(data, size));
  if (obj.is_discarded()) return 0;
  auto spec = vane::analysis::decodeAnalysisSpec(obj);
  if (!spec.ok()) return 0;
  std::vector<vane::analysis::MetricSpec> metrics;
  for (size_t i = 0; i < spec->metrics.size(); ++i) {
    auto m =
        vane::analysis::decodeMetric(spec->metrics[i], "spec.metrics[" + std::to_string(i) + "]");
    if (m.ok()) metrics.push_back(std::move(*m));
  }
  (void)vane::analysis::dryRunMetrics(*spec, metrics);
  return 0;
}
