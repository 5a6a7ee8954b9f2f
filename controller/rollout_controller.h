// The Rollout loop (Argo rollout/controller.go): a Rollout is queued when it changes, when
// something it controls changes (ReplicaSets, AnalysisRuns, Experiments), and when an object it
// names changes (Services, VirtualServices, DestinationRules, the spec.workloadRef Deployment,
// found through the Rollout informer's indexes); workers call Reconciler::reconcile.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "controller/informers.h"
#include "controller/reconciler.h"
#include "kube/controller_runtime.h"
#include "kube/workqueue.h"

namespace vane::controller {

class RolloutController {
 public:
  /// Adds the Rollout informer's indexes and the handlers that queue Rollouts; call before the
  /// informers start. abortDecided may be empty.
  RolloutController(kube::Client& client, SharedInformers& informers,
                    const ControllerOptions& options, kube::EventRecorder* events,
                    const trafficrouting::RouterRegistry* routers,
                    std::function<void(const std::string& key)> abortDecided);
  /// Starts max(1, workers) workers in group.
  void start(kube::WorkerGroup& group, int workers);
  Reconciler& reconciler() { return *reconciler_; }
  /// Queues rollout when it belongs to this controller instance.
  void enqueue(const kube::ObjectPtr& rollout);
  /// Queues the Rollouts whose index (kIndexService, kIndexVirtualService, ...) names obj.
  void enqueueByIndex(const char* index, const kube::ObjectPtr& obj);

 private:
  void addIndexes();
  void addHandlers();
  void enqueueForWorkload(const kube::ObjectPtr& workload);
  void watchDeploymentsOnce();

  SharedInformers& informers_;
  std::atomic<bool> deploymentsStarted_{false};
  std::string instanceId_;
  std::unique_ptr<kube::WorkQueue> queue_;
  std::unique_ptr<Reconciler> reconciler_;
};

}  // namespace vane::controller
