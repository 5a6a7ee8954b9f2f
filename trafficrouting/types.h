// Typed views of the Rollout fields the traffic routers read: the setHeaderRoute and
// setMirrorRoute steps and the Istio trafficRouting block. Field names keep the JSON spelling so
// error paths read like the user's YAML. Decoded with kube::Decoder (first bad field wins).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "kube/status.h"

namespace vane::trafficrouting {

using json = nlohmann::json;

/// Argo's validation strings (pkg/apis/rollouts/validation/validation.go).
inline constexpr const char* kStringMatchMultipleValues =
    "StringMatch match value must have exactly one of the following: exact, regex, prefix";
inline constexpr const char* kStringMatchMissedValue =
    "StringMatch value missed, match value must have one of the following: exact, regex, prefix";
inline constexpr const char* kStepRouteNotInManagedRoutes =
    "Steps define a route that does not exist in "
    "spec.strategy.canary.trafficRouting.managedRoutes";

/// Traffic to an experiment (or other extra) Service: `status.canary.weights.additional[]`.
struct WeightDestination {
  int32_t weight = 0;
  std::string serviceName;
  std::string podTemplateHash;
  bool operator==(const WeightDestination&) const = default;
};

/// Exactly one of exact, prefix, regex is set (enforced when decoded).
struct StringMatch {
  std::string exact;
  std::string prefix;
  std::string regex;
  bool operator==(const StringMatch&) const = default;
  /// {"exact": v} (or prefix/regex), the Istio StringMatch.
  json toJson() const;
};

struct HeaderRoutingMatch {
  std::string headerName;
  StringMatch headerValue;
};

/// `setHeaderRoute{name, match[]}`: an empty (or absent) match removes the route.
struct SetHeaderRoute {
  std::string name;
  std::vector<HeaderRoutingMatch> match;
};

struct RouteMatch {
  std::optional<StringMatch> method;
  std::optional<StringMatch> path;
  std::map<std::string, StringMatch> headers;
};

/// `setMirrorRoute{name, match[], percentage}`: an empty (or absent) match removes the route.
struct SetMirrorRoute {
  std::string name;
  std::vector<RouteMatch> match;
  std::optional<int32_t> percentage;  // default 100
};

/// One managed route that must exist: a setHeaderRoute or setMirrorRoute step with a match.
using ManagedRoute = std::variant<SetHeaderRoute, SetMirrorRoute>;
/// The route's name.
const std::string& managedRouteName(const ManagedRoute& route);

struct TlsRoute {
  int64_t port = 0;
  std::vector<std::string> sniHosts;
};

struct TcpRoute {
  int64_t port = 0;
};

/// One `istio.virtualService` / `istio.virtualServices[]` entry.
struct IstioVirtualService {
  std::string name;  // "name" or "name.namespace" (".cluster.local" suffix stripped)
  std::vector<std::string> routes;
  std::vector<TlsRoute> tlsRoutes;
  std::vector<TcpRoute> tcpRoutes;
};

struct IstioDestinationRule {
  std::string name;
  std::string canarySubsetName;
  std::string stableSubsetName;
  std::vector<std::string> additionalSubsetNames;
};

/// `spec.strategy.canary.trafficRouting.istio`.
struct IstioTrafficRouting {
  std::optional<IstioVirtualService> virtualService;
  std::vector<IstioVirtualService> virtualServices;
  std::optional<IstioDestinationRule> destinationRule;
  /// The single virtualService or every virtualServices entry.
  std::vector<IstioVirtualService> all() const;
};

/// Decodes a setHeaderRoute step body; path e.g. "spec.strategy.canary.steps[3].setHeaderRoute".
Result<SetHeaderRoute> decodeSetHeaderRoute(const json& step, const std::string& path);
/// Decodes a setMirrorRoute step body.
Result<SetMirrorRoute> decodeSetMirrorRoute(const json& step, const std::string& path);
/// Decodes `trafficRouting.istio`; exactly one of virtualService / virtualServices must be set.
Result<IstioTrafficRouting> decodeIstioTrafficRouting(const json& istio, const std::string& path);
/// Names from `trafficRouting.managedRoutes[].name`, in order.
Result<std::vector<std::string>> decodeManagedRoutes(const json& traffic_routing,
                                                     const std::string& path);
/// Splits "name.namespace" (".cluster.local" stripped; the last dot separates the namespace).
/// Returns {namespace ("" when absent), name}.
std::pair<std::string, std::string> splitVirtualServiceName(std::string name);

}  // namespace vane::trafficrouting
