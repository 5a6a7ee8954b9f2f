// The small controller runtime every loop of the controller shares (client-go's worker pattern and
// controller-runtime's Result): a reconcile returns a status and an optional requeue delay, and
// one worker loop turns that into work-queue calls. Also the helpers every controller's event
// handlers and reconciles need: object keys, owner keys, handlers that treat every event alike,
// and the stale-cache guard (Argo's resourceversion tracker).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "kube/informer.h"
#include "kube/status.h"
#include "kube/workqueue.h"

namespace vane::kube {

/// Argo's StaleCacheRequeueDelay (utils/controller/controller.go): how long a reconcile waits
/// for the informer to deliver this controller's own last write of its object.
inline constexpr std::chrono::milliseconds kStaleCacheRequeueDelay{100};

struct ReconcileResult {
  Status status;  // non-ok: requeue with rate limit, or after its retryAfter (requeueAfter ignored)
  /// Requeue after this long (a wait from status timestamps, a stale cache); ok status only.
  std::optional<std::chrono::milliseconds> requeueAfter;
};

/// Reconciles one "namespace/name" key: level-based, idempotent, never throws.
using ReconcileFn = std::function<ReconcileResult(const std::string& key)>;

/// Takes one key from queue, reconciles it and settles it: an error is logged (prefixed with
/// name) and re-added rate-limited; success forgets the key's backoff and, with requeueAfter,
/// re-adds it after that delay. false once the queue is shut down and drained.
bool processNextItem(WorkQueue& queue, std::string_view name, const ReconcileFn& reconcile);

/// processNextItem until the queue shuts down: the body of one worker thread.
void runWorker(WorkQueue& queue, std::string_view name, const ReconcileFn& reconcile);

/// Worker threads over work queues (one group per process); stop() shuts every queue given to
/// start() down and joins the threads. Not thread-safe: start and stop from one thread.
class WorkerGroup {
 public:
  WorkerGroup() = default;
  WorkerGroup(const WorkerGroup&) = delete;
  WorkerGroup& operator=(const WorkerGroup&) = delete;
  ~WorkerGroup() { stop(); }
  /// Starts max(1, workers) threads running runWorker(queue, name, reconcile).
  void start(WorkQueue& queue, std::string name, int workers, ReconcileFn reconcile);
  /// Idempotent.
  void stop();

 private:
  std::vector<WorkQueue*> queues_;
  std::vector<std::thread> threads_;
};

/// "namespace/name" split in two; a key without '/' is a cluster-scoped name.
std::pair<std::string, std::string> splitKey(const std::string& key);

/// The "namespace/name" key of an object.
std::string objectKey(const json& obj);

/// The keys ("namespace/name") of the objects of kind that control obj (ownerReferences with
/// controller: true).
std::vector<std::string> controllerOwnerKeys(const json& obj, std::string_view kind);

/// Handlers that call fn with the object of every add, update (the new state) and delete (the
/// last known state).
EventHandlers onEveryEvent(std::function<void(const ObjectPtr&)> fn);

/// Handlers that queue, for every event, the keys of the objects of kind that control the
/// event's object (client-go's EnqueueRequestForOwner with IsController).
EventHandlers enqueueOwners(WorkQueue& queue, std::string kind);

/// Argo's resourceversion tracker (utils/controller): the resourceVersion of this controller's
/// last write of each object, so that a reconcile never plans from a cache older than its own last
/// write. Thread-safe. Non-numeric resourceVersions are never stale.
class ResourceVersionTracker {
 public:
  /// Records a write of key that the server answered with resourceVersion rv.
  void recordWrite(const std::string& key, const std::string& rv);
  /// Whether cached_rv is older than the last write recorded for key.
  bool stale(const std::string& key, const std::string& cached_rv) const;
  /// Forgets key (its object is gone).
  void forget(const std::string& key);

 private:
  mutable std::mutex mu_;
  std::map<std::string, unsigned long long> written_;
};

}  // namespace vane::kube
