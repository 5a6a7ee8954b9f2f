#include "controller/experiment_controller.h"

namespace vane::controller {

ExperimentController::ExperimentController(kube::Client& client, SharedInformers& informers,
                                           const ControllerOptions& options,
                                           kube::EventRecorder* events)
    : queue_(kube::WorkQueue::create(controllerQueueOptions())) {
  reconciler_ = std::make_unique<ExperimentReconciler>(
      ExperimentReconcilerDeps{.client = &client,
                               .experiments = informers.experiments.get(),
                               .replicaSets = informers.replicaSets.get(),
                               .analysisRuns = informers.analysisRuns.get(),
                               .services = informers.services.get(),
                               .events = events,
                               .clock = {}});
  informers.experiments->addHandlers(enqueueOwnedByInstance(*queue_, options.instanceId));
  auto owner = kube::enqueueOwners(*queue_, "Experiment");
  for (auto* inf :
       {informers.replicaSets.get(), informers.analysisRuns.get(), informers.services.get()}) {
    inf->addHandlers(owner);
  }
}

void ExperimentController::start(kube::WorkerGroup& group) {
  group.start(*queue_, "reconcile experiment", 1,
              [this](const std::string& key) { return reconciler_->reconcile(key); });
}

}  // namespace vane::controller
