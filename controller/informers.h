// The controller's options and the informers its loops share (Argo controller/controller.go
// NewManager: one informer per kind, handed to every controller that reads that kind).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "controller/duration.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/types.h"
#include "kube/workqueue.h"

namespace vane::controller {

struct ControllerOptions {
  std::string namespace_;  // "" for all namespaces
  std::string instanceId;  // only objects labelled with it; "" only objects without the label
  int workers = 2;
  int analysisWorkers = 2;
  std::string istioApiVersion = "v1alpha3";
  /// Without Istio's CRDs at start, how often to look for them again (Argo: 10 minutes).
  std::chrono::milliseconds istioProbeInterval{std::chrono::minutes(10)};
  std::chrono::seconds resync{900};
  /// Observes each finished rollout reconcile (metrics); may be empty.
  std::function<void(const std::string& key, std::chrono::microseconds, const Status&)> observer;
  /// Observes vane_abort_latency_seconds (AbortLatencyTracker, controller/metrics.h); may be empty.
  std::function<void(double seconds)> abortLatency;
  /// Observes each finished update once (rollout_duration_seconds, ...); may be empty.
  std::function<void(const RolloutDuration&)> rolloutFinished;
};

/// One informer per kind the controllers read. Rollouts, AnalysisRuns and Experiments are
/// filtered by the server on the instance-id label (Argo's instanceID requirement): with
/// --instance-id X only those labelled X, without it only those without the label. Pods serve
/// the restarter only (by owner ReplicaSet); Deployments are those spec.workloadRef names. The
/// Istio kinds are started only where served.
///
/// What is cached is only what is read (issue 17): Rollouts and ReplicaSets are kept as JSON
/// text with a typed view decoded once (CachedRollout, kube::ReplicaSet) that reconciles read;
/// ReplicaSets only with the rollouts-pod-template-hash label (those Rollouts and Experiments
/// make; argo-rollouts PR #4666); Pods as metadata only (PartialObjectMetadata); Services with a
/// typed view.
struct SharedInformers {
  SharedInformers(kube::Client& client, const ControllerOptions& options);

  std::unique_ptr<kube::Informer> rollouts, replicaSets, services, analysisRuns, pods, deployments,
      experiments, virtualServices, destinationRules;
};

/// A Rollout as the controller's cache holds it, decoded once when it entered the cache: leniently
/// (a bad spec still yields metadata and status, and invalidSpecMessage names the first bad
/// field, "The Rollout \"web\" is invalid: spec..."). validation is validateRollout() of it,
/// computed then too, unless spec.workloadRef (the spec is only complete once resolved).
struct CachedRollout {
  kube::Rollout rollout;
  std::string invalidSpecMessage;
  std::optional<std::string> validation;
  bool hasStatus = false;  // the object has a status (else the first reconcile writes one)
};

/// The decoders of the typed caches (never throw; null when even the metadata does not decode).
std::shared_ptr<const CachedRollout> decodeCachedRollout(const nlohmann::json& obj);
std::shared_ptr<const kube::ReplicaSet> decodeCachedReplicaSet(const nlohmann::json& obj);
std::shared_ptr<const kube::Service> decodeCachedService(const nlohmann::json& obj);

/// The options of the controller's cache of each kind, from the common ones (namespace, resync,
/// transform; for Rollouts also the instance-id selector), so that tests make the same caches.
kube::InformerOptions rolloutCacheOptions(kube::InformerOptions base);
kube::InformerOptions replicaSetCacheOptions(kube::InformerOptions base);
kube::InformerOptions serviceCacheOptions(kube::InformerOptions base);
kube::InformerOptions podCacheOptions(kube::InformerOptions base);

/// Typed reads from an informer: its typed view when it was made with the matching decoder (the
/// controller's informers), else decoded here from the cached object (informers made without,
/// as some tests do). ReplicaSets being deleted are left out of the owned ones.
std::shared_ptr<const CachedRollout> cachedRollout(const kube::Informer& rollouts,
                                                   const std::string& ns, const std::string& name);
std::vector<std::shared_ptr<const kube::ReplicaSet>> ownedReplicaSets(
    const kube::Informer& replicaSets, const std::string& owner_uid);
std::shared_ptr<const kube::Service> cachedService(const kube::Informer& services,
                                                   const std::string& ns, const std::string& name);

/// Whether obj belongs to the controller instance instance_id (its instance-id label equals it;
/// "" matches objects without the label).
bool ownedByInstance(const nlohmann::json& obj, const std::string& instance_id);

/// Handlers that queue the key of every object that belongs to instance_id.
kube::EventHandlers enqueueOwnedByInstance(kube::WorkQueue& queue, std::string instance_id);

/// The work queues' rate limits (Argo: 1 ms .. 10 s per key).
kube::WorkQueueOptions controllerQueueOptions();

}  // namespace vane::controller
