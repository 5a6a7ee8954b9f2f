#include "controller/rollout_refs.h"

#include <algorithm>

namespace vane::controller {

using nlohmann::json;

namespace {

// obj[field] when it is an object, else null (bad input yields no keys, never a throw).
const json& refsObjectField(const json& obj, const char* field) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(field);
  return it != obj.end() && it->is_object() ? *it : kNull;
}

std::string refsStringField(const json& obj, const char* field) {
  if (!obj.is_object()) return "";
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string refsNamespace(const json& rollout) {
  return refsStringField(refsObjectField(rollout, "metadata"), "namespace");
}

const json& refsIstio(const json& rollout) {
  const json& canary =
      refsObjectField(refsObjectField(refsObjectField(rollout, "spec"), "strategy"), "canary");
  return refsObjectField(refsObjectField(canary, "trafficRouting"), "istio");
}

}  // namespace

std::vector<std::string> rolloutServiceKeys(const json& rollout) {
  const json& strategy = refsObjectField(refsObjectField(rollout, "spec"), "strategy");
  const std::string ns = refsNamespace(rollout);
  std::vector<std::string> keys;
  auto add = [&](const json& obj, const char* field) {
    std::string name = refsStringField(obj, field);
    if (!name.empty()) keys.push_back(ns + "/" + name);
  };
  const json& blue_green = refsObjectField(strategy, "blueGreen");
  const json& canary = refsObjectField(strategy, "canary");
  if (!blue_green.is_null()) {
    add(blue_green, "activeService");
    add(blue_green, "previewService");
  } else if (!canary.is_null()) {
    add(canary, "canaryService");
    add(canary, "stableService");
    const json& ping_pong = refsObjectField(canary, "pingPong");
    add(ping_pong, "pingService");
    add(ping_pong, "pongService");
  }
  return keys;
}

std::string virtualServiceKey(const std::string& ref, const std::string& ns_default) {
  std::string s = ref;
  const std::string suffix = ".cluster.local";
  if (s.size() >= suffix.size() &&
      s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
    s.resize(s.size() - suffix.size());
  }
  auto dot = s.rfind('.');
  if (dot == std::string::npos) return ns_default + "/" + s;
  return s.substr(dot + 1) + "/" + s.substr(0, dot);
}

std::vector<std::string> rolloutVirtualServiceKeys(const json& rollout) {
  const json& istio = refsIstio(rollout);
  if (istio.is_null()) return {};
  auto single = istio.find("virtualService");
  auto multiple = istio.find("virtualServices");
  const bool has_single = single != istio.end() && !single->is_null();
  const bool has_multiple = multiple != istio.end() && !multiple->is_null();
  if (has_single == has_multiple) return {};  // neither, or both (invalid)
  std::vector<json> refs;
  if (has_single) {
    refs.push_back(*single);
  } else if (multiple->is_array()) {
    refs.assign(multiple->begin(), multiple->end());
  }
  const std::string ns = refsNamespace(rollout);
  std::vector<std::string> keys;
  for (const json& r : refs) {
    std::string key = virtualServiceKey(refsStringField(r, "name"), ns);
    if (key.back() != '/') keys.push_back(key);  // an empty name is skipped, as in Argo
  }
  return keys;
}

std::vector<std::string> rolloutDestinationRuleKeys(const json& rollout) {
  std::string name =
      refsStringField(refsObjectField(refsIstio(rollout), "destinationRule"), "name");
  if (name.empty()) return {};
  return {refsNamespace(rollout) + "/" + name};
}

std::vector<std::string> removedKeys(const std::vector<std::string>& old_keys,
                                     const std::vector<std::string>& new_keys) {
  std::vector<std::string> out;
  for (const auto& k : old_keys) {
    if (std::find(new_keys.begin(), new_keys.end(), k) == new_keys.end()) out.push_back(k);
  }
  return out;
}

}  // namespace vane::controller
