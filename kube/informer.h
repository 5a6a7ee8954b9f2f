// List-then-watch informer with a read-only cache of shared_ptr<const json>, indexers and handlers,
// and optionally a typed view of each object decoded once, when it enters the cache
// (TypedInformer<T>), which is what hot readers use.
#pragma once

#include <cassert>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <typeindex>
#include <vector>

#include "kube/client.h"

namespace vane::kube {

using ObjectPtr = std::shared_ptr<const json>;
/// A decoder's result, type-erased; read through TypedInformer<T>.
using TypedPtr = std::shared_ptr<const void>;

struct InformerOptions {
  std::string namespace_;  // "" for all namespaces
  std::string label_selector;
  std::chrono::seconds resync{0};  // 0: no periodic resync
  /// Applied to every object before caching (e.g. drop managedFields); may be empty.
  std::function<void(json&)> transform;
  /// Metadata only: asks the server for PartialObjectMetadata (ListOptions::metadata_only) and
  /// keeps only apiVersion, kind and metadata of what a server without it sends.
  bool metadata_only = false;
  /// Keep objects as their JSON text instead of trees (about an eighth of the memory); get, list
  /// and byIndex then parse on every call, so hot readers use the typed view instead.
  bool store_encoded = false;
  /// Decodes each object as it enters the cache (after transform); the typed view. Set it with
  /// setDecoder<T>. A decoder returning null leaves the object without a typed view.
  std::function<TypedPtr(const json&)> decode;
  std::type_index decoded_type = typeid(void);
};

/// Sets options.decode from a decoder of T (must not throw).
template <class T>
void setDecoder(InformerOptions& options,
                std::function<std::shared_ptr<const T>(const json&)> decoder) {
  options.decode = [fn = std::move(decoder)](const json& obj) -> TypedPtr { return fn(obj); };
  options.decoded_type = typeid(T);
}

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
  /// The typed views (InformerOptions::decode); read through TypedInformer<T>.
  virtual TypedPtr getTyped(const std::string& ns, const std::string& name) const = 0;
  virtual std::vector<TypedPtr> listTyped() const = 0;
  virtual std::vector<TypedPtr> byIndexTyped(const std::string& index,
                                             const std::string& value) const = 0;
  virtual std::type_index decodedType() const = 0;
};

/// The typed views of an informer whose decoder makes T (setDecoder<T>): shared, read-only,
/// decoded once when the object entered the cache. Objects the decoder refused are absent.
template <class T>
class TypedInformer {
 public:
  explicit TypedInformer(const Informer& informer) : informer_(&informer) {
    assert(informer.decodedType() == typeid(T));
  }
  std::shared_ptr<const T> get(const std::string& ns, const std::string& name) const {
    return std::static_pointer_cast<const T>(informer_->getTyped(ns, name));
  }
  std::vector<std::shared_ptr<const T>> list() const { return cast(informer_->listTyped()); }
  std::vector<std::shared_ptr<const T>> byIndex(const std::string& index,
                                                const std::string& value) const {
    return cast(informer_->byIndexTyped(index, value));
  }
  const Informer& informer() const { return *informer_; }

 private:
  static std::vector<std::shared_ptr<const T>> cast(std::vector<TypedPtr> in) {
    std::vector<std::shared_ptr<const T>> out;
    out.reserve(in.size());
    for (auto& p : in) out.push_back(std::static_pointer_cast<const T>(std::move(p)));
    return out;
  }
  const Informer* informer_;
};

/// A transform for InformerOptions: client-go's TransformStripManagedFields
/// (metadata.managedFields) plus the kubectl.kubernetes.io/last-applied-configuration annotation,
/// the two largest parts of an applied object that a controller never reads. A cache of stripped
/// objects must not be the base of a full update (PUT) of an object's metadata, which would drop
/// the annotation on the server; status updates and patches are unaffected.
void stripManagedFields(json& obj);

/// Cuts obj to apiVersion, kind and metadata (what a PartialObjectMetadata holds).
void keepMetadataOnly(json& obj);

/// Built-in index names: "namespace" and "owner" (controller ownerReference uid).
inline constexpr const char* kIndexNamespace = "namespace";
inline constexpr const char* kIndexOwner = "owner";

}  // namespace vane::kube
