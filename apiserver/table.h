// Server-side printing (meta.k8s.io/v1 Table): the column sets of the built-in kinds as kubectl
// shows them, and CRD additionalPrinterColumns for custom resources.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "apiserver/registry.h"
#include "base/time.h"

namespace vane::apiserver {

using json = nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

/// Table of objs. include_object: "Metadata" (default), "Object" or "None". with_headers=false
/// leaves columnDefinitions empty (watch events after the first).
json renderTable(const ResourceType& t, const std::string& version,
                 const std::vector<ObjectPtr>& objs, const std::string& include_object,
                 bool with_headers, TimePoint now);

/// duration.HumanDuration: "15s", "5m10s", "3h", "2d5h".
std::string humanDuration(std::chrono::seconds d);
/// RFC 3339 (UTC, seconds) parse and format (base/time.h).
inline std::optional<TimePoint> parseTime(const std::string& s) { return base::parseRfc3339(s); }
inline std::string formatTime(TimePoint t) { return base::formatRfc3339(t); }
/// Value at a simple JSONPath (".spec.replicas", ".spec.ports[0].port"); null when absent.
json pathValue(const json& obj, const std::string& json_path);

}  // namespace vane::apiserver
