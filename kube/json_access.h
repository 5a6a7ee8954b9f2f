// Reading nested fields of Kubernetes objects held as JSON, without exceptions: a missing key or a
// value of another type reads as null, "" or 0.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

namespace vane::kube {

/// The value at path (object keys, in order) in obj, or a null value when any step is missing or
/// not an object. The reference stays valid as long as obj does.
inline const nlohmann::json& at(const nlohmann::json& obj,
                                std::initializer_list<const char*> path) {
  static const nlohmann::json kNull;
  const nlohmann::json* cur = &obj;
  for (const char* key : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(key);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

/// v as a string, or "" when v is not a string.
inline std::string str(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : "";
}

/// The string at a JSON pointer ("/spec/replicas"), or "" when missing or not a string.
inline std::string strAt(const nlohmann::json& obj, const char* pointer) {
  nlohmann::json::json_pointer p(pointer);
  return obj.contains(p) && obj.at(p).is_string() ? obj.at(p).get<std::string>() : "";
}

/// The array at a JSON pointer, or an empty array when missing or not an array.
inline const nlohmann::json& arrayAt(const nlohmann::json& obj, const char* pointer) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  nlohmann::json::json_pointer p(pointer);
  return obj.contains(p) && obj.at(p).is_array() ? obj.at(p) : kEmpty;
}

/// metadata.<field>[key] (field is "labels" or "annotations"), or "". Keys may hold '/', which a
/// JSON pointer would read as a separator.
inline std::string metaEntry(const nlohmann::json& obj, const char* field, const std::string& key) {
  return str(at(obj, {"metadata", field, key.c_str()}));
}

}  // namespace vane::kube
