// Event recording after client-go tools/record (event.go, events_cache.go): build the Event on
// the caller's thread, send it on a background thread; repeats within the aggregation window are
// PATCHed (count, lastTimestamp) on the Event created first.
#include "kube/events.h"

#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "base/time.h"

namespace vane::kube {
namespace {

using Steady = std::chrono::steady_clock;

struct Pending {
  std::string aggregate_key;
  std::string object_key;
  json event;  // the full Event to create
};

struct Aggregate {
  std::string name;
  std::string namespace_;
  int64_t count = 0;
  Steady::time_point last_seen;
};

struct Bucket {
  double tokens = 0;
  Steady::time_point last;
};

class EventRecorderImpl : public EventRecorder {
 public:
  EventRecorderImpl(Client& client, EventRecorderOptions options)
      : client_(client), options_(std::move(options)), thread_([this] { run(); }) {}
  ~EventRecorderImpl() override { stop(); }

  bool event(const json& object, const std::string& type, const std::string& reason,
             const std::string& message) override;

  bool flush(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    return idle_cv_.wait_for(lock, timeout, [&] { return queue_.empty() && !sending_; });
  }

  void stop() override {
    flush(std::chrono::seconds(5));
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      cv_.notify_all();
    }
    thread_.join();
  }

 private:
  void run();
  void send(Pending& p);
  bool allow(const std::string& object_key);

  Client& client_;
  const EventRecorderOptions options_;
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<Pending> queue_;
  bool sending_ = false;
  bool stopping_ = false;
  std::unordered_map<std::string, Bucket> buckets_;
  std::unordered_map<std::string, Aggregate> aggregates_;  // only the sender thread touches it
  std::thread thread_;  // last: starts after the members above exist
};

bool EventRecorderImpl::allow(const std::string& object_key) {
  Steady::time_point now = Steady::now();
  auto [it, inserted] = buckets_.try_emplace(object_key);
  Bucket& b = it->second;
  if (inserted) {
    b.tokens = options_.burst;
  } else {
    double per_token = std::chrono::duration<double>(options_.refill_every).count();
    b.tokens = std::min<double>(
        options_.burst, b.tokens + std::chrono::duration<double>(now - b.last).count() / per_token);
  }
  b.last = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

bool EventRecorderImpl::event(const json& object, const std::string& type,
                              const std::string& reason, const std::string& message) {
  const json& meta = object.contains("metadata") ? object["metadata"] : json::object();
  std::string name = meta.value("name", "");
  std::string ns = meta.value("namespace", "");
  json involved = {{"kind", object.value("kind", "")},
                   {"apiVersion", object.value("apiVersion", "")},
                   {"name", name},
                   {"uid", meta.value("uid", "")},
                   {"resourceVersion", meta.value("resourceVersion", "")}};
  if (!ns.empty()) involved["namespace"] = ns;
  auto now = std::chrono::system_clock::now();
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  char hex[32];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(nanos));
  std::string ts = base::formatRfc3339(now);
  json ev = {{"apiVersion", "v1"},
             {"kind", "Event"},
             {"metadata", {{"name", name + "." + hex}, {"namespace", ns.empty() ? "default" : ns}}},
             {"involvedObject", involved},
             {"reason", reason},
             {"message", message},
             {"type", type},
             {"source", {{"component", options_.component}}},
             {"firstTimestamp", ts},
             {"lastTimestamp", ts},
             {"count", 1},
             {"reportingComponent", options_.component},
             {"reportingInstance", options_.host}};
  if (!options_.host.empty()) ev["source"]["host"] = options_.host;
  std::string object_key = involved["kind"].get<std::string>() + "/" + ns + "/" + name + "/" +
                           involved["uid"].get<std::string>();
  std::lock_guard lock(mu_);
  if (stopping_ || queue_.size() >= options_.max_queue || !allow(object_key)) return false;
  queue_.push_back(
      {object_key + "\n" + reason + "\n" + message + "\n" + type, object_key, std::move(ev)});
  cv_.notify_one();
  return true;
}

void EventRecorderImpl::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    sending_ = true;
    lock.unlock();
    send(p);
    lock.lock();
    sending_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

void EventRecorderImpl::send(Pending& p) {
  Steady::time_point now = Steady::now();
  auto it = aggregates_.find(p.aggregate_key);
  if (it != aggregates_.end() && now - it->second.last_seen < options_.aggregation_window) {
    Aggregate& agg = it->second;
    json patch = {{"count", agg.count + 1}, {"lastTimestamp", p.event["lastTimestamp"]}};
    auto patched =
        client_.patch(resources::kEvents, agg.namespace_, agg.name, PatchType::kMerge, patch);
    if (patched) {
      agg.count += 1;
      agg.last_seen = now;
      return;
    }
    if (patched.status().code() != Code::kNotFound) return;  // dropped, like client-go
    aggregates_.erase(it);  // the Event expired on the server: create a fresh one
  }
  std::string ns = p.event["metadata"]["namespace"];
  auto created = client_.create(resources::kEvents, ns, p.event);
  if (!created) return;
  aggregates_[p.aggregate_key] = {p.event["metadata"]["name"], ns, 1, now};
  // Keep the cache bounded: forget aggregates older than the window.
  if (aggregates_.size() > 4096) {
    std::erase_if(aggregates_, [&](const auto& kv) {
      return now - kv.second.last_seen >= options_.aggregation_window;
    });
  }
}

}  // namespace

std::unique_ptr<EventRecorder> EventRecorder::create(Client& client, EventRecorderOptions options) {
  return std::make_unique<EventRecorderImpl>(client, std::move(options));
}

}  // namespace vane::kube
