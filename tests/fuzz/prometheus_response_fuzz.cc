// analysis: a Prometheus /api/v1/query answer (and /api/v1/query_range for the judge). The first
// byte picks the HTTP status the body came with.
#include "analysis/judge_provider.h"
#include "analysis/prometheus_provider.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr int kStatuses[] = {200, 400, 422, 500, 503};
  int status = kStatuses[data[0] % 5];
  std::string body(vane::fuzz::text(data + 1, size - 1));
  (void)vane::analysis::parsePrometheusResponse(status, body);
  (void)vane::analysis::parseRangeSamples(status, body);
  return 0;
}
