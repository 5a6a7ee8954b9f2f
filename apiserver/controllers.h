// Stand-ins for the kube-controller-manager pieces local mode needs (kube-api-local.md §b.13):
// the garbage collector (background, foreground, orphan), the namespace finalizer and the CRD
// cleanup finalizer. One worker thread, woken by store events that can change its decisions,
// converging by full passes.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "apiserver/registry.h"
#include "apiserver/store.h"

namespace vane::apiserver {

class Controllers {
 public:
  Controllers(Store& store, Registry& registry);
  ~Controllers();
  Status start();
  void stop();
  /// Runs one reconciliation pass synchronously; returns the number of writes made.
  int pass();

 private:
  void loop();
  Store& store_;
  Registry& registry_;
  std::unique_ptr<StoreWatch> watch_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = true;
  bool stopping_ = false;
  int failed_writes_ = 0;  // by the last pass(); the loop retries after a second
  std::thread thread_;
};

}  // namespace vane::apiserver
