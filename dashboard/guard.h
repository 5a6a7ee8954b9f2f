// Who may use a dashboard served on loopback with the user's own credentials: only a browser that
// was given the per-session token (as ?token=, then kept in an HttpOnly, SameSite=Strict cookie).
// Host is checked on every request (DNS rebinding) and Origin on every state-changing one (a web
// page in another tab cannot post to it). Pure functions over the request; no I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kube/http.h"

namespace vane::dashboard {

inline constexpr const char* kSessionCookie = "vane_dashboard_session";

/// 32 hex characters from /dev/urandom.
std::string randomToken();

/// Constant-time comparison (the token is a secret).
bool tokensEqual(const std::string& a, const std::string& b);

class LocalGuard {
 public:
  /// address: the bound address (e.g. 127.0.0.1); port: the bound port.
  LocalGuard(std::string token, const std::string& address, uint16_t port);

  /// nullopt: let the request through. Otherwise the response to send: 403 for a bad Host or
  /// Origin, 401 without the session token, or the 303 that trades ?token= for the cookie.
  std::optional<http::Response> check(const http::Request& req) const;

  /// The URL to open: http://address:port/?token=...
  std::string url() const;
  const std::string& token() const { return token_; }

 private:
  bool hostAllowed(const std::string& host) const;
  bool originAllowed(const std::string& origin) const;

  std::string token_;
  std::string address_;
  uint16_t port_;
  std::vector<std::string> hosts_;  // host:port values accepted in Host
};

/// The value of a cookie in the request's Cookie header(s), nullopt when absent.
std::optional<std::string> cookie(const http::Request& req, const std::string& name);

/// Whether the method changes state (anything but GET, HEAD, OPTIONS).
bool isStateChanging(const std::string& method);

}  // namespace vane::dashboard
