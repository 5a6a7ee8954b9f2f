// Watch streams: newline-delimited JSON events over a chunked response, fed from store watches,
// with selector transitions (a MODIFIED object that stops matching is sent as DELETED), Table
// events for `kubectl get -w`, bookmarks, timeoutSeconds, sendInitialEvents and 410 Expired.
#pragma once

#include <chrono>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "apiserver/registry.h"
#include "apiserver/selectors.h"
#include "apiserver/store.h"
#include "kube/http.h"

namespace vane::apiserver {

struct WatchSpec {
  std::shared_ptr<const ResourceType> type;
  std::string version;
  std::string ns;
  Selector labels, fields;
  bool table = false;
  bool metadata_only = false;  // events carry meta.k8s.io/v1 PartialObjectMetadata
  std::string include_object;
  bool bookmarks = false;
  bool send_initial_events = false;
  bool initial_list = false;  // synthetic ADDED for the current state first
  uint64_t from_rv = 0;
  std::optional<std::chrono::seconds> timeout;
};

class WatchRegistry {
 public:
  WatchRegistry();
  ~WatchRegistry();
  /// The streamed response for a watch request.
  http::Response start(Store& store, WatchSpec spec);
  std::size_t size() const;
  void closeAll();
  /// Interval between bookmarks when allowWatchBookmarks=true.
  std::chrono::seconds bookmark_interval{60};

  struct Session;

 private:
  void reaper();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::list<std::shared_ptr<Session>> sessions_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vane::apiserver
