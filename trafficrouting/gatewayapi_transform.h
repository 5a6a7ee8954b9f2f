// The Gateway API routing core as pure functions on nlohmann::json: a route object (HTTPRoute,
// GRPCRoute, TCPRoute, TLSRoute) in, the same object out, or an error. Behaviour follows Argo's
// Gateway API plugin (argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi, pkg/plugin/*.go);
// deviations are marked "(Vane)". Fields the functions do not own are carried over untouched.
//
// Managed rules (setHeaderRoute / setMirrorRoute) carry the step route's name as their rule
// `name` (as the plugin's do since its issue #182) and are recorded on the route object itself,
// in the annotation kManagedRulesAnnotation: {"<step route name>": {kind, rule without weights
// and name}}. A managed rule is the rule with that name or with the recorded content, so a CRD
// that prunes rule names (before Gateway API v1.4) still works. (Vane) The plugin used to record
// rule *indices* in a ConfigMap written in a second request (issue #182: races; #151: duplicated
// rules), so a crash between the writes or a manual reordering stranded or deleted the wrong
// rule. The record here is written in the same update as the rules: a managed rule is never
// stranded, never duplicated, and a manual edit is corrected on the next call. The `configMap`
// setting is accepted and unused.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/status.h"
#include "trafficrouting/types.h"

namespace vane::trafficrouting::gatewayapi {

inline constexpr const char* kType = "GatewayAPI";
/// The plugin's name in trafficRouting.plugins.
inline constexpr const char* kPluginName = "argoproj-labs/gatewayAPI";
inline constexpr const char* kDefaultConfigMap = "argo-gatewayapi-configmap";
inline constexpr const char* kDefaultInProgressLabelKey = "rollouts.argoproj.io/gatewayapi-canary";
inline constexpr const char* kDefaultInProgressLabelValue = "in-progress";
inline constexpr const char* kManagedRulesAnnotation = "vane.dev/gatewayapi-managed-rules";
/// JSON array of the experiment Services whose backendRefs the router added.
inline constexpr const char* kExperimentBackendsAnnotation =
    "vane.dev/gatewayapi-experiment-backends";
/// The plugin's error strings (pkg/plugin/errors.go).
inline constexpr const char* kNoRoutesConfigured =
    "No routes configured. One of 'tcpRoutes', 'httpRoutes', 'tcpRoute' or 'httpRoute' should be "
    "set";

enum class RouteKind { kHttp, kGrpc, kTcp, kTls };

/// "HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute".
const char* kindName(RouteKind kind);
/// "httpRoute", ... (the plugin's error strings name the route this way).
const char* configName(RouteKind kind);

/// One route the Rollout names (httpRoute / httpRoutes[] and the grpc, tcp, tls ones).
struct RouteRef {
  RouteKind kind = RouteKind::kHttp;
  std::string name;
  /// Header routes are added to this route (always for the single httpRoute / grpcRoute form).
  bool useHeaderRoutes = false;
  bool operator==(const RouteRef&) const = default;
};

/// `trafficRouting.plugins["argoproj-labs/gatewayAPI"]`.
struct GatewayApiTrafficRouting {
  std::vector<RouteRef> routes;
  std::string namespace_;                     // "namespace"; empty: the Rollout's namespace
  std::string configMap = kDefaultConfigMap;  // accepted, unused: see the comment at the top
  bool disableInProgressLabel = false;
  std::string inProgressLabelKey = kDefaultInProgressLabelKey;
  std::string inProgressLabelValue = kDefaultInProgressLabelValue;
};

/// Decodes the plugin block; path names it. The *RouteSelector fields are rejected as
/// kUnsupported (route discovery by label is not implemented).
Result<GatewayApiTrafficRouting> decodeGatewayApiTrafficRouting(const json& config,
                                                                const std::string& path);

/// Who receives which weight; backendRefs are matched by Service name, as in the plugin.
struct Split {
  std::string canaryService;
  std::string stableService;
  /// Step route names in precedence order (managedRoutes first, then the steps'); managed rules
  /// are kept at the front of spec.rules in this order.
  std::vector<std::string> managedRoutes;
};

/// Canary backendRefs -> desired, stable backendRefs -> 100 - desired - the experiment weights,
/// in every rule except the managed header rules. Experiment (additional) Services get their
/// weight in every rule that splits canary and stable: appended when missing (port from
/// `ports`, else the canary backendRef's), removed once they are no longer additional (only
/// those the router added: kExperimentBackendsAnnotation). An error when no rule holds the
/// canary or no rule holds the stable backendRef. In-progress label: set while any traffic
/// leaves stable, removed otherwise (unless disabled).
Result<json> setWeight(const json& route, RouteKind kind, const Split& split,
                       const GatewayApiTrafficRouting& cfg, int32_t desired,
                       const std::vector<WeightDestination>& additional,
                       const std::map<std::string, int64_t>& ports = {});

/// Whether the route's backendRefs already carry what setWeight would write.
Result<bool> weightsMatch(const json& route, RouteKind kind, const Split& split, int32_t desired,
                          const std::vector<WeightDestination>& additional = {},
                          const std::map<std::string, int64_t>& ports = {});

/// Replaces the managed header rule `route.name` (HTTPRoute, GRPCRoute; other kinds: removal
/// only): the matches of every rule splitting canary and stable (with the first one's filters),
/// each with the header matches added, the first one's filters, and the canary Service as its
/// only backendRef, unweighted; placed before the user's rules (managed rules in managedRoutes
/// order). Empty match: removal only.
Result<json> setHeaderRoute(const json& route, RouteKind kind, const Split& split,
                            const SetHeaderRoute& header);

/// Replaces the managed mirror rule (HTTPRoute only): the step's matches, the weighted rule's
/// backendRefs and a RequestMirror filter to the canary Service. Empty match: removal only.
Result<json> setMirrorRoute(const json& route, RouteKind kind, const Split& split,
                            const SetMirrorRoute& mirror);

/// Removes the managed rules named in `names` and their records; unrecorded names are no-ops.
Result<json> removeManagedRules(const json& route, const Split& split,
                                const std::vector<std::string>& names);

/// Makes the managed rules exactly `desired` (router.h syncManagedRoutes): every other managed
/// or recorded rule is removed, each desired one set as setHeaderRoute / setMirrorRoute set it
/// (header rules only when use_header_routes, else removed). Unchanged input comes back equal.
Result<json> syncManagedRules(const json& route, RouteKind kind, const Split& split,
                              const std::vector<ManagedRoute>& desired, bool use_header_routes);

}  // namespace vane::trafficrouting::gatewayapi
