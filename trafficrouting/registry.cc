#include "kube/decode.h"
#include "trafficrouting/router.h"

namespace vane::trafficrouting {

Result<RouterContext> routerContextFromRollout(const json& rollout,
                                               const std::string& istio_api_version) {
  kube::Decoder d(rollout, "");
  RouterContext ctx;
  ctx.istioApiVersion = istio_api_version;
  kube::Decoder meta = d.child("metadata");
  ctx.rolloutName = meta.string("name");
  ctx.rolloutNamespace = meta.string("namespace", "default");
  kube::Decoder canary = d.child("spec").child("strategy").child("canary");
  ctx.canaryService = canary.string("canaryService");
  ctx.stableService = canary.string("stableService");
  for (const kube::Decoder& m : canary.child("trafficRouting").array("managedRoutes")) {
    ctx.managedRoutes.push_back(m.requiredString("name"));
  }
  for (const kube::Decoder& step : canary.array("steps")) {
    for (const char* kind : {"setHeaderRoute", "setMirrorRoute"}) {
      if (step.has(kind)) ctx.stepRouteNames.push_back(step.child(kind).requiredString("name"));
    }
  }
  if (!d.ok()) return d.status();
  return ctx;
}

void RouterRegistry::add(const std::string& key, RouterFactory factory) {
  factories_[key] = std::move(factory);
}

bool RouterRegistry::has(const std::string& key) const { return factories_.count(key) > 0; }

std::vector<std::string> RouterRegistry::keys() const {
  std::vector<std::string> out;
  for (const auto& [key, factory] : factories_) out.push_back(key);
  return out;
}

Result<std::vector<std::unique_ptr<TrafficRouter>>> RouterRegistry::create(
    const json& traffic_routing, const RouterContext& context, const std::string& path) const {
  std::vector<std::unique_ptr<TrafficRouter>> routers;
  if (traffic_routing.is_null()) return routers;
  if (!traffic_routing.is_object()) return Status(Code::kInvalid, "expected object", path);
  RouterContext ctx = context;
  if (ctx.managedRoutes.empty()) {
    auto managed = decodeManagedRoutes(traffic_routing, path);
    if (!managed.ok()) return managed.status();
    ctx.managedRoutes = std::move(managed).value();
  }
  for (const auto& [key, value] : traffic_routing.items()) {
    if (key == "managedRoutes" || key == "maxTrafficWeight" || value.is_null()) continue;
    const std::string field = path + "." + key;
    if (key == "plugins") {
      // Argo's router plugins: one router per plugin name, registered as "plugins/<name>".
      if (!value.is_object()) return Status(Code::kInvalid, "expected object", field);
      for (const auto& [name, config] : value.items()) {
        const std::string plugin_field = field + "[\"" + name + "\"]";
        auto plugin = factories_.find("plugins/" + name);
        if (plugin == factories_.end()) {
          return Status(Code::kUnsupported, "traffic router plugin '" + name + "' is not supported",
                        plugin_field);
        }
        auto router = plugin->second(config, plugin_field, ctx);
        if (!router.ok()) return router.status();
        routers.push_back(std::move(router).value());
      }
      continue;
    }
    auto it = factories_.find(key);
    if (it == factories_.end()) {
      return Status(Code::kUnsupported, "traffic router '" + key + "' is not supported", field);
    }
    auto router = it->second(value, field, ctx);
    if (!router.ok()) return router.status();
    routers.push_back(std::move(router).value());
  }
  return routers;
}

}  // namespace vane::trafficrouting
