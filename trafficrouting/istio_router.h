// The Istio TrafficRouter: reads the Rollout's VirtualService(s) and DestinationRule through the
// REST client, applies the pure transforms of istio_transform.h and writes back only on change
// (PUT with the read resourceVersion; one re-read and retry on 409 Conflict).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "kube/client.h"
#include "trafficrouting/router.h"
#include "trafficrouting/types.h"

namespace vane::trafficrouting {

namespace istio {
struct Split;
}  // namespace istio

/// kube::resources::virtualServices()/destinationRules() for version v1, v1beta1 or v1alpha3;
/// kUnsupported for any other version (--istio-api-version is user input).
Result<kube::Resource> istioVirtualServiceResource(const std::string& version);
Result<kube::Resource> istioDestinationRuleResource(const std::string& version);

/// Event reasons (rollout/trafficrouting/istio/istio.go).
inline constexpr const char* kEventUpdatedVirtualService = "Updated VirtualService";
inline constexpr const char* kEventVirtualServiceNotFound = "VirtualServiceNotFound";
inline constexpr const char* kEventUpdatedDestinationRule = "UpdatedDestinationRule";
inline constexpr const char* kEventDestinationRuleNotFound = "DestinationRuleNotFound";

class IstioRouter : public TrafficRouter {
 public:
  /// Decodes the `istio` block (path: its field path) and checks the API version.
  static Result<std::unique_ptr<TrafficRouter>> create(kube::Client& client, const json& istio,
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
  Status updateHash(const std::string& canary_hash, const std::string& stable_hash,
                    const std::vector<WeightDestination>& additional) override;

 private:
  using Transform = std::function<Result<json>(const json&)>;
  IstioRouter(kube::Client& client, IstioTrafficRouting config, RouterContext context,
              kube::Resource vs_resource, kube::Resource dr_resource);
  /// GET, transform, PUT when changed; on 409 re-read once. True when written. NotFound is
  /// false when ignore_missing.
  Result<bool> mutate(const kube::Resource& resource, const std::string& ns,
                      const std::string& name, const Transform& transform,
                      bool ignore_missing = false);
  /// Applies transform to every configured VirtualService; event(name) is the message of the
  /// "Updated VirtualService" event for each one written.
  Status mutateVirtualServices(
      const std::function<Result<json>(const json&, const IstioVirtualService&)>& transform,
      const std::function<std::string(const std::string&)>& event, bool ignore_missing = false);
  void record(bool warning, const std::string& reason, const std::string& message) const;
  /// The canary Service, or the DestinationRule's spec.host in subset mode.
  Result<std::string> canaryHost();
  /// The managed route names: step route names, then managedRoutes.
  std::vector<std::string> managedNames() const;
  /// setHeaderRoute and setMirrorRoute: the canary host (needed only when the route has a match)
  /// and the split, then transform(vs object, vs config, split, host) on every VirtualService.
  Status setManagedRoute(
      bool has_match, const std::string& event,
      const std::function<Result<json>(const json&, const IstioVirtualService&, const istio::Split&,
                                       const std::string&)>& transform);

  kube::Client& client_;
  IstioTrafficRouting config_;
  RouterContext context_;
  kube::Resource vs_resource_;
  kube::Resource dr_resource_;
};

/// Registers the "istio" factory (called from main).
void registerIstioRouter(RouterRegistry& registry, kube::Client& client);

}  // namespace vane::trafficrouting
