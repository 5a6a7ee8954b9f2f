// vane-apiserver assembled: store (+WAL), type registry, REST layer, embedded controllers,
// optional workload simulation, bearer-token auth, TLS, /metrics, health endpoints.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apiserver/faults.h"
#include "apiserver/rbac.h"
#include "apiserver/store.h"
#include "kube/http.h"

namespace vane::apiserver {

struct ApiServerOptions {
  std::string listen = "127.0.0.1:0";
  std::string data_dir;  // empty: in memory
  bool fsync = true;
  std::string token;  // non-empty: required as "Authorization: Bearer <token>"
  // More users (--token-file CSV, apiserver/rbac.h); token above is the kubeconfig's and, when it
  // is not among them, an administrator (system:masters).
  std::map<std::string, UserInfo> users;
  bool rbac = false;  // --authorization-mode RBAC: every request is checked by the RBAC authoriser
  // Self-signed certificate kept in data_dir (or a temp dir). Without a token, one is generated
  // and kept there too (file "token"), so the kubeconfig needs no password prompt.
  bool tls = false;
  bool simulate_workloads = false;
  std::chrono::milliseconds pod_ready_delay{1000};
  std::vector<std::string> unpullable_images;  // see WorkloadSimulator::Options
  int threads = 2;
  /// --faults: injected into resource requests; --faults-seed overrides its seed.
  std::optional<FaultConfig> faults;
  std::optional<uint64_t> faults_seed;
};

class ApiServer {
 public:
  static Result<std::unique_ptr<ApiServer>> start(ApiServerOptions options);
  virtual ~ApiServer() = default;
  virtual uint16_t port() const = 0;
  /// http(s)://127.0.0.1:PORT
  virtual std::string url() const = 0;
  /// PEM of the serving certificate (its own CA); empty without TLS.
  virtual std::string caPem() const = 0;
  /// A kubeconfig for this server (CA data and token included).
  virtual std::string kubeconfig() const = 0;
  virtual Store& store() = 0;
  /// Handles one request (what the HTTP server calls). Never throws.
  virtual http::Response handle(const http::Request& req) = 0;
  virtual void stop() = 0;
};

}  // namespace vane::apiserver
