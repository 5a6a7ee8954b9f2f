#include "apiserver/controllers.h"

#include <time.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "apiserver/objects.h"

namespace vane::apiserver {

namespace {

struct Entry {
  std::shared_ptr<const ResourceType> type;
  ObjectPtr obj;
};

// metadata.<field> (or nullptr): a view into the stored object, which the pass keeps alive.
const json* gcMetaField(const json& o, const char* field) {
  auto meta = o.find("metadata");
  if (meta == o.end() || !meta->is_object()) return nullptr;
  auto it = meta->find(field);
  return it == meta->end() ? nullptr : &*it;
}
std::string_view gcMetaView(const json& o, const char* field) {
  const json* v = gcMetaField(o, field);
  return v != nullptr && v->is_string() ? std::string_view(v->get_ref<const std::string&>())
                                        : std::string_view();
}

// Whether a write can change what a pass decides: the pass reads only identity, namespace,
// ownerReferences, deletionTimestamp and finalizers (and a CRD's spec). Status and spec writes,
// the bulk of what the workload simulation and the controller make, wake nothing.
bool gcRelevant(const StoreEvent& ev) {
  if (ev.type != "MODIFIED" || !ev.old_object) return true;
  if (ev.resource == "apiextensions.k8s.io/customresourcedefinitions") return true;
  for (const char* f : {"uid", "namespace", "ownerReferences", "deletionTimestamp", "finalizers"}) {
    const json* a = gcMetaField(*ev.old_object, f);
    const json* b = gcMetaField(*ev.object, f);
    if ((a == nullptr) != (b == nullptr) || (a != nullptr && *a != *b)) return true;
  }
  return false;
}

// CPU time of the calling thread (fsync waits and lock waits do not count).
std::chrono::nanoseconds gcThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// Counts the pass's writes; a failed one (conflict, WAL error) makes the loop run another pass
// after a second even without a new event.
struct GcTally {
  int writes = 0, failed = 0;
  template <typename R>
  void operator()(const R& result) {
    result.ok() ? ++writes : ++failed;
  }
};

void removeFinalizer(Store& store, const ObjectKey& key, const std::string& fin, GcTally& tally) {
  auto cur = store.get(key);
  if (!cur.ok() || !hasFinalizer(**cur, fin)) return;
  json copy = **cur;
  auto& fs = copy["metadata"]["finalizers"];
  fs.erase(std::remove(fs.begin(), fs.end(), json(fin)), fs.end());
  if (fs.empty()) copy["metadata"].erase("finalizers");
  tally(writeObject(store, key, std::move(copy), objectRv(**cur)));
}

}  // namespace

Controllers::Controllers(Store& store, Registry& registry) : store_(store), registry_(registry) {}

Controllers::~Controllers() { stop(); }

Status Controllers::start() {
  auto w = store_.watch("", "", 0, [this](const StoreEvent& ev) {
    if (!gcRelevant(ev)) return;
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
  bool retry = false;
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return dirty_ || stopping_; });
    if (stopping_) break;
    // The pass is a function of the stored state: with no relevant change since the last one,
    // only a pass whose writes failed has anything left to do.
    if (!dirty_ && !retry) continue;
    dirty_ = false;
    lock.unlock();
    auto cpu_before = gcThreadCpu();
    try {
      pass();
      retry = failed_writes_ > 0;
    } catch (const std::exception&) {
      // A malformed stored object must not stop the controllers; the next pass retries.
      retry = true;
    }
    auto cpu =
        std::min<std::chrono::nanoseconds>(gcThreadCpu() - cpu_before, std::chrono::seconds(1));
    lock.lock();
    // A pass reads every stored object; under a stream of writes (thousands of Pods being made)
    // back-to-back passes would take a core from the writers. Rest as long as the pass computed
    // (capped at 1 s), so the collector uses at most about half a core; what changed meanwhile
    // is in the next pass.
    cv_.wait_for(lock, cpu, [this] { return stopping_; });
  }
}

int Controllers::pass() {
  auto types = registry_.types();
  std::vector<Entry> all;
  // Views into the stored objects, which `all` keeps alive for the whole pass.
  std::unordered_map<std::string_view, std::size_t> by_uid;
  for (const auto& t : *types) {
    auto type = std::shared_ptr<const ResourceType>(types, &t);
    for (auto& o : store_.list(t.key(), "").first) {
      all.push_back({type, std::move(o)});
      by_uid[gcMetaView(*all.back().obj, "uid")] = all.size() - 1;
    }
  }
  GcTally tally;
  std::unordered_map<std::string_view, int> dependents;  // owner uid -> live dependents
  for (const auto& e : all) {
    const json& o = *e.obj;
    const json* refs_field = gcMetaField(o, "ownerReferences");
    if (refs_field == nullptr || !refs_field->is_array() || refs_field->empty()) continue;
    const json& refs = *refs_field;
    json keep = json::array();
    bool any_live = false, delete_now = false;
    for (const auto& ref : refs) {
      if (!ref.is_object()) continue;
      auto uid_it = ref.find("uid");
      std::string_view uid = uid_it != ref.end() && uid_it->is_string()
                                 ? std::string_view(uid_it->get_ref<const std::string&>())
                                 : std::string_view();
      auto it = by_uid.find(uid);
      bool present = it != by_uid.end();
      if (present) {
        const auto& owner = all[it->second];
        if (owner.type->namespaced &&
            gcMetaView(*owner.obj, "namespace") != gcMetaView(o, "namespace")) {
          present = false;
        }
      }
      if (!present) continue;
      const json& owner = *all[it->second].obj;
      if (isDeleting(owner) && hasFinalizer(owner, kOrphanFinalizer)) continue;  // orphaned
      if (isDeleting(owner) && hasFinalizer(owner, kForegroundFinalizer)) delete_now = true;
      keep.push_back(ref);
      any_live = true;
      dependents[it->first]++;
    }
    ObjectKey key = keyOf(*e.type, o);
    if (!any_live || delete_now) {
      if (!isDeleting(o)) {
        tally(beginDelete(store_, *e.type, key, delete_now ? "Foreground" : "Background"));
      }
    } else if (keep.size() != refs.size()) {
      json copy = o;
      copy["metadata"]["ownerReferences"] = keep;
      tally(store_.update(key, std::move(copy), objectRv(o)));
    }
  }
  for (const auto& e : all) {
    const json& o = *e.obj;
    if (!isDeleting(o)) continue;
    ObjectKey key = keyOf(*e.type, o);
    auto live = dependents.find(gcMetaView(o, "uid"));
    bool none = live == dependents.end() || live->second == 0;
    for (const char* fin : {kForegroundFinalizer, kOrphanFinalizer}) {
      if (hasFinalizer(o, fin) && none) removeFinalizer(store_, key, fin, tally);
    }
    if (!e.type->custom && e.type->kind == "Namespace") {
      std::string ns = metaString(o, "name");
      int remaining = 0;
      for (const auto& t : *types) {
        if (!t.namespaced) continue;
        for (auto& child : store_.list(t.key(), ns).first) {
          ++remaining;
          if (!isDeleting(*child)) tally(beginDelete(store_, t, keyOf(t, *child), "Background"));
        }
      }
      if (remaining == 0) tally(store_.remove(key));
    } else if (!e.type->custom && e.type->kind == "CustomResourceDefinition" &&
               hasFinalizer(o, kCrdCleanupFinalizer)) {
      auto crt = typeFromCrd(o);
      int remaining = 0;
      if (crt) {
        for (auto& child : store_.list(crt->key(), "").first) {
          ++remaining;
          // CRs go with their type, finalizers or not (as the real cleanup controller does).
          tally(store_.remove(keyOf(*crt, *child)));
        }
      }
      if (remaining == 0) removeFinalizer(store_, key, kCrdCleanupFinalizer, tally);
    }
  }
  failed_writes_ = tally.failed;
  return tally.writes;
}

}  // namespace vane::apiserver
