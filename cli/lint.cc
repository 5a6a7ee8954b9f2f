#include "cli/lint.h"

#include <set>

#include "cli/yaml_docs.h"
#include "kube/types.h"

namespace vane::cli {
namespace {

using nlohmann::json;

std::string fill(const char* format, const std::string& value) {
  std::string s = format;
  auto pos = s.find("%s");
  if (pos == std::string::npos) pos = s.find("%d");
  if (pos != std::string::npos) s.replace(pos, 2, value);
  return s;
}

class Linter {
 public:
  explicit Linter(const json& obj) : obj_(obj) {}

  std::vector<LintError> run() {
    auto decoded = kube::decodeRollout(obj_);
    if (!decoded.ok()) {
      add(decoded.status().field(), decoded.status().message());
      return errors_;
    }
    const kube::Rollout& ro = decoded.value();
    if (ro.metadata.name.empty() && !obj_["metadata"].contains("generateName")) {
      add("metadata.name", fill(kMissingFieldMessage, ".metadata.name"));
    }
    checkSelectorAndTemplate(ro);
    const json& strategy = obj_["spec"].value("strategy", json::object());
    bool canary = strategy.contains("canary") && !strategy["canary"].is_null();
    bool blue_green = strategy.contains("blueGreen") && !strategy["blueGreen"].is_null();
    if (canary && blue_green) add("spec.strategy", kMultipleStrategiesMessage);
    if (!canary && !blue_green) {
      add("spec.strategy",
          fill(kMissingFieldMessage, ".spec.strategy.canary or .spec.strategy.blueGreen"));
    }
    if (canary && ro.spec.canary) checkCanary(*ro.spec.canary, strategy["canary"]);
    if (blue_green) checkBlueGreen(strategy["blueGreen"]);
    return errors_;
  }

 private:
  void add(std::string field, std::string message) {
    errors_.push_back(
        {0, obj_["metadata"].value("name", ""), std::move(field), std::move(message)});
  }

  void checkSelectorAndTemplate(const kube::Rollout& ro) {
    if (ro.spec.workloadRef) return;  // selector and template come from the referenced workload
    const json& sel = ro.spec.selector;
    if (sel.is_null()) {
      add("spec.selector", fill(kMissingFieldMessage, ".spec.selector"));
      return;
    }
    bool empty = sel.value("matchLabels", json::object()).empty() &&
                 sel.value("matchExpressions", json::array()).empty();
    if (empty) add("spec.selector", kSelectAllMessage);
    if (!obj_["spec"].contains("template")) {
      add("spec.template", fill(kMissingFieldMessage, ".spec.template"));
      return;
    }
    json labels =
        ro.spec.template_.value("metadata", json::object()).value("labels", json::object());
    const json match_labels = sel.value("matchLabels", json::object());
    for (const auto& [k, v] : match_labels.items()) {
      if (!labels.contains(k) || labels[k] != v) {
        add("spec.template.metadata.labels", kSelectorMismatchMessage);
        break;
      }
    }
  }

  static bool isZero(const std::optional<json>& v) {
    if (!v) return false;
    if (v->is_number_integer()) return v->get<int64_t>() == 0;
    return v->is_string() && (v->get<std::string>() == "0" || v->get<std::string>() == "0%");
  }

  // validation.go requireCanaryStableServices.
  static bool requiresServices(const json& tr, bool ping_pong) {
    auto has = [&](const char* k) { return tr.contains(k) && !tr[k].is_null(); };
    if (has("alb") && !ping_pong) return true;
    if (has("istio") && !ping_pong &&
        (!tr["istio"].is_object() || !tr["istio"].contains("destinationRule"))) {
      return true;
    }
    for (const char* k : {"smi", "apisix", "ambassador", "nginx", "appMesh", "traefik"}) {
      if (has(k)) return true;
    }
    return false;
  }

  void checkCanary(const kube::CanaryStrategy& c, const json& raw) {
    const std::string base = "spec.strategy.canary";
    bool routed = c.trafficRouting.has_value() && !c.trafficRouting->is_null();
    std::optional<json> surge = c.maxSurge, unavailable = c.maxUnavailable;
    if (isZero(surge) && isZero(unavailable)) add(base + ".maxSurge", kMaxSurgeUnavailableMessage);
    if (routed && requiresServices(*c.trafficRouting, raw.contains("pingPong"))) {
      if (c.stableService.empty()) add(base + ".stableService", kTrafficServicesMessage);
      if (c.canaryService.empty()) add(base + ".canaryService", kTrafficServicesMessage);
    }
    if (!c.canaryService.empty() && c.canaryService == c.stableService) {
      add(base + ".stableService", kSameCanaryStableMessage);
    }
    if (c.dynamicStableScale && c.scaleDownDelaySeconds) {
      add(base + ".dynamicStableScale", kDynamicStableScaleMessage);
    }
    int max_weight = 100;
    if (routed && c.trafficRouting->contains("maxTrafficWeight") &&
        (*c.trafficRouting)["maxTrafficWeight"].is_number_integer()) {
      max_weight = (*c.trafficRouting)["maxTrafficWeight"].get<int>();
    }
    std::set<std::string> managed(c.managedRoutes.begin(), c.managedRoutes.end());
    const json& steps = raw.value("steps", json::array());
    for (size_t i = 0; i < c.steps.size(); ++i) {
      checkStep(c.steps[i], steps[i], base + ".steps[" + std::to_string(i) + "]", routed,
                max_weight, managed);
    }
  }

  void checkStep(const kube::CanaryStep& s, const json& raw, const std::string& path, bool routed,
                 int max_weight, const std::set<std::string>& managed) {
    // Argo (validation.go): a step needs at least one kind, and at most one of setWeight, pause,
    // experiment and analysis; route and scale steps may be combined with them.
    int exclusive =
        (s.setWeight ? 1 : 0) + (s.pause ? 1 : 0) + (s.experiment ? 1 : 0) + (s.analysis ? 1 : 0);
    if (s.fieldCount() == 0 || exclusive > 1) add(path, kStepMessage);
    if (s.setWeight && (*s.setWeight < 0 || *s.setWeight > max_weight)) {
      add(path + ".setWeight", fill(kSetWeightMessage, std::to_string(max_weight)));
    }
    if (raw.contains("pause") && raw["pause"].is_object() && raw["pause"].contains("duration")) {
      auto d = kube::parseDurationSeconds(raw["pause"]["duration"]);
      if (!d.ok() || d.value() < 0) add(path + ".pause.duration", kDurationMessage);
    }
    if (s.setHeaderRoute) {
      if (!routed) add(path + ".setHeaderRoute", kHeaderRouteMessage);
      checkRouteName(*s.setHeaderRoute, path + ".setHeaderRoute", managed);
      const json& match = s.setHeaderRoute->value("match", json::array());
      for (size_t j = 0; j < match.size(); ++j) {
        checkStringMatch(match[j].value("headerValue", json::object()),
                         path + ".setHeaderRoute.match[" + std::to_string(j) + "].headerValue");
      }
    }
    if (s.setMirrorRoute) {
      if (!routed) add(path + ".setMirrorRoute", kMirrorRouteMessage);
      checkRouteName(*s.setMirrorRoute, path + ".setMirrorRoute", managed);
    }
  }

  void checkRouteName(const json& route, const std::string& path,
                      const std::set<std::string>& managed) {
    std::string name = route.value("name", "");
    if (name.empty()) {
      add(path + ".name", fill(kMissingFieldMessage, "." + path + ".name"));
    } else if (!managed.count(name)) {
      add(path + ".name", kManagedRouteMessage);
    }
  }

  void checkStringMatch(const json& m, const std::string& path) {
    int n = 0;
    for (const char* k : {"exact", "regex", "prefix"}) n += m.contains(k) ? 1 : 0;
    if (n != 1) add(path, kStringMatchMessage);
  }

  void checkBlueGreen(const json& bg) {
    const std::string base = "spec.strategy.blueGreen";
    std::string active = bg.value("activeService", ""), preview = bg.value("previewService", "");
    if (active.empty()) {
      add(base + ".activeService", fill(kMissingFieldMessage, "." + base + ".activeService"));
    }
    if (!active.empty() && active == preview) {
      add(base + ".previewService", kSameActivePreviewMessage);
    }
  }

  const json& obj_;
  std::vector<LintError> errors_;
};

}  // namespace

std::vector<LintError> lintRollout(const nlohmann::json& rollout) {
  if (!rollout.is_object()) return {{0, "", "", "expected an object"}};
  json copy = rollout;  // gives absent metadata/spec a value for the const lookups below
  if (!copy.contains("metadata") || !copy["metadata"].is_object())
    copy["metadata"] = json::object();
  if (!copy.contains("spec") || !copy["spec"].is_object()) {
    return {{0, copy["metadata"].value("name", ""), "spec", fill(kMissingFieldMessage, ".spec")}};
  }
  return Linter(copy).run();
}

std::vector<LintError> lintText(const std::string& text, int* checked) {
  std::vector<LintError> errors;
  int rollouts = 0;
  for (const YamlDocument& doc : splitYamlDocuments(text)) {
    auto parsed = yamlToJson(doc.text);
    if (!parsed.ok()) {
      errors.push_back({doc.index, "", "",
                        parsed.status().message() + " (document starting at line " +
                            std::to_string(doc.first_line) + ")"});
      continue;
    }
    const json& obj = parsed.value();
    if (!obj.is_object() || obj.value("kind", "") != "Rollout") continue;
    ++rollouts;
    for (LintError e : lintRollout(obj)) {
      e.document = doc.index;
      errors.push_back(std::move(e));
    }
  }
  if (checked) *checked = rollouts;
  return errors;
}

std::string formatLintError(const LintError& e) {
  std::string s = "document " + std::to_string(e.document + 1);
  if (!e.name.empty()) s += " (rollout " + e.name + ")";
  s += ": ";
  if (!e.field.empty()) s += e.field + ": ";
  return s + e.message;
}

}  // namespace vane::cli
