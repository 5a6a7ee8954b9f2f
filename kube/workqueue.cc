// Stingy rate-limited work queue with client-go semantics (workqueue.Type + rate_limiting_queue +
// delaying_queue): dirty/processing sets, per-item exponential backoff, a token bucket, and a timer
// thread for delayed adds.
#include "kube/workqueue.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace vane::kube {
namespace {

using Clock = std::chrono::steady_clock;

class WorkQueueImpl : public WorkQueue {
 public:
  explicit WorkQueueImpl(WorkQueueOptions options)
      : options_(options),
        tokens_(options.burst),
        last_refill_(Clock::now()),
        timer_([this] { timerLoop(); }) {}

  ~WorkQueueImpl() override {
    shutdown();
    timer_.join();
  }

  void add(const std::string& key) override {
    std::lock_guard lock(mu_);
    addLocked(key);
  }

  void addAfter(const std::string& key, std::chrono::milliseconds delay) override {
    std::lock_guard lock(mu_);
    if (shutting_down_) return;
    if (delay.count() <= 0) {
      addLocked(key);
      return;
    }
    Clock::time_point at = Clock::now() + delay;
    // Like client-go's delaying queue, a key waits once, for the earliest requested time.
    auto it = waiting_.find(key);
    if (it != waiting_.end()) {
      if (it->second <= at) return;
      timers_.erase({it->second, key});
    }
    waiting_[key] = at;
    timers_.insert({at, key});
    timer_cv_.notify_one();
  }

  void addRateLimited(const std::string& key) override {
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(mu_);
      int failures = failures_[key]++;
      double backoff = static_cast<double>(options_.base_delay.count()) * std::pow(2.0, failures);
      backoff = std::min(backoff, static_cast<double>(options_.max_delay.count()));
      delay = std::max(std::chrono::milliseconds(static_cast<int64_t>(backoff)), reserveToken());
    }
    addAfter(key, delay);
  }

  void forget(const std::string& key) override {
    std::lock_guard lock(mu_);
    failures_.erase(key);
  }

  int numRequeues(const std::string& key) const override {
    std::lock_guard lock(mu_);
    auto it = failures_.find(key);
    return it == failures_.end() ? 0 : it->second;
  }

  std::optional<std::string> get() override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !queue_.empty() || shutting_down_; });
    if (queue_.empty()) return std::nullopt;
    std::string key = std::move(queue_.front());
    queue_.pop_front();
    processing_.insert(key);
    dirty_.erase(key);
    return key;
  }

  void done(const std::string& key) override {
    std::lock_guard lock(mu_);
    processing_.erase(key);
    if (dirty_.count(key)) {
      queue_.push_back(key);
      cv_.notify_one();
    }
  }

  std::size_t length() const override {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

  void shutdown() override {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    cv_.notify_all();
    timer_cv_.notify_all();
  }

  bool shuttingDown() const override {
    std::lock_guard lock(mu_);
    return shutting_down_;
  }

 private:
  void addLocked(const std::string& key) {
    if (shutting_down_) return;
    if (!dirty_.insert(key).second) return;
    if (processing_.count(key)) return;  // rerun after done()
    queue_.push_back(key);
    cv_.notify_one();
  }

  // Token bucket with reservations (golang.org/x/time/rate Reserve): the balance may go negative
  // and the delay is the time until it is paid back.
  std::chrono::milliseconds reserveToken() {
    if (options_.qps <= 0) return std::chrono::milliseconds(0);
    Clock::time_point now = Clock::now();
    double elapsed = std::chrono::duration<double>(now - last_refill_).count();
    last_refill_ = now;
    tokens_ = std::min(static_cast<double>(options_.burst), tokens_ + elapsed * options_.qps);
    tokens_ -= 1;
    if (tokens_ >= 0) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(
        static_cast<int64_t>(std::ceil(-tokens_ / options_.qps * 1000)));
  }

  void timerLoop() {
    std::unique_lock lock(mu_);
    while (!shutting_down_) {
      if (timers_.empty()) {
        timer_cv_.wait(lock);
        continue;
      }
      auto first = timers_.begin();
      if (first->first > Clock::now()) {
        timer_cv_.wait_until(lock, first->first);
        continue;
      }
      std::string key = first->second;
      timers_.erase(first);
      waiting_.erase(key);
      addLocked(key);
    }
  }

  const WorkQueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable timer_cv_;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;
  std::unordered_set<std::string> processing_;
  std::unordered_map<std::string, int> failures_;
  std::set<std::pair<Clock::time_point, std::string>> timers_;
  std::unordered_map<std::string, Clock::time_point> waiting_;
  double tokens_;
  Clock::time_point last_refill_;
  bool shutting_down_ = false;
  std::thread timer_;  // last: started after every other member is built
};

}  // namespace

std::unique_ptr<WorkQueue> WorkQueue::create(WorkQueueOptions options) {
  return std::make_unique<WorkQueueImpl>(options);
}

}  // namespace vane::kube
