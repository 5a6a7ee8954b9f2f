// List-then-watch informer (client-go reflector + shared informer): list, watch from the list's
// resourceVersion with bookmarks and a random 5-10 min timeout, re-watch from the last seen RV,
// relist on 410 Gone, back off 800 ms..30 s on errors. The cache hands out shared_ptr<const json>.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <unordered_set>

#include "kube/informer_cache.h"

namespace vane::kube {
namespace {

constexpr std::chrono::milliseconds kMinBackoff{800};
constexpr std::chrono::milliseconds kMaxBackoff{30000};
constexpr int64_t kPageSize = 500;

class InformerImpl : public Informer {
 public:
  InformerImpl(Client& client, Resource resource, InformerOptions options)
      : client_(client),
        resource_(std::move(resource)),
        options_(std::move(options)),
        rng_(std::random_device{}()),
        cache_(options_.store_encoded) {}
  ~InformerImpl() override { stop(); }

  const Resource& resource() const override { return resource_; }

  void addHandlers(EventHandlers handlers) override {
    std::lock_guard dispatch(dispatch_mu_);
    for (const auto& obj : list("")) {
      if (handlers.on_add) handlers.on_add(obj);
    }
    handlers_.push_back(std::move(handlers));
  }

  void addIndex(const std::string& name,
                std::function<std::vector<std::string>(const json&)> fn) override {
    std::unique_lock lock(cache_mu_);
    cache_.addIndex(name, std::move(fn));
  }

  void start() override {
    std::lock_guard lock(state_mu_);
    if (running_) return;
    running_ = true;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
    if (options_.resync.count() > 0) resync_thread_ = std::thread([this] { resyncLoop(); });
  }

  void stop() override {
    {
      std::lock_guard lock(state_mu_);
      if (!running_) return;
      stopping_ = true;
      if (current_watch_) current_watch_->cancel();
      state_cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    if (resync_thread_.joinable()) resync_thread_.join();
    std::lock_guard lock(state_mu_);
    running_ = false;
  }

  bool hasSynced() const override { return synced_.load(); }

  bool waitForSync(std::chrono::milliseconds timeout) const override {
    std::unique_lock lock(state_mu_);
    state_cv_.wait_for(lock, timeout, [&] { return synced_.load() || stopping_; });
    return synced_.load();
  }

  ObjectPtr get(const std::string& ns, const std::string& name) const override {
    std::shared_lock lock(cache_mu_);
    return cache_.get(ns.empty() ? name : ns + "/" + name);
  }

  std::vector<ObjectPtr> list(const std::string& ns) const override {
    std::shared_lock lock(cache_mu_);
    return ns.empty() ? cache_.all() : cache_.byIndex(kIndexNamespace, ns);
  }

  std::vector<ObjectPtr> byIndex(const std::string& index,
                                 const std::string& value) const override {
    std::shared_lock lock(cache_mu_);
    return cache_.byIndex(index, value);
  }

  std::size_t size() const override {
    std::shared_lock lock(cache_mu_);
    return cache_.size();
  }

  TypedPtr getTyped(const std::string& ns, const std::string& name) const override {
    std::shared_lock lock(cache_mu_);
    return cache_.getTyped(ns.empty() ? name : ns + "/" + name);
  }

  std::vector<TypedPtr> listTyped() const override {
    std::shared_lock lock(cache_mu_);
    return cache_.allTyped();
  }

  std::vector<TypedPtr> byIndexTyped(const std::string& index,
                                     const std::string& value) const override {
    std::shared_lock lock(cache_mu_);
    return cache_.byIndexTyped(index, value);
  }

  std::type_index decodedType() const override { return options_.decoded_type; }

 private:
  void run();
  Status relist();
  enum class WatchEnd { kClosed, kGone, kError };
  WatchEnd watchOnce(Status& error);
  void apply(const std::string& type, json object);
  ObjectPtr prepare(json&& obj);
  TypedPtr decode(const ObjectPtr& obj) const;
  void dispatchAdd(const ObjectPtr& obj);
  void dispatchUpdate(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void dispatchDelete(const ObjectPtr& obj);
  void resyncLoop();
  bool sleepUnlessStopping(std::chrono::milliseconds d) {
    std::unique_lock lock(state_mu_);
    return !state_cv_.wait_for(lock, d, [&] { return stopping_; });
  }
  bool stopping() const {
    std::lock_guard lock(state_mu_);
    return stopping_;
  }

  Client& client_;
  const Resource resource_;
  const InformerOptions options_;
  std::mt19937_64 rng_;

  mutable std::shared_mutex cache_mu_;
  InformerCache cache_;
  std::mutex dispatch_mu_;
  std::vector<EventHandlers> handlers_;

  mutable std::mutex state_mu_;
  mutable std::condition_variable state_cv_;
  bool running_ = false;
  bool stopping_ = false;
  std::shared_ptr<WatchStream> current_watch_;
  std::atomic<bool> synced_{false};
  std::string last_rv_;
  std::thread thread_;
  std::thread resync_thread_;
};

void InformerImpl::run() {
  std::chrono::milliseconds backoff = kMinBackoff;
  bool need_list = true;
  auto jittered = [&](std::chrono::milliseconds d) {
    return d + std::chrono::milliseconds(
                   std::uniform_int_distribution<int64_t>(0, d.count() / 5)(rng_));
  };
  while (!stopping()) {
    if (need_list) {
      if (Status s = relist(); !s) {
        if (!sleepUnlessStopping(jittered(backoff))) return;
        backoff = std::min(backoff * 2, kMaxBackoff);
        continue;
      }
      need_list = false;
    }
    Status error;
    WatchEnd end = watchOnce(error);
    if (end == WatchEnd::kClosed) {
      backoff = kMinBackoff;  // a normal end (timeout): re-watch from the last RV at once
      continue;
    }
    if (end == WatchEnd::kGone) {
      need_list = true;  // history compacted past our RV: relist without delay
      continue;
    }
    if (!sleepUnlessStopping(jittered(backoff))) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

// Lists in pages and replaces the cache, telling handlers what changed since the last state.
Status InformerImpl::relist() {
  ListOptions opts;
  opts.label_selector = options_.label_selector;
  opts.limit = kPageSize;
  opts.metadata_only = options_.metadata_only;
  std::vector<ObjectPtr> fresh;
  std::string rv;
  while (true) {
    auto page = client_.list(resource_, options_.namespace_, opts);
    if (!page) return page.status();
    json& items = (*page)["items"];
    if (items.is_array()) {
      for (auto& item : items) fresh.push_back(prepare(std::move(item)));
    }
    const json& meta = (*page)["metadata"];
    std::string cont = meta.is_object() ? meta.value("continue", "") : "";
    rv = meta.is_object() ? meta.value("resourceVersion", "") : "";
    if (cont.empty() || stopping()) break;
    opts.continue_token = cont;
  }
  std::unordered_set<std::string> seen;
  std::lock_guard dispatch(dispatch_mu_);
  for (auto& obj : fresh) {
    std::string key = InformerCache::keyOf(*obj);
    seen.insert(key);
    TypedPtr typed = decode(obj);
    ObjectPtr old;
    {
      std::unique_lock lock(cache_mu_);
      old = cache_.upsert(key, obj, std::move(typed));
    }
    if (old) {
      dispatchUpdate(old, obj);
    } else {
      dispatchAdd(obj);
    }
  }
  std::vector<std::string> keys;
  {
    std::shared_lock lock(cache_mu_);
    keys = cache_.keys();
  }
  for (const auto& key : keys) {
    if (seen.count(key)) continue;
    ObjectPtr gone;
    {
      std::unique_lock lock(cache_mu_);
      gone = cache_.erase(key);
    }
    if (gone) dispatchDelete(gone);
  }
  last_rv_ = rv;
  synced_ = true;
  std::lock_guard lock(state_mu_);
  state_cv_.notify_all();
  return Status::ok();
}

InformerImpl::WatchEnd InformerImpl::watchOnce(Status& error) {
  ListOptions opts;
  opts.label_selector = options_.label_selector;
  opts.resource_version = last_rv_;
  opts.allow_bookmarks = true;
  opts.metadata_only = options_.metadata_only;
  opts.timeout_seconds = std::uniform_int_distribution<int>(300, 600)(rng_);
  auto opened = client_.watch(resource_, options_.namespace_, opts);
  if (!opened) {
    error = opened.status();
    return error.code() == Code::kGone ? WatchEnd::kGone : WatchEnd::kError;
  }
  std::shared_ptr<WatchStream> stream = std::move(*opened);
  {
    std::lock_guard lock(state_mu_);
    if (stopping_) return WatchEnd::kClosed;
    current_watch_ = stream;
  }
  WatchEnd end = WatchEnd::kClosed;
  while (auto event = stream->next()) {
    if (event->type == "ERROR") {
      const json& o = event->object;
      int code = o.is_object() ? o.value("code", 0) : 0;
      std::string reason = o.is_object() ? o.value("reason", "") : "";
      error = Status(Code::kInternal, o.is_object() ? o.value("message", "watch error") : "");
      end = (code == 410 || reason == "Expired" || reason == "Gone") ? WatchEnd::kGone
                                                                     : WatchEnd::kError;
      break;
    }
    apply(event->type, std::move(event->object));
  }
  if (end == WatchEnd::kClosed && !stream->error().isOk() && !stopping()) {
    error = stream->error();
    end = WatchEnd::kError;
  }
  std::lock_guard lock(state_mu_);
  current_watch_.reset();
  return end;
}

void InformerImpl::apply(const std::string& type, json object) {
  if (!object.is_object()) return;
  std::string rv;
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    rv = meta->value("resourceVersion", "");
  }
  if (type == "BOOKMARK") {
    if (!rv.empty()) last_rv_ = rv;
    return;
  }
  ObjectPtr obj = prepare(std::move(object));
  std::string key = InformerCache::keyOf(*obj);
  std::lock_guard dispatch(dispatch_mu_);
  if (type == "ADDED" || type == "MODIFIED") {
    TypedPtr typed = decode(obj);
    ObjectPtr old;
    {
      std::unique_lock lock(cache_mu_);
      old = cache_.upsert(key, obj, std::move(typed));
    }
    if (old) {
      dispatchUpdate(old, obj);
    } else {
      dispatchAdd(obj);
    }
  } else if (type == "DELETED") {
    {
      std::unique_lock lock(cache_mu_);
      cache_.erase(key, false);
    }
    dispatchDelete(obj);
  }
  if (!rv.empty()) last_rv_ = rv;
}

ObjectPtr InformerImpl::prepare(json&& obj) {
  // Real servers may omit apiVersion/kind on list items.
  if (!obj.contains("kind")) obj["kind"] = resource_.kind;
  if (!obj.contains("apiVersion")) obj["apiVersion"] = resource_.apiVersion();
  if (options_.metadata_only) keepMetadataOnly(obj);
  if (options_.transform) {
    try {
      options_.transform(obj);
    } catch (const std::exception&) {
      // A transform that throws leaves the object as received.
    }
  }
  return std::make_shared<const json>(std::move(obj));
}

TypedPtr InformerImpl::decode(const ObjectPtr& obj) const {
  if (!options_.decode) return nullptr;
  try {
    return options_.decode(*obj);
  } catch (const std::exception&) {
    return nullptr;  // a decoder must not throw; one that does leaves no typed view
  }
}

void InformerImpl::dispatchAdd(const ObjectPtr& obj) {
  for (const auto& h : handlers_) {
    if (h.on_add) h.on_add(obj);
  }
}
void InformerImpl::dispatchUpdate(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  for (const auto& h : handlers_) {
    if (h.on_update) h.on_update(old_obj, new_obj);
  }
}
void InformerImpl::dispatchDelete(const ObjectPtr& obj) {
  for (const auto& h : handlers_) {
    if (h.on_delete) h.on_delete(obj);
  }
}

// Periodic resync: every cached object is redelivered as an update with old == new.
void InformerImpl::resyncLoop() {
  while (sleepUnlessStopping(options_.resync)) {
    if (!synced_) continue;
    std::lock_guard dispatch(dispatch_mu_);
    for (const auto& obj : list("")) dispatchUpdate(obj, obj);
  }
}

}  // namespace

void stripManagedFields(json& obj) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return;
  meta->erase("managedFields");
  auto annotations = meta->find("annotations");
  if (annotations != meta->end() && annotations->is_object()) {
    annotations->erase("kubectl.kubernetes.io/last-applied-configuration");
  }
}

void keepMetadataOnly(json& obj) {
  if (!obj.is_object()) return;
  for (auto it = obj.begin(); it != obj.end();) {
    const std::string& k = it.key();
    if (k == "metadata" || k == "apiVersion" || k == "kind") {
      ++it;
    } else {
      it = obj.erase(it);
    }
  }
}

std::unique_ptr<Informer> Informer::create(Client& client, Resource resource,
                                           InformerOptions options) {
  return std::make_unique<InformerImpl>(client, std::move(resource), std::move(options));
}

}  // namespace vane::kube
