// Lint warnings for configuration Vane accepts in the schema but does not implement: a traffic
// router other than istio and the Gateway API plugin, and metric providers other than the ones
// registered in vane-controller's main. The controller refuses such a Rollout (InvalidSpec) or
// fails such a metric at run time; lint says so up front, naming the field. Warnings do not make
// lint fail.
#include <set>

#include "cli/lint.h"

namespace vane::cli {
namespace {

using nlohmann::json;

// Keep in step with the registries filled in controller/main.cc.
const std::set<std::string> kRouters = {"istio"};
const std::set<std::string> kRouterPlugins = {"argoproj-labs/gatewayAPI"};
const std::set<std::string> kRoutingFields = {"managedRoutes", "maxTrafficWeight"};
const std::set<std::string> kProviders = {"prometheus", "web", "job"};
const std::set<std::string> kProviderPlugins = {"vane.dev/judge"};

const json& child(const json& j, const char* key) {
  static const json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}

void trafficRouting(const json& ro, const std::string& name, std::vector<LintError>& out) {
  const json& tr = child(child(child(child(ro, "spec"), "strategy"), "canary"), "trafficRouting");
  if (!tr.is_object()) return;
  const std::string base = "spec.strategy.canary.trafficRouting";
  for (const auto& [key, value] : tr.items()) {
    if (kRoutingFields.count(key) || kRouters.count(key) || value.is_null()) continue;
    if (key == "plugins" && value.is_object()) {
      for (const auto& [plugin, _] : value.items()) {
        if (kRouterPlugins.count(plugin)) continue;
        out.push_back({0, name, base + ".plugins[\"" + plugin + "\"]",
                       "traffic router plugin '" + plugin +
                           "' is not implemented by Vane; the controller will refuse this "
                           "Rollout (implemented: istio, plugins[\"argoproj-labs/gatewayAPI\"])",
                       true});
      }
      continue;
    }
    out.push_back({0, name, base + "." + key,
                   "traffic router '" + key +
                       "' is not implemented by Vane; the controller will refuse this Rollout "
                       "(implemented: istio, plugins[\"argoproj-labs/gatewayAPI\"])",
                   true});
  }
}

void providers(const json& obj, const std::string& name, std::vector<LintError>& out) {
  const json& metrics = child(child(obj, "spec"), "metrics");
  if (!metrics.is_array()) return;
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    const json& provider = child(metrics[i], "provider");
    if (!provider.is_object()) continue;
    const std::string base = "spec.metrics[" + std::to_string(i) + "].provider";
    for (const auto& [key, value] : provider.items()) {
      if (kProviders.count(key) || value.is_null()) continue;
      if (key == "plugin" && value.is_object()) {
        for (const auto& [plugin, _] : value.items()) {
          if (kProviderPlugins.count(plugin)) continue;
          out.push_back({0, name, base + ".plugin[\"" + plugin + "\"]",
                         "metric provider plugin '" + plugin +
                             "' is not implemented by Vane; the metric will end in Error",
                         true});
        }
        continue;
      }
      out.push_back({0, name, base + "." + key,
                     "metric provider '" + key +
                         "' is not implemented by Vane (implemented: prometheus, web, job, "
                         "plugin[\"vane.dev/judge\"]); the metric will end in Error",
                     true});
    }
  }
}

}  // namespace

std::vector<LintError> lintUnsupported(const nlohmann::json& object) {
  std::vector<LintError> out;
  if (!object.is_object()) return out;
  const std::string kind = object.value("kind", "");
  const std::string name =
      child(object, "metadata").is_object() ? object["metadata"].value("name", "") : "";
  if (kind == "Rollout") trafficRouting(object, name, out);
  if (kind == "AnalysisTemplate" || kind == "ClusterAnalysisTemplate") {
    providers(object, name, out);
  }
  return out;
}

}  // namespace vane::cli
