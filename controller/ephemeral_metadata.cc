#include "controller/ephemeral_metadata.h"

#include "controller/conditions.h"

namespace vane::controller {

using nlohmann::json;
using Metadata = std::optional<kube::PodTemplateMetadata>;

namespace {

// {new-ReplicaSet metadata, stable metadata}: canary/stable or preview/active.
std::pair<Metadata, Metadata> strategyMetadata(const kube::Rollout& ro) {
  if (ro.spec.canary) return {ro.spec.canary->canaryMetadata, ro.spec.canary->stableMetadata};
  if (ro.spec.blueGreen) {
    return {ro.spec.blueGreen->previewMetadata, ro.spec.blueGreen->activeMetadata};
  }
  return {};
}

// A string map as Go's json.Marshal writes it: keys sorted, and <, > and & escaped as \u003c,
// \u003e and \u0026 (they only occur inside strings, so a plain replace is exact).
std::string mapJson(const kube::Labels& m) {
  json obj = json::object();
  for (const auto& [k, v] : m) obj[k] = v;
  std::string out;
  for (char c : obj.dump()) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out;
}

kube::Labels stringMap(const json& obj, const char* key) {
  kube::Labels out;
  if (!obj.contains(key) || !obj[key].is_object()) return out;
  for (auto it = obj[key].begin(); it != obj[key].end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

bool ownedBy(const json& pod, const std::string& uid) {
  auto p = json::json_pointer("/metadata/ownerReferences");
  if (uid.empty() || !pod.contains(p) || !pod.at(p).is_array()) return false;
  for (const auto& ref : pod.at(p)) {
    if (ref.is_object() && ref.value("uid", "") == uid) return true;
  }
  return false;
}

// syncEphemeralMetadata: the ReplicaSet first (pods it creates from now on carry the metadata),
// then its running pods, whose previous metadata is what the annotation recorded before.
void syncReplicaSet(RolloutContext& ctx, const kube::ReplicaSet* rs, const Metadata& desired) {
  if (rs == nullptr) return;
  const Metadata existing = existingEphemeralMetadata(*rs);
  const json meta =
      rs->template_.is_object() ? rs->template_.value("metadata", json::object()) : json::object();
  json patch = ephemeralMetadataPatch(meta, existing, desired);
  if (!patch.is_null()) {
    json annotation = desired ? json(ephemeralMetadataJson(*desired)) : json(nullptr);
    ctx.actions.push_back(PatchReplicaSet{
        rs->metadata.name,
        json{{"metadata", {{"annotations", {{kAnnotationEphemeralMetadata, annotation}}}}},
             {"spec", {{"template", {{"metadata", patch}}}}}}});
  }
  if (rs->replicas == 0) return;
  for (const json& pod : ctx.pods) {
    if (!ownedBy(pod, rs->metadata.uid)) continue;
    json pod_patch =
        ephemeralMetadataPatch(pod.value("metadata", json::object()), existing, desired);
    if (pod_patch.is_null()) continue;
    ctx.actions.push_back(
        PatchPod{pod["metadata"].value("name", ""), json{{"metadata", pod_patch}}});
  }
}

}  // namespace

bool hasEphemeralMetadata(const kube::Rollout& ro) {
  auto [fresh, stable] = strategyMetadata(ro);
  return fresh.has_value() || stable.has_value();
}

Metadata existingEphemeralMetadata(const kube::ReplicaSet& rs) {
  auto it = rs.metadata.annotations.find(kAnnotationEphemeralMetadata);
  if (it == rs.metadata.annotations.end()) return std::nullopt;
  json parsed = json::parse(it->second, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return kube::PodTemplateMetadata{stringMap(parsed, "labels"), stringMap(parsed, "annotations")};
}

json ephemeralMetadataPatch(const json& meta, const Metadata& existing, const Metadata& desired) {
  json patch = json::object();
  auto section = [&](const char* key, const kube::Labels* want, const kube::Labels* had) {
    const json cur = meta.is_object() && meta.contains(key) && meta[key].is_object()
                         ? meta[key]
                         : json::object();
    json p = json::object();
    if (want != nullptr) {
      for (const auto& [k, v] : *want) {
        if (!cur.contains(k) || cur[k] != json(v)) p[k] = v;
      }
    }
    if (had != nullptr) {
      for (const auto& [k, v] : *had) {
        if ((want == nullptr || want->count(k) == 0) && cur.contains(k)) p[k] = nullptr;
      }
    }
    if (!p.empty()) patch[key] = p;
  };
  section("labels", desired ? &desired->labels : nullptr, existing ? &existing->labels : nullptr);
  section("annotations", desired ? &desired->annotations : nullptr,
          existing ? &existing->annotations : nullptr);
  return patch.empty() ? json() : patch;
}

std::string ephemeralMetadataJson(const kube::PodTemplateMetadata& m) {
  std::string out;
  if (!m.labels.empty()) out += "\"labels\":" + mapJson(m.labels);
  if (!m.annotations.empty()) {
    out += (out.empty() ? "" : ",") + std::string("\"annotations\":") + mapJson(m.annotations);
  }
  return "{" + out + "}";
}

void injectEphemeralMetadata(const RolloutContext& ctx, json& rs) {
  auto [fresh, stable] = strategyMetadata(ctx.rollout);
  // A stable ReplicaSet exists: this one is the canary (preview); else it becomes the stable.
  const Metadata& desired = ctx.stableRS != nullptr ? fresh : stable;
  json& meta = rs["spec"]["template"]["metadata"];
  json patch = ephemeralMetadataPatch(meta, std::nullopt, desired);
  if (patch.is_null()) return;
  meta.merge_patch(patch);
  rs["metadata"]["annotations"][kAnnotationEphemeralMetadata] = ephemeralMetadataJson(*desired);
}

json templateWithoutEphemeralMetadata(const kube::ReplicaSet& rs) {
  json t = rs.template_.is_object() ? rs.template_ : json::object();
  const Metadata existing = existingEphemeralMetadata(rs);
  if (!existing) return t;
  json patch = ephemeralMetadataPatch(t.value("metadata", json::object()), existing, std::nullopt);
  if (!patch.is_null()) t["metadata"].merge_patch(patch);
  return t;
}

void planEphemeralMetadata(RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (!hasEphemeralMetadata(ro)) return;
  auto [fresh, stable] = strategyMetadata(ro);
  const bool rolled_out =
      ro.status.stableRS.empty() ||
      (ctx.newRS != nullptr && ro.status.stableRS == ctx.newRS->podTemplateHash());
  if (rolled_out) {
    // Steady state: the new ReplicaSet is the stable one; there is no canary.
    syncReplicaSet(ctx, ctx.newRS, stable);
  } else {
    syncReplicaSet(ctx, ctx.newRS, fresh);
    syncReplicaSet(ctx, ctx.stableRS, stable);
  }
  for (const kube::ReplicaSet* rs : ctx.otherRSs) syncReplicaSet(ctx, rs, std::nullopt);
}

}  // namespace vane::controller
