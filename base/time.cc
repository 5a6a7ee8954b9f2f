#include "base/time.h"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace vane::base {
namespace {

std::string format(int64_t secs, const char* fraction) {
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
  return buf;
}

bool number(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return ec == std::errc() && p == s.data() + pos + len;
}

}  // namespace

std::string formatRfc3339(TimePoint t) {
  return formatRfc3339(std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count());
}

std::string formatRfc3339(int64_t unix_seconds) { return format(unix_seconds, ""); }

std::string formatRfc3339Micro(TimePoint t) {
  auto us = std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
  int64_t secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(us - secs * 1000000));
  return format(secs, frac);
}

namespace {

// Seconds since the epoch and the fraction, as parsed; int64 seconds reach far past year 9999,
// where a nanosecond time_point overflows after 2262 (an exec credential valid until 2999).
struct Parsed {
  int64_t seconds = 0;
  std::chrono::microseconds frac{0};
};

std::optional<Parsed> parseParts(std::string_view s) {
  int v[6] = {};
  const size_t pos[6] = {0, 5, 8, 11, 14, 17};
  const size_t len[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; ++i) {
    if (!number(s, pos[i], len[i], v[i]) || v[i] < 0) return std::nullopt;
  }
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60) {
    return std::nullopt;
  }
  size_t i = 19;
  std::chrono::microseconds frac{0};
  if (i < s.size() && s[i] == '.') {
    int digits = 0;
    int64_t us = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (digits < 6) us = us * 10 + (s[i] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 6; ++d) us *= 10;
    frac = std::chrono::microseconds(us);
  }
  int offset_min = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int hh = 0, mm = 0;
    if (i + 6 != s.size() || s[i + 3] != ':' || !number(s, i + 1, 2, hh) ||
        !number(s, i + 4, 2, mm)) {
      return std::nullopt;
    }
    offset_min = (s[i] == '-' ? -1 : 1) * (hh * 60 + mm);
  } else if (i < s.size()) {
    if ((s[i] != 'Z' && s[i] != 'z') || i + 1 != s.size()) return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = v[0] - 1900;
  tm.tm_mon = v[1] - 1;
  tm.tm_mday = v[2];
  tm.tm_hour = v[3];
  tm.tm_min = v[4];
  tm.tm_sec = v[5];
  const int64_t tt = static_cast<int64_t>(timegm(&tm));
  return Parsed{tt - int64_t{offset_min} * 60, frac};
}

}  // namespace

std::optional<TimePoint> parseRfc3339(std::string_view s) {
  auto p = parseParts(s);
  // Beyond what TimePoint holds (about 292 years either side of 1970 in nanoseconds).
  constexpr int64_t kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count() - 1;
  if (!p || p->seconds > kLimit || p->seconds < -kLimit) return std::nullopt;
  return TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(p->seconds) + p->frac));
}

std::optional<int64_t> parseRfc3339Seconds(std::string_view s) {
  auto p = parseParts(s);
  if (!p) return std::nullopt;
  return p->seconds;
}

}  // namespace vane::base
