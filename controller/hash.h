// Pod-template and step hashes (Argo utils/hash, utils/conditions ComputeStepHash) and the
// semantic template equality used to adopt ReplicaSets created by Argo itself.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace vane::controller {

/// FNV-1a, 32 bit.
uint32_t fnv32a(std::string_view data, uint32_t seed = 2166136261u);
/// k8s.io/apimachinery rand.SafeEncodeString: each byte mapped onto "bcdfghjklmnpqrstvwxz2456789".
std::string safeEncode(std::string_view s);

/// The template with what the controller injects removed (hash label, null creationTimestamp),
/// serialised canonically (sorted keys). Equal for templates that differ only in key order.
std::string canonicalTemplate(const nlohmann::json& pod_template);

/// FNV-32a over the canonical template (+ 8 little-endian bytes of collisionCount when set),
/// safe-encoded. Argo hashes Go's struct-ordered JSON, which we cannot reproduce byte for byte:
/// existing Argo ReplicaSets are adopted through templatesEqual() instead.
std::string podTemplateHash(const nlohmann::json& pod_template,
                            std::optional<int32_t> collision_count = std::nullopt);

/// FNV-32a over the JSON of the steps, safe-encoded (status.currentStepHash).
std::string stepsHash(const nlohmann::json& steps);

/// Semantic equality of two pod templates, ignoring the hash label and empty/null fields.
bool templatesEqual(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace vane::controller
