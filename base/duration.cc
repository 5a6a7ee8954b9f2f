#include "base/duration.h"

#include <cstdint>
#include <string>

#include "base/go_quote.h"

namespace vane::base {
namespace {

// Go's time package: the units and the overflow rules of ParseDuration (src/time/format.go).
constexpr uint64_t kMaxPlusOne = uint64_t{1} << 63;

uint64_t unitNanos(std::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return 1000;  // U+00B5, U+03BC
  if (u == "ms") return 1000 * 1000;
  if (u == "s") return 1000 * 1000 * 1000;
  if (u == "m") return 60ULL * 1000 * 1000 * 1000;
  if (u == "h") return 3600ULL * 1000 * 1000 * 1000;
  return 0;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// An optional leading '+' or '-', removed from s; true for '-'.
bool takeSign(std::string_view& s) {
  if (s.empty() || (s[0] != '-' && s[0] != '+')) return false;
  bool neg = s[0] == '-';
  s.remove_prefix(1);
  return neg;
}

Status invalid(std::string_view orig) {
  return Status(Code::kInvalid, "invalid duration " + goQuote(orig));
}

// [0-9]* as an integer; false on overflow past 1<<63.
bool leadingInt(std::string_view& s, uint64_t& x) {
  size_t i = 0;
  for (; i < s.size() && isDigit(s[i]); ++i) {
    if (x > kMaxPlusOne / 10) return false;
    x = x * 10 + static_cast<uint64_t>(s[i] - '0');
    if (x > kMaxPlusOne) return false;
  }
  s.remove_prefix(i);
  return true;
}

// [0-9]* after the point: the digits that fit, and 10^(their count). Digits past what fits are
// dropped, as Go does.
void leadingFraction(std::string_view& s, uint64_t& x, double& scale) {
  size_t i = 0;
  bool overflow = false;
  for (; i < s.size() && isDigit(s[i]); ++i) {
    if (overflow) continue;
    if (x > (kMaxPlusOne - 1) / 10) {
      overflow = true;
      continue;
    }
    uint64_t y = x * 10 + static_cast<uint64_t>(s[i] - '0');
    if (y > kMaxPlusOne) {
      overflow = true;
      continue;
    }
    x = y;
    scale *= 10;
  }
  s.remove_prefix(i);
}

}  // namespace

Result<std::chrono::nanoseconds> parseGoDuration(std::string_view orig) {
  std::string_view s = orig;
  const bool neg = takeSign(s);
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid(orig);
  uint64_t d = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || isDigit(s[0]))) return invalid(orig);
    uint64_t v = 0, f = 0;
    double scale = 1;
    size_t before = s.size();
    if (!leadingInt(s, v)) return invalid(orig);
    bool pre = before != s.size();
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t at = s.size();
      leadingFraction(s, f, scale);
      post = at != s.size();
    }
    if (!pre && !post) return invalid(orig);
    size_t i = 0;
    while (i < s.size() && s[i] != '.' && !isDigit(s[i])) ++i;
    if (i == 0) return Status(Code::kInvalid, "missing unit in duration " + goQuote(orig));
    std::string_view u = s.substr(0, i);
    s.remove_prefix(i);
    uint64_t unit = unitNanos(u);
    if (unit == 0) {
      return Status(Code::kInvalid,
                    "unknown unit " + goQuote(u) + " in duration " + goQuote(orig) +
                        " (valid units are \"ns\", \"us\", \"ms\", \"s\", \"m\", \"h\")");
    }
    if (v > kMaxPlusOne / unit) return invalid(orig);
    v *= unit;
    if (f > 0) {
      // float64 is needed to be nanosecond accurate for fractions of hours (Go's comment).
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kMaxPlusOne) return invalid(orig);
    }
    d += v;
    if (d > kMaxPlusOne) return invalid(orig);
  }
  if (neg) return std::chrono::nanoseconds(static_cast<int64_t>(0 - d));
  if (d > kMaxPlusOne - 1) return invalid(orig);
  return std::chrono::nanoseconds(static_cast<int64_t>(d));
}

Result<std::chrono::nanoseconds> parseDuration(std::string_view orig) {
  std::string_view s = orig;
  const bool neg = takeSign(s);
  bool digits = !s.empty();
  for (char c : s) digits = digits && isDigit(c);
  if (!digits) return parseGoDuration(orig);
  // Seconds, as strconv.ParseInt then time.Duration(n) * time.Second; at most what fits.
  constexpr uint64_t kMaxSeconds = (kMaxPlusOne - 1) / 1000000000ULL;
  uint64_t secs = 0;
  for (char c : s) {
    secs = secs * 10 + static_cast<uint64_t>(c - '0');
    if (secs > kMaxSeconds) return invalid(orig);
  }
  auto n = std::chrono::seconds(static_cast<int64_t>(secs));
  return std::chrono::duration_cast<std::chrono::nanoseconds>(neg ? -n : n);
}

}  // namespace vane::base
