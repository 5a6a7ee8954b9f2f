// The Rollout reconciler: reconcile(key) reads the Rollout and what it owns from the informer
// caches, plans with planRollout() (pure), performs the planned writes through the Executor, and
// writes the status once through /status (on 409: re-read the Rollout and plan again).
// Level-triggered and idempotent; never throws. Time-based waits come back as requeueAfter.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "controller/context.h"
#include "controller/executor.h"
#include "controller/informers.h"
#include "controller/service.h"
#include "controller/validation.h"
#include "kube/client.h"
#include "kube/controller_runtime.h"
#include "kube/informer.h"
#include "kube/status.h"

namespace vane::kube {
class EventRecorder;
}
namespace vane::trafficrouting {
class RouterRegistry;
}

namespace vane::controller {

struct ReconcilerDeps {
  kube::Client* client = nullptr;
  kube::Informer* rollouts = nullptr;
  kube::Informer* replicaSets = nullptr;
  kube::Informer* services = nullptr;
  kube::Informer* analysisRuns = nullptr;  // optional
  kube::Informer* experiments = nullptr;   // optional; the canary experiment step needs it
  kube::Informer* pods = nullptr;          // optional; restartAt and ephemeral metadata need it
  kube::Informer* deployments = nullptr;   // optional; workloadRef reads through the client without
  kube::EventRecorder* events = nullptr;   // optional
  const trafficrouting::RouterRegistry* routers = nullptr;  // optional
  std::string istioApiVersion = "v1alpha3";
  /// Unix seconds; injectable for tests.
  std::function<int64_t()> clock;
  /// Called with "ns/name" when a reconcile decides an abort itself; may be empty.
  std::function<void(const std::string& key)> abortDecided;
  /// Observes each finished reconcile (metrics); may be empty.
  std::function<void(const std::string& key, std::chrono::microseconds, const Status&)> observer;
  /// Observes each update that finished (status.duration, controller/duration.h), once: after
  /// the status write that records it. May be empty.
  std::function<void(const RolloutDuration&)> rolloutFinished;
};

using kube::kStaleCacheRequeueDelay;
using ReconcileResult = kube::ReconcileResult;

class Reconciler {
 public:
  explicit Reconciler(ReconcilerDeps deps);
  /// key is "namespace/name". Thread-safe for different keys (the work queue never hands out
  /// the same key twice at once).
  ReconcileResult reconcile(const std::string& key);

 private:
  using ObjectReader = std::function<Result<kube::json>()>;
  Result<bool> reconcileObject(const CachedRollout& cached, const ObjectReader& object,
                               ReconcileResult& out);
  void emitEvents(const RolloutContext& ctx, const kube::json& obj);
  void buildContext(RolloutContext& ctx);
  std::string readServices(const kube::Rollout& rollout, ServiceSelectors& out) const;
  Result<kube::json> readWorkload(const kube::Rollout& rollout) const;
  std::string checkMetricPlugins(const kube::Rollout& rollout) const;

  // The stale-cache guard: the resourceVersion of this controller's last write of each Rollout.
  void recordWrite(const std::string& key, const std::string& rv) { written_.recordWrite(key, rv); }

  ReconcilerDeps deps_;
  Executor executor_;
  kube::ResourceVersionTracker written_;
};

}  // namespace vane::controller
