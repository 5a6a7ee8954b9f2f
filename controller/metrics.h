// Controller metrics with Argo Rollouts' names and labels where Argo has them (argo-rollouts.md
// 1.12), plus Vane's own. Per-object state (rollout_info, analysis_run_info ...) is computed from
// the informer caches at scrape time, so it never goes stale and costs nothing between scrapes.
// Request and latency metrics carry no per-object labels: their cardinality stays bounded however
// many Rollouts there are (Argo's controller ran out of memory that way, PR #3929).
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/duration.h"
#include "kube/http.h"

namespace vane::controller {

using ObjectLister = std::function<std::vector<std::shared_ptr<const nlohmann::json>>()>;

/// Builds the per-object gauge families from cached objects (pure, for tests and the collector).
std::vector<prometheus::MetricFamily> rolloutStateFamilies(
    const std::vector<std::shared_ptr<const nlohmann::json>>& rollouts);
std::vector<prometheus::MetricFamily> analysisRunStateFamilies(
    const std::vector<std::shared_ptr<const nlohmann::json>>& runs);

/// Phase of a Rollout as clients compute it (Argo's GetRolloutPhase): stale status counts as
/// Progressing.
std::string observedRolloutPhase(const nlohmann::json& rollout);

class StateCollector : public prometheus::Collectable {
 public:
  StateCollector(ObjectLister rollouts, ObjectLister analysis_runs)
      : rollouts_(std::move(rollouts)), analysis_runs_(std::move(analysis_runs)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  ObjectLister rollouts_, analysis_runs_;
};

/// The Service an abort moves back to stable: canary.canaryService, else blueGreen.activeService.
std::string abortService(const nlohmann::json& rollout);

/// True when an aborted Rollout has traffic back on stable. Canary: the canary Service (when the
/// spec names one) selects status.stableRS, and with a traffic router
/// status.canary.weights.canary.weight is 0; without either, its canary pods are gone
/// (status.updatedReplicas 0). Blue-green: the active Service selects status.stableRS.
/// canary_service is the cached abortService(), or null.
bool abortSettled(const nlohmann::json& rollout, const nlohmann::json* canary_service);

/// Times vane_abort_latency_seconds: from the moment the controller's cache first shows a Rollout's
/// status.abort turn true (the trigger: a user's patch, the alert hook, a progress deadline) to
/// the first moment its caches show abortSettled() (the reconcile's Service patch and status write
/// have landed). Aborts already present when the controller starts are not timed; an abort that
/// the controller decides and rolls back in the same status write (an analysis verdict) is
/// observed as about 0. Fed from informer handlers; thread-safe.
class AbortLatencyTracker {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using ServiceGetter = std::function<std::shared_ptr<const nlohmann::json>(
      const std::string& ns, const std::string& name)>;
  explicit AbortLatencyTracker(std::function<void(double seconds)> observe, Clock clock = {});

  /// A Rollout update seen by the informer (old_obj: the previous cached state).
  void rolloutChanged(const nlohmann::json& old_obj, const nlohmann::json& obj,
                      const ServiceGetter& services);
  /// A Service added or updated; rollouts lists the cached Rollouts of its namespace and is only
  /// called while an abort is pending.
  void serviceChanged(const nlohmann::json& service, const ObjectLister& rollouts);
  void rolloutDeleted(const nlohmann::json& obj);
  /// The controller itself decided an abort (analysis verdict, progress deadline) for "ns/name":
  /// the clock starts now, before the status write that carries the abort and the rollback.
  void abortDecided(const std::string& key);
  /// Aborts seen and not yet settled.
  std::size_t pending() const;

 private:
  void finish(const std::string& key, std::chrono::steady_clock::time_point now);

  std::function<void(double)> observe_;
  Clock clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> pending_;  // "ns/name" -> seen
};

class ControllerMetrics {
 public:
  ControllerMetrics();
  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> sharedRegistry() { return registry_; }

  void observeRolloutReconcile(const std::string& ns, const std::string& name, double seconds,
                               bool error);
  void observeAnalysisRunReconcile(const std::string& ns, double seconds, bool error);
  void observeRequest(const std::string& verb, const std::string& resource, int code);
  void event(const std::string& ns, const std::string& name, const std::string& type,
             const std::string& reason);
  /// From the abort's trigger (user patch, analysis verdict, alert) to traffic and the canary
  /// Service back on stable.
  void observeAbortLatency(double seconds);
  /// A finished update (Argo EmitRolloutDuration): rollout_duration_seconds (start to finish),
  /// rollout_progression_duration_seconds (minus manual pauses) and
  /// rollout_manual_pause_duration_seconds, labelled status=<completionStatus>. Ignores an
  /// unfinished duration or one without a completion status.
  void observeRolloutDuration(const RolloutDuration& duration);
  /// A finished Argo-format notification delivery: notification_send_success or
  /// notification_send_error {namespace, name, type, reason} and notification_send {namespace,
  /// name} (seconds), as Argo's controller/metrics/prommetrics.go names them.
  void observeNotification(const std::string& ns, const std::string& name, const std::string& type,
                           const std::string& reason, bool ok, double seconds);
  void setQueueDepth(const std::string& queue, double depth);
  void observeQueueLatency(const std::string& queue, double seconds);
  /// Registers the scrape-time collector over the caches.
  void addStateCollector(ObjectLister rollouts, ObjectLister analysis_runs);

  /// GET /metrics in the Prometheus text format.
  http::Response serve() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<StateCollector> state_;
  prometheus::Family<prometheus::Histogram>* rollout_reconcile_;
  prometheus::Family<prometheus::Counter>* rollout_reconcile_error_;
  prometheus::Family<prometheus::Histogram>* analysis_reconcile_;
  prometheus::Family<prometheus::Counter>* analysis_reconcile_error_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* events_;
  prometheus::Histogram* abort_latency_;
  prometheus::Family<prometheus::Histogram>* rollout_duration_;
  prometheus::Family<prometheus::Histogram>* rollout_progression_;
  prometheus::Family<prometheus::Histogram>* rollout_manual_pause_;
  prometheus::Family<prometheus::Counter>* notification_success_;
  prometheus::Family<prometheus::Counter>* notification_error_;
  prometheus::Family<prometheus::Histogram>* notification_send_;
  prometheus::Family<prometheus::Gauge>* queue_depth_;
  prometheus::Family<prometheus::Histogram>* queue_latency_;
};

}  // namespace vane::controller
