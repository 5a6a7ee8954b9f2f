#include "controller/informers.h"

#include "controller/conditions.h"
#include "kube/controller_runtime.h"
#include "kube/json_access.h"

namespace vane::controller {

namespace res = kube::resources;

SharedInformers::SharedInformers(kube::Client& client, const ControllerOptions& options) {
  kube::InformerOptions io;
  io.namespace_ = options.namespace_;
  io.resync = options.resync;
  io.transform = kube::stripManagedFields;  // and last-applied-configuration (status-only PUTs)
  kube::InformerOptions owned = io;
  owned.label_selector = options.instanceId.empty()
                             ? std::string("!") + kLabelInstanceId
                             : std::string(kLabelInstanceId) + "=" + options.instanceId;
  rollouts = kube::Informer::create(client, res::kRollouts, owned);
  replicaSets = kube::Informer::create(client, res::kReplicaSets, io);
  services = kube::Informer::create(client, res::kServices, io);
  analysisRuns = kube::Informer::create(client, res::kAnalysisRuns, owned);
  pods = kube::Informer::create(client, res::kPods, io);
  deployments = kube::Informer::create(client, res::kDeployments, io);
  experiments = kube::Informer::create(client, res::kExperiments, owned);
  virtualServices =
      kube::Informer::create(client, res::virtualServices(options.istioApiVersion), io);
  destinationRules =
      kube::Informer::create(client, res::destinationRules(options.istioApiVersion), io);
}

bool ownedByInstance(const nlohmann::json& obj, const std::string& instance_id) {
  return kube::metaEntry(obj, "labels", kLabelInstanceId) == instance_id;
}

kube::EventHandlers enqueueOwnedByInstance(kube::WorkQueue& queue, std::string instance_id) {
  return kube::onEveryEvent([&queue, id = std::move(instance_id)](const kube::ObjectPtr& obj) {
    if (obj && ownedByInstance(*obj, id)) queue.add(kube::objectKey(*obj));
  });
}

kube::WorkQueueOptions controllerQueueOptions() {
  kube::WorkQueueOptions qo;
  qo.base_delay = std::chrono::milliseconds(5);
  qo.max_delay = std::chrono::milliseconds(10000);
  return qo;
}

}  // namespace vane::controller
