#include "analysis/run_builder.h"

#include <algorithm>
#include <set>

#include "analysis/analysis_spec.h"
#include "analysis/args.h"

namespace vane::analysis {

namespace {

constexpr int kMaxTemplateDepth = 10;

struct Merged {
  json metrics = json::array();
  std::vector<Argument> args;
  json dryRun = json::array();
  json retention = json::array();
  std::set<std::string> metric_names;
};

Status mergeTemplate(const json& tmpl, const std::string& kind, Merged& out,
                     const TemplateLookups& lookups, const std::string& ns, int depth);

Status resolveRefs(const json& refs, Merged& out, const TemplateLookups& lookups,
                   const std::string& ns, int depth) {
  if (depth > kMaxTemplateDepth) {
    return Status(Code::kInvalid, "analysis templates nest deeper than " +
                                      std::to_string(kMaxTemplateDepth) + " (a cycle?)");
  }
  if (!refs.is_array()) return Status::ok();
  for (size_t i = 0; i < refs.size(); ++i) {
    const json& ref = refs[i];
    std::string name = ref.is_object() ? ref.value("templateName", "") : "";
    bool cluster = ref.is_object() && ref.value("clusterScope", false);
    std::string field = "templates[" + std::to_string(i) + "].templateName";
    if (name.empty()) return Status(Code::kInvalid, "templateName is required", field);
    Result<json> t =
        cluster
            ? (lookups.clusterAnalysisTemplate ? lookups.clusterAnalysisTemplate(name)
                                               : Result<json>(Status(Code::kNotFound, "no lookup")))
            : (lookups.analysisTemplate ? lookups.analysisTemplate(ns, name)
                                        : Result<json>(Status(Code::kNotFound, "no lookup")));
    std::string kind = cluster ? "ClusterAnalysisTemplate" : "AnalysisTemplate";
    if (!t) {
      Status st(t.status().code(), kind + " \"" + name + "\" not found: " + t.status().message(),
                field);
      return st;
    }
    if (Status s = mergeTemplate(*t, kind + " \"" + name + "\"", out, lookups, ns, depth + 1); !s) {
      return s;
    }
  }
  return Status::ok();
}

Status mergeTemplate(const json& tmpl, const std::string& kind, Merged& out,
                     const TemplateLookups& lookups, const std::string& ns, int depth) {
  auto spec = decodeAnalysisSpec(tmpl);
  if (!spec) return Status(Code::kInvalid, kind + ": " + spec.status().toString());
  for (const auto& m : spec->metrics) {
    std::string name = m.value("name", "");
    if (!out.metric_names.insert(name).second) {
      return Status(Code::kInvalid, "two metrics have the same name \"" + name + "\"");
    }
    out.metrics.push_back(m);
  }
  for (const auto& a : spec->args) {
    auto it = std::find_if(out.args.begin(), out.args.end(),
                           [&](const Argument& b) { return b.name == a.name; });
    if (it == out.args.end()) {
      out.args.push_back(a);
    } else if (!it->value && !it->hasValueFrom()) {
      *it = a;
    }
  }
  for (const auto& d : spec->dryRun) out.dryRun.push_back({{"metricName", d}});
  for (const auto& [n, l] : spec->retention)
    out.retention.push_back({{"metricName", n}, {"limit", l}});
  return resolveRefs(spec->templates, out, lookups, ns, depth);
}

// Rollout-side values: valueFrom.fieldRef on the Rollout, podTemplateHashValue from the hashes.
Status applyRolloutArgs(const RunRequest& req, std::vector<Argument>& args) {
  std::vector<Argument> given;
  if (req.analysis.contains("args")) {
    auto g = decodeArgs(req.analysis["args"], "args");
    if (!g) return g.status();
    given = std::move(g).value();
  }
  for (auto& a : args) {
    for (const auto& g : given) {
      if (g.name == a.name && (g.value || g.hasValueFrom())) a = g;
    }
    if (a.fieldPath) {
      auto v = resolveFieldPath(req.rollout, *a.fieldPath);
      if (!v) return Status(Code::kInvalid, "args." + a.name + ": " + v.status().message());
      a = Argument{a.name, *v, {}, {}, {}, {}};
    } else if (a.podTemplateHashValue) {
      std::string latest = req.latest_hash.empty() ? req.pod_template_hash : req.latest_hash;
      if (*a.podTemplateHashValue == "Stable") {
        a = Argument{a.name, req.stable_hash, {}, {}, {}, {}};
      } else if (*a.podTemplateHashValue == "Latest") {
        a = Argument{a.name, latest, {}, {}, {}, {}};
      } else {
        return Status(Code::kInvalid,
                      "args." + a.name + ": podTemplateHashValue must be Stable or Latest");
      }
    }
    if (!a.value && !a.secretName)
      return Status(Code::kInvalid, "args." + a.name + " was not resolved");
  }
  return Status::ok();
}

json ownerReference(const json& rollout) {
  const json& md = rollout["metadata"];
  return {
      {"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "Rollout"},  {"name", md.value("name", "")},
      {"uid", md.value("uid", "")},           {"controller", true}, {"blockOwnerDeletion", true}};
}

}  // namespace

std::string_view runTypeLabel(RunType t) {
  switch (t) {
    case RunType::kStep:
      return "Step";
    case RunType::kBackground:
      return "Background";
    case RunType::kPrePromotion:
      return "PrePromotion";
    case RunType::kPostPromotion:
      return "PostPromotion";
  }
  return "";
}

std::string analysisRunName(const std::string& rollout, const std::string& hash,
                            const std::string& revision, RunType type, int step_index) {
  std::string name = rollout + "-" + hash + "-" + revision;
  switch (type) {
    case RunType::kStep:
      return name + "-" + std::to_string(step_index);
    case RunType::kPrePromotion:
      return name + "-pre";
    case RunType::kPostPromotion:
      return name + "-post";
    case RunType::kBackground:
      return name;
  }
  return name;
}

Result<json> buildAnalysisRun(const RunRequest& req, const TemplateLookups& lookups) {
  if (!req.rollout.is_object() || !req.rollout.contains("metadata")) {
    return Status(Code::kInvalid, "rollout has no metadata");
  }
  const json& md = req.rollout["metadata"];
  std::string ns = md.value("namespace", "");
  Merged merged;
  const json refs =
      req.analysis.is_object() ? req.analysis.value("templates", json::array()) : json::array();
  if (refs.empty()) return Status(Code::kInvalid, "no analysis templates referenced", "templates");
  if (Status s = resolveRefs(refs, merged, lookups, ns, 0); !s) return s;
  if (Status s = applyRolloutArgs(req, merged.args); !s) return s;
  for (const auto& d : req.analysis.value("dryRun", json::array())) merged.dryRun.push_back(d);
  for (const auto& r : req.analysis.value("measurementRetention", json::array()))
    merged.retention.push_back(r);

  std::string revision;
  if (md.contains("annotations") && md["annotations"].is_object()) {
    revision = md["annotations"].value(std::string(kAnnotationRevision), "");
  }
  json labels = json::object();
  const json selector = req.rollout.value(json::json_pointer("/spec/selector/matchLabels"), json());
  if (selector.is_object()) labels.update(selector);
  labels[std::string(kLabelPodTemplateHash)] = req.pod_template_hash;
  labels[std::string(kLabelRolloutType)] = std::string(runTypeLabel(req.type));
  if (req.type == RunType::kStep)
    labels[std::string(kLabelStepIndex)] = std::to_string(req.step_index);
  // analysisutil.GetInstanceID: the Rollout's controller instance goes with its runs.
  const json instance = req.rollout.value(
      json::json_pointer("/metadata/labels/argo-rollouts.argoproj.io~1controller-instance-id"),
      json());
  if (instance.is_string()) labels[base::kLabelInstanceId] = instance;
  json annotations = {{std::string(kAnnotationRevision), revision}};
  const json meta = req.analysis.value("analysisRunMetadata", json::object());
  if (meta.contains("labels") && meta["labels"].is_object()) labels.update(meta["labels"]);
  if (meta.contains("annotations") && meta["annotations"].is_object())
    annotations.update(meta["annotations"]);

  json run = {{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "AnalysisRun"}};
  run["metadata"] = {{"name", analysisRunName(md.value("name", ""), req.pod_template_hash, revision,
                                              req.type, req.step_index)},
                     {"namespace", ns},
                     {"labels", labels},
                     {"annotations", annotations},
                     {"ownerReferences", json::array({ownerReference(req.rollout)})}};
  json spec = {{"metrics", merged.metrics}};
  if (!merged.args.empty()) spec["args"] = argsToJson(merged.args);
  if (!merged.dryRun.empty()) spec["dryRun"] = merged.dryRun;
  if (!merged.retention.empty()) spec["measurementRetention"] = merged.retention;
  run["spec"] = std::move(spec);
  return run;
}

}  // namespace vane::analysis
