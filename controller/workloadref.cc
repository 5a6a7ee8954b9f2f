#include "controller/workloadref.h"

#include "controller/conditions.h"
#include "controller/hash.h"

namespace vane::controller {

using nlohmann::json;

namespace {

std::string groupOf(const std::string& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}
std::string versionOf(const std::string& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? api_version : api_version.substr(slash + 1);
}

// The ObjectRef as Go's json.Marshal writes it (field order, omitempty), which is how
// field.Invalid renders a struct value.
std::string refJson(const kube::WorkloadRef& r) {
  std::string out;
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string&>{"apiVersion", r.apiVersion},
        {"kind", r.kind},
        {"name", r.name},
        {"scaleDown", r.scaleDown}}) {
    if (value.empty()) continue;
    out += (out.empty() ? "" : ",") + json(key).dump() + ":" + json(value).dump();
  }
  return "{" + out + "}";
}

int32_t workloadReplicas(const json& workload) {
  auto p = json::json_pointer("/spec/replicas");
  return workload.contains(p) && workload.at(p).is_number_integer() ? workload.at(p).get<int32_t>()
                                                                    : 1;
}

// Argo scaleDeployment: spec.replicas of the Deployment to max(0, target) when it differs.
void scaleDeployment(RolloutContext& ctx, int32_t target, bool log_only) {
  const kube::WorkloadRef& ref = *ctx.rollout.spec.workloadRef;
  if (ref.kind != "Deployment" || !ctx.workload.is_object()) return;
  target = std::max(target, 0);
  if (workloadReplicas(ctx.workload) == target) return;
  ctx.actions.push_back(ScaleDeployment{ref.name, target, log_only});
}

bool scaleDownMode(const RolloutContext& ctx, const char* mode) {
  const auto& ref = ctx.rollout.spec.workloadRef;
  return ref && ref->scaleDown == mode && ctx.newRS != nullptr &&
         ctx.newRS->revision().value_or(0) == 1;
}

}  // namespace

std::optional<kube::Resource> workloadResource(const kube::WorkloadRef& ref) {
  const std::string group = groupOf(ref.apiVersion), version = versionOf(ref.apiVersion);
  if (group == "apps" && ref.kind == "Deployment") {
    return kube::Resource{group, version, "deployments", "Deployment", true};
  }
  if (group == "apps" && ref.kind == "ReplicaSet") {
    return kube::Resource{group, version, "replicasets", "ReplicaSet", true};
  }
  if (group.empty() && ref.kind == "PodTemplate") {
    return kube::Resource{group, version, "podtemplates", "PodTemplate", true};
  }
  return std::nullopt;
}

std::string resolveWorkloadRef(RolloutContext& ctx, const json* workload) {
  kube::Rollout& ro = ctx.rollout;
  const kube::WorkloadRef& ref = *ro.spec.workloadRef;
  auto invalid = [&](const std::string& why) {
    return "The Rollout \"" + ro.metadata.name +
           "\" is invalid: spec.workloadRef: Invalid value: " + refJson(ref) + ": " + why;
  };
  // EmptyTemplate: semantic equality with an empty PodTemplateSpec.
  if (canonicalTemplate(ro.spec.template_) != "{}") {
    return invalid(kMessageWorkloadTemplateNotEmpty);
  }
  auto resource = workloadResource(ref);
  const std::string group = groupOf(ref.apiVersion);
  if (!resource)
    return invalid(format(kMessageWorkloadNotSupported, group.c_str(), ref.kind.c_str()));
  if (workload == nullptr || !workload->is_object()) {
    // The lister's NotFound: `deployments.apps "web" not found`.
    const std::string qualified = resource->resource + (group.empty() ? "" : "." + group);
    return invalid(qualified + " " + json(ref.name).dump() + " not found");
  }
  const bool pod_template = ref.kind == "PodTemplate";
  auto tp = json::json_pointer(pod_template ? "/template" : "/spec/template");
  if (workload->contains(tp) && workload->at(tp).is_object()) ro.spec.template_ = workload->at(tp);
  auto sp = json::json_pointer("/spec/selector");
  if (ro.spec.selector.is_null() && !pod_template && workload->contains(sp) &&
      workload->at(sp).is_object()) {
    ro.spec.selector = workload->at(sp);
  }
  ctx.workload = *workload;
  return "";
}

std::string workloadGeneration(const RolloutContext& ctx) {
  if (!ctx.rollout.spec.workloadRef || !ctx.workload.is_object()) return "";
  auto p = json::json_pointer("/metadata/generation");
  const int64_t g = ctx.workload.contains(p) && ctx.workload.at(p).is_number_integer()
                        ? ctx.workload.at(p).get<int64_t>()
                        : 0;
  return std::to_string(g);
}

void planWorkloadGeneration(RolloutContext& ctx) {
  const auto& annotations = ctx.rollout.metadata.annotations;
  auto current = annotations.find(kAnnotationWorkloadGeneration);
  const std::string gen = workloadGeneration(ctx);
  if (gen.empty()) {
    // RemoveRolloutWorkloadRefGeneration: the reference was dropped.
    if (!ctx.rollout.spec.workloadRef && current != annotations.end()) {
      ctx.actions.push_back(AnnotateRollout{ctx.rollout.metadata.name,
                                            json{{kAnnotationWorkloadGeneration, nullptr}}});
    }
    return;
  }
  if (current == annotations.end() || current->second != gen) {
    ctx.actions.push_back(
        AnnotateRollout{ctx.rollout.metadata.name, json{{kAnnotationWorkloadGeneration, gen}}});
  }
  // SetNewReplicaSetAnnotations copies the Rollout's annotations to the new ReplicaSet.
  if (ctx.newRS != nullptr && ctx.newRS->annotation(kAnnotationWorkloadGeneration) != gen) {
    ctx.actions.push_back(
        AnnotateReplicaSet{ctx.newRS->metadata.name, json{{kAnnotationWorkloadGeneration, gen}}});
  }
}

void setWorkloadObservedGeneration(RolloutContext& ctx) {
  json& rest = ctx.newStatus.rest;
  if (!rest.is_object()) rest = json::object();
  const std::string gen = workloadGeneration(ctx);
  if (gen.empty()) {
    rest.erase("workloadObservedGeneration");
  } else {
    rest["workloadObservedGeneration"] = gen;
  }
}

void planProgressiveScaleDown(RolloutContext& ctx, int32_t new_replicas) {
  if (!scaleDownMode(ctx, kScaleDownProgressively)) return;
  const kube::Rollout& ro = ctx.rollout;
  // Healthy: to 0, so that an HPA or KEDA on the Deployment does not fight the Rollout.
  if (ro.status.phase == kPhaseHealthy) {
    scaleDeployment(ctx, 0, true);
    return;
  }
  // Otherwise the Deployment keeps what the Rollout cannot serve yet (and grows back when the
  // new ReplicaSet is scaled down).
  if (ro.spec.replicas && (ro.status.readyReplicas > 0 || ctx.newRS->replicas > new_replicas)) {
    scaleDeployment(ctx, *ro.spec.replicas - ro.status.readyReplicas, true);
  }
}

void planScaleDownOnSuccess(RolloutContext& ctx) {
  if (!scaleDownMode(ctx, kScaleDownOnSuccess)) return;
  if (ctx.rollout.status.phase == kPhaseHealthy) scaleDeployment(ctx, 0, false);
}

}  // namespace vane::controller
