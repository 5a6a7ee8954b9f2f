// Kubernetes JSONPath (the subset kubectl and CRD additionalPrinterColumns use).
//
//   evalJsonPath(obj, ".spec.replicas")                                   // printer-column form
//   evalJsonPath(obj, "{.status.conditions[?(@.type==\"Ready\")].status}")  // template form
//   evalJsonPath(obj, "{$.data.ok}")
//
// Supported: fields (.a, ['a'], ["a"]), [n] (negative from the end), [a:b] slices, [*] and .*,
// .. (recursive descent), filters [?(@.x == "v")] with ==, !=, <, >, <=, >= on strings and
// numbers, and [?(@.x)] (exists). A missing field yields no results (not an error).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "kube/status.h"

namespace vane::kube {

/// Evaluates expr against root. Errors: kBadRequest for a syntax error (message names the
/// position). Pure function, never throws.
Result<std::vector<nlohmann::json>> evalJsonPath(const nlohmann::json& root, std::string_view expr);

}  // namespace vane::kube
