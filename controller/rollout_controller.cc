#include "controller/rollout_controller.h"

#include "controller/rollout_refs.h"
#include "kube/json_access.h"

namespace vane::controller {

using nlohmann::json;

namespace {

// Argo templateref.go refKey: <apiVersion>/<kind>/<namespace>/<name>.
constexpr const char* kIndexWorkloadRef = "byTemplateRef";
std::string refKey(const std::string& api_version, const std::string& kind, const std::string& ns,
                   const std::string& name) {
  return api_version + "/" + kind + "/" + ns + "/" + name;
}

}  // namespace

RolloutController::RolloutController(kube::Client& client, SharedInformers& informers,
                                     const ControllerOptions& options, kube::EventRecorder* events,
                                     const trafficrouting::RouterRegistry* routers,
                                     std::function<void(const std::string& key)> abortDecided)
    : informers_(informers),
      instanceId_(options.instanceId),
      queue_(kube::WorkQueue::create(controllerQueueOptions())) {
  ReconcilerDeps deps;
  deps.client = &client;
  deps.rollouts = informers.rollouts.get();
  deps.replicaSets = informers.replicaSets.get();
  deps.services = informers.services.get();
  deps.analysisRuns = informers.analysisRuns.get();
  deps.experiments = informers.experiments.get();
  deps.pods = informers.pods.get();
  deps.deployments = informers.deployments.get();
  deps.events = events;
  deps.routers = routers;
  deps.istioApiVersion = options.istioApiVersion;
  deps.abortDecided = std::move(abortDecided);
  deps.observer = options.observer;
  deps.rolloutFinished = options.rolloutFinished;
  reconciler_ = std::make_unique<Reconciler>(std::move(deps));
  addIndexes();
  addHandlers();
}

void RolloutController::start(kube::WorkerGroup& group, int workers) {
  group.start(*queue_, "reconcile rollout", workers,
              [this](const std::string& key) { return reconciler_->reconcile(key); });
}

void RolloutController::addIndexes() {
  kube::Informer& rollouts = *informers_.rollouts;
  rollouts.addIndex(kIndexWorkloadRef, [](const json& ro) -> std::vector<std::string> {
    const json& ref = kube::at(ro, {"spec", "workloadRef"});
    if (!ref.is_object()) return {};
    return {refKey(kube::str(kube::at(ref, {"apiVersion"})), kube::str(kube::at(ref, {"kind"})),
                   kube::str(kube::at(ro, {"metadata", "namespace"})),
                   kube::str(kube::at(ref, {"name"})))};
  });
  rollouts.addIndex(kIndexService, rolloutServiceKeys);
  rollouts.addIndex(kIndexVirtualService, rolloutVirtualServiceKeys);
  rollouts.addIndex(kIndexDestinationRule, rolloutDestinationRuleKeys);
}

// Pods have no handlers: ReplicaSet status changes and the restarter's 30 s requeue drive the
// restart, as in Argo.
void RolloutController::addHandlers() {
  informers_.rollouts->addHandlers(kube::onEveryEvent([this](const auto& o) { enqueue(o); }));
  auto owner = kube::enqueueOwners(*queue_, "Rollout");
  for (auto* inf : {informers_.replicaSets.get(), informers_.analysisRuns.get(),
                    informers_.experiments.get()}) {
    inf->addHandlers(owner);
  }
  informers_.services->addHandlers(
      kube::onEveryEvent([this](const auto& o) { enqueueByIndex(kIndexService, o); }));
  // Argo's IstioController: a change of a VirtualService or DestinationRule (a manual edit of the
  // weights, say) re-queues the Rollouts that name it.
  informers_.virtualServices->addHandlers(
      kube::onEveryEvent([this](const auto& o) { enqueueByIndex(kIndexVirtualService, o); }));
  informers_.destinationRules->addHandlers(
      kube::onEveryEvent([this](const auto& o) { enqueueByIndex(kIndexDestinationRule, o); }));
  // A change of the Deployment named by spec.workloadRef re-triggers the Rollouts that reference
  // it (Argo's informer per workload kind).
  informers_.deployments->addHandlers(
      kube::onEveryEvent([this](const auto& o) { enqueueForWorkload(o); }));
}

void RolloutController::enqueue(const kube::ObjectPtr& rollout) {
  if (!rollout || !ownedByInstance(*rollout, instanceId_)) return;
  if (kube::at(*rollout, {"spec", "workloadRef"}).is_object()) watchDeploymentsOnce();
  queue_->add(kube::objectKey(*rollout));
}

// Deployments are cached only once a Rollout names one in spec.workloadRef (issue 17); until the
// cache has synced, the reconciler reads the Deployment through the client.
void RolloutController::watchDeploymentsOnce() {
  if (deploymentsStarted_.exchange(true)) return;
  informers_.deployments->start();
}

void RolloutController::enqueueByIndex(const char* index, const kube::ObjectPtr& obj) {
  if (!obj) return;
  for (const auto& ro : informers_.rollouts->byIndex(index, kube::objectKey(*obj))) enqueue(ro);
}

void RolloutController::enqueueForWorkload(const kube::ObjectPtr& workload) {
  if (!workload) return;
  // List items carry no apiVersion/kind: this informer only holds apps/v1 Deployments.
  const std::string key =
      refKey("apps/v1", "Deployment", kube::str(kube::at(*workload, {"metadata", "namespace"})),
             kube::str(kube::at(*workload, {"metadata", "name"})));
  for (const auto& ro : informers_.rollouts->byIndex(kIndexWorkloadRef, key)) enqueue(ro);
}

}  // namespace vane::controller
