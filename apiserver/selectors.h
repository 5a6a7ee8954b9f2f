// Label and field selectors (list, watch, deletecollection) with the server's error texts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/status.h"

namespace vane::apiserver {

struct Requirement {
  std::string key;
  std::string op;  // "=", "!=", "in", "notin", "exists", "!"
  std::vector<std::string> values;
};

struct Selector {
  std::vector<Requirement> requirements;  // ANDed
  bool empty() const { return requirements.empty(); }
};

/// Parses a label selector ("a=b,c!=d,e in (x,y),!f"). kBadRequest on a syntax error.
Result<Selector> parseLabelSelector(const std::string& s);
/// Parses a field selector ("a=b,c!=d") and checks each field is supported for the kind:
/// metadata.name/namespace everywhere, plus the per-kind fields of kube-apiserver. kBadRequest
/// `field label not supported: <f>` otherwise.
Result<Selector> parseFieldSelector(const std::string& s, const std::string& kind, bool custom);

bool matchesLabels(const Selector& sel, const nlohmann::json& obj);
bool matchesFields(const Selector& sel, const nlohmann::json& obj);

}  // namespace vane::apiserver
