// Manifests and paths the integration scenarios share: the Services a strategy names, an
// AnalysisTemplate whose metric is a Job the local server completes, and ../shared.
#pragma once

#include <initializer_list>
#include <string>

namespace vane::testing {

/// The shared specs and data (VANE_SHARED_DIR from the environment, else the configured path).
std::string sharedDir();

/// Services selecting app=<app> on port 80, one document each, e.g. {"web-canary", "web-stable"}.
std::string servicesYaml(std::initializer_list<std::string> names, const std::string& app = "web");

/// An AnalysisTemplate `name` whose one metric, `smoke`, is a Job that vane-apiserver
/// --simulate-workloads completes with `outcome` ("succeed" or "fail").
std::string jobAnalysisTemplate(const std::string& name, const std::string& outcome);

}  // namespace vane::testing
