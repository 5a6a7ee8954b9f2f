// What `kubectl vane get rollout` and `list rollouts` show, computed from the API objects alone
// (Argo's pkg/kubectl-argo-rollouts/info): phase, step, weights, images, the revision tree.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vane::cli {

// Icons of the tree view (argo-rollouts.md 1.15).
inline constexpr const char* kIconRollout = "⟳";
inline constexpr const char* kIconRevision = "#";
inline constexpr const char* kIconReplicaSet = "⧉";
inline constexpr const char* kIconPod = "□";
inline constexpr const char* kIconAnalysisRun = "α";
inline constexpr const char* kIconOK = "✔";
inline constexpr const char* kIconBad = "✖";
inline constexpr const char* kIconProgressing = "◌";
inline constexpr const char* kIconWarning = "⚠";
inline constexpr const char* kIconUnknown = "?";
inline constexpr const char* kIconPaused = "॥";
inline constexpr const char* kIconNeutral = "•";
inline constexpr const char* kIconWaiting = "◷";

struct PhaseMessage {
  std::string phase, message;
};
/// rolloututil.GetRolloutPhase: generation not observed / unpausing overrides, else status.
PhaseMessage rolloutPhase(const nlohmann::json& rollout);
/// replicasetutil.GetCurrentSetWeight: 0 when aborted, max weight when steps are done.
int currentSetWeight(const nlohmann::json& rollout);

struct PodView {
  std::string name, status, icon, ready;
  int restarts = 0;
  int64_t created = 0;
};
struct ReplicaSetView {
  std::string name, status, icon, scaleDownDeadline;
  int64_t revision = 0, created = 0;
  bool stable = false, canary = false, active = false, preview = false;
  int replicas = 0, available = 0;
  std::vector<std::string> images;
  std::vector<PodView> pods;
};
struct AnalysisRunView {
  std::string name, status, icon;
  int64_t revision = 0, created = 0;
  int successful = 0, failed = 0, inconclusive = 0, error = 0;
};
struct ImageView {
  std::string image;
  std::vector<std::string> tags;
};
struct RolloutView {
  std::string name, namespace_, status, message, icon, strategy, step, setWeight, actualWeight;
  int64_t created = 0;
  int desired = 1, current = 0, updated = 0, ready = 0, available = 0;
  std::vector<ImageView> images;
  std::vector<ReplicaSetView> replicaSets;  // newest revision first
  std::vector<AnalysisRunView> analysisRuns;
};

/// Builds the view from the Rollout and the namespace's ReplicaSets, Pods and AnalysisRuns (only
/// those owned by the Rollout / its ReplicaSets are used).
RolloutView buildRolloutView(const nlohmann::json& rollout,
                             const std::vector<nlohmann::json>& replicasets,
                             const std::vector<nlohmann::json>& pods,
                             const std::vector<nlohmann::json>& analysisruns);

/// The `get rollout` text: header block, blank line, tree (ages relative to now_unix).
std::string renderRollout(const RolloutView& view, int64_t now_unix, bool color);
/// The view as JSON (`get rollout -o json`).
nlohmann::json rolloutViewJson(const RolloutView& view);
/// `list rollouts`: NAME STRATEGY STATUS STEP SET-WEIGHT READY DESIRED UP-TO-DATE AVAILABLE.
std::string renderRolloutList(const std::vector<nlohmann::json>& rollouts, bool all_namespaces);

}  // namespace vane::cli
