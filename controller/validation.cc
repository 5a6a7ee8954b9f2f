#include "controller/validation.h"

#include <algorithm>

#include "analysis/judge_provider.h"
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
    if (s.plugin) {
      // Argo runs step plugins through its stepPlugins ConfigMap; Vane has none, and a step it
      // cannot run must not leave the Rollout waiting on it for ever.
      const std::string name = s.plugin->is_object() ? s.plugin->value("name", "") : "";
      invalid(path + ".plugin", name.empty() ? *s.plugin : json(name),
              format(kMessageStepPluginUnsupported, name.c_str()));
    }
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

namespace {

std::string invalidMessage(const kube::Rollout& ro, const SpecError& e) {
  return "The Rollout \"" + ro.metadata.name + "\" is invalid: " + e.toString();
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

void addTemplateRefs(const json& templates, const std::string& field,
                     std::vector<TemplateRef>& out) {
  if (!templates.is_array()) return;
  for (std::size_t i = 0; i < templates.size(); ++i) {
    const json& t = templates[i];
    if (!t.is_object() || !t.contains("templateName") || !t["templateName"].is_string()) continue;
    out.push_back({t["templateName"].get<std::string>(), t.value("clusterScope", false),
                   field + "[" + std::to_string(i) + "]"});
  }
}

}  // namespace

std::string validateTrafficRouters(const kube::Rollout& ro,
                                   const trafficrouting::RouterRegistry& routers) {
  if (!ro.spec.canary || !ro.spec.canary->trafficRouting) return "";
  const json& tr = *ro.spec.canary->trafficRouting;
  if (!tr.is_object()) return "";
  const std::string base = "spec.strategy.canary.trafficRouting";
  std::vector<std::string> implemented;
  for (const std::string& key : routers.keys()) {
    implemented.push_back(key.rfind("plugins/", 0) == 0 ? "plugins[\"" + key.substr(8) + "\"]"
                                                        : key);
  }
  for (const auto& [key, value] : tr.items()) {
    if (key == "managedRoutes" || key == "maxTrafficWeight" || value.is_null()) continue;
    if (key == "plugins" && value.is_object()) {
      for (const auto& [name, config] : value.items()) {
        if (routers.has("plugins/" + name)) continue;
        const std::string what = "plugin \"" + name + "\"";
        return invalidMessage(
            ro, {base + ".plugins[\"" + name + "\"]",
                 format(kMessageRouterUnsupported, what.c_str(), joined(implemented).c_str()), name,
                 false});
      }
      continue;
    }
    if (key == "plugins" || routers.has(key)) continue;
    const std::string what = "\"" + key + "\"";
    return invalidMessage(
        ro,
        {base + "." + key,
         format(kMessageRouterUnsupported, what.c_str(), joined(implemented).c_str()), key, false});
  }
  return "";
}

const std::vector<std::string>& implementedMetricPlugins() {
  static const std::vector<std::string> kPlugins = {std::string(analysis::kJudgePluginName)};
  return kPlugins;
}

std::vector<TemplateRef> referencedTemplates(const kube::Rollout& ro) {
  std::vector<TemplateRef> out;
  if (ro.spec.canary) {
    const std::string base = "spec.strategy.canary";
    const auto& c = *ro.spec.canary;
    if (c.analysis) addTemplateRefs(c.analysis->templates, base + ".analysis.templates", out);
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      const std::string step = base + ".steps[" + std::to_string(i) + "]";
      const auto& s = c.steps[i];
      if (s.analysis) addTemplateRefs(s.analysis->templates, step + ".analysis.templates", out);
      const json analyses = s.experiment && s.experiment->is_object()
                                ? s.experiment->value("analyses", json::array())
                                : json::array();
      addTemplateRefs(analyses, step + ".experiment.analyses", out);
    }
  }
  if (ro.spec.blueGreen) {
    const std::string base = "spec.strategy.blueGreen";
    const auto& bg = *ro.spec.blueGreen;
    if (bg.prePromotionAnalysis) {
      addTemplateRefs(bg.prePromotionAnalysis->templates, base + ".prePromotionAnalysis.templates",
                      out);
    }
    if (bg.postPromotionAnalysis) {
      addTemplateRefs(bg.postPromotionAnalysis->templates,
                      base + ".postPromotionAnalysis.templates", out);
    }
  }
  return out;
}

std::string validateMetricPlugins(const kube::Rollout& ro, const TemplateRef& ref,
                                  const json& tmpl) {
  const json metrics = tmpl.is_object() && tmpl.contains("spec") && tmpl["spec"].is_object()
                           ? tmpl["spec"].value("metrics", json::array())
                           : json::array();
  const auto& implemented = implementedMetricPlugins();
  for (std::size_t i = 0; metrics.is_array() && i < metrics.size(); ++i) {
    const json& m = metrics[i];
    if (!m.is_object() || !m.contains("provider") || !m["provider"].is_object()) continue;
    const json& plugin = m["provider"].value("plugin", json());
    if (!plugin.is_object()) continue;
    for (const auto& [name, config] : plugin.items()) {
      if (std::find(implemented.begin(), implemented.end(), name) != implemented.end()) continue;
      const std::string kind = ref.clusterScope ? "ClusterAnalysisTemplate" : "AnalysisTemplate";
      const std::string where = kind + " \"" + ref.name + "\" spec.metrics[" + std::to_string(i) +
                                "].provider.plugin[\"" + name + "\"]: ";
      return invalidMessage(ro, {ref.field + ".templateName",
                                 where + format(kMessageMetricPluginUnsupported, name.c_str(),
                                                joined(implemented).c_str()),
                                 ref.name, false});
    }
  }
  return "";
}

std::string validateRollout(const kube::Rollout& ro) {
  auto errors = validateRolloutSpec(ro);
  if (errors.empty()) return "";
  return "The Rollout \"" + ro.metadata.name + "\" is invalid: " + errors.front().toString();
}

}  // namespace vane::controller
