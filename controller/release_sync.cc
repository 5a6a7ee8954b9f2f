// The release loops of the Rollout controller (Argo service/service.go syncService and
// rollout/trafficrouting/istio/controller.go syncDestinationRule): a Service or DestinationRule
// that carries the managed-by annotation but that no Rollout names any more loses what a Rollout
// wrote into it; one still named re-queues its Rollout.
#include <algorithm>
#include <iostream>
#include <optional>

#include "base/log.h"
#include "controller/conditions.h"
#include "controller/rollout_controller.h"
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

void RolloutController::releaseWorker(kube::WorkQueue& queue,
                                      Status (RolloutController::*sync)(const std::string&)) {
  while (auto key = queue.get()) {
    if (Status s = (this->*sync)(*key); !s) {
      log::error("releasing a Service or DestinationRule failed",
                 {{"key", *key}, {"error", s.toString()}});
      queue.addRateLimited(*key);
    } else {
      queue.forget(*key);
    }
    queue.done(*key);
  }
}

Status RolloutController::syncService(const std::string& key) {
  const auto slash = key.find('/');
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  kube::ObjectPtr svc = services_->get(ns, name);
  if (!svc) return Status::ok();
  const json& selector = svc->value("spec", json::object()).value("selector", json::object());
  if (!selector.is_object() || !selector.contains(kLabelPodTemplateHash)) return Status::ok();
  const std::optional<std::string> owner = releaseManagedBy(*svc);
  if (!owner) {
    // Argo's patch for a Service without the annotation removes nothing; only re-queue.
    enqueueByIndex(kIndexService, svc);
    return Status::ok();
  }
  if (!owner->empty()) {
    // Read live, as Argo does: the cache may not hold a Rollout created a moment ago (nor one of
    // another controller instance). Unlike Argo, a failed read is retried rather than taken as
    // "no Rollout": releasing a Service in use would send its traffic to every revision.
    auto ro = client_.get(res::kRollouts, ns, *owner);
    if (ro) {
      if (releaseNames(rolloutServiceKeys(*ro), key)) {
        enqueueRollout(std::make_shared<const json>(std::move(*ro)));
        return Status::ok();
      }
    } else if (ro.status().code() != Code::kNotFound) {
      return ro.status();
    }
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

Status RolloutController::syncDestinationRule(const std::string& key) {
  const auto slash = key.find('/');
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  kube::ObjectPtr cached = destinationRules_->get(ns, name);
  if (!cached) return Status::ok();
  const std::optional<std::string> owner = releaseManagedBy(*cached);
  if (!owner || owner->empty()) return Status::ok();  // not managed by a Rollout
  auto ro = client_.get(res::kRollouts, ns, *owner);  // live, as for Services
  if (ro) {
    if (releaseNames(rolloutDestinationRuleKeys(*ro), key)) {
      enqueueRollout(std::make_shared<const json>(std::move(*ro)));
      return Status::ok();
    }
  } else if (ro.status().code() != Code::kNotFound) {
    return ro.status();
  }
  // A full update from a live read: the cache drops the last-applied annotation. A conflict is
  // retried from the queue.
  const kube::Resource& resource = destinationRules_->resource();
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
