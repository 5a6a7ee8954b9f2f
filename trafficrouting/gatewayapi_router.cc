#include "trafficrouting/gatewayapi_router.h"

#include <algorithm>

namespace vane::trafficrouting {

using gatewayapi::RouteKind;
using gatewayapi::RouteRef;

namespace {

/// nlohmann throws on type mismatches in odd user objects; nothing throws past a router.
Result<json> guardedRoute(const std::function<Result<json>()>& fn) {
  try {
    return fn();
  } catch (const json::exception& e) {
    return Status(Code::kInvalid, std::string("malformed Gateway API route: ") + e.what());
  }
}

bool everyRoute(const RouteRef&) { return true; }

}  // namespace

kube::Resource gatewayApiResource(RouteKind kind) {
  const std::string group = "gateway.networking.k8s.io";
  switch (kind) {
    case RouteKind::kHttp:
      return {group, "v1", "httproutes", "HTTPRoute", true};
    case RouteKind::kGrpc:
      return {group, "v1", "grpcroutes", "GRPCRoute", true};
    case RouteKind::kTcp:
      return {group, "v1alpha2", "tcproutes", "TCPRoute", true};
    case RouteKind::kTls:
      return {group, "v1alpha2", "tlsroutes", "TLSRoute", true};
  }
  return {};
}

GatewayApiRouter::GatewayApiRouter(kube::Client& client,
                                   gatewayapi::GatewayApiTrafficRouting config,
                                   RouterContext context)
    : client_(client), config_(std::move(config)), context_(std::move(context)) {
  split_.canaryService = context_.canaryService;
  split_.stableService = context_.stableService;
  split_.managedRoutes = context_.managedRoutes;
  for (const std::string& n : context_.stepRouteNames) {
    if (std::find(split_.managedRoutes.begin(), split_.managedRoutes.end(), n) ==
        split_.managedRoutes.end()) {
      split_.managedRoutes.push_back(n);
    }
  }
}

Result<std::unique_ptr<TrafficRouter>> GatewayApiRouter::create(kube::Client& client,
                                                                const json& config,
                                                                const std::string& path,
                                                                const RouterContext& context) {
  auto decoded = gatewayapi::decodeGatewayApiTrafficRouting(config, path);
  if (!decoded.ok()) return decoded.status();
  if (context.canaryService.empty() || context.stableService.empty()) {
    return Status(Code::kInvalid, "the Gateway API router needs canaryService and stableService",
                  "spec.strategy.canary.canaryService");
  }
  return std::unique_ptr<TrafficRouter>(
      new GatewayApiRouter(client, std::move(decoded).value(), context));
}

std::string_view GatewayApiRouter::type() const { return gatewayapi::kType; }

std::string GatewayApiRouter::ns() const {
  return config_.namespace_.empty() ? context_.rolloutNamespace : config_.namespace_;
}

void GatewayApiRouter::record(bool warning, const std::string& reason,
                              const std::string& message) const {
  if (context_.recordEvent) context_.recordEvent(warning, reason, message);
}

Status GatewayApiRouter::mutateRoutes(const std::function<bool(const RouteRef&)>& select,
                                      const Transform& transform, const std::string& what,
                                      bool ignore_missing) {
  for (const RouteRef& ref : config_.routes) {
    if (!select(ref)) continue;
    const kube::Resource resource = gatewayApiResource(ref.kind);
    const std::string label = std::string(gatewayapi::kindName(ref.kind)) + " `" + ref.name + "`";
    for (int attempt = 0;; ++attempt) {
      auto current = client_.get(resource, ns(), ref.name);
      if (!current.ok()) {
        if (current.status().code() != Code::kNotFound) return current.status();
        if (ignore_missing) break;
        record(true, kEventGatewayRouteNotFound, label + " not found");
        return Status(Code::kNotFound, label + " not found in namespace " + ns());
      }
      auto next = guardedRoute([&] { return transform(*current, ref); });
      if (!next.ok()) {
        return Status(next.status().code(), label + ": " + next.status().message(),
                      next.status().field());
      }
      if (*next == *current) break;  // idempotent: no write when nothing changes
      auto updated = client_.update(resource, ns(), *next);
      if (updated.ok()) {
        record(false, kEventUpdatedGatewayRoute, label + " " + what);
        break;
      }
      if (updated.status().code() != Code::kConflict || attempt >= 1) return updated.status();
    }
  }
  return Status::ok();
}

std::map<std::string, int64_t> GatewayApiRouter::experimentPorts(
    const std::vector<WeightDestination>& additional) {
  // The port of an experiment Service: the one named "http", else its first (as the plugin).
  // A Service not found (yet) falls back to the canary backendRef's port.
  std::map<std::string, int64_t> ports;
  for (const WeightDestination& w : additional) {
    if (w.serviceName.empty()) continue;
    auto svc = client_.get(kube::resources::kServices, context_.rolloutNamespace, w.serviceName);
    if (!svc.ok()) continue;
    const json spec = svc->value("spec", json::object());
    const json list = spec.is_object() ? spec.value("ports", json::array()) : json::array();
    if (!list.is_array()) continue;
    for (const json& p : list) {
      if (!p.is_object() || !p.contains("port") || !p["port"].is_number_integer()) continue;
      if (!ports.count(w.serviceName) || p.value("name", "") == "http") {
        ports[w.serviceName] = p["port"].get<int64_t>();
      }
    }
  }
  return ports;
}

Status GatewayApiRouter::setWeight(int32_t desired,
                                   const std::vector<WeightDestination>& additional) {
  const std::map<std::string, int64_t> ports = experimentPorts(additional);
  return mutateRoutes(
      everyRoute,
      [&](const json& obj, const RouteRef& ref) {
        return gatewayapi::setWeight(obj, ref.kind, split_, config_, desired, additional, ports);
      },
      "set to desiredWeight '" + std::to_string(desired) + "'");
}

Status GatewayApiRouter::setHeaderRoute(const SetHeaderRoute& route) {
  // Header rules go only to routes with useHeaderRoutes (the single-route forms always);
  // removal (empty match) is tried on every route so a config change strands nothing.
  const bool removing = route.match.empty();
  return mutateRoutes([&](const RouteRef& ref) { return removing || ref.useHeaderRoutes; },
                      [&](const json& obj, const RouteRef& ref) {
                        return gatewayapi::setHeaderRoute(obj, ref.kind, split_, route);
                      },
                      "set headerRoute '" + route.name + "'");
}

Status GatewayApiRouter::setMirrorRoute(const SetMirrorRoute& route) {
  return mutateRoutes(
      everyRoute,
      [&](const json& obj, const RouteRef& ref) {
        return gatewayapi::setMirrorRoute(obj, ref.kind, split_, route);
      },
      "set mirrorRoute '" + route.name + "'");
}

Result<std::optional<bool>> GatewayApiRouter::verifyWeight(
    int32_t desired, const std::vector<WeightDestination>& additional) {
  const std::map<std::string, int64_t> ports = experimentPorts(additional);
  for (const RouteRef& ref : config_.routes) {
    auto current = client_.get(gatewayApiResource(ref.kind), ns(), ref.name);
    if (!current.ok()) return current.status();
    auto match = [&]() -> Result<bool> {
      try {
        return gatewayapi::weightsMatch(*current, ref.kind, split_, desired, additional, ports);
      } catch (const json::exception& e) {
        return Status(Code::kInvalid, std::string("malformed Gateway API route: ") + e.what());
      }
    }();
    if (!match.ok()) return match.status();
    if (!*match) return std::optional<bool>(false);
  }
  return std::optional<bool>(true);
}

Status GatewayApiRouter::removeManagedRoutes() {
  if (split_.managedRoutes.empty()) return Status::ok();
  return mutateRoutes(
      everyRoute,
      [&](const json& obj, const RouteRef&) {
        return gatewayapi::removeManagedRules(obj, split_, split_.managedRoutes);
      },
      "removed all managed routes", /*ignore_missing=*/true);
}

Status GatewayApiRouter::syncManagedRoutes(const std::vector<ManagedRoute>& desired) {
  if (desired.empty()) return removeManagedRoutes();
  std::string list;
  for (const ManagedRoute& r : desired)
    list += (list.empty() ? "'" : ", '") + managedRouteName(r) + "'";
  return mutateRoutes(
      everyRoute,
      [&](const json& obj, const RouteRef& ref) {
        return gatewayapi::syncManagedRules(obj, ref.kind, split_, desired, ref.useHeaderRoutes);
      },
      "set managed routes " + list);
}

Status GatewayApiRouter::updateHash(const std::string&, const std::string&,
                                    const std::vector<WeightDestination>&) {
  return Status::ok();
}

void registerGatewayApiRouter(RouterRegistry& registry, kube::Client& client) {
  registry.add(
      std::string("plugins/") + gatewayapi::kPluginName,
      [&client](const json& config, const std::string& path, const RouterContext& context) {
        return GatewayApiRouter::create(client, config, path, context);
      });
}

}  // namespace vane::trafficrouting
