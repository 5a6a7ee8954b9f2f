#include "base/log.h"

#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "base/time.h"

namespace vane::log {
namespace {

struct State {
  std::mutex mu;
  Options options;
};

State& state() {
  static State s;
  return s;
}

std::string quoteJson(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// logfmt: bare when the value is a plain token, else JSON-quoted.
std::string textValue(std::string_view v) {
  bool plain = !v.empty();
  for (char c : v) plain = plain && c > ' ' && c != '"' && c != '=' && c != '\\' && c != 0x7f;
  return plain ? std::string(v) : quoteJson(v);
}

}  // namespace

void configure(Options options) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.options = std::move(options);
}

Level level() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.options.level;
}

Format format() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.options.format;
}

const char* levelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

Result<Level> parseLevel(std::string_view s) {
  if (s == "debug") return Level::kDebug;
  if (s == "info") return Level::kInfo;
  if (s == "warn" || s == "warning") return Level::kWarn;
  if (s == "error") return Level::kError;
  return Status(Code::kInvalid,
                "invalid log level \"" + std::string(s) + "\": want debug, info, warn or error");
}

Result<Format> parseFormat(std::string_view s) {
  if (s == "text") return Format::kText;
  if (s == "json") return Format::kJson;
  return Status(Code::kInvalid, "invalid log format \"" + std::string(s) + "\": want text or json");
}

bool enabled(Level l) { return l >= level(); }

void write(Level l, std::string_view msg, std::initializer_list<Field> fields) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (l < s.options.level) return;
  auto now = s.options.clock ? s.options.clock() : std::chrono::system_clock::now();
  std::string line;
  if (s.options.format == Format::kJson) {
    line = "{\"time\":" + quoteJson(base::formatRfc3339Micro(now)) +
           ",\"level\":" + quoteJson(levelName(l)) + ",\"msg\":" + quoteJson(msg);
    for (const Field& f : fields) {
      line += "," + quoteJson(f.key) + ":" + (f.raw ? f.value : quoteJson(f.value));
    }
    line += "}\n";
  } else {
    // "<time> <level> <message> key=value ...": the message as written, so it greps as it
    // reads; values quoted only when they need it (logfmt).
    line = base::formatRfc3339Micro(now) + " " + levelName(l) + " " + std::string(msg);
    for (const Field& f : fields) line += " " + f.key + "=" + textValue(f.value);
    line += "\n";
  }
  std::ostream& out = s.options.out ? *s.options.out : std::cerr;
  out << line << std::flush;
}

}  // namespace vane::log
