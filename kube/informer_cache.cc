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

InformerCache::InformerCache(bool encoded) : encoded_(encoded) {
  indexes_.push_back({kIndexNamespace, namespaceIndex, {}});
  indexes_.push_back({kIndexOwner, ownerIndex, {}});
}

std::string InformerCache::keyOf(const json& obj) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return {};
  std::string ns = meta->value("namespace", "");
  std::string name = meta->value("name", "");
  return ns.empty() ? name : ns + "/" + name;
}

ObjectPtr InformerCache::object(const Entry& e) const {
  if (!encoded_) return e.tree;
  // Our own dump of a parsed object: parsing it cannot fail.
  return std::make_shared<const json>(json::parse(e.bytes, nullptr, false));
}

ObjectPtr InformerCache::upsert(const std::string& key, const ObjectPtr& obj, TypedPtr typed,
                                bool want_old) {
  ObjectPtr old;
  auto it = items_.find(key);
  if (it == items_.end()) {
    it = items_.emplace(key, Entry{}).first;
  } else {
    if (want_old) old = object(it->second);
    indexRemove(key, it->second);
  }
  Entry& e = it->second;
  if (encoded_) {
    e.bytes = obj->dump(-1, ' ', false, json::error_handler_t::replace);
    e.bytes.shrink_to_fit();
  } else {
    e.tree = obj;
  }
  e.typed = std::move(typed);
  for (std::size_t i = 0; i < indexes_.size(); ++i) indexAdd(i, key, *obj, e);
  e.index_values.shrink_to_fit();
  return old;
}

ObjectPtr InformerCache::erase(const std::string& key, bool want_old) {
  auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  ObjectPtr old = want_old ? object(it->second) : nullptr;
  indexRemove(key, it->second);
  items_.erase(it);
  return old;
}

ObjectPtr InformerCache::get(const std::string& key) const {
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : object(it->second);
}

TypedPtr InformerCache::getTyped(const std::string& key) const {
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : it->second.typed;
}

// A new index is filled from the objects already cached, which are parsed once for it when
// encoded; indexes are added before an informer starts.
void InformerCache::addIndex(const std::string& name, IndexFn fn) {
  std::size_t i = 0;
  while (i < indexes_.size() && indexes_[i].name != name) ++i;
  if (i == indexes_.size()) {
    indexes_.push_back({name, nullptr, {}});
  } else {
    for (auto& [key, e] : items_) {
      auto& v = e.index_values;
      v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& p) { return p.first == i; }),
              v.end());
    }
  }
  indexes_[i].fn = std::move(fn);
  indexes_[i].values.clear();
  for (auto& [key, e] : items_) indexAdd(i, key, *object(e), e);
}

const InformerCache::Index* InformerCache::findIndex(const std::string& name) const {
  for (const auto& index : indexes_) {
    if (index.name == name) return &index;
  }
  return nullptr;
}

std::vector<std::string> InformerCache::keysByIndex(const std::string& index,
                                                    const std::string& value) const {
  const Index* idx = findIndex(index);
  if (idx == nullptr) return {};
  auto keys = idx->values.find(value);
  if (keys == idx->values.end()) return {};
  return {keys->second.begin(), keys->second.end()};
}

std::vector<ObjectPtr> InformerCache::byIndex(const std::string& index,
                                              const std::string& value) const {
  std::vector<ObjectPtr> out;
  for (const auto& key : keysByIndex(index, value)) out.push_back(object(items_.at(key)));
  return out;
}

std::vector<TypedPtr> InformerCache::byIndexTyped(const std::string& index,
                                                  const std::string& value) const {
  std::vector<TypedPtr> out;
  for (const auto& key : keysByIndex(index, value)) {
    if (const auto& t = items_.at(key).typed) out.push_back(t);
  }
  return out;
}

std::vector<ObjectPtr> InformerCache::all() const {
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [key, e] : items_) out.push_back(object(e));
  return out;
}

std::vector<TypedPtr> InformerCache::allTyped() const {
  std::vector<TypedPtr> out;
  out.reserve(items_.size());
  for (const auto& [key, e] : items_) {
    if (e.typed) out.push_back(e.typed);
  }
  return out;
}

std::vector<std::string> InformerCache::keys() const {
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [key, e] : items_) out.push_back(key);
  return out;
}

void InformerCache::indexAdd(std::size_t i, const std::string& key, const json& obj, Entry& e) {
  for (auto& value : indexes_[i].fn(obj)) {
    indexes_[i].values[value].insert(key);
    e.index_values.emplace_back(i, std::move(value));
  }
}

void InformerCache::indexRemove(const std::string& key, Entry& e) {
  for (const auto& [i, value] : e.index_values) {
    auto& values = indexes_[i].values;
    auto it = values.find(value);
    if (it == values.end()) continue;
    it->second.erase(key);
    if (it->second.empty()) values.erase(it);
  }
  e.index_values.clear();
}

}  // namespace vane::kube
