#include "controller/bluegreen.h"

#include "controller/analysis.h"
#include "controller/conditions.h"
#include "controller/ephemeral_metadata.h"
#include "controller/history.h"
#include "controller/replicaset.h"
#include "controller/restart.h"
#include "controller/sync.h"
#include "controller/workloadref.h"

namespace vane::controller {

using nlohmann::json;

namespace {

// Everything one blue-green reconcile decides from, beside the RolloutContext: the Services'
// selectors as they will be once this plan's switches are applied.
struct BlueGreenPlan {
  RolloutContext& ctx;
  const kube::Rollout& ro;
  const kube::BlueGreenStrategy& bg;
  std::string active, preview;  // current (then planned) hash selectors

  std::string newHash() const { return ctx.newRS ? ctx.newRS->podTemplateHash() : ""; }

  // haltProgress: user pause or an Inconclusive analysis stop Service switches and pausing.
  bool halted() const {
    return ro.spec.paused || ro.status.hasPauseCondition(kPauseInconclusiveAnalysis);
  }

  // NewRSNewReplicas for blue-green: previewReplicaCount until the scale-up checkpoint.
  int32_t newReplicas() const {
    const int32_t desired = ro.spec.replicasOrDefault();
    if (!bg.previewReplicaCount) return desired;
    const kube::ReplicaSet* activeRS = findByHash(ctx.allRSs, ro.status.blueGreen.activeSelector);
    if (activeRS == nullptr || activeRS->metadata.name == ctx.newRS->metadata.name) return desired;
    if (ro.status.promoteFull) return desired;
    if (newHash() != ro.status.currentPodHash) return *bg.previewReplicaCount;
    const bool not_paused = !ro.spec.paused && ro.status.pauseConditions.empty();
    if (not_paused && ro.status.blueGreen.scaleUpPreviewCheckPoint) return desired;
    return *bg.previewReplicaCount;
  }

  bool readyForPause() const {
    const int32_t n = newReplicas();
    return ctx.newRS->replicas == n && ctx.newRS->status.availableReplicas == n;
  }

  static std::optional<int64_t> created(const kube::ReplicaSet* rs) {
    return rs ? kube::parseTime(rs->metadata.creationTimestamp) : std::nullopt;
  }
  // newRS older than stableRS: a rollback to a previous revision.
  bool olderThanStable() const {
    auto n = created(ctx.newRS), s = created(ctx.stableRS);
    return n && s && *n < *s;
  }
  // The new ReplicaSet still holds pods from before: its scale-down deadline has not passed.
  bool newWithinDelay() const {
    auto at = kube::parseTime(ctx.newRS->annotation(kAnnotationScaleDownDeadline));
    return at && *at > ctx.now;
  }
  bool fastRollback() const {
    if (ctx.newRS == nullptr || ctx.stableRS == nullptr) return false;
    const bool to_stable = ro.status.stableRS == newHash();
    if (!to_stable && !olderThanStable()) return false;
    return to_stable || rollbackWithinWindow(ctx) || newWithinDelay();
  }
  // isBlueGreenFastTracked: no pause and no pre-promotion gate.
  bool fastTracked() const {
    return fastRollback() || ro.status.promoteFull || active.empty() || active == newHash();
  }

  bool completedPrePromotion() const {
    return !bg.prePromotionAnalysis ||
           blueGreenRunPhase(ctx, false) == analysis::Phase::kSuccessful;
  }
  bool autoPromotion() const { return bg.autoPromotionEnabled.value_or(true); }

  // CompletedBlueGreenPause: auto-promotion time passed, or the user promoted.
  bool completedPause() const {
    if (!ctx.pause.add.empty()) return false;
    if (ro.status.blueGreen.scaleUpPreviewCheckPoint) return true;
    const kube::PauseCondition* cond = pauseCondition();
    if (autoPromotion()) {
      if (bg.autoPromotionSeconds == 0) return true;
      if (cond == nullptr) return false;
      auto start = kube::parseTime(cond->startTime);
      return start && ctx.now > *start + bg.autoPromotionSeconds;
    }
    return ro.status.controllerPause && cond == nullptr;
  }
  const kube::PauseCondition* pauseCondition() const {
    for (const auto& p : ro.status.pauseConditions) {
      if (p.reason == kPauseBlueGreen) return &p;
    }
    return nullptr;
  }

  bool aborted() const { return ctx.isAborted(); }

  void switchService(const std::string& name, std::string& current, const std::string& hash) {
    if (name.empty() || hash.empty() || current == hash) return;
    ctx.actions.push_back(PatchServiceSelector{name, hash, ctx.rollout.metadata.name});
    ctx.event("Normal", kEventSwitchService,
              format(kMessageSwitchService, name.c_str(), current.c_str(), hash.c_str()));
    current = hash;
  }

  // --- ReplicaSets (reconcileBlueGreenReplicaSets) ---------------------------------------------

  int32_t abortDelaySeconds() const { return bg.abortScaleDownDelaySeconds.value_or(30); }
  bool distinctStable() const {
    return ctx.stableRS != nullptr && ctx.stableRS->metadata.name != ctx.newRS->metadata.name;
  }
  // shouldDelayScaleDownOnAbort (abortScaleDownDelaySeconds 0 keeps the preview pods).
  bool delayScaleDownOnAbort() const {
    return aborted() && distinctStable() && abortDelaySeconds() > 0;
  }

  void removeDeadline(const kube::ReplicaSet* rs) {
    if (rs == nullptr || rs->annotation(kAnnotationScaleDownDeadline).empty()) return;
    ctx.actions.push_back(
        AnnotateReplicaSet{rs->metadata.name, json{{kAnnotationScaleDownDeadline, nullptr}}});
  }

  void planNewReplicaSetScale() {
    const kube::ReplicaSet& rs = *ctx.newRS;
    int32_t target = newReplicas();
    if (delayScaleDownOnAbort()) {
      const std::string deadline = rs.annotation(kAnnotationScaleDownDeadline);
      if (deadline.empty()) {
        planScale(ctx, rs, rs.replicas);  // desired-replicas annotation only
        if (ctx.stableRS->status.availableReplicas >= ro.spec.replicasOrDefault()) {
          ctx.actions.push_back(AnnotateReplicaSet{
              rs.metadata.name, json{{kAnnotationScaleDownDeadline,
                                      kube::formatTime(ctx.now + abortDelaySeconds())}}});
          ctx.requeueNoLaterThan(ctx.now + abortDelaySeconds());
        }
        return;
      }
      auto at = kube::parseTime(deadline);
      if (at && *at > ctx.now) {
        ctx.requeueNoLaterThan(*at);
        planScale(ctx, rs, rs.replicas);
        return;
      }
      if (at) target = 0;
    }
    planScale(ctx, rs, target);
    planProgressiveScaleDown(ctx, target);
  }

  // isReplicaSetReferenced: by the status or by a Service's selector.
  bool referenced(const kube::ReplicaSet& rs) const {
    const std::string h = rs.podTemplateHash();
    if (h.empty()) return false;
    const auto& st = ro.status;
    for (const std::string* ref : {&st.stableRS, &st.currentPodHash, &st.blueGreen.activeSelector,
                                   &st.blueGreen.previewSelector, &active, &preview}) {
      if (*ref == h) return true;
    }
    return false;
  }

  // scaleDownOldReplicaSetsForBlueGreen: the previous active keeps its pods for
  // scaleDownDelaySeconds (newest first, at most scaleDownDelayRevisionLimit of them).
  void planOldReplicaSets() {
    if (ro.status.hasPauseCondition(kPauseInconclusiveAnalysis)) return;
    if (bg.postPromotionAnalysis && !bg.scaleDownDelaySeconds && ctx.newRS != nullptr &&
        !ro.status.stableRS.empty() && ro.status.stableRS != newHash() && active == newHash() &&
        blueGreenRunPhase(ctx, true) != analysis::Phase::kSuccessful) {
      return;  // the old active is the way back until post-promotion analysis succeeds
    }
    const int32_t limit = scaleDownRevisionLimit(ro);
    const int32_t delay = bg.scaleDownDelaySeconds.value_or(30);
    int32_t annotated = 0;
    for (auto it = ctx.otherRSs.rbegin(); it != ctx.otherRSs.rend(); ++it) {
      const kube::ReplicaSet& rs = **it;
      if (rs.replicas == 0 || referenced(rs)) continue;
      int32_t desired = 0;
      const std::string deadline = rs.annotation(kAnnotationScaleDownDeadline);
      if (deadline.empty()) {
        if (annotated < limit && delay > 0) {
          ++annotated;
          desired = rs.replicas;
          ctx.actions.push_back(AnnotateReplicaSet{
              rs.metadata.name,
              json{{kAnnotationScaleDownDeadline, kube::formatTime(ctx.now + delay)}}});
          ctx.requeueNoLaterThan(ctx.now + delay);
        }
      } else if (++annotated <= limit) {
        auto at = kube::parseTime(deadline);
        if (at && *at > ctx.now) {
          ctx.requeueNoLaterThan(*at);
          desired = ro.spec.replicasOrDefault();
        }
      }
      if (rs.replicas != desired) planScale(ctx, rs, desired);
    }
  }

  void planReplicaSets() {
    if (!delayScaleDownOnAbort()) removeDeadline(ctx.newRS);
    if (distinctStable()) {
      removeDeadline(ctx.stableRS);
      planScale(ctx, *ctx.stableRS, ro.spec.replicasOrDefault());
    }
    planNewReplicaSetScale();
    planOldReplicaSets();
    planRevisionHistory(ctx);
  }

  // --- Pause and the active Service ------------------------------------------------------------

  void removePause() {
    if (ro.status.hasPauseCondition(kPauseBlueGreen)) ctx.pause.remove.push_back(kPauseBlueGreen);
  }

  // reconcileBlueGreenPause: BlueGreenPause once the preview is ready and pre-promotion
  // analysis passed, when auto-promotion is off or delayed.
  void planPause() {
    if (ro.status.abort || !readyForPause() || halted()) return;
    const bool controller_pause = !autoPromotion() || bg.autoPromotionSeconds > 0;
    if (fastTracked() || ro.status.blueGreen.scaleUpPreviewCheckPoint || !controller_pause) {
      removePause();
      return;
    }
    if (!completedPrePromotion()) return;
    const kube::PauseCondition* cond = pauseCondition();
    if (cond != nullptr) {
      if (completedPause()) {
        removePause();
      } else if (bg.autoPromotionSeconds > 0) {
        auto start = kube::parseTime(cond->startTime);
        if (start) ctx.requeueNoLaterThan(*start + bg.autoPromotionSeconds + 1);
      }
    } else if (!ro.status.controllerPause) {
      ctx.pause.add.push_back(kPauseBlueGreen);
      ctx.event("Normal", kEventRolloutPaused, kPauseBlueGreen);
      if (autoPromotion() && bg.autoPromotionSeconds > 0) {
        ctx.requeueNoLaterThan(ctx.now + bg.autoPromotionSeconds + 1);
      }
    }
  }

  // reconcileActiveService: to the new ReplicaSet once it is saturated and promoted (or
  // fast-tracked); back to stable on abort.
  void planActiveService() {
    if (halted() || !readyForPause() || !saturated(ro, *ctx.newRS)) return;
    std::string target = active;
    if (fastTracked() || (completedPause() && completedPrePromotion())) target = newHash();
    if (ro.status.abort) target = ro.status.stableRS;
    switchService(bg.activeService, active, target);
  }

  // --- Status (syncRolloutStatusBlueGreen) -----------------------------------------------------

  std::string shouldFullPromote() const {
    const kube::RolloutStatus& s = ctx.newStatus;
    if (ctx.stableRS == nullptr || s.blueGreen.activeSelector.empty()) {
      return kCompletedInitialDeploy;
    }
    if (s.blueGreen.activeSelector != s.currentPodHash) return "";
    if (ro.status.promoteFull) return kCompletedFullPromotion;
    if (fastRollback()) {
      return rollbackWithinWindow(ctx) ? kCompletedRollbackWindow : kCompletedFastRollback;
    }
    if (aborted()) return "";
    if (bg.postPromotionAnalysis) {
      const auto& post = s.blueGreen.postPromotionAnalysisRunStatus;
      if (!post || post->status != "Successful") return "";
    }
    return kCompletedBlueGreen;
  }

  void promoteStable(const std::string& reason) {
    kube::RolloutStatus& s = ctx.newStatus;
    ctx.pause.clearAll = true;
    ctx.pause.removeAbort = true;
    s.promoteFull = false;
    s.blueGreen.scaleUpPreviewCheckPoint = false;
    if (s.stableRS != s.currentPodHash) {
      s.stableRS = s.currentPodHash;
      const int rev = static_cast<int>(ctx.newRS->revision().value_or(0));
      ctx.event("Normal", kEventRolloutCompleted,
                format(kMessageCompleted, rev, s.currentPodHash.c_str(), reason.c_str()));
    }
    planScaleDownOnSuccess(ctx);
  }

  // calculateScaleUpPreviewCheckPoint: a one-way trip-wire once the preview pods are available
  // and the pause and pre-promotion analysis are done.
  bool scaleUpCheckPoint() const {
    if (!bg.previewReplicaCount) return false;
    if (ro.status.blueGreen.scaleUpPreviewCheckPoint) return true;
    if (!completedPrePromotion() || !completedPause()) return false;
    return ctx.newRS->status.availableReplicas == *bg.previewReplicaCount;
  }

  void syncStatus() {
    kube::RolloutStatus& s = ctx.newStatus;
    calculateBaseStatus(ctx);
    if (ro.status.promoteFull || rollbackWithinWindow(ctx)) {
      ctx.pause.clearAll = true;
      ctx.pause.removeAbort = true;
    }
    s.blueGreen.previewSelector = preview;
    s.blueGreen.activeSelector = active;
    const std::string reason = shouldFullPromote();
    if (!reason.empty()) {
      promoteStable(reason);
    } else {
      s.blueGreen.scaleUpPreviewCheckPoint = scaleUpCheckPoint();
    }
    // Replica accounting follows the active ReplicaSet (what HPA and the active Service see).
    if (const kube::ReplicaSet* activeRS = findByHash(ctx.allRSs, active)) {
      s.HPAReplicas = activeRS->status.replicas;
      s.selector = formatLabelSelector(activeRS->selector);
      s.availableReplicas = activeRS->status.availableReplicas;
      s.readyReplicas = activeRS->status.readyReplicas;
    }
    finishStatus(ctx);
  }

  void resetStatus() {
    setRestartedAt(ctx);
    ctx.pause.clearAll = true;
    ctx.pause.removeAbort = true;
    kube::RolloutStatus& s = ctx.newStatus;
    s.promoteFull = false;
    s.blueGreen.prePromotionAnalysisRunStatus.reset();
    s.blueGreen.postPromotionAnalysisRunStatus.reset();
    s.blueGreen.scaleUpPreviewCheckPoint = false;
  }
};

std::string selectorOf(const ServiceSelectors& services, const std::string& name) {
  auto it = services.find(name);
  return it == services.end() ? "" : it->second;
}

}  // namespace

void planBlueGreen(RolloutContext& ctx, const ServiceSelectors& services) {
  const kube::Rollout& ro = ctx.rollout;
  ctx.newStatus = ro.status;
  if (!ctx.invalidSpecMessage.empty() || !ro.spec.blueGreen) {
    planInvalidSpec(ctx);
    return;
  }
  classifyReplicaSets(ctx);
  planWorkloadGeneration(ctx);
  planNewReplicaSet(ctx);
  BlueGreenPlan p{ctx, ro, *ro.spec.blueGreen,
                  selectorOf(services, ro.spec.blueGreen->activeService),
                  selectorOf(services, ro.spec.blueGreen->previewService)};
  // 1. The preview Service follows the new ReplicaSet at once.
  if (!p.halted()) p.switchService(p.bg.previewService, p.preview, p.newHash());
  // 2. A new template resets the update (pauses, abort, analysis, checkpoint).
  if (!ro.status.currentPodHash.empty() && ro.status.currentPodHash != p.newHash()) {
    p.resetStatus();
    p.syncStatus();
    return;
  }
  // 3. Pod restarts; scale; pause; the active Service; analysis; status.
  planPodRestart(ctx);
  p.planReplicaSets();
  p.planPause();
  p.planActiveService();
  const bool fully_promoted = ro.status.stableRS == ro.status.currentPodHash;
  const bool cancel = ro.status.stableRS.empty() || fully_promoted || ctx.isAborted() ||
                      ro.status.promoteFull || p.fastRollback();
  planBlueGreenAnalysis(ctx, cancel);
  planAnalysisRunHistory(ctx);
  planEphemeralMetadata(ctx);
  p.syncStatus();
}

}  // namespace vane::controller
