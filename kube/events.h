// EventRecorder: core/v1 Events written like client-go's recorder (name "<object>.<hex nanos>",
// involvedObject, source component), aggregated (a repeat of the same object, reason, message and
// type within 10 minutes bumps count and lastTimestamp with a PATCH), rate-limited per object,
// and sent by a background thread so that callers never block on the API server.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "kube/client.h"

namespace vane::kube {

inline constexpr const char* kEventTypeNormal = "Normal";
inline constexpr const char* kEventTypeWarning = "Warning";

struct EventRecorderOptions {
  std::string component = "vane-controller";  // source.component, reportingComponent
  std::string host;                           // source.host, reportingInstance
  std::chrono::minutes aggregation_window{10};
  /// Per-object token bucket (client-go's spam filter: burst 25, one token per 5 minutes).
  int burst = 25;
  std::chrono::seconds refill_every{300};
  std::size_t max_queue = 1000;  // events beyond this are dropped, never blocking the caller
};

class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  static std::unique_ptr<EventRecorder> create(Client& client, EventRecorderOptions options = {});
  /// Queues an event about object (any Kubernetes object: kind, apiVersion, metadata). Returns at
  /// once; false when the event was dropped (rate limit or full queue). Thread-safe.
  virtual bool event(const json& object, const std::string& type, const std::string& reason,
                     const std::string& message) = 0;
  /// Waits until every queued event was sent or the timeout passed; true when drained.
  virtual bool flush(std::chrono::milliseconds timeout) = 0;
  /// Sends what is queued (bounded by flush of 5 s) and stops the thread. Idempotent.
  virtual void stop() = 0;
};

}  // namespace vane::kube
