#include "cli/lint.h"

#include "cli/yaml_docs.h"
#include "controller/conditions.h"
#include "controller/context.h"
#include "controller/validation.h"
#include "kube/types.h"

namespace vane::cli {
namespace {

using nlohmann::json;

// The manifest-level checks the API server would make, then the controller's validation.
std::vector<LintError> lintDecoded(const json& obj) {
  std::vector<LintError> errors;
  const std::string name = obj["metadata"].value("name", "");
  auto add = [&](std::string field, std::string message) {
    errors.push_back({0, name, std::move(field), std::move(message)});
  };
  auto decoded = kube::decodeRollout(obj);
  if (!decoded.ok()) {
    add(decoded.status().field(), decoded.status().message());
    return errors;
  }
  const kube::Rollout& ro = decoded.value();
  if (ro.metadata.name.empty() && !obj["metadata"].contains("generateName")) {
    add("metadata.name", controller::format(controller::kMessageMissingField, ".metadata.name"));
  }
  if (!ro.spec.workloadRef && !obj["spec"].contains("template")) {
    add("spec.template", controller::format(controller::kMessageMissingField, ".spec.template"));
  }
  for (const controller::SpecError& e : controller::validateRolloutSpec(ro)) {
    add(e.field, e.detail);
  }
  return errors;
}

}  // namespace

std::vector<LintError> lintRollout(const nlohmann::json& rollout) {
  if (!rollout.is_object()) return {{0, "", "", "expected an object"}};
  json copy = rollout;  // gives absent metadata/spec a value for the const lookups below
  if (!copy.contains("metadata") || !copy["metadata"].is_object())
    copy["metadata"] = json::object();
  if (!copy.contains("spec") || !copy["spec"].is_object()) {
    return {{0, copy["metadata"].value("name", ""), "spec",
             controller::format(controller::kMessageMissingField, ".spec")}};
  }
  return lintDecoded(copy);
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
    for (LintError w : lintUnsupported(obj)) {
      w.document = doc.index;
      errors.push_back(std::move(w));
    }
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
  std::string s =
      std::string(e.warning ? "warning: " : "") + "document " + std::to_string(e.document + 1);
  if (!e.name.empty()) s += " (rollout " + e.name + ")";
  s += ": ";
  if (!e.field.empty()) s += e.field + ": ";
  return s + e.message;
}

}  // namespace vane::cli
