#include "apiserver/controllers.h"

#include <map>

#include "apiserver/objects.h"

namespace vane::apiserver {

namespace {

struct Entry {
  std::shared_ptr<const ResourceType> type;
  ObjectPtr obj;
};

bool deleting(const json& o) {
  return o.contains("metadata") && o["metadata"].contains("deletionTimestamp");
}

int removeFinalizer(Store& store, const ObjectKey& key, const std::string& fin) {
  auto cur = store.get(key);
  if (!cur.ok() || !hasFinalizer(**cur, fin)) return 0;
  json copy = **cur;
  auto& fs = copy["metadata"]["finalizers"];
  fs.erase(std::remove(fs.begin(), fs.end(), json(fin)), fs.end());
  if (fs.empty()) copy["metadata"].erase("finalizers");
  return writeObject(store, key, std::move(copy), objectRv(**cur)).ok() ? 1 : 0;
}

}  // namespace

Controllers::Controllers(Store& store, Registry& registry) : store_(store), registry_(registry) {}

Controllers::~Controllers() { stop(); }

Status Controllers::start() {
  auto w = store_.watch("", "", 0, [this](const StoreEvent&) {
    {
      std::lock_guard lock(mu_);
      dirty_ = true;
    }
    cv_.notify_one();
  });
  if (!w.ok()) return w.status();
  watch_ = std::move(*w);
  thread_ = std::thread([this] { loop(); });
  return Status::ok();
}

void Controllers::stop() {
  if (watch_) watch_->cancel();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Controllers::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return dirty_ || stopping_; });
    if (stopping_) break;
    dirty_ = false;
    lock.unlock();
    try {
      pass();
    } catch (const std::exception&) {
      // A malformed stored object must not stop the controllers; the next pass retries.
    }
    lock.lock();
  }
}

int Controllers::pass() {
  auto types = registry_.types();
  std::vector<Entry> all;
  std::map<std::string, std::size_t> by_uid;
  for (const auto& t : *types) {
    auto type = std::shared_ptr<const ResourceType>(types, &t);
    for (auto& o : store_.list(t.key(), "").first) {
      by_uid[metaString(*o, "uid")] = all.size();
      all.push_back({type, o});
    }
  }
  int writes = 0;
  std::map<std::string, int> dependents;  // owner uid -> live dependents
  for (const auto& e : all) {
    const json& o = *e.obj;
    const auto refs = o["metadata"].value("ownerReferences", json::array());
    if (!refs.is_array() || refs.empty()) continue;
    json keep = json::array();
    bool any_live = false, delete_now = false;
    for (const auto& ref : refs) {
      if (!ref.is_object()) continue;
      std::string uid = ref.value("uid", std::string());
      auto it = by_uid.find(uid);
      bool present = it != by_uid.end();
      if (present) {
        const auto& owner = all[it->second];
        if (owner.type->namespaced &&
            metaString(*owner.obj, "namespace") != metaString(o, "namespace")) {
          present = false;
        }
      }
      if (!present) continue;
      const json& owner = *all[it->second].obj;
      if (deleting(owner) && hasFinalizer(owner, kOrphanFinalizer)) continue;  // orphaned
      if (deleting(owner) && hasFinalizer(owner, kForegroundFinalizer)) delete_now = true;
      keep.push_back(ref);
      any_live = true;
      dependents[uid]++;
    }
    ObjectKey key = keyOf(*e.type, o);
    if (!any_live || delete_now) {
      if (!deleting(o)) {
        writes += beginDelete(store_, *e.type, key, delete_now ? "Foreground" : "Background").ok();
      }
    } else if (keep.size() != refs.size()) {
      json copy = o;
      copy["metadata"]["ownerReferences"] = keep;
      writes += store_.update(key, std::move(copy), objectRv(o)).ok();
    }
  }
  for (const auto& e : all) {
    const json& o = *e.obj;
    if (!deleting(o)) continue;
    ObjectKey key = keyOf(*e.type, o);
    std::string uid = metaString(o, "uid");
    for (const char* fin : {kForegroundFinalizer, kOrphanFinalizer}) {
      if (hasFinalizer(o, fin) && dependents[uid] == 0) writes += removeFinalizer(store_, key, fin);
    }
    if (!e.type->custom && e.type->kind == "Namespace") {
      std::string ns = metaString(o, "name");
      int remaining = 0;
      for (const auto& t : *types) {
        if (!t.namespaced) continue;
        for (auto& child : store_.list(t.key(), ns).first) {
          ++remaining;
          if (!deleting(*child)) {
            writes += beginDelete(store_, t, keyOf(t, *child), "Background").ok();
          }
        }
      }
      if (remaining == 0) writes += store_.remove(key).ok();
    } else if (!e.type->custom && e.type->kind == "CustomResourceDefinition" &&
               hasFinalizer(o, kCrdCleanupFinalizer)) {
      auto crt = typeFromCrd(o);
      int remaining = 0;
      if (crt) {
        for (auto& child : store_.list(crt->key(), "").first) {
          ++remaining;
          // CRs go with their type, finalizers or not (as the real cleanup controller does).
          writes += store_.remove(keyOf(*crt, *child)).ok();
        }
      }
      if (remaining == 0) writes += removeFinalizer(store_, key, kCrdCleanupFinalizer);
    }
  }
  return writes;
}

}  // namespace vane::apiserver
