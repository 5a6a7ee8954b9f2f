#include "kube/controller_runtime.h"

#include <algorithm>
#include <cstdlib>

#include "base/log.h"
#include "kube/json_access.h"

namespace vane::kube {

namespace {

std::optional<unsigned long long> parseResourceVersion(const std::string& rv) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(rv.c_str(), &end, 10);
  if (rv.empty() || *end != '\0') return std::nullopt;
  return v;
}

}  // namespace

// client-go's processNextWorkItem with controller-runtime's Result: an error backs off per key
// (or waits the server's Retry-After when it carries one); success resets the backoff, and a
// requested requeue waits exactly that long.
bool processNextItem(WorkQueue& queue, std::string_view name, const ReconcileFn& reconcile) {
  std::optional<std::string> key = queue.get();
  if (!key) return false;
  ReconcileResult r = reconcile(*key);
  if (!r.status) {
    const auto [ns, object] = splitKey(*key);
    log::error("reconcile failed", {{"controller", name},
                                    {"namespace", ns},
                                    {"name", object},
                                    {"error", r.status.toString()}});
    if (auto wait = r.status.retryAfter(); wait && wait->count() > 0) {
      // The server said when to come back (429/503 with Retry-After on a write, which the client
      // does not retry itself): wait that long rather than the per-key backoff, which starts at
      // 5 ms and would send the write straight back into the throttle.
      queue.addAfter(*key, std::chrono::duration_cast<std::chrono::milliseconds>(*wait));
    } else {
      queue.addRateLimited(*key);
    }
  } else {
    queue.forget(*key);
    if (r.requeueAfter) queue.addAfter(*key, *r.requeueAfter);
  }
  queue.done(*key);
  return true;
}

void runWorker(WorkQueue& queue, std::string_view name, const ReconcileFn& reconcile) {
  while (processNextItem(queue, name, reconcile)) {
  }
}

void WorkerGroup::start(WorkQueue& queue, std::string name, int workers, ReconcileFn reconcile) {
  if (std::find(queues_.begin(), queues_.end(), &queue) == queues_.end()) {
    queues_.push_back(&queue);
  }
  for (int i = 0; i < std::max(1, workers); ++i) {
    threads_.emplace_back([&queue, name, reconcile] { runWorker(queue, name, reconcile); });
  }
}

void WorkerGroup::stop() {
  for (WorkQueue* q : queues_) q->shutdown();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  queues_.clear();
}

std::pair<std::string, std::string> splitKey(const std::string& key) {
  const auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

std::string objectKey(const json& obj) {
  return str(at(obj, {"metadata", "namespace"})) + "/" + str(at(obj, {"metadata", "name"}));
}

std::vector<std::string> controllerOwnerKeys(const json& obj, std::string_view kind) {
  std::vector<std::string> keys;
  const std::string ns = str(at(obj, {"metadata", "namespace"}));
  for (const auto& ref : arrayAt(obj, "/metadata/ownerReferences")) {
    if (!ref.is_object() || str(at(ref, {"kind"})) != kind) continue;
    const json& controller = at(ref, {"controller"});
    if (controller.is_boolean() && controller.get<bool>()) {
      keys.push_back(ns + "/" + str(at(ref, {"name"})));
    }
  }
  return keys;
}

EventHandlers onEveryEvent(std::function<void(const ObjectPtr&)> fn) {
  return {fn, [fn](const ObjectPtr&, const ObjectPtr& obj) { fn(obj); }, fn};
}

EventHandlers enqueueOwners(WorkQueue& queue, std::string kind) {
  return onEveryEvent([&queue, kind = std::move(kind)](const ObjectPtr& obj) {
    if (!obj) return;
    for (const auto& key : controllerOwnerKeys(*obj, kind)) queue.add(key);
  });
}

void ResourceVersionTracker::recordWrite(const std::string& key, const std::string& rv) {
  auto v = parseResourceVersion(rv);
  if (!v) return;
  std::lock_guard lock(mu_);
  unsigned long long& last = written_[key];
  last = std::max(last, *v);
}

bool ResourceVersionTracker::stale(const std::string& key, const std::string& cached_rv) const {
  auto v = parseResourceVersion(cached_rv);
  if (!v) return false;
  std::lock_guard lock(mu_);
  auto it = written_.find(key);
  return it != written_.end() && *v < it->second;
}

void ResourceVersionTracker::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  written_.erase(key);
}

}  // namespace vane::kube
