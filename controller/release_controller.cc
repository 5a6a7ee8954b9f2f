#include "controller/release_controller.h"

#include <algorithm>
#include <optional>

#include "base/log.h"
#include "controller/conditions.h"
#include "controller/rollout_refs.h"

namespace vane::controller {

using nlohmann::json;
namespace res = kube::resources;

namespace {

// The managed-by annotation: nullopt when absent, "" when not a string.
std::optional<std::string> releaseManagedBy(const json& obj) {
  const json annotations = obj.value("metadata", json::object()).value("annotations", json());
  if (!annotations.is_object()) return std::nullopt;
  auto it = annotations.find(kAnnotationManagedBy);
  if (it == annotations.end()) return std::nullopt;
  return it->is_string() ? it->get<std::string>() : "";
}

bool releaseNames(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace

ReleaseController::ReleaseController(kube::Client& client, SharedInformers& informers,
                                     RolloutController& rollouts)
    : client_(client),
      informers_(informers),
      rollouts_(rollouts),
      services_(kube::WorkQueue::create(controllerQueueOptions())),
      destinationRules_(kube::WorkQueue::create(controllerQueueOptions())) {
  informers.services->addHandlers(kube::onEveryEvent([this](const kube::ObjectPtr& o) {
    if (o) services_->add(kube::objectKey(*o));
  }));
  // Argo sends DestinationRule events through its own queue, rate-limited.
  informers.destinationRules->addHandlers(kube::onEveryEvent([this](const kube::ObjectPtr& o) {
    if (o) destinationRules_->addRateLimited(kube::objectKey(*o));
  }));
  informers.rollouts->addHandlers({nullptr,
                                   [this](const auto& o, const auto& n) { enqueueReleased(o, n); },
                                   [this](const auto& o) { enqueueReleased(o, nullptr); }});
}

void ReleaseController::start(kube::WorkerGroup& group) {
  group.start(*services_, "release service", 1, [this](const std::string& key) {
    return kube::ReconcileResult{syncService(key), std::nullopt};
  });
  group.start(*destinationRules_, "release destinationrule", 1, [this](const std::string& key) {
    return kube::ReconcileResult{syncDestinationRule(key), std::nullopt};
  });
}

// Argo rollout/controller.go: the Services and DestinationRules a Rollout stopped naming (all of
// them when it is deleted) go to their release loops, which clean them if no Rollout names them
// any more.
void ReleaseController::enqueueReleased(const kube::ObjectPtr& old_ro,
                                        const kube::ObjectPtr& new_ro) {
  if (!old_ro) return;
  using KeysFn = std::vector<std::string> (*)(const json&);
  for (auto [keys_of, queue] :
       {std::pair<KeysFn, kube::WorkQueue*>{rolloutServiceKeys, services_.get()},
        {rolloutDestinationRuleKeys, destinationRules_.get()}}) {
    std::vector<std::string> keys = keys_of(*old_ro);
    if (new_ro) keys = removedKeys(keys, keys_of(*new_ro));
    for (const auto& key : keys) queue->addRateLimited(key);
  }
}

// Read live, as Argo does: the cache may not hold a Rollout created a moment ago (nor one of
// another controller instance). Unlike Argo, a failed read is retried rather than taken as "no
// Rollout": releasing a Service in use would send its traffic to every revision.
Result<bool> ReleaseController::ownerStillNames(const std::string& ns, const std::string& owner,
                                                const std::string& key,
                                                std::vector<std::string> (*keys_of)(const json&)) {
  auto ro = client_.get(res::kRollouts, ns, owner);
  if (!ro) {
    if (ro.status().code() == Code::kNotFound) return false;
    return ro.status();
  }
  if (!releaseNames(keys_of(*ro), key)) return false;
  rollouts_.enqueue(std::make_shared<const json>(std::move(*ro)));
  return true;
}

Status ReleaseController::syncService(const std::string& key) {
  const auto [ns, name] = kube::splitKey(key);
  kube::ObjectPtr svc = informers_.services->get(ns, name);
  if (!svc) return Status::ok();
  const json& selector = svc->value("spec", json::object()).value("selector", json::object());
  if (!selector.is_object() || !selector.contains(kLabelPodTemplateHash)) return Status::ok();
  const std::optional<std::string> owner = releaseManagedBy(*svc);
  if (!owner) {
    // Argo's patch for a Service without the annotation removes nothing; only re-queue.
    rollouts_.enqueueByIndex(kIndexService, svc);
    return Status::ok();
  }
  if (!owner->empty()) {
    auto named = ownerStillNames(ns, *owner, key, rolloutServiceKeys);
    if (!named) return named.status();
    if (*named) return Status::ok();
  }
  const json patch = {{"metadata", {{"annotations", {{kAnnotationManagedBy, nullptr}}}}},
                      {"spec", {{"selector", {{kLabelPodTemplateHash, nullptr}}}}}};
  auto r = client_.patch(res::kServices, ns, name, kube::PatchType::kMerge, patch);
  if (!r) return r.status().code() == Code::kNotFound ? Status::ok() : r.status();
  log::info(std::string("no Rollout references the Service any more: removed its ") +
                kLabelPodTemplateHash + " selector and " + kAnnotationManagedBy,
            {{"service", key}});
  return Status::ok();
}

Status ReleaseController::syncDestinationRule(const std::string& key) {
  const auto [ns, name] = kube::splitKey(key);
  kube::ObjectPtr cached = informers_.destinationRules->get(ns, name);
  if (!cached) return Status::ok();
  const std::optional<std::string> owner = releaseManagedBy(*cached);
  if (!owner || owner->empty()) return Status::ok();  // not managed by a Rollout
  auto named = ownerStillNames(ns, *owner, key, rolloutDestinationRuleKeys);
  if (!named) return named.status();
  if (*named) return Status::ok();
  // A full update from a live read: the cache drops the last-applied annotation. A conflict is
  // retried from the queue.
  const kube::Resource& resource = informers_.destinationRules->resource();
  auto live = client_.get(resource, ns, name);
  if (!live) return live.status().code() == Code::kNotFound ? Status::ok() : live.status();
  json rule = std::move(*live);
  bool changed = false;
  json& meta = rule["metadata"];
  if (meta.contains("annotations") && meta["annotations"].is_object()) {
    changed |= meta["annotations"].erase(kAnnotationManagedBy) > 0;
    if (meta["annotations"].empty()) meta.erase("annotations");
  }
  if (rule.contains("spec") && rule["spec"].is_object() && rule["spec"].contains("subsets") &&
      rule["spec"]["subsets"].is_array()) {
    for (json& subset : rule["spec"]["subsets"]) {
      if (!subset.is_object() || !subset.contains("labels") || !subset["labels"].is_object()) {
        continue;
      }
      changed |= subset["labels"].erase(kLabelPodTemplateHash) > 0;
      if (subset["labels"].empty()) subset.erase("labels");
    }
  }
  if (!changed) return Status::ok();
  auto w = client_.update(resource, ns, rule);
  if (!w) return w.status().code() == Code::kNotFound ? Status::ok() : w.status();
  log::info(std::string("no Rollout references the DestinationRule any more: removed its ") +
                kLabelPodTemplateHash + " subset labels and " + kAnnotationManagedBy,
            {{"destinationrule", key}});
  return Status::ok();
}

}  // namespace vane::controller
