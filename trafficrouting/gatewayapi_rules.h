// Helpers shared by the Gateway API transforms (gatewayapi_transform.cc, gatewayapi_weights.cc);
// not part of the router's interface.
#pragma once

#include <string>
#include <vector>

#include "trafficrouting/gatewayapi_transform.h"

namespace vane::trafficrouting::gatewayapi::detail {

/// obj[key] when it is a string, else "".
std::string str(const json& obj, const char* key);
bool contains(const std::vector<std::string>& v, const std::string& s);
/// spec.rules, or an empty array.
const json& rulesOf(const json& route);
/// The managed-rule record (kManagedRulesAnnotation), {} when absent or unreadable.
json managedRecord(const json& route);
/// Which rules are managed (by any recorded or step route name); header_only: not mirror rules.
std::vector<bool> managedMask(const json& rules, const json& record, const Split& split,
                              bool header_only);
/// Whether a backendRef names the Service `name` (never for an empty name).
bool refNamed(const json& ref, const std::string& name);
/// A backendRef's weight, null when unset.
json weightOf(const json& ref);

}  // namespace vane::trafficrouting::gatewayapi::detail
