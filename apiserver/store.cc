// In-memory object store with one global resourceVersion counter, a bounded event history for
// watch resume (older RVs get kGone), and an optional fsynced write-ahead log committed in groups:
// a write is applied under the store lock, then its writer waits (without the lock) until the WAL
// is synced through its record, sharing each fdatasync with every writer waiting at that moment.
// Watchers are told about a write only once it is durable, in resourceVersion order, so no watch
// client ever sees a state a crash could take back; a get or list may see a write whose writer
// has not been answered yet (as a reader of an in-flight write would).
#include "apiserver/store.h"

#include <deque>
#include <map>
#include <mutex>

#include "apiserver/wal.h"

namespace vane::apiserver {

namespace {

using NameKey = std::pair<std::string, std::string>;  // (namespace, name)

struct Watcher {
  uint64_t id;
  ResourceKey resource;
  std::string ns;
  std::function<void(const StoreEvent&)> fn;
  uint64_t after_rv = 0;  // events up to this RV were already seen (history, or its list)
};

bool matches(const Watcher& w, const StoreEvent& ev) {
  if (ev.resource_version <= w.after_rv) return false;
  if (!w.resource.empty() && w.resource != ev.resource) return false;
  if (w.ns.empty()) return true;
  const auto& meta = (*ev.object)["metadata"];
  return meta.is_object() && meta.value("namespace", std::string()) == w.ns;
}

// A watcher's failure (e.g. an object it cannot render) must not undo or block the write.
void deliver(const Watcher& w, const StoreEvent& ev) {
  try {
    w.fn(ev);
  } catch (...) {
  }
}

std::string displayName(const ObjectKey& key) {
  return key.namespace_.empty() ? key.name : key.namespace_ + "/" + key.name;
}

class StoreImpl;

class WatchHandle : public StoreWatch {
 public:
  WatchHandle(StoreImpl* store, uint64_t id) : store_(store), id_(id) {}
  ~WatchHandle() override { cancel(); }
  void cancel() override;

 private:
  StoreImpl* store_;
  uint64_t id_;
  std::once_flag once_;
};

class StoreImpl : public Store {
 public:
  explicit StoreImpl(StoreOptions options) : options_(std::move(options)) {}

  Status init();
  uint64_t currentResourceVersion() const override {
    std::lock_guard lock(mu_);
    return rv_;
  }
  Result<ObjectPtr> get(const ObjectKey& key) const override;
  std::pair<std::vector<ObjectPtr>, uint64_t> list(const ResourceKey& resource,
                                                   const std::string& ns) const override;
  Result<ObjectPtr> create(const ObjectKey& key, json obj) override;
  Result<ObjectPtr> update(const ObjectKey& key, json obj,
                           std::optional<uint64_t> expected_rv) override;
  Result<ObjectPtr> remove(const ObjectKey& key, std::optional<uint64_t> expected_rv) override;
  Result<ObjectPtr> mutate(const ObjectKey& key, const std::function<Status(json&)>& fn) override;
  Result<std::unique_ptr<StoreWatch>> watch(const ResourceKey& resource, const std::string& ns,
                                            uint64_t from_rv,
                                            std::function<void(const StoreEvent&)> fn) override;
  void unwatch(uint64_t id) {
    std::vector<Watcher> removed;  // destroyed after the lock is released
    std::lock_guard lock(mu_);
    for (auto it = watchers_.begin(); it != watchers_.end();) {
      if (it->id == id) {
        removed.push_back(std::move(*it));
        it = watchers_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  /// A committed write: the stored object and its WAL sequence number (0: nothing to wait for).
  struct Committed {
    ObjectPtr object;
    uint64_t wal_seq = 0;
  };
  // Caller holds mu_. Applies the write; publish() tells the watchers once it is durable.
  Result<Committed> commit(const ObjectKey& key, json obj, const char* type, ObjectPtr old);
  /// Called without mu_: waits until the write is durable, then delivers every durable pending
  /// event to the watchers. The write's answer.
  Result<ObjectPtr> finish(Result<Committed> c);
  // Caller holds mu_: delivers pending events up to the WAL's synced sequence number.
  void publish(uint64_t durable_seq);
  void applyRecord(const json& rec);
  json snapshotDoc() const;

  StoreOptions options_;
  mutable std::mutex mu_;
  uint64_t rv_ = 0;
  std::map<ResourceKey, std::map<NameKey, ObjectPtr>> objects_;
  std::deque<std::pair<uint64_t, StoreEvent>> pending_;  // (WAL seq, event), not yet durable
  std::deque<StoreEvent> history_;
  uint64_t history_start_rv_ = 0;  // every event with RV > this is in history_
  std::vector<Watcher> watchers_;
  uint64_t next_watch_id_ = 1;
  std::unique_ptr<Wal> wal_;
};

void WatchHandle::cancel() {
  std::call_once(once_, [this] { store_->unwatch(id_); });
}

Status StoreImpl::init() {
  if (options_.data_dir.empty()) return Status::ok();
  wal_ = std::make_unique<Wal>();
  Status st = wal_->open(
      options_.data_dir, options_.fsync,
      [this](const json& snap) {
        rv_ = snap.value("rv", uint64_t{0});
        for (const auto& o : snap.value("objects", json::array())) applyRecord(o);
      },
      [this](const json& rec) { applyRecord(rec); });
  history_start_rv_ = rv_;
  return st;
}

void StoreImpl::applyRecord(const json& rec) {
  try {
    uint64_t rv = rec.value("rv", uint64_t{0});
    auto& bucket = objects_[rec.at("r").get<std::string>()];
    NameKey nk{rec.value("ns", std::string()), rec.at("n").get<std::string>()};
    if (rec.value("op", std::string("put")) == "del") {
      bucket.erase(nk);
    } else {
      bucket[nk] = std::make_shared<const json>(rec.at("o"));
    }
    rv_ = std::max(rv_, rv);
  } catch (const std::exception&) {
    // A malformed record cannot come from us; skip it rather than refuse to start.
  }
}

json StoreImpl::snapshotDoc() const {
  json objs = json::array();
  for (const auto& [resource, bucket] : objects_) {
    for (const auto& [nk, obj] : bucket) {
      objs.push_back({{"r", resource}, {"ns", nk.first}, {"n", nk.second}, {"o", *obj}});
    }
  }
  return json{{"rv", rv_}, {"objects", std::move(objs)}};
}

Result<ObjectPtr> StoreImpl::get(const ObjectKey& key) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key.resource);
  if (it != objects_.end()) {
    auto o = it->second.find({key.namespace_, key.name});
    if (o != it->second.end()) return o->second;
  }
  return Status(Code::kNotFound, displayName(key) + " not found");
}

std::pair<std::vector<ObjectPtr>, uint64_t> StoreImpl::list(const ResourceKey& resource,
                                                            const std::string& ns) const {
  std::lock_guard lock(mu_);
  std::vector<ObjectPtr> out;
  auto it = objects_.find(resource);
  if (it != objects_.end()) {
    auto begin = ns.empty() ? it->second.begin() : it->second.lower_bound({ns, ""});
    for (auto o = begin; o != it->second.end(); ++o) {
      if (!ns.empty() && o->first.first != ns) break;
      out.push_back(o->second);
    }
  }
  return {std::move(out), rv_};
}

Result<StoreImpl::Committed> StoreImpl::commit(const ObjectKey& key, json obj, const char* type,
                                               ObjectPtr old) {
  uint64_t rv = rv_ + 1;
  bool is_delete = std::string_view(type) == "DELETED";
  if (!obj.is_object()) return Status(Code::kBadRequest, "object must be a JSON object");
  if (!obj["metadata"].is_object()) obj["metadata"] = json::object();
  obj["metadata"]["resourceVersion"] = std::to_string(rv);
  uint64_t seq = 0;
  if (wal_) {
    json rec = {{"op", is_delete ? "del" : "put"},
                {"r", key.resource},
                {"ns", key.namespace_},
                {"n", key.name},
                {"rv", rv}};
    if (!is_delete) rec["o"] = obj;
    auto written = wal_->write(rec);
    if (!written) return written.status();  // not written, not applied
    if (options_.fsync) seq = *written;
  }
  rv_ = rv;
  auto ptr = std::make_shared<const json>(std::move(obj));
  auto& bucket = objects_[key.resource];
  if (is_delete) {
    bucket.erase({key.namespace_, key.name});
  } else {
    bucket[{key.namespace_, key.name}] = ptr;
  }
  pending_.emplace_back(seq, StoreEvent{type, key.resource, rv, ptr, std::move(old)});
  if (seq == 0) publish(0);  // nothing to wait for
  if (wal_ && wal_->bytes() > options_.compact_after_bytes) {
    // A failed compaction leaves the (complete) log in place. A successful one made every write
    // so far durable (the snapshot is fsynced).
    if (wal_->compact(snapshotDoc()).isOk()) seq = 0;
    publish(seq == 0 ? UINT64_MAX : 0);
  }
  return Committed{ptr, seq};
}

void StoreImpl::publish(uint64_t durable_seq) {
  while (!pending_.empty() && pending_.front().first <= durable_seq) {
    StoreEvent ev = std::move(pending_.front().second);
    pending_.pop_front();
    for (const auto& w : watchers_) {
      if (matches(w, ev)) deliver(w, ev);
    }
    history_.push_back(std::move(ev));
    while (history_.size() > options_.watch_history) {
      history_start_rv_ = history_.front().resource_version;
      history_.pop_front();
    }
  }
}

Result<ObjectPtr> StoreImpl::finish(Result<Committed> c) {
  if (!c) return c.status();
  if (c->wal_seq == 0) return c->object;
  Status st = wal_->sync(c->wal_seq);
  if (options_.on_fsync) options_.on_fsync(wal_->lastFsyncSeconds());
  if (!st.isOk()) return st;
  std::lock_guard lock(mu_);
  publish(c->wal_seq);  // at least through ours; later ones are published by their writers
  return c->object;
}

Result<ObjectPtr> StoreImpl::create(const ObjectKey& key, json obj) {
  Result<Committed> c = [&]() -> Result<Committed> {
    std::lock_guard lock(mu_);
    auto& bucket = objects_[key.resource];
    if (bucket.count({key.namespace_, key.name})) {
      return Status(Code::kAlreadyExists, displayName(key) + " already exists");
    }
    return commit(key, std::move(obj), "ADDED", nullptr);
  }();
  return finish(std::move(c));
}

namespace {
uint64_t objectRv(const json& obj) {
  try {
    return std::stoull(obj["metadata"].value("resourceVersion", std::string("0")));
  } catch (...) {
    return 0;
  }
}
}  // namespace

Result<ObjectPtr> StoreImpl::update(const ObjectKey& key, json obj,
                                    std::optional<uint64_t> expected_rv) {
  Result<Committed> c = [&]() -> Result<Committed> {
    std::lock_guard lock(mu_);
    auto& bucket = objects_[key.resource];
    auto it = bucket.find({key.namespace_, key.name});
    if (it == bucket.end()) return Status(Code::kNotFound, displayName(key) + " not found");
    if (expected_rv && objectRv(*it->second) != *expected_rv) {
      return Status(Code::kConflict, displayName(key) + " has been modified");
    }
    return commit(key, std::move(obj), "MODIFIED", it->second);
  }();
  return finish(std::move(c));
}

Result<ObjectPtr> StoreImpl::remove(const ObjectKey& key, std::optional<uint64_t> expected_rv) {
  Result<Committed> c = [&]() -> Result<Committed> {
    std::lock_guard lock(mu_);
    auto& bucket = objects_[key.resource];
    auto it = bucket.find({key.namespace_, key.name});
    if (it == bucket.end()) return Status(Code::kNotFound, displayName(key) + " not found");
    if (expected_rv && objectRv(*it->second) != *expected_rv) {
      return Status(Code::kConflict, displayName(key) + " has been modified");
    }
    ObjectPtr old = it->second;
    return commit(key, *old, "DELETED", old);
  }();
  return finish(std::move(c));
}

Result<ObjectPtr> StoreImpl::mutate(const ObjectKey& key, const std::function<Status(json&)>& fn) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto cur = get(key);
    if (!cur.ok()) return cur.status();
    json copy = **cur;
    Status st = fn(copy);
    if (!st.isOk()) return st;
    auto res = update(key, std::move(copy), objectRv(**cur));
    if (res.ok() || res.status().code() != Code::kConflict) return res;
  }
  return Status(Code::kConflict, displayName(key) + ": too many conflicting writers");
}

Result<std::unique_ptr<StoreWatch>> StoreImpl::watch(const ResourceKey& resource,
                                                     const std::string& ns, uint64_t from_rv,
                                                     std::function<void(const StoreEvent&)> fn) {
  std::lock_guard lock(mu_);
  if (from_rv != 0 && from_rv < history_start_rv_) {
    return Status(Code::kGone, "too old resource version: " + std::to_string(from_rv) + " (" +
                                   std::to_string(history_start_rv_) + ")");
  }
  Watcher w{next_watch_id_++, resource, ns, std::move(fn)};
  // From now: after every write applied so far (a list just made may include pending ones, which
  // the watcher must not see twice). From an RV: the history after it, then pending writes as
  // they become durable.
  w.after_rv = from_rv != 0 ? from_rv : rv_;
  for (const auto& ev : history_) {
    if (matches(w, ev)) deliver(w, ev);
  }
  uint64_t id = w.id;
  watchers_.push_back(std::move(w));
  return std::unique_ptr<StoreWatch>(new WatchHandle(this, id));
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(StoreOptions options) {
  auto store = std::make_unique<StoreImpl>(std::move(options));
  Status st = store->init();
  if (!st.isOk()) return st;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace vane::apiserver
