// One logger for every binary: levels, key-value fields, text or JSON lines. JSON has logrus's
// shape, as Argo's controller writes: {"time":...,"level":"info","msg":"...","rollout":"name",...};
// text is "<time> <level> <message> key=value ...".
// Thread-safe; one process-wide configuration set from --log-format and --log-level.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vane::log {

enum class Level { kDebug = 0, kInfo, kWarn, kError };
enum class Format { kText, kJson };

/// A key and its value; numbers and booleans stay numbers and booleans in JSON.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), raw(true) {}
  template <class N, class = std::enable_if_t<std::is_arithmetic_v<N> && !std::is_same_v<N, bool>>>
  Field(std::string_view k, N v) : key(k), value(std::to_string(v)), raw(true) {}
  std::string key;
  std::string value;
  bool raw = false;  // written without quotes in JSON
};

struct Options {
  Level level = Level::kInfo;
  Format format = Format::kText;
  std::ostream* out = nullptr;  // nullptr: std::cerr
  /// The clock for the "time" field (tests inject one).
  std::function<std::chrono::system_clock::time_point()> clock;
};

/// Replaces the process-wide configuration. Safe to call while other threads log.
void configure(Options options);
/// The current level and format.
Level level();
Format format();

/// "debug", "info", "warn" (or "warning"), "error"; kInvalid naming the value otherwise.
Result<Level> parseLevel(std::string_view s);
/// "text" or "json"; kInvalid naming the value otherwise.
Result<Format> parseFormat(std::string_view s);
const char* levelName(Level l);

/// True when a message at this level would be written.
bool enabled(Level l);
/// Writes one line: time, level, message, then the fields in order.
void write(Level l, std::string_view msg, std::initializer_list<Field> fields = {});

inline void debug(std::string_view msg, std::initializer_list<Field> fields = {}) {
  write(Level::kDebug, msg, fields);
}
inline void info(std::string_view msg, std::initializer_list<Field> fields = {}) {
  write(Level::kInfo, msg, fields);
}
inline void warn(std::string_view msg, std::initializer_list<Field> fields = {}) {
  write(Level::kWarn, msg, fields);
}
inline void error(std::string_view msg, std::initializer_list<Field> fields = {}) {
  write(Level::kError, msg, fields);
}

}  // namespace vane::log
