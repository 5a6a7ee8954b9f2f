// The Istio routing core as pure functions on nlohmann::json: VirtualService in, VirtualService
// out (or an error carrying Argo's message). Every field the functions do not own (retries,
// timeouts, corsPolicy, headers, ports, match, metadata...) is carried over untouched.
// Mirrors rollout/trafficrouting/istio/istio.go; deviations are marked "(Vane)".
#pragma once

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/constants.h"
#include "kube/status.h"
#include "trafficrouting/router.h"
#include "trafficrouting/types.h"

namespace vane::trafficrouting::istio {

/// Whether v holds s.
inline bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

inline constexpr const char* kType = "Istio";
inline constexpr const char* kSpecHttpNotFound = "spec.http not found";
inline constexpr const char* kManagedByRolloutsAnnotation = base::kAnnotationManagedBy;
inline constexpr const char* kPodTemplateHashLabel = base::kLabelPodTemplateHash;
inline constexpr const char* kNoMatchingTlsRoutes =
    "No matching TLS routes found in the defined Virtual Service.";
inline constexpr const char* kNoMatchingTcpRoutes =
    "No matching TCP routes found in the defined Virtual Service.";
inline constexpr const char* kAmbiguousHttpRoutes =
    "spec.http[] should be set in VirtualService and it must have exactly one route when "
    "omitting spec.strategy.canary.trafficRouting.istio.virtualService.routes";
inline constexpr const char* kAmbiguousTlsRoutes =
    "spec.tls[] should be set in VirtualService and it must have exactly one route when "
    "omitting spec.strategy.canary.trafficRouting.istio.virtualService.tlsRoutes";
inline constexpr const char* kAmbiguousTcpRoutes =
    "spec.tcp[] should be set in VirtualService and it must have exactly one route when "
    "omitting spec.strategy.canary.trafficRouting.istio.virtualService.tcpRoutes";
/// (Vane) a VirtualService without any route to weight would silently never move traffic.
inline constexpr const char* kNoRoutes =
    "VirtualService has no http, tls or tcp route to set weights on";
/// "HTTP Route 'x' is not found in the defined Virtual Service."
std::string httpRouteNotFound(const std::string& name);

/// Who receives which weight. Subset mode when canarySubset/stableSubset are set.
struct Split {
  std::string canaryService;
  std::string stableService;
  std::string canarySubset;
  std::string stableSubset;
  std::vector<std::string> additionalSubsetNames;
  std::vector<std::string> managedRoutes;
  static Split from(const RouterContext& context, const IstioTrafficRouting& istio);
  bool subsetMode() const { return !canarySubset.empty() || !stableSubset.empty(); }
};

/// Argo's getHost: the destination host up to its first '.', so "svc.ns.svc.cluster.local"
/// matches "svc"; "" for a host starting with '.'.
std::string shortHost(const std::string& host);

/// Indices of the http routes setWeight reweights (without mirror routes); see setWeight.
Result<std::vector<std::size_t>> selectHttpRoutes(const json& http, const IstioVirtualService& cfg,
                                                  const std::vector<std::string>& managed_routes);

/// Sets the weights of the selected http/tls/tcp routes (and of managed mirror routes).
/// Selection: `routes` by name (error when missing); omitted: the single non-managed http route
/// (error when ambiguous; (Vane) never a silent no-op, argo-rollouts #4741). tlsRoutes by
/// port + SNI set, tcpRoutes by port; omitted: the only route. Every selected route must hold
/// the canary and the stable destination. Destinations: canary -> desired; stable -> the rest;
/// additional -> their weight (appended when missing, sorted by host; (Vane) entries with an
/// empty serviceName are ignored, #4890); additionalSubsetNames -> unchanged (subtracted from
/// stable); (Vane) destinations with an empty host are dropped; others -> deleted. (Vane) a route
/// whose weights would not sum to 100 is an error (#3141). Unchanged input comes back equal.
Result<json> setWeight(const json& vs, const IstioVirtualService& cfg, const Split& split,
                       int32_t desired, const std::vector<WeightDestination>& additional);

/// Replaces the managed header route (appended, then ordered). Empty match: removal only.
/// canary_host: the canary Service, or the DestinationRule's spec.host in subset mode.
Result<json> setHeaderRoute(const json& vs, const IstioVirtualService& cfg, const Split& split,
                            const SetHeaderRoute& route, const std::string& canary_host);
/// Replaces the managed mirror route (prepended, then ordered). Empty match: removal only.
Result<json> setMirrorRoute(const json& vs, const IstioVirtualService& cfg, const Split& split,
                            const SetMirrorRoute& route, const std::string& canary_host);
/// Makes the managed http routes exactly `desired` (router.h syncManagedRoutes): every route
/// named in `managed_names` or `desired` is removed (duplicates too), the desired ones are built
/// as setHeaderRoute / setMirrorRoute build them and placed first, in managedRoutes order.
/// A desired route outside managedRoutes is an error; a VirtualService without spec.http is
/// returned unchanged when nothing is desired. Unchanged input comes back equal.
Result<json> syncManagedRoutes(const json& vs, const IstioVirtualService& cfg, const Split& split,
                               const std::vector<ManagedRoute>& desired,
                               const std::vector<std::string>& managed_names,
                               const std::string& canary_host);
/// Removes every http route named in `names`; a VirtualService without spec.http is returned
/// unchanged.
json removeRoutes(const json& vs, const std::vector<std::string>& names);
/// Routes named in managed_routes first, in that order; the others after, in their order.
json orderRoutes(const json& vs, const std::vector<std::string>& managed_routes);

/// Sets `labels.rollouts-pod-template-hash` on the canary and stable subsets (removed when the
/// hash is empty) and on experiment subsets (appended when missing), and the managed-by
/// annotation. (Vane) other subsets are kept untouched (Argo drops them, argo-rollouts #3125).
Result<json> updateDestinationRule(const json& dr, const IstioDestinationRule& cfg,
                                   const std::string& canary_hash, const std::string& stable_hash,
                                   const std::vector<WeightDestination>& additional,
                                   const std::string& rollout_name);

}  // namespace vane::trafficrouting::istio
