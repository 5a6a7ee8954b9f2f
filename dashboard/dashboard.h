// The Vane dashboard: a web UI over one shared set of informers (Rollouts, ReplicaSets, Pods,
// AnalysisRuns, Events, VirtualServices), with a JSON API, live updates as server-sent events and
// the CLI's actions. Served by `kubectl vane dashboard` on loopback with the user's credentials,
// behind a per-session token (dashboard/guard.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kube/client.h"

namespace vane::dashboard {

struct DashboardOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 3100;    // 0: a free port
  std::string namespace_;  // "": every namespace
  std::string token;       // session token; "": a random one
  std::string istio_version = "v1beta1";
  std::function<int64_t()> now;  // unix seconds (restart); default: the system clock
  std::chrono::milliseconds flush_interval{250};  // live updates are batched this long
  /// In-cluster mode (vane-controller --dashboard-addr): no session token; every API request must
  /// carry the user's bearer token (Authorization header, or the cookie the sign-in form sets),
  /// checked with a TokenReview, and each read and write is authorised for that user with
  /// SubjectAccessReviews before the dashboard's client (its service account) makes it.
  bool in_cluster = false;
  std::chrono::seconds access_ttl{10};  // how long review answers are reused
};

class Dashboard {
 public:
  virtual ~Dashboard() = default;
  /// Starts the informers and the HTTP server. client must outlive the dashboard.
  static Result<std::unique_ptr<Dashboard>> start(kube::Client& client, DashboardOptions options);
  virtual uint16_t port() const = 0;
  /// The URL to open, with the session token.
  virtual std::string url() const = 0;
  /// Blocks until every informer listed once, or the timeout; true when all did.
  virtual bool waitForSync(std::chrono::milliseconds timeout) = 0;
  /// Stops the server, the live streams and the informers. Idempotent.
  virtual void stop() = 0;
};

/// `kubectl vane dashboard [--port 3100] [--address 127.0.0.1] [-n NS] [--kubeconfig F]
/// [--context C]`: serves until SIGINT/SIGTERM. Returns the exit code.
int runDashboardCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace vane::dashboard
