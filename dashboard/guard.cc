#include "dashboard/guard.h"

#include <cstdio>
#include <fstream>

namespace vane::dashboard {
namespace {

http::Response plain(int code, std::string body) { return http::Response::text(code, body + "\n"); }

}  // namespace

std::string randomToken() {
  unsigned char bytes[16] = {};
  std::ifstream in("/dev/urandom", std::ios::binary);
  in.read(reinterpret_cast<char*>(bytes), sizeof bytes);
  std::string out;
  char buf[3];
  for (unsigned char b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

bool tokensEqual(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::optional<std::string> cookie(const http::Request& req, const std::string& name) {
  for (const auto& [k, v] : req.headers) {
    if (!http::findHeader({{k, ""}}, "cookie")) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      auto semi = rest.find(';');
      std::string_view part = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      auto eq = part.find('=');
      if (eq != std::string_view::npos && part.substr(0, eq) == name) {
        return std::string(part.substr(eq + 1));
      }
    }
  }
  return std::nullopt;
}

bool isStateChanging(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

LocalGuard::LocalGuard(std::string token, const std::string& address, uint16_t port)
    : token_(std::move(token)), address_(address), port_(port) {
  std::string p = std::to_string(port);
  std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
  hosts_ = {host + ":" + p, "localhost:" + p};
}

std::string LocalGuard::url() const { return "http://" + hosts_[0] + "/?token=" + token_; }

bool LocalGuard::hostAllowed(const std::string& host) const {
  for (const auto& h : hosts_) {
    if (host == h) return true;
  }
  return false;
}

bool LocalGuard::originAllowed(const std::string& origin) const {
  for (const auto& h : hosts_) {
    if (origin == "http://" + h) return true;
  }
  return false;
}

std::optional<http::Response> LocalGuard::check(const http::Request& req) const {
  if (!hostAllowed(req.header("Host").value_or(""))) {
    return plain(403, "forbidden: unexpected Host header");
  }
  if (isStateChanging(req.method)) {
    // Browsers send Origin on every cross-origin request and on same-origin POSTs; a missing
    // Origin is refused too, so only our own page (or a client that sets it) can write.
    if (!originAllowed(req.header("Origin").value_or(""))) {
      return plain(403, "forbidden: unexpected Origin header");
    }
  }
  if (auto t = req.param("token")) {
    if (!tokensEqual(*t, token_)) return plain(401, "unauthorized: wrong session token");
    if (req.method == "GET" && req.path == "/") {
      http::Response r = plain(303, "see /");
      r.headers.emplace_back("Location", "/");
      r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=" + token_ +
                                               "; Path=/; HttpOnly; SameSite=Strict");
      return r;
    }
    return std::nullopt;
  }
  auto c = cookie(req, kSessionCookie);
  if (!c || !tokensEqual(*c, token_)) {
    return plain(401,
                 "unauthorized: open the URL that `kubectl vane dashboard` printed (it carries "
                 "the session token)");
  }
  return std::nullopt;
}

}  // namespace vane::dashboard
