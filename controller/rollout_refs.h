// What a Rollout references by name, as "namespace/name" keys for the Rollout informer's indexes:
// a change of a referenced Service, VirtualService or DestinationRule re-queues the Rollouts that
// name it, and a key a Rollout stops naming (or a deleted Rollout's keys) is cleaned up.
// Mirrors Argo's utils/service GetRolloutServiceKeys and utils/istio GetRollout*Keys.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vane::controller {

/// Index names on the Rollout informer (Argo's byService, byVirtualService, byDestinationRule).
inline constexpr const char* kIndexService = "byService";
inline constexpr const char* kIndexVirtualService = "byVirtualService";
inline constexpr const char* kIndexDestinationRule = "byDestinationRule";

/// blueGreen activeService/previewService, else canary canaryService/stableService and
/// pingPong pingService/pongService; in the Rollout's namespace. Never throws.
std::vector<std::string> rolloutServiceKeys(const nlohmann::json& rollout);

/// canary.trafficRouting.istio.virtualService or .virtualServices[] (exactly one of them, else
/// none), each resolved by virtualServiceKey with the Rollout's namespace as the default.
std::vector<std::string> rolloutVirtualServiceKeys(const nlohmann::json& rollout);

/// canary.trafficRouting.istio.destinationRule.name, in the Rollout's namespace.
std::vector<std::string> rolloutDestinationRuleKeys(const nlohmann::json& rollout);

/// The keys of old_keys missing from new_keys (Argo rollout/controller.go removedKeys).
std::vector<std::string> removedKeys(const std::vector<std::string>& old_keys,
                                     const std::vector<std::string>& new_keys);

/// "namespace/name" of a VirtualService reference; ns_default when the name has no namespace.
/// Argo GetVirtualServiceNamespaceName: the ".cluster.local" suffix is dropped, the last
/// dot-separated field is the namespace and the rest (dots kept) the name.
std::string virtualServiceKey(const std::string& ref, const std::string& ns_default);

}  // namespace vane::controller
