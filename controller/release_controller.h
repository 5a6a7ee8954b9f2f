// The release loops (Argo service/service.go syncService and
// rollout/trafficrouting/istio/controller.go syncDestinationRule): a Service or DestinationRule
// that carries the managed-by annotation but that no Rollout names any more loses what a Rollout
// wrote into it; one still named re-queues its Rollout. Keys come from the Service and
// DestinationRule informers and from Rollouts that stop naming an object (or are deleted).
#pragma once

#include <memory>
#include <string>

#include "controller/informers.h"
#include "controller/rollout_controller.h"
#include "kube/controller_runtime.h"
#include "kube/workqueue.h"

namespace vane::controller {

class ReleaseController {
 public:
  /// Adds the handlers that queue Services and DestinationRules; call before the informers
  /// start. Rollouts still naming an object are queued in rollouts.
  ReleaseController(kube::Client& client, SharedInformers& informers, RolloutController& rollouts);
  /// Starts one worker per loop in group.
  void start(kube::WorkerGroup& group);
  /// Argo syncService: a Service with the hash selector that no Rollout references any more
  /// loses the selector and the managed-by annotation; else its Rollout is queued.
  Status syncService(const std::string& key);
  /// Argo syncDestinationRule: a DestinationRule whose managing Rollout is gone or names it no
  /// more loses the subsets' hash labels and the managed-by annotation; else that Rollout is
  /// queued.
  Status syncDestinationRule(const std::string& key);

 private:
  void enqueueReleased(const kube::ObjectPtr& old_ro, const kube::ObjectPtr& new_ro);
  /// Whether the Rollout owner (read live) still names key; if so it is queued.
  Result<bool> ownerStillNames(const std::string& ns, const std::string& owner,
                               const std::string& key,
                               std::vector<std::string> (*keys_of)(const nlohmann::json&));

  kube::Client& client_;
  SharedInformers& informers_;
  RolloutController& rollouts_;
  std::unique_ptr<kube::WorkQueue> services_, destinationRules_;
};

}  // namespace vane::controller
