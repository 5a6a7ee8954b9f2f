#include "cli/rollout_view.h"

#include <algorithm>
#include <set>

#include "cli/patches.h"
#include "controller/conditions.h"
#include "kube/json_access.h"
#include "kube/types.h"

namespace vane::cli {
namespace {

using nlohmann::json;

constexpr const char* kTemplateNameAnnotation = "experiment.argoproj.io/template-name";

using kube::at;
using kube::str;
int num(const json& v) { return v.is_number_integer() ? v.get<int>() : 0; }
int64_t created(const json& obj) {
  return kube::parseTime(str(at(obj, {"metadata", "creationTimestamp"}))).value_or(0);
}
int64_t revision(const json& obj) {
  try {
    return std::stoll(str(at(obj, {"metadata", "annotations", controller::kAnnotationRevision})));
  } catch (const std::exception&) {
    return 0;
  }
}

int maxTrafficWeight(const json& ro) {
  const json& w = at(ro, {"spec", "strategy", "canary", "trafficRouting", "maxTrafficWeight"});
  return w.is_number_integer() ? w.get<int>() : 100;
}

// The current step (nullptr when none or done) and its index.
const json* currentStep(const json& ro, int* index) {
  const json& steps = at(ro, {"spec", "strategy", "canary", "steps"});
  *index = -1;
  if (!steps.is_array() || steps.empty()) return nullptr;
  *index = num(at(ro, {"status", "currentStepIndex"}));
  if (*index >= static_cast<int>(steps.size())) return nullptr;
  return &steps[*index];
}

std::string rolloutIcon(const std::string& status) {
  if (status == "Progressing") return kIconProgressing;
  if (status == "Error" || status == "InvalidSpec") return kIconWarning;
  if (status == "Paused") return kIconPaused;
  if (status == "Healthy") return kIconOK;
  if (status == "Degraded") return kIconBad;
  if (status == "Unknown") return kIconUnknown;
  if (status == "ScaledDown") return kIconNeutral;
  return " ";
}

// replicaset_info.go getReplicaSetHealth.
std::string replicaSetHealth(const json& rs) {
  int64_t gen = at(rs, {"metadata", "generation"}).is_number_integer()
                    ? at(rs, {"metadata", "generation"}).get<int64_t>()
                    : 0;
  int64_t observed = at(rs, {"status", "observedGeneration"}).is_number_integer()
                         ? at(rs, {"status", "observedGeneration"}).get<int64_t>()
                         : 0;
  const json& spec_replicas = at(rs, {"spec", "replicas"});
  if (gen > observed) return "Progressing";
  const json& conds = at(rs, {"status", "conditions"});
  if (conds.is_array()) {
    for (const json& c : conds) {
      if (c.value("type", "") == "ReplicaFailure" && c.value("status", "") == "True") {
        return "ReplicaFailure";
      }
    }
  }
  if (spec_replicas.is_number_integer() &&
      num(at(rs, {"status", "availableReplicas"})) < spec_replicas.get<int>()) {
    return "Progressing";
  }
  if (spec_replicas.is_number_integer() && spec_replicas.get<int>() == 0) return "ScaledDown";
  return "Healthy";
}

std::string replicaSetIcon(const std::string& status) {
  if (status == "Progressing") return kIconProgressing;
  if (status == "Healthy") return kIconOK;
  if (status == "ReplicaFailure") return kIconBad;
  if (status == "ScaledDown") return kIconNeutral;
  return " ";
}

std::string podIcon(const std::string& s) {
  auto starts = [&](const char* p) { return s.rfind(p, 0) == 0; };
  if (starts("Init:")) return kIconProgressing;
  if (starts("Signal:") || starts("ExitCode:")) return kIconBad;
  if ((s.size() >= 5 && s.compare(s.size() - 5, 5, "Error") == 0) || starts("Err")) {
    return kIconWarning;
  }
  if (s == "Pending" || s == "Terminating" || s == "ContainerCreating") return kIconProgressing;
  if (s == "Running" || s == "Completed") return kIconOK;
  if (s == "Failed" || s == "InvalidImageName" || s == "CrashLoopBackOff") return kIconBad;
  if (s == "ImagePullBackOff" || s == "RegistryUnavailable") return kIconWarning;
  if (s == "Unknown") return kIconUnknown;
  return " ";
}

// pod_info.go newPodInfo, without init-container detail.
PodView podView(const json& pod) {
  PodView v;
  v.name = str(at(pod, {"metadata", "name"}));
  v.created = created(pod);
  std::string reason = str(at(pod, {"status", "phase"}));
  if (!str(at(pod, {"status", "reason"})).empty()) reason = str(at(pod, {"status", "reason"}));
  int ready = 0;
  const json& statuses = at(pod, {"status", "containerStatuses"});
  bool running = false;
  if (statuses.is_array()) {
    for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
      v.restarts += num((*it).value("restartCount", json(0)));
      const json& st = (*it).value("state", json::object());
      if (!str(at(st, {"waiting", "reason"})).empty()) {
        reason = str(at(st, {"waiting", "reason"}));
      } else if (!str(at(st, {"terminated", "reason"})).empty()) {
        reason = str(at(st, {"terminated", "reason"}));
      } else if (st.contains("terminated")) {
        reason = "ExitCode:" + std::to_string(num(at(st, {"terminated", "exitCode"})));
      } else if ((*it).value("ready", false) && st.contains("running")) {
        running = true;
        ++ready;
      }
    }
  }
  if (reason == "Completed" && running) reason = "Running";
  if (!at(pod, {"metadata", "deletionTimestamp"}).is_null()) reason = "Terminating";
  const json& containers = at(pod, {"spec", "containers"});
  v.status = reason;
  v.icon = podIcon(reason);
  v.ready =
      std::to_string(ready) + "/" + std::to_string(containers.is_array() ? containers.size() : 0);
  return v;
}

// replicaset_info.go GetReplicaSetInfo; ro is null for an Experiment's ReplicaSets.
ReplicaSetView replicaSetView(const json* ro, const json& rs, const std::vector<json>& pods) {
  ReplicaSetView v;
  v.name = str(at(rs, {"metadata", "name"}));
  v.created = created(rs);
  v.revision = revision(rs);
  v.status = replicaSetHealth(rs);
  v.icon = replicaSetIcon(v.status);
  v.replicas = num(at(rs, {"status", "replicas"}));
  v.available = num(at(rs, {"status", "availableReplicas"}));
  v.scaleDownDeadline =
      str(at(rs, {"metadata", "annotations", controller::kAnnotationScaleDownDeadline}));
  v.templateName = str(at(rs, {"metadata", "annotations", kTemplateNameAnnotation}));
  std::string hash = str(at(rs, {"metadata", "labels", controller::kLabelPodTemplateHash}));
  if (ro && !hash.empty()) {
    bool canary = !at(*ro, {"spec", "strategy", "canary"}).is_null();
    bool blue_green = !at(*ro, {"spec", "strategy", "blueGreen"}).is_null();
    if ((canary || blue_green) && hash == str(at(*ro, {"status", "stableRS"}))) {
      v.stable = true;
    } else if (canary && hash == str(at(*ro, {"status", "currentPodHash"}))) {
      v.canary = true;
    }
    if (blue_green) {
      if (hash == str(at(*ro, {"status", "blueGreen", "activeSelector"}))) {
        v.active = true;
      } else if (hash == str(at(*ro, {"status", "blueGreen", "previewSelector"}))) {
        v.preview = true;
      }
    }
  }
  const json& containers = at(rs, {"spec", "template", "spec", "containers"});
  if (containers.is_array()) {
    for (const json& c : containers) v.images.push_back(c.value("image", ""));
  }
  std::string uid = str(at(rs, {"metadata", "uid"}));
  for (const json& pod : pods) {
    if (!uid.empty() && ownedBy(pod, uid)) v.pods.push_back(podView(pod));
  }
  std::sort(v.pods.begin(), v.pods.end(),
            [](const PodView& a, const PodView& b) { return a.name < b.name; });
  return v;
}

// The judge provider's latest measurement of a metric result: metadata.judgement (the whole
// judgement as JSON) and one explanation per judge metric under its name.
void judgedMetrics(const json& result, AnalysisRunView& v) {
  const json& ms = result.value("measurements", json::array());
  if (!ms.is_array() || ms.empty()) return;
  const json& meta = ms.back().value("metadata", json::object());
  if (!meta.is_object() || !meta.contains("judgement") || !meta["judgement"].is_string()) return;
  const json j = json::parse(meta["judgement"].get<std::string>(), nullptr, false);
  if (!j.is_object()) return;
  if (j.contains("score") && j["score"].is_number()) {
    v.judgeScore = std::to_string(static_cast<int64_t>(j["score"].get<double>()));
  }
  for (const json& m : j.value("metrics", json::array())) {
    if (!m.is_object()) continue;
    JudgedMetricView jm;
    jm.name = m.value("name", "");
    jm.classification = m.value("classification", "");
    std::string text = meta.value(jm.name, "");
    // explain() starts "<name> <Label>"; the row shows those in their own columns.
    const std::string head = jm.name + " " + jm.classification;
    if (text.rfind(head, 0) == 0) text = text.substr(head.size());
    if (text.rfind(": ", 0) == 0 || text.rfind(", ", 0) == 0) text = text.substr(2);
    jm.detail = text;
    v.judged.push_back(std::move(jm));
  }
}

AnalysisRunView analysisRunView(const json& ar) {
  AnalysisRunView v;
  v.name = str(at(ar, {"metadata", "name"}));
  v.created = created(ar);
  v.revision = revision(ar);
  v.status = str(at(ar, {"status", "phase"}));
  v.icon = analysisPhaseIcon(v.status);
  const json& results = at(ar, {"status", "metricResults"});
  if (results.is_array()) {
    for (const json& r : results) {
      v.successful += num(r.value("successful", json(0)));
      v.failed += num(r.value("failed", json(0)));
      v.inconclusive += num(r.value("inconclusive", json(0)));
      v.error += num(r.value("error", json(0)));
      judgedMetrics(r, v);
    }
  }
  return v;
}

// info.go mergeTags: the union, sorted.
std::vector<std::string> mergeTags(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b) {
  std::set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  return {all.begin(), all.end()};
}

}  // namespace

void mergeImage(std::vector<ImageView>& images, const ImageView& img) {
  auto it = std::find_if(images.begin(), images.end(),
                         [&](const ImageView& i) { return i.image == img.image; });
  if (it == images.end()) {
    images.push_back(img);
  } else {
    it->tags = mergeTags(it->tags, img.tags);
  }
  std::stable_sort(images.begin(), images.end(),
                   [](const ImageView& a, const ImageView& b) { return a.image < b.image; });
}

std::vector<ReplicaSetView> ownedReplicaSets(const json* ro, const std::string& owner_uid,
                                             const std::vector<json>& replicasets,
                                             const std::vector<json>& pods) {
  std::vector<ReplicaSetView> out;
  if (owner_uid.empty()) return out;
  for (const json& rs : replicasets) {
    if (ownedBy(rs, owner_uid)) out.push_back(replicaSetView(ro, rs, pods));
  }
  std::sort(out.begin(), out.end(), [](const ReplicaSetView& a, const ReplicaSetView& b) {
    return a.revision != b.revision ? a.revision > b.revision : a.name < b.name;
  });
  return out;
}

std::vector<AnalysisRunView> ownedAnalysisRuns(const std::string& owner_uid,
                                               const std::vector<json>& analysisruns) {
  std::vector<AnalysisRunView> out;
  if (owner_uid.empty()) return out;
  for (const json& ar : analysisruns) {
    if (ownedBy(ar, owner_uid)) out.push_back(analysisRunView(ar));
  }
  std::sort(out.begin(), out.end(),
            [](const AnalysisRunView& a, const AnalysisRunView& b) { return a.name < b.name; });
  return out;
}

PhaseMessage rolloutPhase(const json& ro) {
  const json& observed = at(ro, {"status", "observedGeneration"});
  const json& gen = at(ro, {"metadata", "generation"});
  if (observed.is_string() && gen.is_number_integer()) {
    try {
      size_t used = 0;
      int64_t o = std::stoll(observed.get<std::string>(), &used);
      if (used == observed.get<std::string>().size() && o < gen.get<int64_t>()) {
        return {"Progressing", "waiting for rollout spec update to be observed"};
      }
    } catch (const std::exception&) {
      // a non-numeric observedGeneration (v0.9 hash) counts as observed
    }
  }
  const json& pcs = at(ro, {"status", "pauseConditions"});
  if (at(ro, {"status", "controllerPause"}) == true && (!pcs.is_array() || pcs.empty())) {
    return {"Progressing", "waiting for rollout to unpause"};
  }
  return {str(at(ro, {"status", "phase"})), str(at(ro, {"status", "message"}))};
}

int currentSetWeight(const json& ro) {
  if (at(ro, {"status", "abort"}) == true) return 0;
  int index = -1;
  const json* step = currentStep(ro, &index);
  if (!step) return maxTrafficWeight(ro);
  const json& steps = at(ro, {"spec", "strategy", "canary", "steps"});
  for (int i = index; i >= 0; --i) {
    if (steps[i].contains("setWeight") && steps[i]["setWeight"].is_number_integer()) {
      return steps[i]["setWeight"].get<int>();
    }
  }
  return 0;
}

RolloutView buildRolloutView(const json& ro, const std::vector<json>& replicasets,
                             const std::vector<json>& pods, const std::vector<json>& analysisruns,
                             const std::vector<json>& experiments) {
  RolloutView v;
  v.name = str(at(ro, {"metadata", "name"}));
  v.namespace_ = str(at(ro, {"metadata", "namespace"}));
  v.created = created(ro);
  std::string uid = str(at(ro, {"metadata", "uid"}));
  v.replicaSets = ownedReplicaSets(&ro, uid, replicasets, pods);
  v.analysisRuns = ownedAnalysisRuns(uid, analysisruns);
  for (const json& exp : experiments) {
    if (!uid.empty() && ownedBy(exp, uid)) {
      v.experiments.push_back(buildExperimentView(exp, replicasets, pods, analysisruns));
    }
  }
  // experiment_info.go getExperimentInfo: newest revision first, then oldest first.
  std::sort(v.experiments.begin(), v.experiments.end(),
            [](const ExperimentView& a, const ExperimentView& b) {
              if (a.revision != b.revision) return a.revision > b.revision;
              if (a.created != b.created) return a.created < b.created;
              return a.name < b.name;
            });
  if (!at(ro, {"spec", "strategy", "canary"}).is_null()) {
    v.strategy = "Canary";
    const json& steps = at(ro, {"spec", "strategy", "canary", "steps"});
    const json& idx = at(ro, {"status", "currentStepIndex"});
    if (idx.is_number_integer() && steps.is_array() && !steps.empty()) {
      v.step = std::to_string(idx.get<int>()) + "/" + std::to_string(steps.size());
    }
    v.setWeight = std::to_string(currentSetWeight(ro));
    v.actualWeight = "0";
    int index = -1;
    int available = num(at(ro, {"status", "availableReplicas"}));
    bool routed = !at(ro, {"spec", "strategy", "canary", "trafficRouting"}).is_null();
    if (!currentStep(ro, &index)) {
      v.actualWeight = std::to_string(maxTrafficWeight(ro));
    } else if (available > 0 && !routed) {
      for (const ReplicaSetView& rs : v.replicaSets) {
        if (rs.canary)
          v.actualWeight = std::to_string(rs.available * maxTrafficWeight(ro) / available);
      }
    } else if (available > 0) {
      const json& w = at(ro, {"status", "canary", "weights", "canary", "weight"});
      v.actualWeight = w.is_number_integer() ? std::to_string(w.get<int>()) : v.setWeight;
    }
  } else if (!at(ro, {"spec", "strategy", "blueGreen"}).is_null()) {
    v.strategy = "BlueGreen";
  }
  PhaseMessage pm = rolloutPhase(ro);
  v.status = pm.phase;
  v.message = pm.message;
  v.icon = rolloutIcon(v.status);
  const json& replicas = at(ro, {"spec", "replicas"});
  v.desired = replicas.is_number_integer() ? replicas.get<int>() : 1;
  v.current = num(at(ro, {"status", "replicas"}));
  v.updated = num(at(ro, {"status", "updatedReplicas"}));
  v.ready = num(at(ro, {"status", "readyReplicas"}));
  v.available = num(at(ro, {"status", "availableReplicas"}));
  // rollout_info.go Images.
  for (const ReplicaSetView& rs : v.replicaSets) {
    if (rs.replicas <= 0) continue;
    std::vector<std::string> tags;
    if (rs.canary) tags.push_back("canary");
    if (rs.stable) tags.push_back("stable");
    if (rs.active) tags.push_back("active");
    if (rs.preview) tags.push_back("preview");
    for (const std::string& image : rs.images) mergeImage(v.images, {image, tags});
  }
  for (const ExperimentView& exp : v.experiments) {
    for (const ImageView& image : experimentImages(exp)) mergeImage(v.images, image);
  }
  return v;
}

}  // namespace vane::cli
