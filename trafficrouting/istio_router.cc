#include "trafficrouting/istio_router.h"

#include "trafficrouting/istio_transform.h"

namespace vane::trafficrouting {

namespace {

bool knownIstioVersion(const std::string& v) {
  return v == "v1" || v == "v1beta1" || v == "v1alpha3";
}

Status unsupportedVersion(const std::string& v) {
  return Status(Code::kUnsupported,
                "unsupported Istio API version '" + v + "' (expected v1, v1beta1 or v1alpha3)");
}

/// nlohmann throws on type mismatches in odd user objects; nothing throws past a router.
Result<json> guarded(const std::function<Result<json>()>& fn) {
  try {
    return fn();
  } catch (const json::exception& e) {
    return Status(Code::kInvalid, std::string("malformed Istio object: ") + e.what());
  }
}

}  // namespace

Result<kube::Resource> istioVirtualServiceResource(const std::string& version) {
  if (!knownIstioVersion(version)) return unsupportedVersion(version);
  return kube::resources::virtualServices(version);
}

Result<kube::Resource> istioDestinationRuleResource(const std::string& version) {
  if (!knownIstioVersion(version)) return unsupportedVersion(version);
  return kube::resources::destinationRules(version);
}

IstioRouter::IstioRouter(kube::Client& client, IstioTrafficRouting config, RouterContext context,
                         kube::Resource vs_resource, kube::Resource dr_resource)
    : client_(client),
      config_(std::move(config)),
      context_(std::move(context)),
      vs_resource_(std::move(vs_resource)),
      dr_resource_(std::move(dr_resource)) {}

Result<std::unique_ptr<TrafficRouter>> IstioRouter::create(kube::Client& client, const json& istio,
                                                           const std::string& path,
                                                           const RouterContext& context) {
  auto config = decodeIstioTrafficRouting(istio, path);
  if (!config.ok()) return config.status();
  auto vs = istioVirtualServiceResource(context.istioApiVersion);
  if (!vs.ok()) return vs.status();
  auto dr = istioDestinationRuleResource(context.istioApiVersion);
  if (!dr.ok()) return dr.status();
  return std::unique_ptr<TrafficRouter>(
      new IstioRouter(client, std::move(config).value(), context, *vs, *dr));
}

std::string_view IstioRouter::type() const { return istio::kType; }

void IstioRouter::record(bool warning, const std::string& reason,
                         const std::string& message) const {
  if (context_.recordEvent) context_.recordEvent(warning, reason, message);
}

Result<bool> IstioRouter::mutate(const kube::Resource& resource, const std::string& ns,
                                 const std::string& name, const Transform& transform,
                                 bool ignore_missing) {
  for (int attempt = 0;; ++attempt) {
    auto current = client_.get(resource, ns, name);
    if (!current.ok()) {
      if (ignore_missing && current.status().code() == Code::kNotFound) return false;
      return current.status();
    }
    auto next = guarded([&] { return transform(*current); });
    if (!next.ok()) return next.status();
    if (*next == *current) return false;  // idempotent: no write when nothing changes
    auto updated = client_.update(resource, ns, *next);
    if (updated.ok()) return true;
    if (updated.status().code() != Code::kConflict || attempt >= 1) return updated.status();
  }
}

Status IstioRouter::mutateVirtualServices(
    const std::function<Result<json>(const json&, const IstioVirtualService&)>& transform,
    const std::function<std::string(const std::string&)>& event, bool ignore_missing) {
  for (const IstioVirtualService& vs : config_.all()) {
    auto [ns, name] = splitVirtualServiceName(vs.name);
    if (ns.empty()) ns = context_.rolloutNamespace;
    // Messages stay Argo's exact strings (they end up in the InvalidSpec condition).
    auto written = mutate(
        vs_resource_, ns, name, [&](const json& obj) { return transform(obj, vs); },
        ignore_missing);
    if (!written.ok()) {
      if (written.status().code() == Code::kNotFound) {
        record(true, kEventVirtualServiceNotFound, "VirtualService `" + name + "` not found");
      }
      return written.status();
    }
    if (*written) record(false, kEventUpdatedVirtualService, event(name));
  }
  return Status::ok();
}

Status IstioRouter::setWeight(int32_t desired, const std::vector<WeightDestination>& additional) {
  const istio::Split split = istio::Split::from(context_, config_);
  return mutateVirtualServices(
      [&](const json& obj, const IstioVirtualService& vs) {
        return istio::setWeight(obj, vs, split, desired, additional);
      },
      [&](const std::string& name) {
        return "VirtualService `" + name + "` set to desiredWeight '" + std::to_string(desired) +
               "'";
      });
}

Result<std::string> IstioRouter::canaryHost() {
  if (!config_.destinationRule) return context_.canaryService;
  const std::string& name = config_.destinationRule->name;
  auto dr = client_.get(dr_resource_, context_.rolloutNamespace, name);
  if (!dr.ok()) {
    if (dr.status().code() == Code::kNotFound) {
      record(true, kEventDestinationRuleNotFound, "DestinationRule `" + name + "` not found");
    }
    return dr.status();
  }
  const json& spec = dr->value("spec", json::object());
  if (!spec.is_object() || !spec.contains("host") || !spec["host"].is_string()) {
    return Status(Code::kInvalid, "DestinationRule has no spec.host", "spec.host");
  }
  return spec["host"].get<std::string>();
}

Status IstioRouter::setManagedRoute(
    bool has_match, const std::string& event,
    const std::function<Result<json>(const json&, const IstioVirtualService&, const istio::Split&,
                                     const std::string&)>& transform) {
  std::string host;
  if (has_match) {
    auto h = canaryHost();
    if (!h.ok()) return h.status();
    host = *h;
  }
  const istio::Split split = istio::Split::from(context_, config_);
  return mutateVirtualServices(
      [&](const json& obj, const IstioVirtualService& vs) {
        return transform(obj, vs, split, host);
      },
      [&](const std::string& name) { return "VirtualService `" + name + "` " + event; });
}

Status IstioRouter::setHeaderRoute(const SetHeaderRoute& route) {
  return setManagedRoute(
      !route.match.empty(), "set headerRoute '" + route.name + "'",
      [&](const json& obj, const IstioVirtualService& vs, const istio::Split& split,
          const std::string& host) { return istio::setHeaderRoute(obj, vs, split, route, host); });
}

Status IstioRouter::setMirrorRoute(const SetMirrorRoute& route) {
  return setManagedRoute(
      !route.match.empty(), "set mirrorRoute '" + route.name + "'",
      [&](const json& obj, const IstioVirtualService& vs, const istio::Split& split,
          const std::string& host) { return istio::setMirrorRoute(obj, vs, split, route, host); });
}

Result<std::optional<bool>> IstioRouter::verifyWeight(
    int32_t desired, const std::vector<WeightDestination>& additional) {
  const istio::Split split = istio::Split::from(context_, config_);
  for (const IstioVirtualService& vs : config_.all()) {
    auto [ns, name] = splitVirtualServiceName(vs.name);
    if (ns.empty()) ns = context_.rolloutNamespace;
    auto current = client_.get(vs_resource_, ns, name);
    if (!current.ok()) return current.status();
    // The live object carries the weights when applying them would change nothing.
    auto want = guarded([&] { return istio::setWeight(*current, vs, split, desired, additional); });
    if (!want.ok()) return want.status();
    if (*want != *current) return std::optional<bool>(false);
  }
  return std::optional<bool>(true);
}

std::vector<std::string> IstioRouter::managedNames() const {
  std::vector<std::string> names = context_.stepRouteNames;
  names.insert(names.end(), context_.managedRoutes.begin(), context_.managedRoutes.end());
  return names;
}

Status IstioRouter::removeManagedRoutes() {
  const std::vector<std::string> names = managedNames();
  if (names.empty()) return Status::ok();
  return mutateVirtualServices(
      [&](const json& obj, const IstioVirtualService&) -> Result<json> {
        return istio::removeRoutes(obj, names);
      },
      [](const std::string& name) {
        return "VirtualService `" + name + "` removed all managed routes.";
      },
      /*ignore_missing=*/true);
}

Status IstioRouter::syncManagedRoutes(const std::vector<ManagedRoute>& desired) {
  if (desired.empty()) return removeManagedRoutes();
  const std::vector<std::string> names = managedNames();
  auto host = canaryHost();
  if (!host.ok()) return host.status();
  std::string list;
  for (const ManagedRoute& r : desired) {
    list += std::string(list.empty() ? "" : ", ") +
            (std::holds_alternative<SetHeaderRoute>(r) ? "headerRoute '" : "mirrorRoute '") +
            managedRouteName(r) + "'";
  }
  const istio::Split split = istio::Split::from(context_, config_);
  return mutateVirtualServices(
      [&](const json& obj, const IstioVirtualService& vs) {
        return istio::syncManagedRoutes(obj, vs, split, desired, names, *host);
      },
      [&](const std::string& name) {
        return "VirtualService `" + name + "` set managed routes: " + list;
      });
}

Status IstioRouter::updateHash(const std::string& canary_hash, const std::string& stable_hash,
                               const std::vector<WeightDestination>& additional) {
  if (!config_.destinationRule) return Status::ok();  // host mode: Services select the pods
  const IstioDestinationRule& dr = *config_.destinationRule;
  auto written = mutate(dr_resource_, context_.rolloutNamespace, dr.name, [&](const json& obj) {
    return istio::updateDestinationRule(obj, dr, canary_hash, stable_hash, additional,
                                        context_.rolloutName);
  });
  if (!written.ok()) {
    if (written.status().code() == Code::kNotFound) {
      record(true, kEventDestinationRuleNotFound, "DestinationRule `" + dr.name + "` not found");
    }
    return written.status();
  }
  if (*written) {
    record(false, kEventUpdatedDestinationRule,
           "DestinationRule " + dr.name + " subset updated (" + dr.canarySubsetName + ": " +
               canary_hash + ", " + dr.stableSubsetName + ": " + stable_hash + ")");
  }
  return Status::ok();
}

void registerIstioRouter(RouterRegistry& registry, kube::Client& client) {
  registry.add("istio", [&client](const json& config, const std::string& path,
                                  const RouterContext& context) {
    return IstioRouter::create(client, config, path, context);
  });
}

}  // namespace vane::trafficrouting
