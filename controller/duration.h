// Rollout duration tracking (Argo rollout/sync.go calculateStatusDuration, types.go
// RolloutDurationStatus): status.duration records when the current update started, the time it
// spent waiting for a human (spec.paused, an indefinite pause step, an Inconclusive analysis or
// experiment, a blue-green pause without auto-promotion), and how it ended. A finished update is
// observed once by the rollout_duration_seconds histograms, after the status that records it
// has been written: a restarted controller reads finishedAt back and does not observe it again.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kube/status.h"

namespace vane::controller {

struct RolloutContext;

inline constexpr const char* kCompletionPromoted = "Promoted";
inline constexpr const char* kCompletionFastPromoted = "FastPromoted";
inline constexpr const char* kCompletionAborted = "Aborted";
inline constexpr const char* kCompletionSuperseded = "Superseded";
inline constexpr const char* kCompletionRolledBack = "RolledBack";
inline constexpr const char* kCompletionFastRolledBack = "FastRolledBack";
/// Warning event (Vane's own) when status.duration does not decode; it is dropped.
inline constexpr const char* kEventDurationInvalid = "InvalidDurationStatus";

/// status.duration; times are unix seconds, written as RFC 3339.
struct RolloutDuration {
  std::optional<int64_t> rolloutStartedAt, manualPauseStartedAt, finishedAt;
  std::optional<int64_t> totalManualPauseDurationSeconds;
  std::string completionStatus;  // "" while the outcome is unknown

  /// Finished: started and finishedAt set (IsCompleted).
  bool completed() const { return rolloutStartedAt && finishedAt; }
  /// Adds the open manual pause (if any) to the total.
  void closeManualPause(int64_t now);
  /// CompleteRollout: closes an open manual pause into the total, sets finishedAt and status.
  void complete(int64_t now, const std::string& status);
  int64_t totalSeconds() const { return completed() ? *finishedAt - *rolloutStartedAt : 0; }
  int64_t manualPauseSeconds() const { return totalManualPauseDurationSeconds.value_or(0); }
};

/// Decodes status.duration; kInvalid naming the field ("status.duration.finishedAt: ...").
Result<RolloutDuration> decodeRolloutDuration(const nlohmann::json& duration);
/// The JSON Argo writes (omitempty: unset fields are absent; a set total of 0 is written).
nlohmann::json toJson(const RolloutDuration& duration);

/// Updates ctx.newStatus's status.duration from the status computed so far (pause status,
/// conditions and phase must be final), and sets ctx.completedDuration when an update finished
/// (promoted, aborted, rolled back or superseded) in this reconcile. No-op with InvalidSpec.
void calculateDuration(RolloutContext& ctx);

}  // namespace vane::controller
