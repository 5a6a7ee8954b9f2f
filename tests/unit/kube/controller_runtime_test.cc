// The controller runtime: the worker loop's settling of each reconcile result, the worker group,
// keys, owner handlers and the stale-cache tracker. The loop is checked against a queue that
// records its calls (what it was asked to do), and once end to end against the real queue.
#include "kube/controller_runtime.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace vane::kube {
namespace {

using namespace std::chrono_literals;

// Hands out the scripted keys, then nullopt (shut down); records every other call in order.
class RecordingQueue : public WorkQueue {
 public:
  explicit RecordingQueue(std::deque<std::string> keys) : keys_(std::move(keys)) {}
  void add(const std::string& key) override { calls.push_back("add " + key); }
  void addAfter(const std::string& key, std::chrono::milliseconds delay) override {
    calls.push_back("addAfter " + key + " " + std::to_string(delay.count()) + "ms");
  }
  void addRateLimited(const std::string& key) override { calls.push_back("addRateLimited " + key); }
  void forget(const std::string& key) override { calls.push_back("forget " + key); }
  int numRequeues(const std::string&) const override { return 0; }
  std::optional<std::string> get() override {
    if (keys_.empty()) return std::nullopt;
    std::string key = keys_.front();
    keys_.pop_front();
    calls.push_back("get " + key);
    return key;
  }
  void done(const std::string& key) override { calls.push_back("done " + key); }
  std::size_t length() const override { return keys_.size(); }
  void shutdown() override {}
  bool shuttingDown() const override { return keys_.empty(); }

  std::vector<std::string> calls;

 private:
  std::deque<std::string> keys_;
};

using Calls = std::vector<std::string>;

TEST(ControllerRuntimeTest, RequeueAfterIsAddedAfterThoseMillisecondsAndForgetsTheBackoff) {
  RecordingQueue q({"default/web"});
  ASSERT_TRUE(processNextItem(q, "test", [](const std::string&) {
    return ReconcileResult{Status::ok(), kStaleCacheRequeueDelay};
  }));
  EXPECT_EQ(q.calls, (Calls{"get default/web", "forget default/web", "addAfter default/web 100ms",
                            "done default/web"}));
}

TEST(ControllerRuntimeTest, AnErrorIsRequeuedRateLimitedAndIgnoresRequeueAfter) {
  RecordingQueue q({"default/web"});
  ASSERT_TRUE(processNextItem(q, "test", [](const std::string&) {
    return ReconcileResult{Status(Code::kUnavailable, "connection refused"), 5ms};
  }));
  EXPECT_EQ(q.calls, (Calls{"get default/web", "addRateLimited default/web", "done default/web"}));
}

TEST(ControllerRuntimeTest, AnErrorWithRetryAfterWaitsAsTheServerAsked) {
  RecordingQueue q({"default/web"});
  ASSERT_TRUE(processNextItem(q, "test", [](const std::string&) {
    Status throttled(Code::kTooManyRequests, "Too many requests, please try again later.");
    throttled.withHttpStatus(429).withRetryAfter(2s);
    return ReconcileResult{throttled, std::nullopt};
  }));
  EXPECT_EQ(q.calls, (Calls{"get default/web", "addAfter default/web 2000ms", "done default/web"}));
}

TEST(ControllerRuntimeTest, SuccessWithoutRequeueForgetsTheKey) {
  RecordingQueue q({"default/web"});
  ASSERT_TRUE(processNextItem(q, "test", [](const std::string&) { return ReconcileResult{}; }));
  EXPECT_EQ(q.calls, (Calls{"get default/web", "forget default/web", "done default/web"}));
}

TEST(ControllerRuntimeTest, RunWorkerReconcilesEachKeyUntilTheQueueShutsDown) {
  RecordingQueue q({"ns/a", "ns/b"});
  std::vector<std::string> reconciled;
  runWorker(q, "test", [&](const std::string& key) {
    reconciled.push_back(key);
    return ReconcileResult{};
  });
  EXPECT_EQ(reconciled, (std::vector<std::string>{"ns/a", "ns/b"}));
  EXPECT_FALSE(processNextItem(q, "test", [](const std::string&) { return ReconcileResult{}; }));
}

// End to end on the real queue: the requeue comes back through addAfter, and stop() ends the
// workers even while a delayed add is pending.
TEST(ControllerRuntimeTest, WorkerGroupRunsRequeuesAndStops) {
  auto q = WorkQueue::create();
  std::mutex mu;
  std::condition_variable cv;
  int runs = 0;
  WorkerGroup group;
  group.start(*q, "test", 2, [&](const std::string&) {
    std::lock_guard lock(mu);
    ++runs;
    cv.notify_all();
    return ReconcileResult{Status::ok(), runs < 3 ? 1ms : std::chrono::milliseconds(1h)};
  });
  q->add("default/web");
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return runs >= 3; }));
  }
  group.stop();
  EXPECT_TRUE(q->shuttingDown());
  std::lock_guard lock(mu);
  EXPECT_EQ(runs, 3) << "the one-hour requeue must not run";
}

TEST(ControllerRuntimeTest, SplitKey) {
  EXPECT_EQ(splitKey("default/web"), (std::pair<std::string, std::string>{"default", "web"}));
  EXPECT_EQ(splitKey("cluster-scoped"),
            (std::pair<std::string, std::string>{"", "cluster-scoped"}));
  EXPECT_EQ(objectKey(json{{"metadata", {{"namespace", "ns"}, {"name", "n"}}}}), "ns/n");
}

TEST(ControllerRuntimeTest, OwnerHandlersQueueTheControllingOwnerOfTheKind) {
  RecordingQueue q({});
  EventHandlers h = enqueueOwners(q, "Rollout");
  auto rs = std::make_shared<const json>(json::parse(R"({"metadata": {
      "namespace": "ns", "name": "web-abc", "ownerReferences": [
        {"kind": "Rollout", "name": "web", "controller": true},
        {"kind": "Rollout", "name": "not-controller"},
        {"kind": "Experiment", "name": "ex", "controller": true},
        {"kind": "Rollout", "name": "bad-flag", "controller": "yes"}]}})"));
  h.on_add(rs);
  h.on_update(nullptr, rs);
  h.on_delete(rs);
  h.on_add(nullptr);
  EXPECT_EQ(q.calls, (Calls{"add ns/web", "add ns/web", "add ns/web"}));
  EXPECT_EQ(controllerOwnerKeys(*rs, "Experiment"), (std::vector<std::string>{"ns/ex"}));
}

TEST(ControllerRuntimeTest, TrackerCallsACacheOlderThanTheLastWriteStale) {
  ResourceVersionTracker t;
  EXPECT_FALSE(t.stale("ns/a", "5")) << "nothing written yet";
  t.recordWrite("ns/a", "9");
  t.recordWrite("ns/a", "7");  // an older answer never lowers the mark
  EXPECT_TRUE(t.stale("ns/a", "5"));
  EXPECT_TRUE(t.stale("ns/a", "8"));
  EXPECT_FALSE(t.stale("ns/a", "9"));
  EXPECT_FALSE(t.stale("ns/a", "10"));
  EXPECT_FALSE(t.stale("ns/b", "1")) << "per key";
  EXPECT_FALSE(t.stale("ns/a", "opaque")) << "a non-numeric version is never stale";
  t.recordWrite("ns/b", "");
  EXPECT_FALSE(t.stale("ns/b", "1"));
  t.forget("ns/a");
  EXPECT_FALSE(t.stale("ns/a", "5"));
}

}  // namespace
}  // namespace vane::kube
