#include "apiserver/watch.h"

#include "apiserver/errors.h"
#include "apiserver/objects.h"
#include "apiserver/table.h"

namespace vane::apiserver {

using Clock = std::chrono::steady_clock;

struct WatchRegistry::Session {
  WatchSpec spec;
  std::shared_ptr<http::StreamWriter> writer;
  std::unique_ptr<StoreWatch> store_watch;
  std::mutex mu;  // guards first_ and store_watch
  bool first = true;
  std::atomic<bool> dead{false};
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point next_bookmark = Clock::time_point::max();
  Store* store = nullptr;

  bool matches(const json& obj) const {
    return matchesLabels(spec.labels, obj) && matchesFields(spec.fields, obj);
  }

  json eventObject(const json& obj) {
    if (spec.metadata_only) return partialObjectMetadata(obj);
    if (!spec.table) return presentAs(*spec.type, spec.version, obj);
    json t = renderTable(*spec.type, spec.version, {std::make_shared<const json>(obj)},
                         spec.include_object, first, std::chrono::system_clock::now());
    first = false;
    t["metadata"]["resourceVersion"] = metaString(obj, "resourceVersion");
    return t;
  }

  void send(const std::string& type, const json& object) {
    std::string line = json{{"type", type}, {"object", object}}.dump(
        -1, ' ', false, json::error_handler_t::replace);
    line.push_back('\n');
    if (!writer->write(std::move(line))) dead = true;
  }

  void bookmark(uint64_t rv, bool initial_end) {
    json meta = {{"resourceVersion", std::to_string(rv)}};
    if (initial_end) meta["annotations"] = {{"k8s.io/initial-events-end", "true"}};
    send("BOOKMARK", {{"kind", spec.type->kind},
                      {"apiVersion", spec.type->groupVersion(spec.version)},
                      {"metadata", meta}});
  }

  // Runs under the store's lock: format and queue only.
  void onEvent(const StoreEvent& ev) {
    if (dead) return;
    bool now = matches(*ev.object);
    bool before = ev.old_object && matches(*ev.old_object);
    std::string type;
    if (ev.type == "ADDED") {
      if (now) type = "ADDED";
    } else if (ev.type == "MODIFIED") {
      if (now && before) type = "MODIFIED";
      if (now && !before) type = "ADDED";
      if (!now && before) type = "DELETED";
    } else if (now || before) {
      type = "DELETED";
    }
    if (!type.empty()) send(type, eventObject(*ev.object));
  }
};

WatchRegistry::WatchRegistry() : thread_([this] { reaper(); }) {}

WatchRegistry::~WatchRegistry() {
  closeAll();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::size_t WatchRegistry::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void WatchRegistry::closeAll() {
  std::list<std::shared_ptr<Session>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(sessions_);
  }
  for (auto& s : all) {
    std::lock_guard lock(s->mu);
    if (s->store_watch) s->store_watch->cancel();
    s->writer->close();
  }
}

http::Response WatchRegistry::start(Store& store, WatchSpec spec) {
  http::Response r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "application/json");
  auto session = std::make_shared<Session>();
  session->spec = std::move(spec);
  session->store = &store;
  r.stream = [this, session](std::shared_ptr<http::StreamWriter> writer) {
    auto& s = *session;
    s.writer = std::move(writer);
    if (s.spec.timeout) s.deadline = Clock::now() + *s.spec.timeout;
    if (s.spec.bookmarks) s.next_bookmark = Clock::now() + bookmark_interval;
    uint64_t from = s.spec.from_rv;
    std::lock_guard lock(s.mu);
    if (s.spec.initial_list) {
      auto [objs, rv] = s.store->list(s.spec.type->key(), s.spec.ns);
      for (const auto& o : objs) {
        if (s.matches(*o)) s.send("ADDED", s.eventObject(*o));
      }
      if (s.spec.send_initial_events) s.bookmark(rv, true);
      from = rv;
    }
    auto w = s.store->watch(s.spec.type->key(), s.spec.ns, from,
                            [weak = std::weak_ptr<Session>(session)](const StoreEvent& ev) {
                              if (auto live = weak.lock()) live->onEvent(ev);
                            });
    if (!w.ok()) {
      json status = statusBody(410, "Expired", w.status().message());
      s.send("ERROR", status);
      s.writer->close();
      return;
    }
    s.store_watch = std::move(*w);
    {
      std::lock_guard reg(mu_);
      sessions_.push_back(session);
    }
  };
  return r;
}

void WatchRegistry::reaper() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(500));
    auto now = Clock::now();
    std::vector<std::shared_ptr<Session>> done, bookmark;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto& s = *it;
      if (s->dead || !s->writer->isOpen() || now >= s->deadline) {
        done.push_back(s);
        it = sessions_.erase(it);
        continue;
      }
      if (now >= s->next_bookmark) {
        s->next_bookmark = now + bookmark_interval;
        bookmark.push_back(s);
      }
      ++it;
    }
    lock.unlock();
    for (auto& s : done) {
      std::lock_guard slock(s->mu);
      if (s->store_watch) s->store_watch->cancel();
      s->writer->close();
    }
    for (auto& s : bookmark) s->bookmark(s->store->currentResourceVersion(), false);
    lock.lock();
  }
}

}  // namespace vane::apiserver
