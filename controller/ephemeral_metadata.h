// Ephemeral metadata (Argo rollout/ephemeralmetadata.go, utils/replicaset/canary.go
// SyncReplicaSetEphemeralPodMetadata): canaryMetadata/previewMetadata label and annotate the pods
// of the new ReplicaSet while it is not yet stable, stableMetadata/activeMetadata those of the
// stable one. What was injected is recorded in the ReplicaSet annotation
// rollout.argoproj.io/ephemeral-metadata, so that it can be removed again (other ReplicaSets)
// or swapped on promotion without touching metadata others own; the running pods are patched
// in place, never recreated.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "controller/context.h"

namespace vane::controller {

/// hasEphemeralMetadataConfigured: any of canary/stable (or preview/active) metadata is set.
bool hasEphemeralMetadata(const kube::Rollout& rollout);

/// ParseExistingPodMetadata: the rollout.argoproj.io/ephemeral-metadata annotation of rs;
/// nullopt when absent or unparsable.
std::optional<kube::PodTemplateMetadata> existingEphemeralMetadata(const kube::ReplicaSet& rs);

/// SyncEphemeralPodMetadata as a merge patch of an ObjectMeta (`meta` holds labels and
/// annotations): the desired keys set, the keys injected before (`existing`) and no longer
/// desired removed (null). Null when nothing changes.
nlohmann::json ephemeralMetadataPatch(const nlohmann::json& meta,
                                      const std::optional<kube::PodTemplateMetadata>& existing,
                                      const std::optional<kube::PodTemplateMetadata>& desired);

/// The annotation value as Argo's json.Marshal writes it: {"labels":{..},"annotations":{..}},
/// empty maps omitted, keys sorted.
std::string ephemeralMetadataJson(const kube::PodTemplateMetadata& metadata);

/// createDesiredReplicaSet: the metadata injected into the ReplicaSet planned for creation
/// (ReplicaSet JSON `rs`): canary/preview when a stable ReplicaSet exists, else stable/active.
void injectEphemeralMetadata(const RolloutContext& ctx, nlohmann::json& rs);

/// rs's pod template without the metadata its annotation says was injected (what adoption by
/// template equality compares, as Argo FindNewReplicaSet does).
nlohmann::json templateWithoutEphemeralMetadata(const kube::ReplicaSet& rs);

/// reconcileEphemeralMetadata, after the new ReplicaSet is known: fully rolled out (no
/// status.stableRS, or it is the new one) the new ReplicaSet gets stable/active metadata, else
/// canary/preview, and the stable one stable/active; every other ReplicaSet gets none. Plans
/// kPatchReplicaSet for a template that differs, then kPatchPod for each pod (ctx.pods) of a
/// ReplicaSet with replicas whose labels/annotations differ.
void planEphemeralMetadata(RolloutContext& ctx);

}  // namespace vane::controller
