// The local API server's object store: every object of every resource, one monotonic
// resourceVersion counter, watch fan-out, and (with a data dir) a write-ahead log fsynced before a
// write is acknowledged. The REST layer (apiserver/rest*.cc) and the embedded controllers
// (garbage collector, namespace finalizer, workload simulation) both work through this interface.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kube/status.h"

namespace vane::apiserver {

using json = nlohmann::json;
using ObjectPtr = std::shared_ptr<const json>;

/// Identifies a resource type in the store: "<group>/<plural>", "core/<plural>" for the core group,
/// e.g. "core/pods", "apps/replicasets", "argoproj.io/rollouts".
using ResourceKey = std::string;

struct ObjectKey {
  ResourceKey resource;
  std::string namespace_;  // "" for cluster-scoped
  std::string name;
};

struct StoreEvent {
  std::string type;  // "ADDED", "MODIFIED", "DELETED"
  ResourceKey resource;
  uint64_t resource_version = 0;
  ObjectPtr object;      // the new state (for DELETED: the last state, with the delete's RV)
  ObjectPtr old_object;  // previous state for MODIFIED/DELETED, null for ADDED
};

struct StoreOptions {
  std::string data_dir;                        // empty: in memory only
  bool fsync = true;                           // fsync the WAL before acknowledging a write
  std::size_t compact_after_bytes = 64 << 20;  // rewrite a snapshot when the WAL passes this
  std::size_t watch_history = 10000;           // events kept for watch resume; older RVs get 410
  /// Called with the latency in seconds of the WAL fsync that made a write durable (metrics);
  /// runs on the writer's thread, without the store lock.
  std::function<void(double)> on_fsync;
};

/// A watch registered on the store. Events are delivered in resourceVersion order to the callback
/// on a store-owned thread or the writer's thread; the callback must be quick (queue and return).
class StoreWatch {
 public:
  virtual ~StoreWatch() = default;
  virtual void cancel() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  /// Opens (and replays) the data dir, or an empty in-memory store.
  static Result<std::unique_ptr<Store>> open(StoreOptions options);

  virtual uint64_t currentResourceVersion() const = 0;

  virtual Result<ObjectPtr> get(const ObjectKey& key) const = 0;
  /// All objects of a resource (namespace "" = all namespaces) in (namespace, name) order, and the
  /// resourceVersion the list is consistent with.
  virtual std::pair<std::vector<ObjectPtr>, uint64_t> list(const ResourceKey& resource,
                                                           const std::string& ns) const = 0;

  /// Writes obj as the new state of key (metadata.resourceVersion is set by the store). With
  /// expected_rv set, fails with kConflict unless the stored RV matches. create: kAlreadyExists if
  /// present; update: kNotFound if absent. Returns the stored object.
  virtual Result<ObjectPtr> create(const ObjectKey& key, json obj) = 0;
  virtual Result<ObjectPtr> update(const ObjectKey& key, json obj,
                                   std::optional<uint64_t> expected_rv = std::nullopt) = 0;
  /// Removes the object for good (finalizers are the REST layer's business). Returns the last
  /// state.
  virtual Result<ObjectPtr> remove(const ObjectKey& key,
                                   std::optional<uint64_t> expected_rv = std::nullopt) = 0;

  /// Read-modify-write with retry on conflict: fn edits a copy of the current object (return a
  /// non-ok Status to abort, kNotFound if absent). Used by the embedded controllers.
  virtual Result<ObjectPtr> mutate(const ObjectKey& key,
                                   const std::function<Status(json&)>& fn) = 0;

  /// Watches one resource (namespace "" = all) starting after from_rv (0 = from now). Fails with
  /// kGone when from_rv is older than the kept history. resource "" watches every resource.
  virtual Result<std::unique_ptr<StoreWatch>> watch(const ResourceKey& resource,
                                                    const std::string& ns, uint64_t from_rv,
                                                    std::function<void(const StoreEvent&)> fn) = 0;
};

}  // namespace vane::apiserver
