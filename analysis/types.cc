#include "analysis/types.h"

#include <array>
#include <cctype>
#include <charconv>
#include <ctime>

namespace vane::analysis {

namespace {
int severity(Phase p) {
  switch (p) {
    case Phase::kSuccessful:
      return 0;
    case Phase::kRunning:
      return 1;
    case Phase::kPending:
      return 2;
    case Phase::kInconclusive:
      return 3;
    case Phase::kError:
      return 4;
    case Phase::kFailed:
      return 5;
  }
  return 0;
}
}  // namespace

bool isCompleted(Phase p) {
  return p == Phase::kSuccessful || p == Phase::kFailed || p == Phase::kError ||
         p == Phase::kInconclusive;
}

bool isWorse(Phase current, Phase candidate) { return severity(candidate) > severity(current); }

json Measurement::toJson() const {
  json j = json::object();
  j["phase"] = std::string(phaseName(phase));
  if (!message.empty()) j["message"] = message;
  if (startedAt) j["startedAt"] = formatTime(*startedAt);
  if (finishedAt) j["finishedAt"] = formatTime(*finishedAt);
  if (!value.empty()) j["value"] = value;
  if (!metadata.empty()) j["metadata"] = metadata;
  if (resumeAt) j["resumeAt"] = formatTime(*resumeAt);
  return j;
}

Measurement Measurement::fromJson(const json& j) {
  Measurement m;
  if (!j.is_object()) return m;
  auto str = [&](const char* k) -> std::string {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  m.phase = parsePhase(str("phase")).value_or(Phase::kRunning);
  m.value = str("value");
  m.message = str("message");
  m.startedAt = parseTime(str("startedAt"));
  m.finishedAt = parseTime(str("finishedAt"));
  m.resumeAt = parseTime(str("resumeAt"));
  if (auto it = j.find("metadata"); it != j.end() && it->is_object()) {
    for (auto e = it->begin(); e != it->end(); ++e)
      if (e->is_string()) m.metadata[e.key()] = e->get<std::string>();
  }
  return m;
}

std::string formatTime(TimePoint t) {
  std::time_t tt =
      std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<TimePoint> parseTime(std::string_view s) {
  if (s.size() < 20) return std::nullopt;
  int v[6] = {};
  const size_t pos[6] = {0, 5, 8, 11, 14, 17};
  const size_t len[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; ++i) {
    auto [p, ec] = std::from_chars(s.data() + pos[i], s.data() + pos[i] + len[i], v[i]);
    if (ec != std::errc() || p != s.data() + pos[i] + len[i]) return std::nullopt;
  }
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  size_t i = 19;
  std::chrono::milliseconds frac{0};
  if (i < s.size() && s[i] == '.') {
    int digits = 0, ms = 0;
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, ++digits)
      if (digits < 3) ms = ms * 10 + (s[i] - '0');
    for (int d = digits; d < 3; ++d) ms *= 10;
    frac = std::chrono::milliseconds(ms);
  }
  int offset_min = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-') && i + 6 <= s.size()) {
    int hh = 0, mm = 0;
    std::from_chars(s.data() + i + 1, s.data() + i + 3, hh);
    std::from_chars(s.data() + i + 4, s.data() + i + 6, mm);
    offset_min = (s[i] == '-' ? -1 : 1) * (hh * 60 + mm);
  } else if (i >= s.size() || (s[i] != 'Z' && s[i] != 'z')) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = v[0] - 1900;
  tm.tm_mon = v[1] - 1;
  tm.tm_mday = v[2];
  tm.tm_hour = v[3];
  tm.tm_min = v[4];
  tm.tm_sec = v[5];
  std::time_t tt = timegm(&tm);
  return std::chrono::system_clock::from_time_t(tt) + frac - std::chrono::minutes(offset_min);
}

Result<std::chrono::milliseconds> parseDuration(std::string_view s) {
  auto bad = [&] { return Status(Code::kInvalid, "invalid duration \"" + std::string(s) + "\""); };
  if (s.empty()) return bad();
  bool all_digits = true;
  for (char c : s) all_digits = all_digits && std::isdigit(static_cast<unsigned char>(c));
  if (all_digits) {
    int64_t secs = 0;
    std::from_chars(s.data(), s.data() + s.size(), secs);
    return std::chrono::milliseconds(secs * 1000);
  }
  double total_ms = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i) return bad();
    double num = std::strtod(std::string(s.substr(i, j - i)).c_str(), nullptr);
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    std::string_view unit = s.substr(j, k - j);
    double mult;
    if (unit == "h")
      mult = 3600e3;
    else if (unit == "m")
      mult = 60e3;
    else if (unit == "s")
      mult = 1e3;
    else if (unit == "ms")
      mult = 1;
    else if (unit == "us" || unit == "µs")
      mult = 1e-3;
    else if (unit == "ns")
      mult = 1e-6;
    else
      return bad();
    total_ms += num * mult;
    i = k;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

}  // namespace vane::analysis
