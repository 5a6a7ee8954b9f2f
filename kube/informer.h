// List-then-watch informer with a read-only cache of shared_ptr<const json>, indexers and handlers.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kube/client.h"

namespace vane::kube {

using ObjectPtr = std::shared_ptr<const json>;

struct InformerOptions {
  std::string namespace_;  // "" for all namespaces
  std::string label_selector;
  std::chrono::seconds resync{0};  // 0: no periodic resync
  /// Applied to every object before caching (e.g. drop managedFields); may be empty.
  std::function<void(json&)> transform;
};

struct EventHandlers {
  std::function<void(const ObjectPtr&)> on_add;
  std::function<void(const ObjectPtr& old_obj, const ObjectPtr& new_obj)> on_update;
  std::function<void(const ObjectPtr&)> on_delete;  // the last known state
};

/// Thread-safe. Handlers run on the informer's thread and must not block for long.
class Informer {
 public:
  virtual ~Informer() = default;
  static std::unique_ptr<Informer> create(Client& client, Resource resource,
                                          InformerOptions options = {});
  virtual const Resource& resource() const = 0;
  /// Adds handlers; objects already cached are replayed as adds.
  virtual void addHandlers(EventHandlers handlers) = 0;
  /// Indexer: fn maps an object to its index values.
  virtual void addIndex(const std::string& name,
                        std::function<std::vector<std::string>(const json&)> fn) = 0;
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual bool hasSynced() const = 0;
  /// Blocks until synced or the timeout; returns hasSynced().
  virtual bool waitForSync(std::chrono::milliseconds timeout) const = 0;
  virtual ObjectPtr get(const std::string& ns, const std::string& name) const = 0;
  virtual std::vector<ObjectPtr> list(const std::string& ns = "") const = 0;
  virtual std::vector<ObjectPtr> byIndex(const std::string& index,
                                         const std::string& value) const = 0;
  virtual std::size_t size() const = 0;
};

/// A transform for InformerOptions: client-go's TransformStripManagedFields
/// (metadata.managedFields) plus the kubectl.kubernetes.io/last-applied-configuration annotation,
/// the two largest parts of an applied object that a controller never reads. A cache of stripped
/// objects must not be the base of a full update (PUT) of an object's metadata, which would drop
/// the annotation on the server; status updates and patches are unaffected.
void stripManagedFields(json& obj);

/// Built-in index names: "namespace" and "owner" (controller ownerReference uid).
inline constexpr const char* kIndexNamespace = "namespace";
inline constexpr const char* kIndexOwner = "owner";

}  // namespace vane::kube
