#include "apiserver/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "apiserver/wal.h"

namespace vane::apiserver {
namespace {

json obj(const std::string& name, int v = 0) {
  return {{"metadata", {{"name", name}, {"namespace", "default"}}}, {"spec", {{"v", v}}}};
}

ObjectKey key(const std::string& name) { return {"core/configmaps", "default", name}; }

std::unique_ptr<Store> memStore(std::size_t history = 10000) {
  StoreOptions o;
  o.watch_history = history;
  return Store::open(o).value();
}

TEST(Store, ResourceVersionIsMonotonicAcrossWrites) {
  auto s = memStore();
  auto a = s->create(key("a"), obj("a"));
  auto b = s->create(key("b"), obj("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((**a)["metadata"]["resourceVersion"], "1");
  EXPECT_EQ((**b)["metadata"]["resourceVersion"], "2");
  auto r = s->remove(key("a"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((**r)["metadata"]["resourceVersion"], "3");
  EXPECT_EQ(s->currentResourceVersion(), 3u);
  auto [items, rv] = s->list("core/configmaps", "default");
  EXPECT_EQ(items.size(), 1u);
  EXPECT_EQ(rv, 3u);
}

TEST(Store, CreateTwiceIsAlreadyExistsAndStaleUpdateConflicts) {
  auto s = memStore();
  ASSERT_TRUE(s->create(key("a"), obj("a")).ok());
  EXPECT_EQ(s->create(key("a"), obj("a")).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(s->update(key("a"), obj("a", 1), 99).status().code(), Code::kConflict);
  EXPECT_TRUE(s->update(key("a"), obj("a", 1), 1).ok());
  EXPECT_EQ(s->update(key("nope"), obj("nope")).status().code(), Code::kNotFound);
}

TEST(Store, MutateRetriesOnConflict) {
  auto s = memStore();
  ASSERT_TRUE(s->create(key("a"), obj("a")).ok());
  int calls = 0;
  auto r = s->mutate(key("a"), [&](json& o) {
    if (++calls == 1) (void)s->update(key("a"), obj("a", 5));  // a concurrent writer
    o["spec"]["v"] = o["spec"]["v"].get<int>() + 1;
    return Status::ok();
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ((**r)["spec"]["v"], 6);
}

TEST(Store, WatchResumesFromHistoryAndFiltersNamespace) {
  auto s = memStore();
  ASSERT_TRUE(s->create(key("a"), obj("a")).ok());     // rv 1
  ASSERT_TRUE(s->update(key("a"), obj("a", 1)).ok());  // rv 2
  ASSERT_TRUE(s->create({"core/configmaps", "other", "x"},
                        {{"metadata", {{"name", "x"}, {"namespace", "other"}}}})
                  .ok());  // rv 3
  std::vector<std::pair<std::string, uint64_t>> seen;
  auto w = s->watch("core/configmaps", "default", 1,
                    [&](const StoreEvent& ev) { seen.emplace_back(ev.type, ev.resource_version); });
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(s->remove(key("a")).ok());  // rv 4
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::pair<std::string, uint64_t>{"MODIFIED", 2}));
  EXPECT_EQ(seen[1], (std::pair<std::string, uint64_t>{"DELETED", 4}));
  (*w)->cancel();
  ASSERT_TRUE(s->create(key("b"), obj("b")).ok());
  EXPECT_EQ(seen.size(), 2u);
}

TEST(Store, WatchFromCompactedHistoryIsGone) {
  auto s = memStore(2);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->create(key("o" + std::to_string(i)), obj("o")).ok());
  auto w = s->watch("core/configmaps", "", 1, [](const StoreEvent&) {});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Code::kGone);
  EXPECT_NE(w.status().message().find("too old resource version: 1"), std::string::npos);
  EXPECT_TRUE(s->watch("core/configmaps", "", 3, [](const StoreEvent&) {}).ok());
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vane-wal-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Store> open(std::size_t compact_after = 64 << 20,
                              std::function<void(double)> on_fsync = nullptr) {
    StoreOptions o;
    o.data_dir = dir_;
    o.compact_after_bytes = compact_after;
    o.on_fsync = std::move(on_fsync);
    auto s = Store::open(o);
    EXPECT_TRUE(s.ok()) << s.status().toString();
    return std::move(*s);
  }
  std::string dir_;
};

TEST_F(WalTest, ReplayRestoresObjectsAndResourceVersion) {
  {
    auto s = open();
    ASSERT_TRUE(s->create(key("a"), obj("a")).ok());
    ASSERT_TRUE(s->create(key("b"), obj("b")).ok());
    ASSERT_TRUE(s->update(key("a"), obj("a", 7)).ok());
    ASSERT_TRUE(s->remove(key("b")).ok());
  }
  auto s = open();
  EXPECT_EQ(s->currentResourceVersion(), 4u);
  auto a = s->get(key("a"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((**a)["spec"]["v"], 7);
  EXPECT_FALSE(s->get(key("b")).ok());
  auto c = s->create(key("c"), obj("c"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((**c)["metadata"]["resourceVersion"], "5");
}

TEST_F(WalTest, TornTailIsIgnoredAndCompactionKeepsEverything) {
  {
    auto s = open(/*compact_after=*/200);
    for (int i = 0; i < 20; ++i)
      ASSERT_TRUE(s->create(key("o" + std::to_string(i)), obj("o", i)).ok());
  }
  EXPECT_LT(std::filesystem::file_size(dir_ + "/wal.log"), 400u);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/snapshot.json"));
  {
    std::ofstream out(dir_ + "/wal.log", std::ios::app);
    out << R"({"op":"put","r":"core/configmaps","ns":"default","n":"torn","rv":99,"o":{)";
  }
  auto s = open();
  EXPECT_EQ(s->currentResourceVersion(), 20u);
  EXPECT_EQ(s->list("core/configmaps", "").first.size(), 20u);
  EXPECT_FALSE(s->get(key("torn")).ok());
  ASSERT_TRUE(s->create(key("after"), obj("after")).ok());
  auto again = open();
  EXPECT_TRUE(again->get(key("after")).ok());
}

// Group commit: writers on 8 threads share fdatasyncs (one per waiting group, not one per write),
// every acknowledged write survives a reopen, and a watcher sees every write once, in
// resourceVersion order.
TEST_F(WalTest, ConcurrentWritersShareFsyncsAndWatchersSeeEveryWriteInOrder) {
  constexpr int kThreads = 8, kPerThread = 40;
  std::atomic<int> observed_fsyncs{0};
  std::vector<uint64_t> seen;
  std::mutex mu;
  {
    auto s = open(64 << 20, [&](double) { ++observed_fsyncs; });
    auto w = s->watch("core/configmaps", "", 0, [&](const StoreEvent& ev) {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(ev.resource_version);
    });
    ASSERT_TRUE(w.ok());
    std::vector<std::thread> threads;
    std::atomic<int> failed{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string n = "t" + std::to_string(t) + "-" + std::to_string(i);
          if (!s->create(key(n), obj(n, i)).ok()) ++failed;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(observed_fsyncs, kThreads * kPerThread);  // told once per write
  }
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
  auto s = open();
  EXPECT_EQ(s->list("core/configmaps", "").first.size(),
            static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(Wal, SyncCoversEveryRecordWrittenBeforeIt) {
  const std::string dir = std::filesystem::temp_directory_path() / "vane-wal-group-unit";
  std::filesystem::remove_all(dir);
  Wal wal;
  ASSERT_TRUE(wal.open(
                     dir, true, [](const json&) {}, [](const json&) {})
                  .isOk());
  uint64_t last = 0;
  for (int i = 0; i < 10; ++i) last = wal.write(json{{"i", i}}).value();
  EXPECT_EQ(last, 10u);
  ASSERT_TRUE(wal.sync(3).isOk());  // one fdatasync covers all ten
  EXPECT_EQ(wal.fsyncs(), 1u);
  ASSERT_TRUE(wal.sync(10).isOk());
  EXPECT_EQ(wal.fsyncs(), 1u);
  ASSERT_TRUE(wal.append(json{{"i", 10}}).isOk());
  EXPECT_EQ(wal.fsyncs(), 2u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vane::apiserver
