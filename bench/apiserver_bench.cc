// vane-apiserver store and REST throughput: create/update with and without a fsynced WAL, list
// of 10,000 objects through the REST layer (JSON and Table), watch fan-out to 100 watchers.
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "apiserver/registry.h"
#include "apiserver/rest.h"
#include "apiserver/store.h"

namespace vane::apiserver {
namespace {

json configMap(int i) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", "cm-" + std::to_string(i)}, {"namespace", "default"}}},
          {"data", {{"key", "value-" + std::to_string(i)}}}};
}

std::unique_ptr<Store> openStore(bool wal, bool fsync, std::string& dir) {
  StoreOptions o;
  if (wal) {
    dir = (std::filesystem::temp_directory_path() / "vane-bench-wal").string();
    std::filesystem::remove_all(dir);
    o.data_dir = dir;
    o.fsync = fsync;
  }
  return Store::open(o).value();
}

void BM_Create(benchmark::State& state) {
  std::string dir;
  auto store = openStore(state.range(0) > 0, state.range(0) > 1, dir);
  int i = 0;
  for (auto _ : state) {
    auto r = store->create({"core/configmaps", "default", "cm-" + std::to_string(i)}, configMap(i));
    benchmark::DoNotOptimize(r);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) == 0   ? "memory"
                 : state.range(0) == 1 ? "wal-nofsync"
                                       : "wal-fsync");
  store.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Create)->Arg(0)->Arg(1)->Arg(2);

// Group commit: 1,000 creates per iteration into a store with an fsynced WAL, spread over
// state.range(0) writer threads (the REST server's connections). Writers waiting at the same
// moment share one fdatasync, so throughput grows with the writers instead of staying at one
// fsync per write.
void BM_CreateFsyncedWriters(benchmark::State& state) {
  std::string dir;
  auto store = openStore(true, true, dir);
  const int writers = static_cast<int>(state.range(0));
  int round = 0;
  for (auto _ : state) {
    std::atomic<int> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < writers; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < 1000; i = next++) {
          const std::string n = "cm-" + std::to_string(round) + "-" + std::to_string(i);
          auto r = store->create({"core/configmaps", "default", n}, configMap(i));
          benchmark::DoNotOptimize(r);
        }
      });
    }
    for (auto& t : threads) t.join();
    ++round;
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CreateFsyncedWriters)
    ->Arg(1)
    ->Arg(8)
    ->Arg(32)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Update(benchmark::State& state) {
  std::string dir;
  auto store = openStore(state.range(0) > 0, state.range(0) > 1, dir);
  ObjectKey key{"core/configmaps", "default", "cm-0"};
  (void)store->create(key, configMap(0));
  int i = 0;
  for (auto _ : state) {
    json o = configMap(0);
    o["data"]["key"] = std::to_string(i++);
    auto r = store->update(key, std::move(o));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) == 0   ? "memory"
                 : state.range(0) == 1 ? "wal-nofsync"
                                       : "wal-fsync");
  store.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Update)->Arg(0)->Arg(1)->Arg(2);

void BM_List10k(benchmark::State& state) {
  auto store = Store::open({}).value();
  Registry registry;
  Rest rest(*store, registry);
  (void)store->create({"core/namespaces", "", "default"}, {{"metadata", {{"name", "default"}}}});
  for (int i = 0; i < 10000; ++i) {
    (void)store->create({"core/configmaps", "default", "cm-" + std::to_string(i)}, configMap(i));
  }
  http::Request req;
  req.method = "GET";
  req.path = req.target = "/api/v1/namespaces/default/configmaps";
  if (state.range(0) == 1) {
    req.headers.emplace_back("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io");
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto r = rest.handle(req);
    bytes += r->body.size();
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetLabel(state.range(0) == 1 ? "table" : "json");
}
BENCHMARK(BM_List10k)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_WatchFanout100(benchmark::State& state) {
  auto store = Store::open({}).value();
  std::atomic<uint64_t> delivered{0};
  std::vector<std::unique_ptr<StoreWatch>> watches;
  for (int w = 0; w < 100; ++w) {
    watches.push_back(store
                          ->watch("core/configmaps", "", 0,
                                  [&](const StoreEvent& ev) {
                                    // What a REST watcher does per event: serialise and queue.
                                    std::string line = ev.object->dump();
                                    benchmark::DoNotOptimize(line);
                                    delivered.fetch_add(1, std::memory_order_relaxed);
                                  })
                          .value());
  }
  ObjectKey key{"core/configmaps", "default", "cm-0"};
  (void)store->create(key, configMap(0));
  int i = 0;
  for (auto _ : state) {
    json o = configMap(0);
    o["data"]["key"] = std::to_string(i++);
    (void)store->update(key, std::move(o));
  }
  state.counters["events_delivered"] =
      benchmark::Counter(static_cast<double>(delivered.load()), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WatchFanout100);

}  // namespace
}  // namespace vane::apiserver

BENCHMARK_MAIN();
