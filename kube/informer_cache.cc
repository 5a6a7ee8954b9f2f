#include "kube/informer_cache.h"

namespace vane::kube {
namespace {

std::vector<std::string> namespaceIndex(const json& obj) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return {};
  auto ns = meta->find("namespace");
  if (ns == meta->end() || !ns->is_string() || ns->get_ref<const std::string&>().empty()) return {};
  return {ns->get<std::string>()};
}

// The uid of the controller ownerReference (client-go's metav1.GetControllerOf).
std::vector<std::string> ownerIndex(const json& obj) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return {};
  auto refs = meta->find("ownerReferences");
  if (refs == meta->end() || !refs->is_array()) return {};
  for (const auto& ref : *refs) {
    if (ref.is_object() && ref.value("controller", false) && ref.contains("uid") &&
        ref["uid"].is_string()) {
      return {ref["uid"].get<std::string>()};
    }
  }
  return {};
}

}  // namespace

InformerCache::InformerCache() {
  indexes_[kIndexNamespace].fn = namespaceIndex;
  indexes_[kIndexOwner].fn = ownerIndex;
}

std::string InformerCache::keyOf(const json& obj) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return {};
  std::string ns = meta->value("namespace", "");
  std::string name = meta->value("name", "");
  return ns.empty() ? name : ns + "/" + name;
}

ObjectPtr InformerCache::upsert(const std::string& key, ObjectPtr obj) {
  ObjectPtr old;
  auto it = items_.find(key);
  if (it != items_.end()) {
    old = std::move(it->second);
    for (auto& [name, index] : indexes_) indexRemove(index, key, *old);
    it->second = obj;
  } else {
    items_.emplace(key, obj);
  }
  for (auto& [name, index] : indexes_) indexAdd(index, key, *obj);
  return old;
}

ObjectPtr InformerCache::erase(const std::string& key) {
  auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  ObjectPtr old = std::move(it->second);
  items_.erase(it);
  for (auto& [name, index] : indexes_) indexRemove(index, key, *old);
  return old;
}

ObjectPtr InformerCache::get(const std::string& key) const {
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : it->second;
}

void InformerCache::addIndex(const std::string& name, IndexFn fn) {
  Index& index = indexes_[name];
  index.fn = std::move(fn);
  index.values.clear();
  for (const auto& [key, obj] : items_) indexAdd(index, key, *obj);
}

std::vector<ObjectPtr> InformerCache::byIndex(const std::string& index,
                                              const std::string& value) const {
  std::vector<ObjectPtr> out;
  auto idx = indexes_.find(index);
  if (idx == indexes_.end()) return out;
  auto keys = idx->second.values.find(value);
  if (keys == idx->second.values.end()) return out;
  out.reserve(keys->second.size());
  for (const auto& key : keys->second) out.push_back(items_.at(key));
  return out;
}

std::vector<ObjectPtr> InformerCache::all() const {
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [key, obj] : items_) out.push_back(obj);
  return out;
}

std::vector<std::string> InformerCache::keys() const {
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [key, obj] : items_) out.push_back(key);
  return out;
}

void InformerCache::indexAdd(Index& index, const std::string& key, const json& obj) {
  for (auto& value : index.fn(obj)) index.values[std::move(value)].insert(key);
}

void InformerCache::indexRemove(Index& index, const std::string& key, const json& obj) {
  for (const auto& value : index.fn(obj)) {
    auto it = index.values.find(value);
    if (it == index.values.end()) continue;
    it->second.erase(key);
    if (it->second.empty()) index.values.erase(it);
  }
}

}  // namespace vane::kube
