// The Experiment half of the view (Argo's info/experiment_info.go, cmd/list/list_experiments.go).
#include "cli/patches.h"
#include "cli/rollout_view.h"
#include "cli/table.h"
#include "controller/conditions.h"
#include "kube/json_access.h"
#include "kube/types.h"

namespace vane::cli {
namespace {

using nlohmann::json;

using kube::at;
using kube::str;

bool completed(const std::string& phase) {
  return phase == "Successful" || phase == "Failed" || phase == "Error" || phase == "Inconclusive";
}

}  // namespace

std::string analysisPhaseIcon(const std::string& phase) {
  if (phase == "Successful") return kIconOK;
  if (phase == "Inconclusive") return kIconUnknown;
  if (phase == "Failed") return kIconBad;
  if (phase == "Error") return kIconWarning;
  if (phase == "Running") return kIconProgressing;
  if (phase == "Pending" || phase.empty()) return kIconWaiting;
  return " ";
}

ExperimentView buildExperimentView(const json& exp, const std::vector<json>& replicasets,
                                   const std::vector<json>& pods,
                                   const std::vector<json>& analysisruns, int64_t now_unix) {
  ExperimentView v;
  v.name = str(at(exp, {"metadata", "name"}));
  v.namespace_ = str(at(exp, {"metadata", "namespace"}));
  v.created = kube::parseTime(str(at(exp, {"metadata", "creationTimestamp"}))).value_or(0);
  try {
    v.revision =
        std::stoll(str(at(exp, {"metadata", "annotations", controller::kAnnotationRevision})));
  } catch (const std::exception&) {
    v.revision = 0;  // Argo's parseRevision: 0 when missing or not a number
  }
  v.status = str(at(exp, {"status", "phase"}));
  v.message = str(at(exp, {"status", "message"}));
  v.icon = analysisPhaseIcon(v.status);
  std::string uid = str(at(exp, {"metadata", "uid"}));
  v.replicaSets = ownedReplicaSets(nullptr, uid, replicasets, pods);
  v.analysisRuns = ownedAnalysisRuns(uid, analysisruns);
  // list_experiments.go: DURATION and REMAINING, "-" unless spec.duration parses.
  v.duration = v.remaining = "-";
  const json& duration = at(exp, {"spec", "duration"});
  if (duration.is_string() && !duration.get<std::string>().empty()) {
    if (auto secs = kube::parseDurationSeconds(duration); secs.ok()) {
      v.duration = humanDuration(secs.value());
      auto available = kube::parseTime(str(at(exp, {"status", "availableAt"})));
      if (!completed(v.status) && available && *available + secs.value() > now_unix) {
        v.remaining = humanDuration(*available + secs.value() - now_unix);
      }
    }
  }
  return v;
}

std::vector<ImageView> experimentImages(const ExperimentView& view) {
  std::vector<ImageView> images;
  for (const ReplicaSetView& rs : view.replicaSets) {
    if (rs.replicas <= 0) continue;
    for (const std::string& image : rs.images) {
      ImageView img{image, {}};
      if (!rs.templateName.empty()) img.tags.push_back("Σ:" + rs.templateName);
      mergeImage(images, img);
    }
  }
  return images;
}

}  // namespace vane::cli
