// YAML text -> JSON, as the notification configuration is written (scalars stay strings).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kube/status.h"

namespace vane::notifications {

/// Parses one YAML document (JSON is YAML too). Scalars become strings, null/~ and empty input
/// null. Errors are kInvalid with yaml-cpp's message and position.
Result<nlohmann::json> yamlToJson(const std::string& text);

}  // namespace vane::notifications
