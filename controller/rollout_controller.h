// Wiring of the controller loops: informers (Rollouts, ReplicaSets, Services, AnalysisRuns, Pods,
// Deployments for workloadRef, and Istio VirtualServices and DestinationRules where served),
// stingy work queues, N rollout workers calling Reconciler::reconcile, the AnalysisRun loop
// calling the analysis engine's reconcileAnalysisRun and writing its status, and the Service
// loop that releases Services no Rollout references any more (Argo service/service.go).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/reconciler.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/workqueue.h"

namespace vane::analysis {
class ProviderRegistry;
}

namespace vane::controller {

class AbortLatencyTracker;
class ExperimentReconciler;

struct ControllerOptions {
  std::string namespace_;  // "" for all namespaces
  std::string instanceId;  // only objects labelled with it; "" only objects without the label
  int workers = 2;
  int analysisWorkers = 2;
  std::string istioApiVersion = "v1alpha3";
  /// Without Istio's CRDs at start, how often to look for them again (Argo: 10 minutes).
  std::chrono::milliseconds istioProbeInterval{std::chrono::minutes(10)};
  std::chrono::seconds resync{900};
  /// Observes each finished rollout reconcile (metrics); may be empty.
  std::function<void(const std::string& key, std::chrono::microseconds, const Status&)> observer;
  /// Observes vane_abort_latency_seconds (AbortLatencyTracker, controller/metrics.h); may be empty.
  std::function<void(double seconds)> abortLatency;
  /// Observes each finished update once (rollout_duration_seconds, ...); may be empty.
  std::function<void(const RolloutDuration&)> rolloutFinished;
};

class RolloutController {
 public:
  RolloutController(kube::Client& client, ControllerOptions options,
                    kube::EventRecorder* events = nullptr,
                    const trafficrouting::RouterRegistry* routers = nullptr,
                    analysis::ProviderRegistry* providers = nullptr);
  ~RolloutController();
  /// Starts the informers, waits for their first sync (up to timeout), then starts workers.
  Status start(std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  /// Stops workers and informers; idempotent.
  void stop();
  /// Informers synced and workers running.
  bool ready() const { return ready_.load(); }
  Reconciler& reconciler() { return *reconciler_; }
  /// The caches, read-only (metrics collect per-object state from them at scrape time).
  const kube::Informer& rolloutInformer() const { return *rollouts_; }
  const kube::Informer& analysisRunInformer() const { return *analysisRuns_; }

 private:
  bool ownedByInstance(const kube::json& obj) const;
  void enqueueRollout(const kube::ObjectPtr& obj);
  void enqueueOwner(const kube::ObjectPtr& obj);
  void enqueueForService(const kube::ObjectPtr& svc);
  void enqueueForWorkload(const kube::ObjectPtr& workload);
  void enqueueAnalysisRun(const kube::ObjectPtr& obj);
  void enqueueExperimentOwner(const kube::ObjectPtr& obj);
  void enqueueByIndex(const char* index, const kube::ObjectPtr& obj);
  void enqueueForDestinationRule(const kube::ObjectPtr& dr);
  void enqueueReleased(const kube::ObjectPtr& old_ro, const kube::ObjectPtr& new_ro);
  void experimentWorker();
  void probeIstio();
  // The release loops (controller/release_sync.cc).
  void releaseWorker(kube::WorkQueue& queue, Status (RolloutController::*sync)(const std::string&));
  /// Argo syncService: a Service with the hash selector that no Rollout references any more
  /// loses the selector and the managed-by annotation; else its Rollout is queued.
  Status syncService(const std::string& key);
  /// Argo syncDestinationRule: a DestinationRule whose managing Rollout is gone or names it no
  /// more loses the subsets' hash labels and the managed-by annotation; else that Rollout is
  /// queued.
  Status syncDestinationRule(const std::string& key);
  void rolloutWorker();
  void analysisWorker();
  void reconcileAnalysisRun(const std::string& key);

  kube::Client& client_;
  ControllerOptions options_;
  analysis::ProviderRegistry* providers_;
  std::unique_ptr<kube::Informer> rollouts_, replicaSets_, services_, analysisRuns_, pods_,
      deployments_;
  std::unique_ptr<kube::WorkQueue> queue_, arQueue_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<AbortLatencyTracker> abortLatency_;
  std::unique_ptr<kube::Informer> experiments_;
  std::unique_ptr<kube::WorkQueue> exQueue_;
  std::unique_ptr<ExperimentReconciler> experimentReconciler_;
  bool experimentsServed_ = false;
  // Istio objects the Rollouts name: watched only where their CRDs are served.
  std::unique_ptr<kube::Informer> virtualServices_, destinationRules_;
  std::vector<kube::Informer*> started_;  // every informer started (under istioMu_ once running)
  std::thread istioProbe_;
  std::mutex istioMu_;
  std::condition_variable istioCv_;
  std::unique_ptr<kube::WorkQueue> svcQueue_, drQueue_;
  std::vector<std::thread> threads_;
  std::atomic<bool> ready_{false}, stopped_{false};
};

}  // namespace vane::controller
