// Prometheus metrics of the local API server (prometheus-cpp registry rendered by our own
// /metrics handler): requests by verb, resource and code, latency, open watches, WAL fsyncs.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "kube/http.h"

namespace vane::apiserver {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  void observeRequest(const http::Request& req, int code, bool watch,
                      std::chrono::steady_clock::duration latency);
  void observeFsync(double seconds);
  /// Text exposition format (version 0.0.4).
  std::string render(std::size_t open_watches);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// (verb, resource) of a request as kube-apiserver labels them: verb in get, list, watch,
/// create, update, patch, delete, deletecollection (or the lowercased method elsewhere).
std::pair<std::string, std::string> requestVerbResource(const http::Request& req, bool watch);

}  // namespace vane::apiserver
