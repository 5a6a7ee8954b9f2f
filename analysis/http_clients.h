// The HTTP clients a provider needs: one verifying TLS and one with insecure-skip-verify, each made
// on first use and then shared by every measurement (keep-alive pools). Thread-safe.
#pragma once

#include <memory>
#include <mutex>

#include "kube/http.h"
#include "kube/status.h"

namespace vane::analysis {

class HttpClients {
 public:
  explicit HttpClients(http::ClientOptions options) : options_(std::move(options)) {}
  /// The client for a metric's `insecure` setting; an error when the client cannot be made.
  Result<http::Client*> get(bool insecure);

 private:
  http::ClientOptions options_;
  std::mutex mu_;
  std::unique_ptr<http::Client> secure_, insecure_;
};

}  // namespace vane::analysis
