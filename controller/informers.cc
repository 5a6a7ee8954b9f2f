#include "controller/informers.h"

#include "controller/alert_hook.h"
#include "controller/conditions.h"
#include "controller/validation.h"
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
  rollouts = kube::Informer::create(client, res::kRollouts, rolloutCacheOptions(owned));
  addAlertHookIndexes(*rollouts);
  replicaSets = kube::Informer::create(client, res::kReplicaSets, replicaSetCacheOptions(io));
  services = kube::Informer::create(client, res::kServices, serviceCacheOptions(io));
  analysisRuns = kube::Informer::create(client, res::kAnalysisRuns, owned);
  kube::InformerOptions pod = io;
  pod.metadata_only = true;
  pod.store_encoded = true;
  pods = kube::Informer::create(client, res::kPods, pod);
  deployments = kube::Informer::create(client, res::kDeployments, io);
  experiments = kube::Informer::create(client, res::kExperiments, owned);
  virtualServices =
      kube::Informer::create(client, res::virtualServices(options.istioApiVersion), io);
  destinationRules =
      kube::Informer::create(client, res::destinationRules(options.istioApiVersion), io);
}

kube::InformerOptions rolloutCacheOptions(kube::InformerOptions base) {
  base.store_encoded = true;
  kube::setDecoder<CachedRollout>(base, decodeCachedRollout);
  return base;
}

kube::InformerOptions replicaSetCacheOptions(kube::InformerOptions base) {
  base.store_encoded = true;
  base.label_selector = kLabelPodTemplateHash;
  kube::setDecoder<kube::ReplicaSet>(base, decodeCachedReplicaSet);
  return base;
}

kube::InformerOptions serviceCacheOptions(kube::InformerOptions base) {
  kube::setDecoder<kube::Service>(base, decodeCachedService);
  return base;
}

kube::InformerOptions podCacheOptions(kube::InformerOptions base) {
  base.metadata_only = true;
  base.store_encoded = true;
  return base;
}

std::shared_ptr<const CachedRollout> decodeCachedRollout(const nlohmann::json& obj) {
  auto out = std::make_shared<CachedRollout>();
  auto full = kube::decodeRollout(obj);
  if (full) {
    out->rollout = std::move(*full);
  } else {
    auto meta = kube::decodeObjectMeta(obj);
    if (!meta) return nullptr;
    auto status = kube::decodeRolloutStatus(obj.value("status", nlohmann::json::object()));
    if (!status) return nullptr;
    out->rollout.metadata = std::move(*meta);
    out->rollout.status = std::move(*status);
    out->invalidSpecMessage = "The Rollout \"" + out->rollout.metadata.name +
                              "\" is invalid: " + full.status().toString();
  }
  out->hasStatus = obj.contains("status");
  if (out->invalidSpecMessage.empty() && !out->rollout.spec.workloadRef &&
      out->rollout.spec.replicas) {
    out->validation = validateRollout(out->rollout);
  }
  return out;
}

std::shared_ptr<const kube::ReplicaSet> decodeCachedReplicaSet(const nlohmann::json& obj) {
  auto rs = kube::decodeReplicaSet(obj);
  return rs ? std::make_shared<const kube::ReplicaSet>(std::move(*rs)) : nullptr;
}

std::shared_ptr<const kube::Service> decodeCachedService(const nlohmann::json& obj) {
  auto svc = kube::decodeService(obj);
  return svc ? std::make_shared<const kube::Service>(std::move(*svc)) : nullptr;
}

std::shared_ptr<const CachedRollout> cachedRollout(const kube::Informer& rollouts,
                                                   const std::string& ns, const std::string& name) {
  if (rollouts.decodedType() == typeid(CachedRollout)) {
    return kube::TypedInformer<CachedRollout>(rollouts).get(ns, name);
  }
  kube::ObjectPtr obj = rollouts.get(ns, name);
  return obj ? decodeCachedRollout(*obj) : nullptr;
}

std::vector<std::shared_ptr<const kube::ReplicaSet>> ownedReplicaSets(
    const kube::Informer& replicaSets, const std::string& owner_uid) {
  std::vector<std::shared_ptr<const kube::ReplicaSet>> all;
  if (replicaSets.decodedType() == typeid(kube::ReplicaSet)) {
    all = kube::TypedInformer<kube::ReplicaSet>(replicaSets).byIndex(kube::kIndexOwner, owner_uid);
  } else {
    for (const auto& obj : replicaSets.byIndex(kube::kIndexOwner, owner_uid)) {
      if (auto rs = decodeCachedReplicaSet(*obj)) all.push_back(std::move(rs));
    }
  }
  std::vector<std::shared_ptr<const kube::ReplicaSet>> out;
  for (auto& rs : all) {
    if (rs && rs->metadata.deletionTimestamp.empty()) out.push_back(std::move(rs));
  }
  return out;
}

std::shared_ptr<const kube::Service> cachedService(const kube::Informer& services,
                                                   const std::string& ns, const std::string& name) {
  if (services.decodedType() == typeid(kube::Service)) {
    return kube::TypedInformer<kube::Service>(services).get(ns, name);
  }
  kube::ObjectPtr obj = services.get(ns, name);
  return obj ? decodeCachedService(*obj) : nullptr;
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
