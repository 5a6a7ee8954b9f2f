#include "analysis/http_clients.h"

namespace vane::analysis {

Result<http::Client*> HttpClients::get(bool insecure) {
  std::lock_guard lock(mu_);
  auto& slot = insecure ? insecure_ : secure_;
  if (!slot) {
    http::ClientOptions o = options_;
    if (insecure) o.tls.insecure_skip_verify = true;
    auto c = http::Client::create(o);
    if (!c) return c.status();
    slot = std::move(c).value();
  }
  return slot.get();
}

}  // namespace vane::analysis
