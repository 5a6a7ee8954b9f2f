#include "cli/table.h"

#include <algorithm>
#include <map>

namespace vane::cli {

size_t displayWidth(const std::string& s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b && i + 1 < s.size() && s[i + 1] == '[') {
      i += 2;
      while (i < s.size() && !(s[i] >= '@' && s[i] <= '~')) ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

std::string alignColumns(const std::vector<std::vector<std::string>>& rows, int padding) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      if (widths.size() <= i) widths.resize(i + 1, 0);
      widths[i] = std::max(widths[i], displayWidth(row[i]));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out.append(widths[i] - displayWidth(row[i]) + padding, ' ');
    }
    out += '\n';
  }
  return out;
}

std::string colorize(const std::string& s, bool color) {
  static const std::map<std::string, int> kColors = {
      {"◷", 33},       {"◌", 94},    {"⚠", 31},      {"?", 33},      {"✔", 32},
      {"✖", 31},       {"॥", 37},    {"canary", 33}, {"stable", 32}, {"active", 32},
      {"preview", 94}, {"ping", 33}, {"pong", 33}};
  auto it = kColors.find(s);
  if (!color || it == kColors.end()) return s;
  return "\033[" + std::to_string(it->second) + "m" + s + "\033[0m";
}

std::string humanDuration(int64_t seconds) {
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  auto num = [](int64_t v, const char* unit) { return std::to_string(v) + unit; };
  if (seconds < 60 * 2) return num(seconds, "s");
  int64_t minutes = seconds / 60;
  if (minutes < 10) {
    int64_t s = seconds % 60;
    return s == 0 ? num(minutes, "m") : num(minutes, "m") + num(s, "s");
  }
  if (minutes < 60 * 3) return num(minutes, "m");
  int64_t hours = seconds / 3600;
  if (hours < 8) {
    int64_t m = minutes % 60;
    return m == 0 ? num(hours, "h") : num(hours, "h") + num(m, "m");
  }
  if (hours < 48) return num(hours, "h");
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return h == 0 ? num(hours / 24, "d") : num(hours / 24, "d") + num(h, "h");
  }
  if (hours < 24 * 365 * 2) return num(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    int64_t d = (hours / 24) % 365;
    return d == 0 ? num(hours / 24 / 365, "y") : num(hours / 24 / 365, "y") + num(d, "d");
  }
  return num(hours / 24 / 365, "y");
}

}  // namespace vane::cli
