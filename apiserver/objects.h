// Object preparation shared by the REST handlers and the embedded controllers: system fields
// (uid, timestamps, generation), built-in defaulting, name rules, and finalizer-aware writes.
#pragma once

#include <optional>
#include <string>

#include "apiserver/registry.h"
#include "apiserver/store.h"

namespace vane::apiserver {

using json = nlohmann::json;

std::string newUid();
std::string randomSuffix(std::size_t n = 5);
std::string nowRfc3339();
/// Whether obj has a deletionTimestamp (it is being deleted, waiting for finalizers or dependents).
bool isDeleting(const nlohmann::json& obj);
std::string base64Encode(const std::string& in);

/// The object as served at `version`: apiVersion and kind set.
json presentAs(const ResourceType& t, const std::string& version, json obj);
/// The object as meta.k8s.io/v1 PartialObjectMetadata: its metadata only (kube-apiserver's
/// metadata conversion for client-go's metadata informers).
json partialObjectMetadata(const json& obj);
/// Defaults of the built-in kinds (Service, Secret, Namespace, Deployment, ReplicaSet, Pod, Job).
/// old is the stored object on update (keeps allocated fields such as clusterIP).
void applyBuiltinDefaults(const ResourceType& t, json& obj, const json* old);
/// RFC 1123 subdomain check; returns the Invalid message or "" when valid.
std::string nameError(const std::string& name);
/// Whether the change from old to updated bumps metadata.generation for type t.
bool generationChanges(const ResourceType& t, const json& old, const json& updated);
/// Equality ignoring resourceVersion and managedFields (no-op write detection).
bool sameObject(const json& a, const json& b);
uint64_t objectRv(const json& obj);
std::string metaString(const json& obj, const char* field);
bool hasFinalizer(const json& obj, const std::string& f);
ObjectKey keyOf(const ResourceType& t, const json& obj);

/// Writes updated as the new state of key: when it carries a deletionTimestamp and no finalizers
/// left, the object is removed instead (DELETED). expected_rv: optimistic lock.
Result<ObjectPtr> writeObject(Store& store, const ObjectKey& key, json updated,
                              std::optional<uint64_t> expected_rv);

/// Starts deleting key with propagation policy ("Background", "Foreground", "Orphan"): objects
/// with finalizers (or Foreground/Orphan) get deletionTimestamp; others are removed at once.
/// Namespaces turn Terminating; CRDs get the cleanup finalizer. Returns the last/current state
/// and whether it is gone.
struct DeleteOutcome {
  ObjectPtr object;
  bool removed = false;
};
Result<DeleteOutcome> beginDelete(Store& store, const ResourceType& t, const ObjectKey& key,
                                  const std::string& policy,
                                  std::optional<uint64_t> expected_rv = std::nullopt);

inline constexpr char kForegroundFinalizer[] = "foregroundDeletion";
inline constexpr char kOrphanFinalizer[] = "orphan";
inline constexpr char kCrdCleanupFinalizer[] = "customresourcecleanup.apiextensions.k8s.io";

}  // namespace vane::apiserver
