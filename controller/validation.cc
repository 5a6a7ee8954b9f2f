// Spec validation with Argo's messages (pkg/apis/rollouts/validation/validation.go).
#include <algorithm>

#include "controller/conditions.h"
#include "controller/reconciler.h"
#include "controller/replica_math.h"

namespace vane::controller {

using nlohmann::json;

namespace {

std::string invalid(const std::string& path, const json& value, const std::string& msg) {
  return path + ": Invalid value: " + value.dump() + ": " + msg;
}
std::string required(const std::string& path, const std::string& msg) {
  return path + ": Required value: " + msg;
}

std::string validateSelector(const kube::Rollout& ro) {
  const json& sel = ro.spec.selector;
  if (!sel.is_object()) {
    return required("spec.selector", format(kMessageMissingField, ".spec.selector"));
  }
  const bool no_labels = !sel.contains("matchLabels") || sel["matchLabels"].empty();
  const bool no_exprs = !sel.contains("matchExpressions") || sel["matchExpressions"].empty();
  if (no_labels && no_exprs) return invalid("spec.selector", sel, kMessageSelectAll);
  if (ro.spec.workloadRef) return "";
  json labels = json::object();
  auto p = json::json_pointer("/metadata/labels");
  if (ro.spec.template_.contains(p)) labels = ro.spec.template_.at(p);
  if (sel.contains("matchLabels") && sel["matchLabels"].is_object()) {
    for (auto it = sel["matchLabels"].begin(); it != sel["matchLabels"].end(); ++it) {
      if (!labels.is_object() || !labels.contains(it.key()) || labels[it.key()] != it.value()) {
        return invalid("spec.template.metadata.labels", labels, kMessageTemplateLabels);
      }
    }
  }
  return "";
}

std::string validateStep(const kube::Rollout& ro, const kube::CanaryStep& s, std::size_t i) {
  const auto& c = *ro.spec.canary;
  const std::string path = "spec.strategy.canary.steps[" + std::to_string(i) + "]";
  if (s.fieldCount() != 1) return invalid(path, json::object(), kMessageInvalidStep);
  if (s.setWeight && (*s.setWeight < 0 || *s.setWeight > 100)) {
    return invalid(path + ".setWeight", *s.setWeight, format(kMessageSetWeightRange, 100));
  }
  if (s.pause && s.pause->duration && *s.pause->duration < 0) {
    return invalid(path + ".pause.duration", *s.pause->duration, kMessageInvalidDuration);
  }
  auto route_name = [](const json& r) { return r.is_object() ? r.value("name", "") : ""; };
  for (const auto* route : {&s.setHeaderRoute, &s.setMirrorRoute}) {
    if (!*route) continue;
    const bool header = route == &s.setHeaderRoute;
    const std::string rp = path + (header ? ".setHeaderRoute" : ".setMirrorRoute");
    if (!c.trafficRouting) {
      return invalid(rp, **route,
                     header ? kMessageHeaderRouteNeedsRouting : kMessageMirrorRouteNeedsRouting);
    }
    const std::string name = route_name(**route);
    if (std::find(c.managedRoutes.begin(), c.managedRoutes.end(), name) == c.managedRoutes.end()) {
      return invalid(rp, name, kMessageRouteNotManaged);
    }
  }
  return "";
}

std::string validateCanary(const kube::Rollout& ro) {
  const auto& c = *ro.spec.canary;
  const Fenceposts f = resolveFenceposts(ro);
  auto s =
      c.maxSurge ? scaledValue(*c.maxSurge, ro.spec.replicasOrDefault(), true) : Result<int32_t>(1);
  auto u = c.maxUnavailable ? scaledValue(*c.maxUnavailable, ro.spec.replicasOrDefault(), false)
                            : Result<int32_t>(1);
  if (!s) return invalid("spec.strategy.canary.maxSurge", *c.maxSurge, s.status().message());
  if (!u) {
    return invalid("spec.strategy.canary.maxUnavailable", *c.maxUnavailable, u.status().message());
  }
  if (c.maxSurge && c.maxUnavailable && *s == 0 && *u == 0) {
    return invalid("spec.strategy.canary.maxSurge", *c.maxSurge, kMessageSurgeUnavailableZero);
  }
  (void)f;
  if (c.trafficRouting) {
    if (c.canaryService.empty() || c.stableService.empty()) {
      return invalid("spec.strategy.canary.trafficRouting", *c.trafficRouting,
                     kMessageServicesForTrafficRouting);
    }
  }
  if (!c.canaryService.empty() && c.canaryService == c.stableService) {
    return invalid("spec.strategy.canary.stableService", c.stableService, kMessageSameCanaryStable);
  }
  if (c.dynamicStableScale && c.scaleDownDelaySeconds) {
    return invalid("spec.strategy.canary.dynamicStableScale", true,
                   kMessageDynamicStableScaleDelay);
  }
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    std::string err = validateStep(ro, c.steps[i], i);
    if (!err.empty()) return err;
  }
  return "";
}

}  // namespace

std::string validateRollout(const kube::Rollout& ro) {
  std::string err = validateSelector(ro);
  if (err.empty()) {
    if (ro.spec.canary && ro.spec.blueGreen) {
      err = invalid("spec.strategy", json::object(), kMessageBothStrategies);
    } else if (!ro.spec.canary && !ro.spec.blueGreen) {
      err = required("spec.strategy", format(kMessageMissingField,
                                             ".spec.strategy.canary or .spec.strategy.blueGreen"));
    } else if (ro.spec.canary) {
      err = validateCanary(ro);
    }
  }
  if (err.empty()) return "";
  return "The Rollout \"" + ro.metadata.name + "\" is invalid: " + err;
}

}  // namespace vane::controller
