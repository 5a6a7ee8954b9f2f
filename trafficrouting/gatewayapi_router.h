// The Gateway API TrafficRouter, configured as Argo's Gateway API plugin is
// (trafficRouting.plugins["argoproj-labs/gatewayAPI"]): reads each named HTTPRoute, GRPCRoute,
// TCPRoute or TLSRoute through the REST client, applies the pure transforms of
// gatewayapi_transform.h and writes back only on change (PUT with the read resourceVersion; one
// re-read and retry on 409 Conflict).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "kube/client.h"
#include "trafficrouting/gatewayapi_transform.h"
#include "trafficrouting/router.h"

namespace vane::trafficrouting {

/// gateway.networking.k8s.io resources: HTTPRoute and GRPCRoute v1 (standard channel), TCPRoute
/// and TLSRoute v1alpha2 (experimental channel), the versions the plugin uses.
kube::Resource gatewayApiResource(gatewayapi::RouteKind kind);

/// Event reason for a written route ("Updated VirtualService" in the Istio router).
inline constexpr const char* kEventUpdatedGatewayRoute = "UpdatedGatewayAPIRoute";
inline constexpr const char* kEventGatewayRouteNotFound = "GatewayAPIRouteNotFound";

class GatewayApiRouter : public TrafficRouter {
 public:
  /// Decodes the plugin block (path: its field path).
  static Result<std::unique_ptr<TrafficRouter>> create(kube::Client& client, const json& config,
                                                       const std::string& path,
                                                       const RouterContext& context);

  std::string_view type() const override;
  Status setWeight(int32_t desired, const std::vector<WeightDestination>& additional) override;
  Status setHeaderRoute(const SetHeaderRoute& route) override;
  Status setMirrorRoute(const SetMirrorRoute& route) override;
  Result<std::optional<bool>> verifyWeight(
      int32_t desired, const std::vector<WeightDestination>& additional) override;
  Status removeManagedRoutes() override;
  Status syncManagedRoutes(const std::vector<ManagedRoute>& desired) override;
  /// No-op: backendRefs name Services, which select the pods.
  Status updateHash(const std::string& canary_hash, const std::string& stable_hash,
                    const std::vector<WeightDestination>& additional) override;

 private:
  using Transform = std::function<Result<json>(const json&, const gatewayapi::RouteRef&)>;
  GatewayApiRouter(kube::Client& client, gatewayapi::GatewayApiTrafficRouting config,
                   RouterContext context);
  /// Applies transform to every route that `select` accepts (GET, transform, PUT when changed;
  /// on 409 re-read once); event(route) is the message of the event for each one written.
  Status mutateRoutes(const std::function<bool(const gatewayapi::RouteRef&)>& select,
                      const Transform& transform, const std::string& what,
                      bool ignore_missing = false);
  void record(bool warning, const std::string& reason, const std::string& message) const;
  std::string ns() const;
  /// Ports of the experiment Services (GET Service; missing ones left out).
  std::map<std::string, int64_t> experimentPorts(const std::vector<WeightDestination>& additional);

  kube::Client& client_;
  gatewayapi::GatewayApiTrafficRouting config_;
  RouterContext context_;
  gatewayapi::Split split_;
};

/// Registers the "plugins/argoproj-labs/gatewayAPI" factory (called from main).
void registerGatewayApiRouter(RouterRegistry& registry, kube::Client& client);

}  // namespace vane::trafficrouting
