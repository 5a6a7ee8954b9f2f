// Go's time values in notification templates: the `.time` variable argoproj/notifications-engine
// binds (pkg/expr/time: Now, Parse and the layout and duration constants), `call`, and the
// methods of time.Time and time.Duration that templates use, e.g.
//   {{ (call .time.Parse .rollout.metadata.creationTimestamp).Format "2006-01-02" }}
//   {{ ((call .time.Now).Sub (call .time.Parse .rollout.status.x)).Minutes }}
//
// Values travel through the executor as JSON objects carrying one reserved key (kTimeKey,
// kDurationKey, kFuncKey), so the rest of the engine (variables, pipelines, truth) needs no new
// value kind; formatValue prints them as Go's %v does.
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <set>

#include "base/time.h"
#include "notifications/gotemplate_internal.h"

namespace vane::notifications::gotmpl {

namespace {

constexpr const char* kTimeKey = "\x01go:time";      // unix nanoseconds
constexpr const char* kOffsetKey = "\x01go:offset";  // zone offset, seconds east of UTC
constexpr const char* kZoneKey = "\x01go:zone";      // zone abbreviation
constexpr const char* kDurationKey = "\x01go:duration";
constexpr const char* kFuncKey = "\x01go:func";

constexpr int64_t kSecond = 1000000000;

json makeTime(int64_t nanos, int offset = 0, const std::string& zone = "UTC") {
  return {{kTimeKey, nanos}, {kOffsetKey, offset}, {kZoneKey, zone}};
}
json makeDuration(int64_t nanos) { return {{kDurationKey, nanos}}; }
json makeFunc(const std::string& name) { return {{kFuncKey, name}}; }

bool has(const json& v, const char* key) {
  return v.is_object() && v.size() <= 3 && v.contains(key);
}

struct Civil {
  int64_t year;
  int month, day, hour, minute, second, weekday, yday;
  int64_t nanos;
};

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
void civilFromDays(int64_t z, int64_t& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  if (m <= 2) ++y;
}

Civil civil(const json& t) {
  const int64_t nanos = t[kTimeKey].get<int64_t>() + t[kOffsetKey].get<int64_t>() * kSecond;
  int64_t secs = nanos / kSecond, frac = nanos % kSecond;
  if (frac < 0) {
    frac += kSecond;
    --secs;
  }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  Civil c{};
  civilFromDays(days, c.year, c.month, c.day);
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem % 3600 / 60);
  c.second = static_cast<int>(rem % 60);
  c.nanos = frac;
  c.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  static const int kCumulative[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  const bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  c.yday = kCumulative[c.month - 1] + c.day + (leap && c.month > 2 ? 1 : 0);
  return c;
}

const std::array<const char*, 12> kMonths = {"January",   "February", "March",    "April",
                                             "May",       "June",     "July",     "August",
                                             "September", "October",  "November", "December"};
const std::array<const char*, 7> kDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};

std::string pad(int64_t v, int width, char fill = '0') {
  std::string s = std::to_string(v < 0 ? -v : v);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), fill);
  return v < 0 ? "-" + s : s;
}

bool startsWith(const std::string& s, std::size_t i, const char* p) {
  return s.compare(i, std::char_traits<char>::length(p), p) == 0;
}

std::string zoneOffset(int offset, bool colon, bool seconds, bool hours_only, bool z) {
  if (z && offset == 0) return "Z";
  std::string out = offset < 0 ? "-" : "+";
  const int a = offset < 0 ? -offset : offset;
  out += pad(a / 3600, 2);
  if (hours_only) return out;
  out += (colon ? ":" : "") + pad(a % 3600 / 60, 2);
  if (seconds) out += (colon ? ":" : "") + pad(a % 60, 2);
  return out;
}

}  // namespace

// Go's Time.Format: the reference time Mon Jan 2 15:04:05 MST 2006 spelled in layout, token by
// token as time.nextStdChunk finds them.
std::string formatGoTime(const json& t, const std::string& layout) {
  const Civil c = civil(t);
  const int offset = t[kOffsetKey].get<int>();
  const std::string zone = t[kZoneKey].get<std::string>();
  std::string out;
  for (std::size_t i = 0; i < layout.size();) {
    const char ch = layout[i];
    auto take = [&](const char* p, const std::string& v) {
      if (!startsWith(layout, i, p)) return false;
      out += v;
      i += std::char_traits<char>::length(p);
      return true;
    };
    switch (ch) {
      case 'J':
        if (take("January", kMonths[c.month - 1]) ||
            take("Jan", std::string(kMonths[c.month - 1]).substr(0, 3))) {
          continue;
        }
        break;
      case 'M':
        if (take("Monday", kDays[c.weekday]) ||
            take("Mon", std::string(kDays[c.weekday]).substr(0, 3)) ||
            take("MST", zone.empty() ? zoneOffset(offset, false, false, false, false) : zone)) {
          continue;
        }
        break;
      case '0':
        if (take("002", pad(c.yday, 3)) || take("01", pad(c.month, 2)) ||
            take("02", pad(c.day, 2)) || take("03", pad(c.hour % 12 == 0 ? 12 : c.hour % 12, 2)) ||
            take("04", pad(c.minute, 2)) || take("05", pad(c.second, 2)) ||
            take("06", pad(c.year % 100, 2))) {
          continue;
        }
        break;
      case '1':
        if (take("15", pad(c.hour, 2)) || take("1", std::to_string(c.month))) continue;
        break;
      case '2':
        if (take("2006", pad(c.year, 4)) || take("2", std::to_string(c.day))) continue;
        break;
      case '_':
        if (take("__2", pad(c.yday, 3, ' ')) || take("_2", pad(c.day, 2, ' '))) continue;
        break;
      case '3':
        if (take("3", std::to_string(c.hour % 12 == 0 ? 12 : c.hour % 12))) continue;
        break;
      case '4':
        if (take("4", std::to_string(c.minute))) continue;
        break;
      case '5':
        if (take("5", std::to_string(c.second))) continue;
        break;
      case 'P':
        if (take("PM", c.hour >= 12 ? "PM" : "AM")) continue;
        break;
      case 'p':
        if (take("pm", c.hour >= 12 ? "pm" : "am")) continue;
        break;
      case '-':
      case 'Z': {
        const bool z = ch == 'Z';
        const std::string p = std::string(1, ch);
        if (take((p + "07:00:00").c_str(), zoneOffset(offset, true, true, false, z)) ||
            take((p + "070000").c_str(), zoneOffset(offset, false, true, false, z)) ||
            take((p + "07:00").c_str(), zoneOffset(offset, true, false, false, z)) ||
            take((p + "0700").c_str(), zoneOffset(offset, false, false, false, z)) ||
            take((p + "07").c_str(), zoneOffset(offset, false, false, true, z))) {
          continue;
        }
        break;
      }
      case '.':
      case ',':
        if (i + 1 < layout.size() && (layout[i + 1] == '0' || layout[i + 1] == '9')) {
          const char digit = layout[i + 1];
          std::size_t j = i + 1;
          while (j < layout.size() && layout[j] == digit) ++j;
          if (j >= layout.size() || !std::isdigit(static_cast<unsigned char>(layout[j]))) {
            const std::size_t n = j - i - 1;
            std::string frac = pad(c.nanos, 9).substr(0, std::min<std::size_t>(n, 9));
            if (digit == '9') {
              while (!frac.empty() && frac.back() == '0') frac.pop_back();
              if (!frac.empty()) out += std::string(1, ch) + frac;
            } else {
              out += std::string(1, ch) + frac;
            }
            i = j;
            continue;
          }
        }
        break;
      default:
        break;
    }
    out += ch;
    ++i;
  }
  return out;
}

// Go's Duration.String: "1h2m3.5s", "1.5ms", "0s".
std::string formatGoDuration(int64_t d) {
  if (d == 0) return "0s";
  const bool neg = d < 0;
  const uint64_t u = neg ? static_cast<uint64_t>(-(d + 1)) + 1 : static_cast<uint64_t>(d);
  auto fraction = [](uint64_t v, int digits) {  // v has `digits` decimals; trailing zeros go
    std::string s = std::to_string(v);
    while (static_cast<int>(s.size()) < digits + 1) s.insert(s.begin(), '0');
    std::string whole = s.substr(0, s.size() - digits), frac = s.substr(s.size() - digits);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return frac.empty() ? whole : whole + "." + frac;
  };
  std::string out;
  if (u < static_cast<uint64_t>(kSecond)) {
    if (u < 1000) {
      out = std::to_string(u) + "ns";
    } else if (u < 1000000) {
      out = fraction(u, 3) + "µs";
    } else {
      out = fraction(u, 6) + "ms";
    }
  } else {
    const uint64_t secs = u / kSecond, nanos = u % kSecond;
    const uint64_t h = secs / 3600, m = secs % 3600 / 60, s = secs % 60;
    out = fraction(s * kSecond + nanos, 9) + "s";
    if (h > 0 || m > 0) out = std::to_string(m) + "m" + out;
    if (h > 0) out = std::to_string(h) + "h" + out;
  }
  return neg ? "-" + out : out;
}

std::optional<std::string> formatSpecial(const json& v) {
  if (has(v, kTimeKey)) {
    // Time.String: "2006-01-02 15:04:05.999999999 -0700 MST".
    return formatGoTime(v, "2006-01-02 15:04:05.999999999 -0700 MST");
  }
  if (has(v, kDurationKey)) return formatGoDuration(v[kDurationKey].get<int64_t>());
  if (has(v, kFuncKey)) return "0x" + std::string("func");  // Go prints a func's address
  return std::nullopt;
}

std::optional<std::string> specialTypeName(const json& v) {
  if (has(v, kTimeKey)) return "time.Time";
  if (has(v, kDurationKey)) return "time.Duration";
  if (has(v, kFuncKey)) return "func";
  return std::nullopt;
}

json timeNamespace() {
  json t = {{"Now", makeFunc("Now")}, {"Parse", makeFunc("Parse")}};
  const std::pair<const char*, int64_t> durations[] = {
      {"Nanosecond", 1},   {"Microsecond", 1000},    {"Millisecond", 1000000},
      {"Second", kSecond}, {"Minute", 60 * kSecond}, {"Hour", 3600 * kSecond}};
  for (const auto& [name, d] : durations) t[name] = makeDuration(d);
  const std::pair<const char*, const char*> layouts[] = {
      {"Layout", "01/02 03:04:05PM '06 -0700"},
      {"ANSIC", "Mon Jan _2 15:04:05 2006"},
      {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
      {"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
      {"RFC822", "02 Jan 06 15:04 MST"},
      {"RFC822Z", "02 Jan 06 15:04 -0700"},
      {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
      {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
      {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
      {"RFC3339", "2006-01-02T15:04:05Z07:00"},
      {"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"},
      {"Kitchen", "3:04PM"},
      {"Stamp", "Jan _2 15:04:05"},
      {"StampMilli", "Jan _2 15:04:05.000"},
      {"StampMicro", "Jan _2 15:04:05.000000"},
      {"StampNano", "Jan _2 15:04:05.000000000"},
      {"DateTime", "2006-01-02 15:04:05"},
      {"DateOnly", "2006-01-02"},
      {"TimeOnly", "15:04:05"}};
  for (const auto& [name, layout] : layouts) t[name] = layout;
  return t;
}

namespace {

Result<json> timeArg(const Value& v, const std::string& method) {
  if (has(v.v, kTimeKey)) return v.v;
  return funcError("wrong type for value; expected time.Time; got " + typeOf(v) + " (in " + method +
                   ")");
}

Result<int64_t> durationArg(const Value& v, const std::string& method) {
  if (has(v.v, kDurationKey)) return v.v[kDurationKey].get<int64_t>();
  if (v.v.is_number_integer()) return v.v.get<int64_t>();  // an untyped constant, as Go allows
  return funcError("wrong type for value; expected time.Duration; got " + typeOf(v) + " (in " +
                   method + ")");
}

// time.Local as the process's TZ sets it (the controller container's, as Argo documents).
json toLocal(const json& t) {
  const int64_t nanos = t[kTimeKey].get<int64_t>();
  std::time_t secs = static_cast<std::time_t>(nanos / kSecond - (nanos % kSecond < 0 ? 1 : 0));
  std::tm tm{};
  localtime_r(&secs, &tm);
  return makeTime(nanos, static_cast<int>(tm.tm_gmtoff), tm.tm_zone ? tm.tm_zone : "");
}

}  // namespace

Result<Value> callGoFunc(const Value& fn, const Args& args) {
  if (fn.isNil()) return funcError("call of nil");
  if (!has(fn.v, kFuncKey)) {
    return funcError("non-function of type " + typeOf(fn));
  }
  const std::string name = fn.v[kFuncKey].get<std::string>();
  if (name == "Now") {
    if (auto st = arity(args, 0); !st.isOk()) return st;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return Value{makeTime(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count())};
  }
  // Parse: time.Parse(time.RFC3339, s), an error when s is not RFC 3339 (notifications-engine
  // panics, which the template reports as an error).
  if (auto st = arity(args, 1); !st.isOk()) return st;
  auto s = str(args[0]);
  if (!s) return s.status();
  auto tp = base::parseRfc3339(*s);
  if (!tp) {
    return funcError("parsing time \"" + *s + "\" as \"2006-01-02T15:04:05Z07:00\": not RFC 3339");
  }
  const int64_t nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(tp->time_since_epoch()).count();
  return Value{makeTime(nanos)};
}

std::optional<Result<Value>> callGoMethod(const Value& recv, const std::string& method,
                                          const Args& args) {
  const json& v = recv.v;
  auto want = [&](std::size_t n) { return arity(args, n); };
  if (has(v, kDurationKey)) {
    const int64_t d = v[kDurationKey].get<int64_t>();
    const double secs = static_cast<double>(d) / kSecond;
    static const std::set<std::string> kMethods = {
        "Hours",       "Minutes", "Seconds", "Milliseconds", "Microseconds",
        "Nanoseconds", "String",  "Abs",     "Round",        "Truncate"};
    if (kMethods.count(method) == 0) return std::nullopt;
    if (auto st = want(method == "Round" || method == "Truncate" ? 1 : 0); !st.isOk()) {
      return Result<Value>(st);
    }
    if (method == "Hours") return Value{secs / 3600};
    if (method == "Minutes") return Value{secs / 60};
    if (method == "Seconds") return Value{secs};
    if (method == "Milliseconds") return Value{d / 1000000};
    if (method == "Microseconds") return Value{d / 1000};
    if (method == "Nanoseconds") return Value{d};
    if (method == "String") return Value{formatGoDuration(d)};
    if (method == "Abs") return Value{makeDuration(d < 0 ? -d : d)};
    if (method == "Round" || method == "Truncate") {
      auto m = durationArg(args[0], method);
      if (!m) return Result<Value>(m.status());
      if (*m <= 0) return Value{makeDuration(d)};
      int64_t r = d - d % *m;
      if (method == "Round" && std::llabs(d % *m) * 2 >= *m) r += d < 0 ? -*m : *m;
      return Value{makeDuration(r)};
    }
    return std::nullopt;
  }
  if (!has(v, kTimeKey)) return std::nullopt;
  const int64_t nanos = v[kTimeKey].get<int64_t>();
  const Civil c = civil(v);
  static const std::set<std::string> kMethods = {
      "Format", "Add",       "Sub",      "Before", "After",   "Equal",  "String",
      "Unix",   "UnixMilli", "UnixNano", "UTC",    "Local",   "Year",   "Month",
      "Day",    "Hour",      "Minute",   "Second", "YearDay", "Weekday"};
  if (kMethods.count(method) == 0) return std::nullopt;
  const bool one_arg = method == "Format" || method == "Add" || method == "Sub" ||
                       method == "Before" || method == "After" || method == "Equal";
  if (auto st = want(one_arg ? 1 : 0); !st.isOk()) return Result<Value>(st);
  if (method == "Format") {
    auto layout = str(args[0]);
    if (!layout) return Result<Value>(layout.status());
    return Value{formatGoTime(v, *layout)};
  }
  if (method == "String") return Value{*formatSpecial(v)};
  if (method == "Unix") return Value{nanos / kSecond - (nanos % kSecond < 0 ? 1 : 0)};
  if (method == "UnixMilli") return Value{nanos / 1000000};
  if (method == "UnixNano") return Value{nanos};
  if (method == "UTC") return Value{makeTime(nanos)};
  if (method == "Local") return Value{toLocal(v)};
  if (method == "Year") return Value{c.year};
  if (method == "Month") return Value{std::string(kMonths[c.month - 1])};
  if (method == "Day") return Value{static_cast<int64_t>(c.day)};
  if (method == "Hour") return Value{static_cast<int64_t>(c.hour)};
  if (method == "Minute") return Value{static_cast<int64_t>(c.minute)};
  if (method == "Second") return Value{static_cast<int64_t>(c.second)};
  if (method == "YearDay") return Value{static_cast<int64_t>(c.yday)};
  if (method == "Weekday") return Value{std::string(kDays[c.weekday])};
  if (method == "Add") {
    auto d = durationArg(args[0], method);
    if (!d) return Result<Value>(d.status());
    json t = v;
    t[kTimeKey] = nanos + *d;
    return Value{t};
  }
  if (method != "Sub" && method != "Before" && method != "After" && method != "Equal") {
    return std::nullopt;
  }
  auto other = timeArg(args[0], method);
  if (!other) return Result<Value>(other.status());
  const int64_t o = (*other)[kTimeKey].get<int64_t>();
  if (method == "Sub") return Value{makeDuration(nanos - o)};
  if (method == "Before") return Value{nanos < o};
  if (method == "After") return Value{nanos > o};
  return Value{nanos == o};  // Equal
}

}  // namespace vane::notifications::gotmpl
