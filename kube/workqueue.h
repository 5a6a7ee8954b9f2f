// Stingy rate-limited work queue (client-go semantics): a key is never processed by two workers
// at once; adds while in flight collapse into one rerun after done().
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace vane::kube {

struct WorkQueueOptions {
  std::chrono::milliseconds base_delay{5};      // per-item exponential backoff
  std::chrono::milliseconds max_delay{1000 * 1000};
  double qps = 10;                               // overall token bucket for rate-limited adds
  int burst = 100;
};

class WorkQueue {
 public:
  virtual ~WorkQueue() = default;
  static std::unique_ptr<WorkQueue> create(WorkQueueOptions options = {});
  virtual void add(const std::string& key) = 0;
  virtual void addAfter(const std::string& key, std::chrono::milliseconds delay) = 0;
  /// add after max(per-item backoff, token bucket delay); the backoff grows until forget().
  virtual void addRateLimited(const std::string& key) = 0;
  virtual void forget(const std::string& key) = 0;
  virtual int numRequeues(const std::string& key) const = 0;
  /// Blocks for the next key; nullopt once shut down and drained.
  virtual std::optional<std::string> get() = 0;
  virtual void done(const std::string& key) = 0;
  virtual std::size_t length() const = 0;
  virtual void shutdown() = 0;
  virtual bool shuttingDown() const = 0;
};

}  // namespace vane::kube
