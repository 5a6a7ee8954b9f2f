// The intents `kubectl vane` writes, as pure functions of the objects read: exactly the patches
// Argo's plugin sends (pkg/kubectl-argo-rollouts/cmd/*, argo-rollouts.md 1.14), so that either
// controller reacts the same way. No I/O here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kube/status.h"

namespace vane::cli {

/// Merge patches for one command. `status` goes to the status subresource; when the server has no
/// status subresource (NotFound) `unified` replaces `spec` on the main resource (Argo's fallback).
struct PatchPlan {
  std::optional<nlohmann::json> spec;
  std::optional<nlohmann::json> status;
  std::optional<nlohmann::json> unified;
};

/// `promote` (full=false) and `promote --full` (cmd/promote/promote.go getPatches).
PatchPlan promotePlan(const nlohmann::json& rollout, bool full);
/// `abort`: {"status":{"abort":true}}.
nlohmann::json abortPatch();
/// `retry rollout`: {"status":{"abort":false}}.
nlohmann::json retryPatch();
/// `retry experiment`: {"status":null}, a merge patch that drops the whole status so the
/// controller starts the Experiment over (cmd/retry/retry.go).
nlohmann::json retryExperimentPatch();
/// `pause`: {"spec":{"paused":true}}.
nlohmann::json pausePatch();
/// `terminate analysisrun|experiment`: {"spec":{"terminate":true}} (cmd/terminate/terminate.go).
nlohmann::json terminatePatch();
/// `restart [--in D]`: {"spec":{"restartAt":"<RFC3339 UTC>"}} for now + in_seconds.
nlohmann::json restartPatch(int64_t now_unix, int64_t in_seconds);

/// Parses a Go-style duration for --in / --timeout ("30s", "5m", "1h30m", "90"); kBadRequest names
/// the flag.
Result<int64_t> parseFlagDuration(const std::string& flag, const std::string& value);

/// `set image NAME CONTAINER=IMAGE`: splits the argument (kBadRequest naming it when malformed).
Result<std::pair<std::string, std::string>> parseContainerImage(const std::string& arg);
/// Returns the object with the image of the named container (init, regular and ephemeral;
/// "*" = all) replaced; kNotFound `unable to find container named "x"` when none matched.
Result<nlohmann::json> setImage(nlohmann::json object, const std::string& container,
                                const std::string& image);

/// `undo [--to-revision N]`: the JSON patch replacing /spec/template with the template of the
/// ReplicaSet at that revision (0: the previous one), hash label removed. `replicasets` are the
/// Rollout's own ReplicaSets. nullopt (with *skipped set) when the template already matches.
struct UndoResult {
  std::optional<nlohmann::json> patch;  // JSON patch document; nullopt: nothing to do
  int64_t revision = 0;                 // revision restored
};
Result<UndoResult> undoPatch(const nlohmann::json& rollout,
                             const std::vector<nlohmann::json>& replicasets, int64_t to_revision);

/// True when `owner_uid` is the controller (or any) owner of obj.
bool ownedBy(const nlohmann::json& obj, const std::string& owner_uid);

}  // namespace vane::cli
