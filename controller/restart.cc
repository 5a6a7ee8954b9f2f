#include "controller/restart.h"

#include <algorithm>

#include "controller/replica_math.h"
#include "controller/sync.h"

namespace vane::controller {

using nlohmann::json;

namespace {

// Argo restartPodCheckTime: deleted pods may come back faster than availability drops.
constexpr int64_t kRestartCheckSeconds = 30;

std::string podName(const json& pod) {
  auto p = json::json_pointer("/metadata/name");
  return pod.contains(p) && pod.at(p).is_string() ? pod.at(p).get<std::string>() : "";
}
bool podDeleting(const json& pod) {
  auto p = json::json_pointer("/metadata/deletionTimestamp");
  return pod.contains(p) && !pod.at(p).is_null();
}
int64_t podCreated(const json& pod) {
  auto p = json::json_pointer("/metadata/creationTimestamp");
  if (!pod.contains(p) || !pod.at(p).is_string()) return 0;
  return kube::parseTime(pod.at(p).get<std::string>()).value_or(0);
}

// Stable first, then new, then older by creation (Argo SortReplicaSetsByPriority).
std::vector<const kube::ReplicaSet*> restartOrder(const RolloutContext& ctx) {
  std::vector<const kube::ReplicaSet*> out;
  for (const auto& rs : ctx.allRSs) out.push_back(&rs);
  auto rank = [&](const kube::ReplicaSet* rs) {
    if (ctx.stableRS != nullptr && rs->metadata.name == ctx.stableRS->metadata.name) return 0;
    if (ctx.newRS != nullptr && rs->metadata.name == ctx.newRS->metadata.name) return 1;
    return 2;
  };
  std::sort(out.begin(), out.end(), [&](const auto* a, const auto* b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    const int64_t ta = kube::parseTime(a->metadata.creationTimestamp).value_or(0);
    const int64_t tb = kube::parseTime(b->metadata.creationTimestamp).value_or(0);
    return ta != tb ? ta < tb : a->metadata.name < b->metadata.name;
  });
  return out;
}

}  // namespace

int32_t restartMaxUnavailable(const kube::Rollout& ro) {
  const int32_t replicas = ro.spec.replicasOrDefault();
  if (replicas == 0) return 0;
  int32_t max_unavailable = 0;
  if (ro.spec.canary) {
    max_unavailable = resolveFenceposts(ro).maxUnavailable;
  } else {
    json value = "25%";
    if (ro.spec.blueGreen && ro.spec.blueGreen->maxUnavailable) {
      value = *ro.spec.blueGreen->maxUnavailable;
    }
    auto v = scaledValue(value, replicas, false);
    max_unavailable = v ? *v : 0;
  }
  return std::min(max_unavailable, replicas);
}

void setRestartedAt(RolloutContext& ctx) {
  const std::string& at = ctx.rollout.spec.restartAt;
  auto t = kube::parseTime(at);
  ctx.newStatus.restartedAt = t ? kube::formatTime(*t) : at;
}

bool restartPending(const kube::Rollout& ro, const kube::RolloutStatus& s) {
  if (ro.spec.restartAt.empty()) return false;
  if (s.restartedAt.empty()) return true;
  auto at = kube::parseTime(ro.spec.restartAt);
  auto done = kube::parseTime(s.restartedAt);
  return at && done ? *at != *done : ro.spec.restartAt != s.restartedAt;
}

void planPodRestart(RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  auto at = kube::parseTime(ro.spec.restartAt);
  if (!at) return;       // unset (the API server's schema admits date-times only)
  if (*at >= ctx.now) {  // Argo checkEnqueueRollout
    ctx.requeueNoLaterThan(*at);
    return;
  }
  if (!restartPending(ro, ro.status)) return;
  RestartPods a;
  a.restartAt = *at;
  for (const kube::ReplicaSet* rs : restartOrder(ctx)) {
    a.replicaSets.push_back(rs->metadata.uid);
    a.totalReplicas += rs->replicas;
  }
  a.replicas = ro.spec.replicasOrDefault();
  a.maxUnavailable = restartMaxUnavailable(ro);
  a.minReadySeconds = ro.spec.minReadySeconds;
  a.stopIfRestarted = ro.spec.canary.has_value();
  ctx.actions.push_back(std::move(a));
}

Result<PodRestartResult> restartPods(const RestartPods& a, const std::vector<json>& pods,
                                     int64_t now, const std::function<Status(const json&)>& evict) {
  const int64_t restart_at = a.restartAt;
  const int32_t replicas = a.replicas;
  const int32_t total = a.totalReplicas;
  const int32_t min_ready = a.minReadySeconds;
  // maxUnavailable may be 0: at least one pod can always be restarted.
  const int32_t concurrent = std::max(a.maxUnavailable, 1);
  int32_t available = 0;
  for (const json& pod : pods) available += kube::podAvailable(pod, min_ready, now) ? 1 : 0;
  int32_t can_restart = available - (std::max(replicas, total) - concurrent);
  PodRestartResult out;
  for (const json& pod : pods) {
    if (podCreated(pod) >= restart_at) continue;
    ++out.needsRestart;
    if (can_restart <= 0 || podDeleting(pod)) continue;
    Status s = evict(pod);
    if (!s) {
      if (s.code() == Code::kTooManyRequests) continue;
      return s;
    }
    --can_restart;
    ++out.restarted;
  }
  return out;
}

bool podsLeftToRestart(const RestartPods& a, const std::vector<json>& pods) {
  return std::any_of(pods.begin(), pods.end(),
                     [&](const json& p) { return podCreated(p) < a.restartAt; });
}

std::vector<json> inRestartOrder(const RestartPods& a, const std::vector<json>& pods) {
  std::vector<json> out;
  for (const std::string& uid : a.replicaSets) {
    const size_t first = out.size();
    for (const json& pod : pods) {
      const json meta = pod.value("metadata", json::object());
      for (const json& ref : meta.value("ownerReferences", json::array())) {
        if (ref.value("uid", "") == uid) {
          out.push_back(pod);
          break;
        }
      }
    }
    std::sort(out.begin() + first, out.end(),
              [](const json& x, const json& y) { return podName(x) < podName(y); });
  }
  return out;
}

void applyPodRestart(RolloutContext& ctx, const PodRestartResult& result) {
  if (result.needsRestart != result.restarted) {
    ctx.requeueNoLaterThan(ctx.now + kRestartCheckSeconds);
    return;
  }
  setRestartedAt(ctx);
  auto [phase, message] = calculatePhase(ctx.rollout, ctx.newStatus);
  ctx.newStatus.phase = phase;
  ctx.newStatus.message = message;
}

}  // namespace vane::controller
