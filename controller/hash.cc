#include "controller/hash.h"

#include "controller/conditions.h"

namespace vane::controller {

using nlohmann::json;

uint32_t fnv32a(std::string_view data, uint32_t seed) {
  uint32_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string safeEncode(std::string_view s) {
  static constexpr std::string_view kAlphanums = "bcdfghjklmnpqrstvwxz2456789";
  std::string out(s.size(), ' ');
  for (std::size_t i = 0; i < s.size(); ++i) {
    out[i] = kAlphanums[static_cast<unsigned char>(s[i]) % kAlphanums.size()];
  }
  return out;
}

namespace {

// Drops nulls and empty objects/arrays recursively so that "omitempty" differences between
// writers (Go vs us vs kubectl) do not change the identity of a template.
json normalise(const json& v) {
  if (v.is_object()) {
    json out = json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
      json n = normalise(it.value());
      if (n.is_null() || (n.is_object() && n.empty()) || (n.is_array() && n.empty())) continue;
      out[it.key()] = std::move(n);
    }
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& e : v) out.push_back(normalise(e));
    return out;
  }
  return v;
}

// A term injected by the strategy's antiAffinity selects pods by the pod-template hash.
bool injectedTerm(const json& term) {
  const json* t = &term;
  if (term.is_object() && term.contains("podAffinityTerm")) t = &term["podAffinityTerm"];
  auto p = json::json_pointer("/labelSelector/matchExpressions");
  if (!t->is_object() || !t->contains(p) || !t->at(p).is_array()) return false;
  for (const auto& e : t->at(p)) {
    if (e.is_object() && e.value("key", "") == kLabelPodTemplateHash) return true;
  }
  return false;
}

// Removes the anti-affinity Vane (or Argo) injects into a ReplicaSet's template, and the
// containers left empty by that, so that it compares equal to the Rollout's template.
void stripInjectedAntiAffinity(json& t) {
  auto p = json::json_pointer("/spec/affinity/podAntiAffinity");
  if (!t.contains(p) || !t.at(p).is_object()) return;
  json& anti = t.at(p);
  for (const char* k : {"preferredDuringSchedulingIgnoredDuringExecution",
                        "requiredDuringSchedulingIgnoredDuringExecution"}) {
    if (!anti.contains(k) || !anti[k].is_array()) continue;
    json kept = json::array();
    for (const auto& term : anti[k]) {
      if (!injectedTerm(term)) kept.push_back(term);
    }
    if (kept.empty()) {
      anti.erase(k);
    } else {
      anti[k] = kept;
    }
  }
  json& affinity = t["spec"]["affinity"];
  if (anti.empty()) affinity.erase("podAntiAffinity");
  if (affinity.empty()) t["spec"].erase("affinity");
}

json stripped(const json& pod_template) {
  json t = pod_template.is_object() ? pod_template : json::object();
  stripInjectedAntiAffinity(t);
  if (t.contains("metadata") && t["metadata"].is_object()) {
    auto& meta = t["metadata"];
    meta.erase("creationTimestamp");
    if (meta.contains("labels") && meta["labels"].is_object()) {
      meta["labels"].erase(kLabelPodTemplateHash);
    }
  }
  return normalise(t);
}

}  // namespace

std::string canonicalTemplate(const json& pod_template) { return stripped(pod_template).dump(); }

std::string podTemplateHash(const json& pod_template, std::optional<int32_t> collision_count) {
  uint32_t h = fnv32a(canonicalTemplate(pod_template));
  if (collision_count) {
    uint64_t c = static_cast<uint64_t>(static_cast<uint32_t>(*collision_count));
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((c >> (8 * i)) & 0xff);
    h = fnv32a(std::string_view(bytes, 8), h);
  }
  return safeEncode(std::to_string(h));
}

std::string stepsHash(const json& steps) {
  return safeEncode(std::to_string(fnv32a(steps.is_null() ? "null" : steps.dump())));
}

bool templatesEqual(const json& a, const json& b) { return stripped(a) == stripped(b); }

}  // namespace vane::controller
