// Lease-based leader election (coordination.k8s.io/v1 Lease), with client-go's timing rules:
// a candidate takes an expired or released lease; the leader renews every retry period and stops
// acting once it has not renewed for renew_deadline, which is shorter than lease_duration, so it
// has stopped before any other candidate may take over. Writes use resourceVersion preconditions.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kube/client.h"

namespace vane::kube {

struct LeaderElectionConfig {
  std::string lease_namespace = "default";
  std::string lease_name;
  std::string identity;  // unique per process, e.g. hostname + "_" + uuid
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  /// On clean stop(), clear holderIdentity so a follower takes over at once.
  bool release_on_stop = true;
  /// Called on the elector's threads, one at a time, alternating started/stopped; must not block
  /// for long and must not call stop() (which joins those threads).
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;  // observed holder changed
};

/// Every std::chrono::steady_clock timing is local; lease times written are wall-clock MicroTime.
class LeaderElector {
 public:
  virtual ~LeaderElector() = default;
  /// kInvalid when the durations break lease_duration > renew_deadline > retry_period.
  static Result<std::unique_ptr<LeaderElector>> create(Client& client, LeaderElectionConfig config);
  /// Starts campaigning on a background thread. Idempotent.
  virtual void start() = 0;
  /// Stops campaigning; a leader stops leading (on_stopped_leading) and, if configured,
  /// releases the lease. Blocks until the background threads exit. Idempotent.
  virtual void stop() = 0;
  virtual bool isLeader() const = 0;
  /// The last observed holder ("" when none).
  virtual std::string leader() const = 0;
};

/// t as a Kubernetes MicroTime (RFC 3339 UTC with microseconds), as Lease times are written.
std::string microTime(std::chrono::system_clock::time_point t);

}  // namespace vane::kube
