#include "cli/patches.h"

#include "base/duration.h"
#include "base/flags.h"
#include "controller/conditions.h"
#include "kube/json_access.h"
#include "kube/types.h"

namespace vane::cli {
namespace {

using nlohmann::json;

using kube::at;

// replicasetutil.GetCurrentCanaryStep: nullopt without canary steps, else the index (0 if unset).
std::optional<int64_t> currentStepIndex(const json& ro, size_t* n_steps) {
  const json& steps = at(ro, {"spec", "strategy", "canary", "steps"});
  *n_steps = steps.is_array() ? steps.size() : 0;
  if (*n_steps == 0) return std::nullopt;
  const json& idx = at(ro, {"status", "currentStepIndex"});
  return idx.is_number_integer() ? idx.get<int64_t>() : 0;
}

std::optional<int64_t> nextStepIndex(const json& ro) {
  size_t n = 0;
  auto idx = currentStepIndex(ro, &n);
  if (!idx) return std::nullopt;
  return *idx < static_cast<int64_t>(n) ? *idx + 1 : *idx;
}

bool hasPauseConditions(const json& ro) {
  const json& pc = at(ro, {"status", "pauseConditions"});
  return pc.is_array() && !pc.empty();
}

}  // namespace

PatchPlan promotePlan(const json& ro, bool full) {
  PatchPlan plan;
  bool paused = at(ro, {"spec", "paused"}) == true;
  if (full) {
    if (paused) plan.spec = json{{"spec", {{"paused", false}}}};
    if (at(ro, {"status", "currentPodHash"}) != at(ro, {"status", "stableRS"})) {
      plan.status = json{{"status", {{"promoteFull", true}}}};
    }
    plan.unified = json{{"spec", {{"paused", false}}}, {"status", {{"promoteFull", true}}}};
    return plan;
  }
  plan.unified = json{{"spec", {{"paused", false}}}, {"status", {{"pauseConditions", nullptr}}}};
  if (paused) plan.spec = json{{"spec", {{"paused", false}}}};
  bool canary = !at(ro, {"spec", "strategy", "canary"}).is_null();
  bool inconclusive = canary && at(ro, {"status", "canary", "currentStepAnalysisRunStatus",
                                        "status"}) == "Inconclusive";
  if (inconclusive && hasPauseConditions(ro) && at(ro, {"status", "controllerPause"}) == true) {
    if (auto next = nextStepIndex(ro)) {
      plan.status = json{{"status",
                          {{"pauseConditions", nullptr},
                           {"controllerPause", false},
                           {"currentStepIndex", *next}}}};
    }
  } else if (hasPauseConditions(ro)) {
    plan.status = json{{"status", {{"pauseConditions", nullptr}}}};
  } else if (canary) {
    // Promoting while an analysis or experiment step runs skips that step (never both clearing
    // pause conditions and moving the index).
    if (auto next = nextStepIndex(ro)) {
      plan.status = json{{"status", {{"pauseConditions", nullptr}, {"currentStepIndex", *next}}}};
      plan.unified = json{{"spec", {{"paused", false}}},
                          {"status", {{"pauseConditions", nullptr}, {"currentStepIndex", *next}}}};
    }
  }
  return plan;
}

json abortPatch() { return {{"status", {{"abort", true}}}}; }
json retryPatch() { return {{"status", {{"abort", false}}}}; }
json pausePatch() { return {{"spec", {{"paused", true}}}}; }
json retryExperimentPatch() { return {{"status", nullptr}}; }
json terminatePatch() { return {{"spec", {{"terminate", true}}}}; }

json restartPatch(int64_t now_unix, int64_t in_seconds) {
  return {{"spec", {{"restartAt", kube::formatTime(now_unix + in_seconds)}}}};
}

Result<int64_t> parseFlagDuration(const std::string& flag, const std::string& value) {
  const base::FlagSpec spec(flag, 0, base::FlagKind::kDuration, "");
  if (Status st = base::checkFlagValue(spec, flag, value); !st.isOk()) return st;
  return std::chrono::duration_cast<std::chrono::seconds>(*base::parseDuration(value)).count();
}

Result<std::pair<std::string, std::string>> parseContainerImage(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size() ||
      arg.find('=', eq + 1) != std::string::npos) {
    return Status(Code::kBadRequest,
                  "invalid argument \"" + arg + "\": expected CONTAINER=IMAGE (or *=IMAGE)");
  }
  return std::make_pair(arg.substr(0, eq), arg.substr(eq + 1));
}

Result<json> setImage(json obj, const std::string& container, const std::string& image) {
  bool found = false;
  json* pod_spec = nullptr;
  if (obj.contains("spec") && obj["spec"].contains("template") &&
      obj["spec"]["template"].contains("spec")) {
    pod_spec = &obj["spec"]["template"]["spec"];
  }
  for (const char* list : {"initContainers", "containers", "ephemeralContainers"}) {
    if (!pod_spec || !pod_spec->contains(list) || !(*pod_spec)[list].is_array()) continue;
    for (json& c : (*pod_spec)[list]) {
      if (container == "*" || c.value("name", "") == container) {
        c["image"] = image;
        found = true;
      }
    }
  }
  if (!found) {
    return Status(Code::kNotFound, "unable to find container named \"" + container + "\"");
  }
  return obj;
}

bool ownedBy(const json& obj, const std::string& owner_uid) {
  const json& refs = at(obj, {"metadata", "ownerReferences"});
  if (!refs.is_array()) return false;
  for (const json& r : refs) {
    if (r.value("uid", "") == owner_uid) return true;
  }
  return false;
}

Result<UndoResult> undoPatch(const json& ro, const std::vector<json>& replicasets,
                             int64_t to_revision) {
  const json* latest = nullptr;
  const json* previous = nullptr;
  int64_t latest_rev = -1, previous_rev = -1;
  for (const json& rs : replicasets) {
    const json& ann = at(rs, {"metadata", "annotations", controller::kAnnotationRevision});
    if (!ann.is_string()) continue;
    int64_t v = 0;
    try {
      v = std::stoll(ann.get<std::string>());
    } catch (const std::exception&) {
      continue;
    }
    if (to_revision == 0) {
      if (latest_rev < v) {
        previous_rev = latest_rev;
        previous = latest;
        latest_rev = v;
        latest = &rs;
      } else if (previous_rev < v) {
        previous_rev = v;
        previous = &rs;
      }
    } else if (v == to_revision) {
      previous = &rs;
      previous_rev = v;
      break;
    }
  }
  if (!previous && to_revision > 0) {
    return Status(Code::kNotFound, "unable to find specified revision " +
                                       std::to_string(to_revision) + " in history");
  }
  if (!previous) {
    const json& name = at(ro, {"metadata", "name"});
    return Status(Code::kNotFound, "no revision found for rollout \"" +
                                       (name.is_string() ? name.get<std::string>() : "") + "\"");
  }
  json tmpl = at(*previous, {"spec", "template"});
  if (tmpl.contains("metadata") && tmpl["metadata"].contains("labels")) {
    tmpl["metadata"]["labels"].erase(controller::kLabelPodTemplateHash);
  }
  UndoResult out;
  out.revision = previous_rev;
  if (tmpl == at(ro, {"spec", "template"})) return out;
  out.patch = json::array({{{"op", "replace"}, {"path", "/spec/template"}, {"value", tmpl}}});
  return out;
}

}  // namespace vane::cli
