#include "controller/validation.h"

#include <algorithm>

#include "controller/conditions.h"
#include "controller/context.h"
#include "controller/replica_math.h"
#include "controller/rollout_experiment.h"

namespace vane::controller {

using nlohmann::json;

std::string SpecError::toString() const {
  if (required) return field + ": Required value: " + detail;
  return field + ": Invalid value: " + value.dump() + ": " + detail;
}

namespace {

bool present(const json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) && !obj[key].is_null();
}

class Validator {
 public:
  explicit Validator(const kube::Rollout& ro) : ro_(ro) {}

  std::vector<SpecError> run() {
    selector();
    if (ro_.spec.canary && ro_.spec.blueGreen) {
      invalid("spec.strategy", "blueGreen: true canary: true", kMessageBothStrategies);
    } else if (!ro_.spec.canary && !ro_.spec.blueGreen) {
      required("spec.strategy",
               format(kMessageMissingField, ".spec.strategy.canary or .spec.strategy.blueGreen"));
    } else if (ro_.spec.canary) {
      canary();
    } else {
      blueGreen();
    }
    return std::move(errors_);
  }

 private:
  void invalid(std::string field, json value, std::string detail) {
    errors_.push_back({std::move(field), std::move(detail), std::move(value), false});
  }
  void required(std::string field, std::string detail) {
    errors_.push_back({std::move(field), std::move(detail), nullptr, true});
  }

  void selector() {
    const json& sel = ro_.spec.selector;
    if (ro_.spec.workloadRef && sel.is_null()) return;  // the Deployment's selector is used
    if (!sel.is_object()) {
      required("spec.selector", format(kMessageMissingField, ".spec.selector"));
      return;
    }
    const bool no_labels = !present(sel, "matchLabels") || sel["matchLabels"].empty();
    const bool no_exprs = !present(sel, "matchExpressions") || sel["matchExpressions"].empty();
    if (no_labels && no_exprs) {
      invalid("spec.selector", sel, kMessageSelectAll);
      return;
    }
    if (ro_.spec.workloadRef) return;
    json labels = json::object();
    auto p = json::json_pointer("/metadata/labels");
    if (ro_.spec.template_.contains(p)) labels = ro_.spec.template_.at(p);
    if (!present(sel, "matchLabels") || !sel["matchLabels"].is_object()) return;
    for (auto it = sel["matchLabels"].begin(); it != sel["matchLabels"].end(); ++it) {
      if (!labels.is_object() || !labels.contains(it.key()) || labels[it.key()] != it.value()) {
        invalid("spec.template.metadata.labels", labels, kMessageTemplateLabels);
        return;
      }
    }
  }

  // requireCanaryStableServices: which routers need the canary and stable Services.
  static bool requiresServices(const json& tr, bool ping_pong) {
    if (present(tr, "alb") && !ping_pong) return true;
    if (present(tr, "istio") && !ping_pong && !present(tr["istio"], "destinationRule")) {
      return true;
    }
    for (const char* k : {"smi", "apisix", "ambassador", "nginx", "appMesh", "traefik"}) {
      if (present(tr, k)) return true;
    }
    return false;
  }

  void canary() {
    const auto& c = *ro_.spec.canary;
    const std::string base = "spec.strategy.canary";
    const int32_t replicas = ro_.spec.replicasOrDefault();
    auto surge = c.maxSurge ? scaledValue(*c.maxSurge, replicas, true) : Result<int32_t>(1);
    auto unavailable =
        c.maxUnavailable ? scaledValue(*c.maxUnavailable, replicas, false) : Result<int32_t>(1);
    if (!surge) invalid(base + ".maxSurge", *c.maxSurge, surge.status().message());
    if (!unavailable) {
      invalid(base + ".maxUnavailable", *c.maxUnavailable, unavailable.status().message());
    }
    if (c.maxSurge && c.maxUnavailable && surge && unavailable && *surge == 0 &&
        *unavailable == 0) {
      invalid(base + ".maxSurge", *c.maxSurge, kMessageSurgeUnavailableZero);
    }
    const bool routed = c.trafficRouting && !c.trafficRouting->is_null();
    if (routed && requiresServices(*c.trafficRouting, c.pingPong) &&
        (c.canaryService.empty() || c.stableService.empty())) {
      invalid(base + ".trafficRouting", *c.trafficRouting, kMessageServicesForTrafficRouting);
    }
    if (!c.canaryService.empty() && c.canaryService == c.stableService) {
      invalid(base + ".stableService", c.stableService, kMessageSameCanaryStable);
    }
    if (c.dynamicStableScale && c.scaleDownDelaySeconds) {
      invalid(base + ".dynamicStableScale", true, kMessageDynamicStableScaleDelay);
    }
    antiAffinity(c.antiAffinity, base + ".antiAffinity");
    int32_t max_weight = 100;
    if (routed && c.trafficRouting->contains("maxTrafficWeight") &&
        (*c.trafficRouting)["maxTrafficWeight"].is_number_integer()) {
      max_weight = (*c.trafficRouting)["maxTrafficWeight"].get<int32_t>();
    }
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      step(c.steps[i], base + ".steps[" + std::to_string(i) + "]", routed, max_weight);
    }
  }

  void step(const kube::CanaryStep& s, const std::string& path, bool routed, int32_t max_weight) {
    const auto& c = *ro_.spec.canary;
    // hasMultipleStepsType: at most one of setWeight, pause, experiment, analysis (a route or
    // setCanaryScale may sit beside them); and at least one step kind.
    const int exclusive = int(s.setWeight.has_value()) + int(s.pause.has_value()) +
                          int(s.experiment.has_value()) + int(s.analysis.has_value());
    if (exclusive > 1 || s.fieldCount() == 0) invalid(path, json::object(), kMessageInvalidStep);
    if (s.setWeight && (*s.setWeight < 0 || *s.setWeight > max_weight)) {
      invalid(path + ".setWeight", *s.setWeight, format(kMessageSetWeightRange, max_weight));
    }
    for (const auto* route : {&s.setHeaderRoute, &s.setMirrorRoute}) {
      if (!*route) continue;
      const bool header = route == &s.setHeaderRoute;
      const std::string rp = path + (header ? ".setHeaderRoute" : ".setMirrorRoute");
      if (!routed) {
        invalid(rp, **route,
                header ? kMessageHeaderRouteNeedsRouting : kMessageMirrorRouteNeedsRouting);
      }
      const std::string name = (*route)->is_object() ? (*route)->value("name", "") : "";
      if (name.empty()) {
        required(rp + ".name", format(kMessageMissingField, ("." + rp + ".name").c_str()));
      } else if (std::find(c.managedRoutes.begin(), c.managedRoutes.end(), name) ==
                 c.managedRoutes.end()) {
        invalid(rp + ".name", name, kMessageRouteNotManaged);
      }
      if (!header || !(*route)->is_object()) continue;
      const json match = (*route)->value("match", json::array());
      for (std::size_t j = 0; match.is_array() && j < match.size(); ++j) {
        const json value =
            match[j].is_object() ? match[j].value("headerValue", json::object()) : json::object();
        int kinds = 0;
        for (const char* k : {"exact", "regex", "prefix"}) kinds += present(value, k);
        if (kinds != 1) {
          invalid(rp + ".match[" + std::to_string(j) + "].headerValue", value, kMessageStringMatch);
        }
      }
    }
    // Experiment template weights need a router that can weight them (after the routes, as in
    // Argo).
    const json templates = s.experiment && s.experiment->is_object()
                               ? s.experiment->value("templates", json::array())
                               : json::array();
    for (std::size_t j = 0; templates.is_array() && j < templates.size(); ++j) {
      if (!present(templates[j], "weight")) continue;
      const std::string wp = path + ".experiment.templates[" + std::to_string(j) + "].weight";
      if (!routed) {
        invalid(wp, templates[j]["weight"], kMessageExperimentWeightWithoutRouting);
      } else if (!present(*c.trafficRouting, "alb") && !present(*c.trafficRouting, "smi") &&
                 !present(*c.trafficRouting, "istio") && !present(*c.trafficRouting, "plugins")) {
        invalid(wp, templates[j]["weight"], kMessageExperimentWeightUnsupportedRouting);
      }
    }
  }

  void antiAffinity(const std::optional<json>& aa, const std::string& path) {
    if (!aa || !aa->is_object()) return;
    const bool preferred = present(*aa, "preferredDuringSchedulingIgnoredDuringExecution");
    const bool required_rule = present(*aa, "requiredDuringSchedulingIgnoredDuringExecution");
    if (preferred == required_rule) {
      invalid(path,
              std::string("antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution: ") +
                  (preferred ? "true" : "false") +
                  " antiAffinity.RequiredDuringSchedulingIgnoredDuringExecution: " +
                  (required_rule ? "true" : "false"),
              kMessageAntiAffinityStrategy);
    }
    if (preferred) {
      const json& p = (*aa)["preferredDuringSchedulingIgnoredDuringExecution"];
      const json w = p.is_object() ? p.value("weight", json(0)) : json(0);
      if (!w.is_number_integer() || w.get<int64_t>() < 1 || w.get<int64_t>() > 100) {
        invalid(path + ".weight", w, kMessageAntiAffinityWeight);
      }
    }
  }

  void blueGreen() {
    const auto& bg = *ro_.spec.blueGreen;
    const std::string base = "spec.strategy.blueGreen";
    if (bg.activeService.empty()) {
      required(base + ".activeService",
               format(kMessageMissingField, ".spec.strategy.blueGreen.activeService"));
    } else if (bg.activeService == bg.previewService) {
      invalid(base + ".activeService", bg.activeService, kMessageSameActivePreview);
    }
    const int32_t history = ro_.spec.revisionHistoryLimit.value_or(10);
    if (bg.scaleDownDelayRevisionLimit && history < *bg.scaleDownDelayRevisionLimit) {
      invalid(base + ".scaleDownDelayRevisionLimit", *bg.scaleDownDelayRevisionLimit,
              kMessageScaleDownLimit);
    }
    for (const auto& [field, v] :
         {std::pair{"previewReplicaCount", bg.previewReplicaCount},
          std::pair{"scaleDownDelaySeconds", bg.scaleDownDelaySeconds},
          std::pair{"abortScaleDownDelaySeconds", bg.abortScaleDownDelaySeconds},
          std::pair{"autoPromotionSeconds", std::optional<int32_t>(bg.autoPromotionSeconds)}}) {
      if (v && *v < 0) invalid(base + "." + field, *v, "must be greater than or equal to 0");
    }
    antiAffinity(bg.antiAffinity, base + ".antiAffinity");
  }

  const kube::Rollout& ro_;
  std::vector<SpecError> errors_;
};

}  // namespace

std::vector<SpecError> validateRolloutSpec(const kube::Rollout& ro) { return Validator(ro).run(); }

std::string validateRollout(const kube::Rollout& ro) {
  auto errors = validateRolloutSpec(ro);
  if (errors.empty()) return "";
  return "The Rollout \"" + ro.metadata.name + "\" is invalid: " + errors.front().toString();
}

}  // namespace vane::controller
