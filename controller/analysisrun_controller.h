// The AnalysisRun loop (Argo analysis/controller.go): an AnalysisRun of this instance is queued
// when it changes; a worker runs the analysis engine's reconcileAnalysisRun (which measures
// through the metric providers), writes the status when it changed, requeues for the next
// measurement, and deletes a completed run once spec.ttlStrategy's time to live has passed.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "controller/informers.h"
#include "kube/controller_runtime.h"
#include "kube/workqueue.h"

namespace vane::analysis {
class ProviderRegistry;
}

namespace vane::controller {

class AnalysisRunController {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  /// Adds the handler that queues AnalysisRuns; call before the informers start. clock defaults
  /// to the wall clock.
  AnalysisRunController(kube::Client& client, SharedInformers& informers,
                        const ControllerOptions& options, analysis::ProviderRegistry& providers,
                        Clock clock = {});
  /// Starts max(1, workers) workers in group.
  void start(kube::WorkerGroup& group, int workers);
  /// One reconcile of the AnalysisRun "namespace/name" (the workers' body).
  kube::ReconcileResult reconcile(const std::string& key);

 private:
  /// spec.ttlStrategy: the wait until a completed run expires, or its deletion once expired.
  kube::ReconcileResult expire(const nlohmann::json& run, const std::string& key);

  kube::Client& client_;
  kube::Informer& analysisRuns_;
  analysis::ProviderRegistry& providers_;
  Clock clock_;
  std::unique_ptr<kube::WorkQueue> queue_;
};

}  // namespace vane::controller
