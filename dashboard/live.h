// Live updates for the pages: informer events are collected and, every flush interval, sent as
// one server-sent event to every open stream, so a burst of changes costs one message per tab and
// memory does not grow with open tabs beyond one queue each.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kube/http.h"

namespace vane::dashboard {

class LiveHub {
 public:
  explicit LiveHub(std::chrono::milliseconds flush_interval);
  ~LiveHub();
  /// Which namespaces a stream's user may see (in-cluster mode); empty: all.
  using NamespaceFilter = std::function<bool(const std::string& ns)>;
  /// Adds a stream; it receives `retry:` and then every batch (restricted to what may_see allows)
  /// until it closes.
  void add(std::shared_ptr<http::StreamWriter> writer, NamespaceFilter may_see = {});
  /// Records a change of a Rollout (kind "Rollout") or of something in a namespace.
  void touched(const std::string& kind, const std::string& ns, const std::string& name);
  /// Closes every stream and stops the flusher. Idempotent.
  void stop();
  std::size_t streams() const;

 private:
  void loop();

  std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  struct Stream {
    std::shared_ptr<http::StreamWriter> writer;
    NamespaceFilter may_see;
  };
  std::vector<Stream> writers_;
  std::set<std::string> rollouts_;    // "ns/name"
  std::set<std::string> namespaces_;  // changes of children and events
  std::thread thread_;
};

}  // namespace vane::dashboard
