// Wiring of the controller loops: informers (Rollouts, ReplicaSets, Services, AnalysisRuns, Pods,
// Deployments for workloadRef),
// stingy work queues, N rollout workers calling Reconciler::reconcile, and the AnalysisRun loop
// calling the analysis engine's reconcileAnalysisRun and writing its status.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
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
  std::chrono::seconds resync{900};
  /// Observes each finished rollout reconcile (metrics); may be empty.
  std::function<void(const std::string& key, std::chrono::microseconds, const Status&)> observer;
  /// Observes vane_abort_latency_seconds (AbortLatencyTracker, controller/metrics.h); may be empty.
  std::function<void(double seconds)> abortLatency;
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
  void experimentWorker();
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
  std::vector<std::thread> threads_;
  std::atomic<bool> ready_{false}, stopped_{false};
};

}  // namespace vane::controller
