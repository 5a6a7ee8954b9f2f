// An index of stored objects by uid and by the uid of their controller (the ownerReference with
// `controller: true`), kept current from store events. Lets the embedded controllers find "the
// Pods of this ReplicaSet" or "the owner of this Pod" without scanning every object.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "apiserver/store.h"

namespace vane::apiserver {

class OwnerIndex {
 public:
  /// Applies one store event (ADDED, MODIFIED, DELETED): the object's new state replaces its old
  /// one. Call with every event of the indexed resources, in resourceVersion order. Objects
  /// without metadata.uid are indexed by controller only. Not thread-safe.
  void apply(const StoreEvent& ev);
  /// Indexes an object as present (an initial list); same as an ADDED event.
  void add(const ResourceKey& resource, const json& obj);

  /// The key of the object with this uid, if indexed.
  std::optional<ObjectKey> byUid(const std::string& uid) const;
  /// Keys of the objects of `resource` whose controller's uid is `uid`, in (namespace, name)
  /// order.
  std::vector<ObjectKey> controlledBy(const ResourceKey& resource, const std::string& uid) const;
  /// Number of objects indexed by uid.
  std::size_t size() const { return by_uid_.size(); }

 private:
  using NameKey = std::pair<std::string, std::string>;  // (namespace, name)
  void remove(const ResourceKey& resource, const json& obj);

  std::unordered_map<std::string, ObjectKey> by_uid_;
  // (resource, controller uid) -> objects
  std::map<std::pair<ResourceKey, std::string>, std::set<NameKey>> by_controller_;
};

/// The uid in the ownerReference with `controller: true`, or "" (malformed input gives "").
std::string controllerUidOf(const json& obj);
/// The controller ownerReference itself, or nullptr.
const json* controllerRefOf(const json& obj);

}  // namespace vane::apiserver
