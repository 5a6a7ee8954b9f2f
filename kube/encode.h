// Small helpers of the typed objects' toJson(): a field written from a typed value replaces what
// the object read had, and an empty value removes it (the unknown fields around it are kept).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace vane::kube {

inline void putString(nlohmann::json& j, const char* key, const std::string& v) {
  if (v.empty()) {
    j.erase(key);
  } else {
    j[key] = v;
  }
}

}  // namespace vane::kube
