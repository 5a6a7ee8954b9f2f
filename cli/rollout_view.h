// What `kubectl vane get rollout`, `get experiment` and the `list` commands show, computed from the
// API objects alone (Argo's pkg/kubectl-argo-rollouts/info): phase, step, weights, images, the
// revision tree with its Experiments.
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
inline constexpr const char* kIconExperiment = "Σ";
inline constexpr const char* kIconJudgement = "⚖";
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
  std::string templateName;  // experiment.argoproj.io/template-name (Experiment ReplicaSets)
  int64_t revision = 0, created = 0;
  bool stable = false, canary = false, active = false, preview = false;
  int replicas = 0, available = 0;
  std::vector<std::string> images;
  std::vector<PodView> pods;
};
/// One metric of a vane.dev/judge measurement (the latest of its metric): Kayenta's
/// classification and the explanation the judge wrote (interval, estimate, effect size, counts).
struct JudgedMetricView {
  std::string name, classification, detail;
};
struct AnalysisRunView {
  std::string name, status, icon;
  int64_t revision = 0, created = 0;
  int successful = 0, failed = 0, inconclusive = 0, error = 0;
  std::string judgeScore;                // "87" when a judge measurement is present
  std::vector<JudgedMetricView> judged;  // shown under the run in `get rollout`
};
struct ExperimentView {
  std::string name, namespace_, status, message, icon;
  int64_t revision = 0, created = 0;
  std::string duration, remaining;  // `list experiments`: "-" when unset
  std::vector<ReplicaSetView> replicaSets;
  std::vector<AnalysisRunView> analysisRuns;
};
struct ImageView {
  std::string image;
  std::vector<std::string> tags;
};
struct RolloutView {
  std::string name, namespace_, status, message, icon, strategy, step, setWeight, actualWeight;
  int64_t created = 0;
  int desired = 1, current = 0, updated = 0, ready = 0, available = 0;
  std::vector<ImageView> images;            // sorted; experiments' images tagged Σ:<template>
  std::vector<ReplicaSetView> replicaSets;  // newest revision first
  std::vector<AnalysisRunView> analysisRuns;
  std::vector<ExperimentView> experiments;  // owned by the Rollout, newest revision first
};

/// Builds the view from the Rollout and the namespace's ReplicaSets, Pods, AnalysisRuns and
/// Experiments (only those owned by the Rollout, its ReplicaSets or its Experiments are used).
RolloutView buildRolloutView(const nlohmann::json& rollout,
                             const std::vector<nlohmann::json>& replicasets,
                             const std::vector<nlohmann::json>& pods,
                             const std::vector<nlohmann::json>& analysisruns,
                             const std::vector<nlohmann::json>& experiments = {});

/// The ReplicaSets (with their Pods) and AnalysisRuns owned by owner_uid, newest revision first.
/// rollout: the owning Rollout, for the stable/canary/active/preview tags (nullptr: none).
std::vector<ReplicaSetView> ownedReplicaSets(const nlohmann::json* rollout,
                                             const std::string& owner_uid,
                                             const std::vector<nlohmann::json>& replicasets,
                                             const std::vector<nlohmann::json>& pods);
std::vector<AnalysisRunView> ownedAnalysisRuns(const std::string& owner_uid,
                                               const std::vector<nlohmann::json>& analysisruns);

/// One Experiment with its ReplicaSets, Pods and AnalysisRuns (info/experiment_info.go);
/// remaining time relative to now_unix.
ExperimentView buildExperimentView(const nlohmann::json& experiment,
                                   const std::vector<nlohmann::json>& replicasets,
                                   const std::vector<nlohmann::json>& pods,
                                   const std::vector<nlohmann::json>& analysisruns,
                                   int64_t now_unix = 0);
/// experiment_info.go ExperimentImages: images of its scaled-up ReplicaSets, tagged Σ:<template>.
std::vector<ImageView> experimentImages(const ExperimentView& view);
/// Icon of an AnalysisRun or Experiment phase (Successful ✔, Failed ✖, Running ◌, Pending ◷...).
std::string analysisPhaseIcon(const std::string& phase);
/// Argo's mergeImageAndTags: adds an image or merges its tags; images sorted by name.
void mergeImage(std::vector<ImageView>& images, const ImageView& image);

/// The `get rollout` text: header block, blank line, tree (ages relative to now_unix).
std::string renderRollout(const RolloutView& view, int64_t now_unix, bool color);
/// The view as JSON (`get rollout -o json`).
nlohmann::json rolloutViewJson(const RolloutView& view);
/// `get experiment`: header (name, namespace, status, message, images), blank line, tree.
std::string renderExperiment(const ExperimentView& view, int64_t now_unix, bool color);

/// One `list rollouts` row, cells padded to Argo's minimum widths (cmd/list/rollloutinfo.go).
std::vector<std::string> rolloutListRow(const nlohmann::json& rollout, bool all_namespaces);
/// `list rollouts`: NAME STRATEGY STATUS STEP SET-WEIGHT READY DESIRED UP-TO-DATE AVAILABLE.
std::string renderRolloutList(const std::vector<nlohmann::json>& rollouts, bool all_namespaces);
/// `list experiments`: NAME STATUS DURATION REMAINING AGE (cmd/list/list_experiments.go).
std::string renderExperimentList(const std::vector<nlohmann::json>& experiments,
                                 bool all_namespaces, int64_t now_unix);

}  // namespace vane::cli
