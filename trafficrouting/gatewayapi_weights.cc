// Gateway API weights: canary, stable and experiment backendRefs and the in-progress label (the
// plugin's httproute.go, grpcroute.go, tcproute.go, tlsroute.go, experiment.go and labels.go;
// facts only, see gatewayapi_transform.h).
#include <algorithm>
#include <map>

#include "trafficrouting/gatewayapi_rules.h"
#include "trafficrouting/gatewayapi_transform.h"

namespace vane::trafficrouting::gatewayapi {

using namespace detail;

namespace {

/// The experiment Services the router added, from kExperimentBackendsAnnotation.
std::vector<std::string> experimentRecord(const json& route) {
  std::vector<std::string> out;
  const json md = route.is_object() ? route.value("metadata", json::object()) : json::object();
  const json ann = md.is_object() ? md.value("annotations", json::object()) : json::object();
  if (!ann.is_object() || !ann.contains(kExperimentBackendsAnnotation)) return out;
  const json& v = ann[kExperimentBackendsAnnotation];
  if (!v.is_string()) return out;
  json parsed = json::parse(v.get<std::string>(), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return out;
  for (const json& n : parsed) {
    if (n.is_string()) out.push_back(n.get<std::string>());
  }
  return out;
}

void setAnnotation(json& route, const char* key, const std::string& value) {
  json& md = route["metadata"];
  if (!value.empty()) {
    md["annotations"][key] = value;
  } else if (md.contains("annotations") && md["annotations"].is_object()) {
    md["annotations"].erase(key);
    if (md["annotations"].empty()) md.erase("annotations");
  }
}

void setLabel(json& route, const GatewayApiTrafficRouting& cfg, bool in_progress) {
  if (cfg.disableInProgressLabel || cfg.inProgressLabelKey.empty()) return;
  json& md = route["metadata"];
  const bool has = md.contains("labels") && md["labels"].is_object() &&
                   md["labels"].contains(cfg.inProgressLabelKey);
  if (in_progress) {
    if (!has || md["labels"][cfg.inProgressLabelKey] != cfg.inProgressLabelValue) {
      md["labels"][cfg.inProgressLabelKey] = cfg.inProgressLabelValue;
    }
  } else if (has) {
    md["labels"].erase(cfg.inProgressLabelKey);
    if (md["labels"].empty()) md.erase("labels");
  }
}

/// Experiment (additional) backendRefs of one rule splitting canary and stable: weights set,
/// missing ones appended (port: `ports`, else the canary's), finished ones (recorded, no longer
/// additional) removed.
void experimentRefs(json& refs, const Split& split,
                    const std::vector<WeightDestination>& additional,
                    const std::vector<std::string>& finished,
                    const std::map<std::string, int64_t>& ports) {
  json port;
  for (const json& r : refs) {
    if (refNamed(r, split.canaryService) && r.contains("port")) port = r["port"];
  }
  json kept = json::array();
  for (json& r : refs) {
    const std::string name = str(r, "name");
    if (contains(finished, name) && name != split.canaryService && name != split.stableService) {
      continue;
    }
    kept.push_back(r);
  }
  for (const WeightDestination& w : additional) {
    bool found = false;
    for (json& r : kept) {
      if (!refNamed(r, w.serviceName)) continue;
      found = true;
      if (weightOf(r) != json(w.weight)) r["weight"] = w.weight;
    }
    if (found) continue;
    json ref = {{"group", ""}, {"kind", "Service"}, {"name", w.serviceName}};
    if (auto it = ports.find(w.serviceName); it != ports.end()) {
      ref["port"] = it->second;
    } else if (!port.is_null()) {
      ref["port"] = port;
    }
    ref["weight"] = w.weight;
    kept.push_back(std::move(ref));
  }
  refs = std::move(kept);
}

}  // namespace

Result<json> setWeight(const json& route, RouteKind kind, const Split& split,
                       const GatewayApiTrafficRouting& cfg, int32_t desired,
                       const std::vector<WeightDestination>& additional_in,
                       const std::map<std::string, int64_t>& ports) {
  if (desired < 0 || desired > 100) {
    return Status(Code::kInvalid,
                  "desired weight " + std::to_string(desired) + " is outside 0..100");
  }
  std::vector<WeightDestination> additional;
  int32_t stable_weight = 100 - desired;
  for (const WeightDestination& w : additional_in) {
    // An entry without a Service has nowhere to send its share (argo-rollouts #4890).
    if (w.serviceName.empty() || w.serviceName == split.canaryService ||
        w.serviceName == split.stableService) {
      continue;
    }
    additional.push_back(w);
    stable_weight -= w.weight;
  }
  if (stable_weight < 0) {
    return Status(Code::kInvalid, "canary and experiment weights sum to more than 100");
  }
  std::vector<std::string> finished = experimentRecord(route);
  std::vector<std::string> recorded;
  for (const WeightDestination& w : additional) {
    recorded.push_back(w.serviceName);
    finished.erase(std::remove(finished.begin(), finished.end(), w.serviceName), finished.end());
  }
  json out = route;
  const json& rules = rulesOf(route);
  // Managed header rules keep their lone canary backendRef unweighted (plugin issue #158: a
  // weight there sends header traffic nowhere at weight 0).
  const std::vector<bool> managed = managedMask(rules, managedRecord(route), split, true);
  bool canary = false, stable = false;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (managed[i] || !rules[i].is_object() || !rules[i].contains("backendRefs")) continue;
    json& refs = out["spec"]["rules"][i]["backendRefs"];
    if (!refs.is_array()) continue;
    bool has_canary = false, has_stable = false;
    for (json& ref : refs) {
      if (refNamed(ref, split.canaryService)) {
        has_canary = true;
        if (weightOf(ref) != json(desired)) ref["weight"] = desired;
      } else if (refNamed(ref, split.stableService)) {
        has_stable = true;
        if (weightOf(ref) != json(stable_weight)) ref["weight"] = stable_weight;
      }
    }
    // (Vane) experiment Services join every rule that splits canary and stable, for every
    // route kind (the plugin handles the first HTTPRoute rule only).
    if (has_canary && has_stable) experimentRefs(refs, split, additional, finished, ports);
    canary = canary || has_canary;
    stable = stable || has_stable;
  }
  if (!canary || !stable) {
    return Status(Code::kInvalid, std::string("backendRef was not found in ") + configName(kind));
  }
  setAnnotation(out, kExperimentBackendsAnnotation,
                recorded.empty() ? std::string() : json(recorded).dump());
  setLabel(out, cfg, stable_weight < 100);
  return out;
}

Result<bool> weightsMatch(const json& route, RouteKind kind, const Split& split, int32_t desired,
                          const std::vector<WeightDestination>& additional,
                          const std::map<std::string, int64_t>& ports) {
  GatewayApiTrafficRouting no_label;
  no_label.disableInProgressLabel = true;
  auto want = setWeight(route, kind, split, no_label, desired, additional, ports);
  if (!want.ok()) return want.status();
  return rulesOf(*want) == rulesOf(route);
}

}  // namespace vane::trafficrouting::gatewayapi
