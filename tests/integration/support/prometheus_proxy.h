// Test support for Prometheus faults: a real Prometheus on a free loopback port, and a small
// loopback proxy in front of it that misbehaves on purpose (stalls, 5xx, a matrix where a vector
// was expected, a non-JSON body). Both are stopped by the destructor (the process by PID).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "kube/http.h"
#include "support/process.h"

namespace vane::testing {

/// /usr/bin/prometheus with an empty scrape config and its own data dir; SIGTERM then SIGKILL.
class PrometheusProcess {
 public:
  /// Starts and waits for /-/ready; nullptr (log printed by the test) on failure.
  static std::unique_ptr<PrometheusProcess> start();
  ~PrometheusProcess();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  Process& process() { return *process_; }

 private:
  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
};

/// What the proxy does with the next requests.
enum class ProxyFault {
  kPass,     // forward to Prometheus, answer what it answered
  kStall,    // hold the request (up to 10 s, released on stop) and then answer normally
  k500,      // "500 Internal Server Error", plain text
  k503,      // "503 Service Unavailable", plain text, as a not-ready Prometheus
  kMatrix,   // ask Prometheus the same query as a range query and answer that matrix
  kNonJson,  // 200 with an HTML page (a login or captive-portal page)
};

class FaultyProxy {
 public:
  /// Listens on 127.0.0.1:0 and forwards to upstream (http://host:port).
  static std::unique_ptr<FaultyProxy> start(std::string upstream);
  ~FaultyProxy();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void setFault(ProxyFault fault);
  int requests() const;  // query requests seen so far

 private:
  FaultyProxy() = default;
  http::Response handle(const http::Request& r);
  http::Response forward(const http::Request& r, const std::string& target,
                         const std::string& body);

  std::string upstream_;
  std::unique_ptr<http::Client> client_;
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  ProxyFault fault_ = ProxyFault::kPass;
  bool stopping_ = false;
  int requests_ = 0;
};

}  // namespace vane::testing
