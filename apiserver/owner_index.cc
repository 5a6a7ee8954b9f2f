#include "apiserver/owner_index.h"

namespace vane::apiserver {

namespace {

// metadata.<field> as a string, "" when absent or not a string (objects come from users).
std::string ownerIndexMeta(const json& obj, const char* field) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return "";
  auto it = meta->find(field);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

const json* controllerRefOf(const json& obj) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return nullptr;
  auto refs = meta->find("ownerReferences");
  if (refs == meta->end() || !refs->is_array()) return nullptr;
  for (const auto& r : *refs) {
    if (!r.is_object()) continue;
    auto c = r.find("controller");
    if (c != r.end() && c->is_boolean() && c->get<bool>()) return &r;
  }
  return nullptr;
}

std::string controllerUidOf(const json& obj) {
  const json* ref = controllerRefOf(obj);
  if (ref == nullptr) return "";
  auto uid = ref->find("uid");
  return uid != ref->end() && uid->is_string() ? uid->get<std::string>() : "";
}

void OwnerIndex::add(const ResourceKey& resource, const json& obj) {
  ObjectKey key{resource, ownerIndexMeta(obj, "namespace"), ownerIndexMeta(obj, "name")};
  std::string uid = ownerIndexMeta(obj, "uid");
  if (!uid.empty()) by_uid_[uid] = key;
  std::string owner = controllerUidOf(obj);
  if (!owner.empty()) by_controller_[{resource, owner}].insert({key.namespace_, key.name});
}

void OwnerIndex::remove(const ResourceKey& resource, const json& obj) {
  std::string ns = ownerIndexMeta(obj, "namespace"), name = ownerIndexMeta(obj, "name");
  std::string uid = ownerIndexMeta(obj, "uid");
  if (auto it = by_uid_.find(uid); it != by_uid_.end()) {
    // Only if the uid still names this object (a uid reused by a later object stays).
    const ObjectKey& k = it->second;
    if (k.resource == resource && k.namespace_ == ns && k.name == name) by_uid_.erase(it);
  }
  std::string owner = controllerUidOf(obj);
  if (owner.empty()) return;
  auto it = by_controller_.find({resource, owner});
  if (it == by_controller_.end()) return;
  it->second.erase({ns, name});
  if (it->second.empty()) by_controller_.erase(it);
}

void OwnerIndex::apply(const StoreEvent& ev) {
  if (ev.old_object) remove(ev.resource, *ev.old_object);
  if (ev.type != "DELETED" && ev.object) add(ev.resource, *ev.object);
}

std::optional<ObjectKey> OwnerIndex::byUid(const std::string& uid) const {
  auto it = by_uid_.find(uid);
  if (it == by_uid_.end()) return std::nullopt;
  return it->second;
}

std::vector<ObjectKey> OwnerIndex::controlledBy(const ResourceKey& resource,
                                                const std::string& uid) const {
  std::vector<ObjectKey> out;
  auto it = by_controller_.find({resource, uid});
  if (it == by_controller_.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [ns, name] : it->second) out.push_back({resource, ns, name});
  return out;
}

}  // namespace vane::apiserver
