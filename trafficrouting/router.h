// The traffic-router extension point: a small interface per mesh/ingress and an explicit registry
// of named factories filled from main (no static self-registration). No Asio/Beast here.
//
// Call order for the reconciler (mirrors rollout/trafficrouting.go, plus the fixes for
// argo-rollouts #4486, #4561, #4564, #4612 and #4775), once per canary reconcile after computing
// `desired`:
//   1. syncManagedRoutes(the routes the steps up to the current one set; none on full promotion,
//      abort, promoteFull, or while the canary has no available pod). (Vane) Argo calls
//      setHeaderRoute / setMirrorRoute only while the rollout sits on that step, and
//      removeManagedRoutes whenever the canary is unavailable, so a route removed then is never
//      re-added (#4486) and a route step is skipped while the stable ReplicaSet is short (#4561).
//      Here the routes are desired state, written every reconcile, before any guard on the
//      ReplicaSets' availability.
//   2. If the canary pod hash is about to change (a new ReplicaSet) and the weight currently
//      routed to the canary is > 0: setWeight(0) FIRST, so the old weight never reaches the new
//      (not yet available) pods through the relabelled subset.
//   3. updateHash(canaryHash, stableHash, additional) BEFORE setWeight. In subset mode the
//      DestinationRule must select the right pods before the VirtualService sends traffic to a
//      subset. Do not call updateHash (and do not go on to setWeight) while a ReplicaSet that
//      would receive traffic is not fully available -- count a ReplicaSet with spec.replicas == 0
//      as NOT available (#4775: skipping it let the new subset receive weight and answer 503 UH).
//      On abort / rollback to stable only the stable ReplicaSet must be available.
//   4. setWeight(desired, additional).
// Every method is idempotent (a second call with the same arguments makes no API call), returns
// errors as values and never throws. Routers are not thread-safe: one reconcile at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/status.h"
#include "trafficrouting/types.h"

namespace vane::trafficrouting {

class TrafficRouter {
 public:
  virtual ~TrafficRouter() = default;
  /// "Istio" (Argo's reconciler Type()).
  virtual std::string_view type() const = 0;
  /// Sends `desired` percent (0..100) to the canary, each additional destination its weight and
  /// the rest to stable; weights always sum to 100. Idempotent.
  virtual Status setWeight(int32_t desired, const std::vector<WeightDestination>& additional) = 0;
  /// Creates/replaces the managed header route `name` (empty match: removes it). Idempotent.
  virtual Status setHeaderRoute(const SetHeaderRoute& route) = 0;
  /// Creates/replaces the managed mirror route `name` (empty match: removes it). Idempotent.
  virtual Status setMirrorRoute(const SetMirrorRoute& route) = 0;
  /// Reads the live objects back: true when they carry `desired`/`additional`, false when not,
  /// nullopt when this router cannot verify.
  virtual Result<std::optional<bool>> verifyWeight(
      int32_t desired, const std::vector<WeightDestination>& additional) = 0;
  /// Removes every managed route (managedRoutes and step route names). Missing objects are ok.
  virtual Status removeManagedRoutes() = 0;
  /// Makes the managed routes exactly `desired` (each name at most once, already in precedence
  /// order): every other managed route (managedRoutes and step route names) is removed, the
  /// desired ones are created or replaced and placed first, in managedRoutes order; the user's
  /// routes keep their order. Idempotent: no write when the objects already hold that state.
  /// Mirror routes keep the weights of the route setWeight reweights. Empty `desired` is
  /// removeManagedRoutes() (missing objects are ok then).
  virtual Status syncManagedRoutes(const std::vector<ManagedRoute>& desired) = 0;
  /// Points the canary/stable (and experiment) subsets at pod-template hashes. No-op in host
  /// mode. See the call order above.
  virtual Status updateHash(const std::string& canary_hash, const std::string& stable_hash,
                            const std::vector<WeightDestination>& additional) = 0;
};

/// Receives the Kubernetes events a router emits on the Rollout (Argo's reasons and messages).
/// warning: type Warning instead of Normal.
using EventRecorder =
    std::function<void(bool warning, const std::string& reason, const std::string& message)>;

/// What a router needs to know about the Rollout besides its trafficRouting block.
struct RouterContext {
  std::string rolloutName;
  std::string rolloutNamespace;
  std::string canaryService;  // spec.strategy.canary.canaryService (or the ping-pong "canary")
  std::string stableService;
  /// spec.strategy.canary.trafficRouting.managedRoutes[].name, in order (route precedence).
  std::vector<std::string> managedRoutes;
  /// Names of every setHeaderRoute/setMirrorRoute step; removed by removeManagedRoutes too.
  std::vector<std::string> stepRouteNames;
  /// networking.istio.io version: v1, v1beta1 or v1alpha3 (--istio-api-version).
  std::string istioApiVersion = "v1alpha3";
  /// Optional; called on the reconciling thread.
  EventRecorder recordEvent;
};

/// The context for a Rollout object: name, namespace, canary/stable Services, managedRoutes and
/// the names of its setHeaderRoute/setMirrorRoute steps (errors carry the Rollout field path).
Result<RouterContext> routerContextFromRollout(const json& rollout,
                                               const std::string& istio_api_version);

/// Builds a router from the trafficRouting.<key> object (e.g. the `istio` block).
using RouterFactory = std::function<Result<std::unique_ptr<TrafficRouter>>(
    const json& config, const std::string& path, const RouterContext& context)>;

class RouterRegistry {
 public:
  /// Registers the factory for trafficRouting.<key> ("istio"), or for the router plugin
  /// trafficRouting.plugins["<name>"] under the key "plugins/<name>". A later add replaces it.
  void add(const std::string& key, RouterFactory factory);
  bool has(const std::string& key) const;
  /// The registered keys, sorted ("istio", "plugins/argoproj-labs/gatewayAPI").
  std::vector<std::string> keys() const;
  /// One router per configured block of `traffic_routing` (spec.strategy.canary.trafficRouting),
  /// in key order. kUnsupported (with the field path) for a block without a factory; the
  /// non-router fields managedRoutes and maxTrafficWeight are skipped. path names the block.
  /// An empty context.managedRoutes is filled from traffic_routing.managedRoutes.
  Result<std::vector<std::unique_ptr<TrafficRouter>>> create(
      const json& traffic_routing, const RouterContext& context,
      const std::string& path = "spec.strategy.canary.trafficRouting") const;

 private:
  std::map<std::string, RouterFactory> factories_;
};

}  // namespace vane::trafficrouting
