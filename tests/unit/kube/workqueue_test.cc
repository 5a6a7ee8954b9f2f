#include "kube/workqueue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace vane::kube {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueueTest, DuplicateAddsCollapse) {
  auto q = WorkQueue::create();
  q->add("a");
  q->add("b");
  q->add("a");
  EXPECT_EQ(q->length(), 2u);
  EXPECT_EQ(q->get(), "a");
  EXPECT_EQ(q->get(), "b");
  EXPECT_EQ(q->length(), 0u);
}

TEST(WorkQueueTest, AddWhileProcessingRerunsOnceAfterDone) {
  auto q = WorkQueue::create();
  q->add("a");
  ASSERT_EQ(q->get(), "a");
  q->add("a");
  q->add("a");
  EXPECT_EQ(q->length(), 0u) << "a key in flight must not be handed out again";
  q->done("a");
  EXPECT_EQ(q->length(), 1u);
  EXPECT_EQ(q->get(), "a");
  q->done("a");
  EXPECT_EQ(q->length(), 0u);
}

TEST(WorkQueueTest, ShutdownDrainsThenReturnsNullopt) {
  auto q = WorkQueue::create();
  q->add("a");
  q->shutdown();
  EXPECT_TRUE(q->shuttingDown());
  q->add("b");  // ignored after shutdown
  EXPECT_EQ(q->get(), "a");
  EXPECT_EQ(q->get(), std::nullopt);
}

TEST(WorkQueueTest, ShutdownUnblocksWaitingWorkers) {
  auto q = WorkQueue::create();
  std::atomic<int> finished{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 3; ++i) {
    workers.emplace_back([&] {
      if (!q->get()) finished++;
    });
  }
  q->shutdown();
  for (auto& t : workers) t.join();
  EXPECT_EQ(finished.load(), 3);
}

// Concurrent adders and workers: no key is ever processed by two workers at once, and every add
// is followed by a processing of that key that started after it.
TEST(WorkQueueTest, StingyUnderConcurrentAdds) {
  auto q = WorkQueue::create();
  constexpr int kKeys = 5;
  std::mutex mu;
  std::map<std::string, int> in_flight;
  std::map<std::string, int64_t> last_add, last_start;
  std::atomic<int64_t> clock{0};
  std::atomic<bool> overlap{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q->get()) {
        {
          std::lock_guard lock(mu);
          if (++in_flight[*key] > 1) overlap = true;
          last_start[*key] = clock++;
        }
        std::this_thread::yield();
        {
          std::lock_guard lock(mu);
          --in_flight[*key];
        }
        q->done(*key);
      }
    });
  }
  std::vector<std::thread> adders;
  for (int a = 0; a < 3; ++a) {
    adders.emplace_back([&, a] {
      for (int i = 0; i < 2000; ++i) {
        std::string key = "k" + std::to_string((i + a) % kKeys);
        {
          std::lock_guard lock(mu);
          last_add[key] = clock++;
        }
        q->add(key);
      }
    });
  }
  for (auto& t : adders) t.join();
  // Wait until every key's last processing started after its last add.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  bool caught_up = false;
  while (!caught_up && std::chrono::steady_clock::now() < deadline) {
    std::lock_guard lock(mu);
    caught_up = true;
    for (const auto& [key, t] : last_add) caught_up = caught_up && last_start[key] > t;
    if (!caught_up) std::this_thread::yield();
  }
  q->shutdown();
  for (auto& t : workers) t.join();
  EXPECT_FALSE(overlap.load());
  EXPECT_TRUE(caught_up) << "an add was lost";
  EXPECT_EQ(last_add.size(), static_cast<size_t>(kKeys));
}

TEST(WorkQueueTest, RateLimitedBackoffGrowsUntilForget) {
  WorkQueueOptions opts;
  opts.base_delay = 1ms;
  opts.max_delay = 8ms;
  auto q = WorkQueue::create(opts);
  for (int i = 1; i <= 6; ++i) {
    q->addRateLimited("a");
    EXPECT_EQ(q->numRequeues("a"), i);
    auto key = q->get();  // arrives once its (capped) backoff elapsed
    ASSERT_EQ(key, "a");
    q->done("a");
  }
  q->forget("a");
  EXPECT_EQ(q->numRequeues("a"), 0);
}

// Concurrent rate-limited adds of one key: every failure is counted, and the key is queued once.
TEST(WorkQueueTest, ConcurrentRateLimitedAddsCountAndCollapse) {
  WorkQueueOptions opts;
  opts.base_delay = 0ms;
  opts.qps = 0;  // no token bucket
  auto q = WorkQueue::create(opts);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) q->addRateLimited("k");
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(q->numRequeues("k"), 200);
  EXPECT_EQ(q->get(), "k");
  EXPECT_EQ(q->length(), 0u);
  q->done("k");
  q->forget("k");
  EXPECT_EQ(q->numRequeues("k"), 0);
}

TEST(WorkQueueTest, AddAfterDelaysAndKeepsEarliest) {
  auto q = WorkQueue::create();
  q->addAfter("late", std::chrono::hours(1));
  q->addAfter("soon", 1ms);
  q->addAfter("soon", std::chrono::hours(1));  // the earlier request wins
  EXPECT_EQ(q->get(), "soon");
  EXPECT_EQ(q->length(), 0u) << "'late' must still be waiting";
  q->add("late");  // a direct add is not held back by a pending delayed add
  EXPECT_EQ(q->get(), "late");
}

TEST(WorkQueueTest, TokenBucketDelaysBeyondBurst) {
  WorkQueueOptions opts;
  opts.base_delay = 0ms;
  opts.qps = 0.001;  // one token per 1000 s after the burst
  opts.burst = 2;
  auto q = WorkQueue::create(opts);
  q->addRateLimited("a");
  q->addRateLimited("b");
  q->addRateLimited("c");  // beyond the burst: waits for a token
  EXPECT_EQ(q->get(), "a");
  EXPECT_EQ(q->get(), "b");
  EXPECT_EQ(q->length(), 0u);
  q->shutdown();
  EXPECT_EQ(q->get(), std::nullopt);
}

}  // namespace
}  // namespace vane::kube
