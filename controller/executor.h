// The one executor of plans (controller/actions.h) for every controller: the Rollout reconciler
// and the Experiment reconciler perform their planned writes through it, and unit tests run it
// against a fake kube::Client. It performs each action in plan order and stops at the first
// error; it decides nothing and never edits a plan's status. What happened that the plan could
// not know (a pod restart's count, a Service name taken, an AnalysisTemplate missing for an
// Experiment) comes back in the ExecReport for the reconciler to turn into status.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/actions.h"
#include "controller/context.h"
#include "controller/restart.h"
#include "kube/client.h"
#include "kube/status.h"

namespace vane::trafficrouting {
class RouterRegistry;
}

namespace vane::controller {

struct ExecutorDeps {
  kube::Client* client = nullptr;
  /// Routers for the traffic-routing actions; without them those actions fail (kUnsupported).
  const trafficrouting::RouterRegistry* routers = nullptr;
  std::string istioApiVersion = "v1alpha3";
  /// The pods a ReplicaSet (by uid) owns, from the pod cache. Unset: RestartPods logs that pod
  /// restarts are off and does nothing.
  std::function<std::vector<nlohmann::json>(const std::string& uid)> ownedPods;
};

/// The object a plan belongs to.
struct ExecTarget {
  /// The Rollout or Experiment as read: namespace, owner of created AnalysisRuns, fieldRefs.
  const nlohmann::json& object;
  /// Set for a Rollout's plan: the routers' context and the pod restart's selector.
  const kube::Rollout* rollout = nullptr;
  int64_t now = 0;  // unix seconds
};

/// What executing a plan found out.
struct ExecReport {
  /// The Rollout's resourceVersion after an AnnotateRollout ("" when none ran).
  std::string rolloutResourceVersion;
  /// Set when a RestartPods ran against a pod cache.
  std::optional<PodRestartResult> restart;
  /// A RestartPods{stopIfRestarted} deleted pods: the actions after it did not run.
  bool stopped = false;
  /// Events the routers recorded, and a TrafficRoutingError warning when one failed.
  std::vector<Event> events;
  /// CreateAnalysisRun.experimentAnalysis entries whose run could not be built or was refused
  /// (missing template, bad argument).
  std::vector<std::pair<std::string, Status>> analysisErrors;
  /// CreateService actions whose name another object holds.
  std::vector<CreateService> servicesTaken;
};

class Executor {
 public:
  explicit Executor(ExecutorDeps deps);
  /// Performs `plan` in order for `target`. Returns the first error (the report keeps what was
  /// found until then). Thread-safe: holds no state between calls.
  Status execute(const std::vector<Action>& plan, const ExecTarget& target,
                 ExecReport& report) const;

 private:
  struct Run;
  ExecutorDeps deps_;
};

}  // namespace vane::controller
