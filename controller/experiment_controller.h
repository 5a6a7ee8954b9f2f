// The Experiment loop (Argo experiments/controller.go): an Experiment is queued when it changes
// and when a ReplicaSet, AnalysisRun or template Service it controls changes (a template Service
// deleted by hand is made again at once); workers call ExperimentReconciler::reconcile. Only run
// where experiments.argoproj.io is served.
#pragma once

#include <memory>
#include <string>

#include "controller/experiment.h"
#include "controller/informers.h"
#include "kube/controller_runtime.h"
#include "kube/workqueue.h"

namespace vane::controller {

class ExperimentController {
 public:
  /// Adds the handlers that queue Experiments; call before the informers start.
  ExperimentController(kube::Client& client, SharedInformers& informers,
                       const ControllerOptions& options, kube::EventRecorder* events);
  /// Starts one worker in group.
  void start(kube::WorkerGroup& group);

 private:
  std::unique_ptr<kube::WorkQueue> queue_;
  std::unique_ptr<ExperimentReconciler> reconciler_;
};

}  // namespace vane::controller
