// `kubectl vane judge`: the statistical judge (analysis/judge/, Kayenta's NetflixACAJudge-v1.0)
// offline on one metric: canary against baseline samples given as lists, files, or two Prometheus
// range queries, with the per-metric settings of the vane.dev/judge provider as flags. Prints the
// classification and the numbers behind it (interval, estimate, effect size, counts) as text or
// JSON. No API server needed.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vane::cli {

/// args are those after `judge`. Exit code: 0 when the verdict is Pass, 2 when Marginal or Fail,
/// 1 on a usage or data error.
int runJudge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace vane::cli
