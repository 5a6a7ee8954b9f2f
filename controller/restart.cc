#include "controller/restart.h"

#include <algorithm>
#include <iostream>

#include "base/log.h"
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
  json uids = json::array();
  int32_t total = 0;
  for (const kube::ReplicaSet* rs : restartOrder(ctx)) {
    uids.push_back(rs->metadata.uid);
    total += rs->replicas;
  }
  ctx.actions.push_back({Action::Kind::kRestartPods, ro.metadata.name, 0,
                         json{{"restartAt", *at},
                              {"replicaSets", uids},
                              {"replicas", ro.spec.replicasOrDefault()},
                              {"totalReplicas", total},
                              {"maxUnavailable", restartMaxUnavailable(ro)},
                              {"minReadySeconds", ro.spec.minReadySeconds},
                              {"stopOnRestart", ro.spec.canary.has_value()}}});
}

Result<PodRestartResult> restartPods(const json& body, const std::vector<json>& pods, int64_t now,
                                     const std::function<Status(const json&)>& evict) {
  const int64_t restart_at = body.value("restartAt", int64_t{0});
  const int32_t replicas = body.value("replicas", 0);
  const int32_t total = body.value("totalReplicas", 0);
  const int32_t min_ready = body.value("minReadySeconds", 0);
  // maxUnavailable may be 0: at least one pod can always be restarted.
  const int32_t concurrent = std::max(body.value("maxUnavailable", 0), 1);
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

namespace {

// The pods of the ReplicaSets (uids in restart order), grouped in that order, by name within.
std::vector<json> inRestartOrder(const json& uids, const std::vector<json>& pods) {
  std::vector<json> out;
  for (const json& uid : uids) {
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

}  // namespace

Result<int32_t> executePodRestart(RolloutContext& ctx, const Action& a, kube::Client& client,
                                  const kube::Informer* pods) {
  const std::string& ns = ctx.rollout.metadata.namespace_;
  const std::string key = ns + "/" + ctx.rollout.metadata.name;
  if (pods == nullptr) {
    log::warn("spec.restartAt is set but this controller has no pod cache; pods are not restarted",
              {{"namespace", ns}, {"rollout", ctx.rollout.metadata.name}});
    return 0;
  }
  const json uids = a.body.value("replicaSets", json::array());
  std::vector<json> cached;
  for (const json& uid : uids) {
    for (const auto& p : pods->byIndex(kube::kIndexOwner, uid.get<std::string>())) {
      cached.push_back(*p);
    }
  }
  // The cache tells whether any pod is left to restart (old pods only ever disappear). Which
  // pods may go now is decided on a fresh list, as Argo does: the cache may not have seen the
  // deletions of the previous reconcile yet, and would overrate availability.
  const int64_t restart_at = a.body.value("restartAt", int64_t{0});
  const bool any_left = std::any_of(cached.begin(), cached.end(),
                                    [&](const json& p) { return podCreated(p) < restart_at; });
  PodRestartResult result;
  if (any_left) {
    kube::ListOptions opts;
    opts.label_selector = formatLabelSelector(ctx.rollout.spec.selector);
    auto list = client.list(kube::resources::kPods, ns, opts);
    if (!list) return list.status();
    std::vector<json> live;
    for (const json& p : list->value("items", json::array())) live.push_back(p);
    auto r = restartPods(a.body, inRestartOrder(uids, live), ctx.now, [&](const json& pod) {
      Status s = client.remove(kube::resources::kPods, ns, podName(pod));
      return s.code() == Code::kNotFound ? Status::ok() : s;
    });
    if (!r) return r.status();
    result = *r;
  }
  if (result.restarted > 0) {
    log::info("restarted pods created before spec.restartAt",
              {{"namespace", ns},
               {"rollout", ctx.rollout.metadata.name},
               {"restarted", result.restarted},
               {"needRestart", result.needsRestart}});
  }
  if (result.needsRestart != result.restarted) {
    ctx.requeueNoLaterThan(ctx.now + kRestartCheckSeconds);
  } else {
    setRestartedAt(ctx);
    auto [phase, message] = calculatePhase(ctx.rollout, ctx.newStatus);
    ctx.newStatus.phase = phase;
    ctx.newStatus.message = message;
  }
  return result.restarted;
}

}  // namespace vane::controller
