#include "controller/history.h"

#include <algorithm>
#include <map>
#include <set>

#include "analysis/types.h"
#include "controller/conditions.h"
#include "controller/restart.h"

namespace vane::controller {

using nlohmann::json;

namespace {

using analysis::Phase;

bool runDeleting(const kube::AnalysisRun& r) { return !r.metadata.deletionTimestamp.empty(); }

// The run's pod-template-hash label; nullopt when the label is absent.
std::optional<std::string> runHash(const kube::AnalysisRun& r) {
  auto it = r.metadata.labels.find(kLabelPodTemplateHash);
  if (it == r.metadata.labels.end()) return std::nullopt;
  return it->second;
}

// Creation time, then name: a strict order for Argo's sort by creationTimestamp.
bool createdBefore(const std::string& time_a, const std::string& name_a, const std::string& time_b,
                   const std::string& name_b) {
  const int64_t a = kube::parseTime(time_a).value_or(0);
  const int64_t b = kube::parseTime(time_b).value_or(0);
  return a != b ? a < b : name_a < name_b;
}

// Runs the status refers to (before or after this plan) and runs planned for creation: never
// collected (Argo otherArs, and the "rescued" runs of reconcileAnalysisRuns).
std::set<std::string> currentRuns(const RolloutContext& ctx) {
  std::set<std::string> out;
  for (const kube::RolloutStatus* s : {&ctx.rollout.status, &ctx.newStatus}) {
    for (const auto* slot :
         {&s->canary.currentStepAnalysisRunStatus, &s->canary.currentBackgroundAnalysisRunStatus,
          &s->blueGreen.prePromotionAnalysisRunStatus,
          &s->blueGreen.postPromotionAnalysisRunStatus}) {
      if (*slot && !(*slot)->name.empty()) out.insert((*slot)->name);
    }
  }
  for (const CreateAnalysisRun* a : actionsOf<CreateAnalysisRun>(ctx.actions)) out.insert(a->name);
  return out;
}

template <class Delete>
bool deletionPlanned(const RolloutContext& ctx, const std::string& name) {
  for (const Delete* d : actionsOf<Delete>(ctx.actions)) {
    if (d->name == name) return true;
  }
  return false;
}

void planDeleteRun(RolloutContext& ctx, const std::string& name) {
  if (!deletionPlanned<DeleteAnalysisRun>(ctx, name)) {
    ctx.actions.push_back(DeleteAnalysisRun{name});
  }
}

}  // namespace

void planRevisionHistory(RolloutContext& ctx) {
  const int64_t limit = ctx.rollout.spec.revisionHistoryLimit.value_or(10);
  std::vector<const kube::ReplicaSet*> cleanable;
  for (const kube::ReplicaSet* rs : ctx.otherRSs) {
    if (rs->metadata.deletionTimestamp.empty()) cleanable.push_back(rs);
  }
  const int64_t diff = static_cast<int64_t>(cleanable.size()) - limit;
  if (diff <= 0) return;
  std::sort(cleanable.begin(), cleanable.end(), [](const auto* a, const auto* b) {
    return createdBefore(a->metadata.creationTimestamp, a->metadata.name,
                         b->metadata.creationTimestamp, b->metadata.name);
  });
  const std::set<std::string> current = currentRuns(ctx);
  for (int64_t i = 0; i < diff; ++i) {
    const kube::ReplicaSet& rs = *cleanable[i];
    // Only ReplicaSets whose pods are gone and whose scale-down the ReplicaSet controller saw.
    if (rs.status.replicas != 0 || rs.replicas != 0 ||
        rs.metadata.generation > rs.status.observedGeneration) {
      continue;
    }
    if (!deletionPlanned<DeleteReplicaSet>(ctx, rs.metadata.name)) {
      ctx.actions.push_back(DeleteReplicaSet{rs.metadata.name});
    }
    auto label = rs.metadata.labels.find(kLabelPodTemplateHash);
    if (label == rs.metadata.labels.end()) continue;
    for (const kube::AnalysisRun& run : ctx.analysisRuns) {
      if (runHash(run) == label->second && !current.count(run.metadata.name) && !runDeleting(run)) {
        planDeleteRun(ctx, run.metadata.name);
      }
    }
  }
}

std::map<std::string, bool> replicaSetHashes(const RolloutContext& ctx) {
  std::map<std::string, bool> rs_hashes;
  for (const auto& rs : ctx.allRSs) {
    auto label = rs.metadata.labels.find(kLabelPodTemplateHash);
    if (label != rs.metadata.labels.end()) {
      rs_hashes[label->second] = !rs.metadata.deletionTimestamp.empty();
    }
  }
  if (ctx.newRS != nullptr) rs_hashes.emplace(ctx.newRS->podTemplateHash(), false);
  return rs_hashes;
}

std::vector<std::string> analysisRunsToDelete(const RolloutContext& ctx,
                                              const AnalysisRunHistoryLimits& limits) {
  // The cache view leaves out deleted ReplicaSets, whose runs then go as "no matching
  // ReplicaSet", as Argo's "ReplicaSet has a deletionTimestamp".
  const std::map<std::string, bool> rs_hashes = replicaSetHashes(ctx);
  const std::set<std::string> current = currentRuns(ctx);
  std::vector<const kube::AnalysisRun*> others;
  for (const kube::AnalysisRun& run : ctx.analysisRuns) {
    if (!current.count(run.metadata.name)) others.push_back(&run);
  }
  std::sort(others.begin(), others.end(),
            [](const kube::AnalysisRun* a, const kube::AnalysisRun* b) {  // newest first
              return createdBefore(b->metadata.creationTimestamp, b->metadata.name,
                                   a->metadata.creationTimestamp, a->metadata.name);
            });
  int32_t successful = 0, unsuccessful = 0;
  std::vector<std::string> out;
  for (const kube::AnalysisRun* run : others) {
    std::optional<std::string> hash = runHash(*run);
    auto rs = hash ? rs_hashes.find(*hash) : rs_hashes.end();
    const std::optional<Phase>& phase = run->status.phase;
    bool remove = false;
    if (rs == rs_hashes.end() || rs->second) {
      remove = true;
    } else if (phase == Phase::kSuccessful) {
      remove = successful++ >= limits.successful;
    } else if (phase == Phase::kFailed || phase == Phase::kError || phase == Phase::kInconclusive) {
      remove = unsuccessful++ >= limits.unsuccessful;
    }
    if (remove && !runDeleting(*run)) out.push_back(run->metadata.name);
  }
  return out;
}

void planAnalysisRunHistory(RolloutContext& ctx) {
  const kube::RolloutSpec& spec = ctx.rollout.spec;
  AnalysisRunHistoryLimits limits;
  limits.successful = spec.successfulRunHistoryLimit.value_or(limits.successful);
  limits.unsuccessful = spec.unsuccessfulRunHistoryLimit.value_or(limits.unsuccessful);
  for (const std::string& name : analysisRunsToDelete(ctx, limits)) planDeleteRun(ctx, name);
}

void planRestartAndHistory(RolloutContext& ctx) {
  planPodRestart(ctx);
  planRevisionHistory(ctx);
  planAnalysisRunHistory(ctx);
}

}  // namespace vane::controller
