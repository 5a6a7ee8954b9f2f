#include "base/flags.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "base/duration.h"
#include "base/go_quote.h"

namespace vane::base {
namespace {

Status badValue(std::string_view typed, std::string_view value, std::string_view want) {
  return Status(Code::kBadRequest, std::string(typed) + " " + std::string(value) +
                                       ": invalid value " + goQuote(value) + ": want " +
                                       std::string(want));
}

bool parseInt(std::string_view s, int64_t& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

bool parseNumber(std::string_view s, double& out) {
  std::string str(s);
  if (str.empty() || std::isspace(static_cast<unsigned char>(str[0]))) return false;
  char* end = nullptr;
  out = std::strtod(str.c_str(), &end);
  return end == str.c_str() + str.size() && std::isfinite(out);
}

const FlagSpec kHelp{"help", 'h', FlagKind::kBool, "Show this help and exit"};

}  // namespace

const FlagSpec* findFlag(const std::vector<FlagSpec>& flags, std::string_view long_name,
                         char shorthand) {
  for (const FlagSpec& f : flags) {
    if (shorthand && f.shorthand == shorthand) return &f;
    if (long_name.empty()) continue;
    if (f.name == long_name) return &f;
    if (std::find(f.aliases.begin(), f.aliases.end(), long_name) != f.aliases.end()) return &f;
  }
  return nullptr;
}

Status checkFlagValue(const FlagSpec& spec, std::string_view typed, std::string_view value) {
  const char* positive = spec.positive ? "a positive " : "";
  switch (spec.kind) {
    case FlagKind::kBool:
      if (value != "true" && value != "false") return badValue(typed, value, "true or false");
      return Status::ok();
    case FlagKind::kString:
      if (!spec.choices.empty() &&
          std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end()) {
        std::string want = "one of ";
        for (size_t i = 0; i < spec.choices.size(); ++i) {
          want += (i ? ", " : "") + spec.choices[i];
        }
        return badValue(typed, value, want);
      }
      return Status::ok();
    case FlagKind::kInt: {
      int64_t v = 0;
      if (!parseInt(value, v) || (spec.positive && v <= 0)) {
        return badValue(typed, value, spec.positive ? "a positive integer" : "an integer");
      }
      return Status::ok();
    }
    case FlagKind::kNumber: {
      double v = 0;
      if (!parseNumber(value, v) || (spec.positive && v <= 0)) {
        return badValue(typed, value,
                        std::string(positive) + (spec.positive ? "number" : "a number"));
      }
      return Status::ok();
    }
    case FlagKind::kDuration: {
      auto d = parseDuration(value);
      if (!d.ok() || (spec.positive && d->count() <= 0) || (!spec.positive && d->count() < 0)) {
        return badValue(typed, value,
                        std::string(spec.positive ? "a positive" : "a") +
                            " duration such as 30s, 1m30s, 1.5h or 500ms");
      }
      return Status::ok();
    }
  }
  return Status::ok();
}

Status splitArgs(const std::vector<std::string>& argv, const FlagLookup& lookup,
                 std::vector<RawFlag>& flags, std::vector<std::string>& plain) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      plain.insert(plain.end(), argv.begin() + i + 1, argv.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      plain.push_back(a);
      continue;
    }
    std::string typed = a, value;
    bool has_value = false;
    if (a[1] != '-' && a.size() > 2) {  // -nfoo, -n=foo
      typed = a.substr(0, 2);
      value = a[2] == '=' ? a.substr(3) : a.substr(2);
      has_value = true;
    } else if (auto eq = a.find('='); eq != std::string::npos) {
      typed = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    bool long_form = typed.rfind("--", 0) == 0;
    const FlagSpec* spec =
        lookup(long_form ? std::string_view(typed).substr(2) : std::string_view(),
               long_form ? 0 : typed[1]);
    if (!spec) return Status(Code::kBadRequest, "unknown flag: " + typed);
    if (!has_value) {
      if (spec->boolean()) {
        value = "true";
      } else if (i + 1 < argv.size()) {
        value = argv[++i];
      } else {
        return Status(Code::kBadRequest, "flag needs an argument: " + typed);
      }
    }
    flags.push_back({typed, value, spec});
  }
  return Status::ok();
}

std::string flagHelp(const std::vector<FlagSpec>& flags) {
  std::vector<std::string> names;
  size_t width = 26;
  for (const FlagSpec& f : flags) {
    std::string n =
        f.shorthand ? std::string("-") + f.shorthand + ", --" + f.name : "    --" + f.name;
    switch (f.kind) {
      case FlagKind::kBool:
        break;
      case FlagKind::kString:
        n += " string";
        break;
      case FlagKind::kInt:
        n += " int";
        break;
      case FlagKind::kNumber:
        n += " float";
        break;
      case FlagKind::kDuration:
        n += " duration";
        break;
    }
    width = std::max(width, n.size() + 2);
    names.push_back(std::move(n));
  }
  std::string out;
  for (size_t i = 0; i < flags.size(); ++i) {
    const FlagSpec& f = flags[i];
    std::string help = f.help;
    if (!f.choices.empty()) {
      help += " (";
      for (size_t c = 0; c < f.choices.size(); ++c) help += (c ? "|" : "") + f.choices[c];
      help += ")";
    }
    if (!f.default_value.empty()) help += " (default " + f.default_value + ")";
    for (const std::string& a : f.aliases) help += " [also --" + a + "]";
    names[i].resize(width, ' ');
    out += "  " + names[i] + help + "\n";
  }
  return out;
}

FlagSet::FlagSet(std::string usage_line, std::string summary, std::vector<FlagSpec> flags)
    : usage_line_(std::move(usage_line)), summary_(std::move(summary)), flags_(std::move(flags)) {
  if (!findFlag(flags_, "help", 'h')) flags_.push_back(kHelp);
}

Status FlagSet::parse(int argc, char** argv) {
  return parse(std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc));
}

Status FlagSet::parse(const std::vector<std::string>& argv) {
  std::vector<RawFlag> raw;
  auto lookup = [this](std::string_view name, char shorthand) {
    return findFlag(flags_, name, shorthand);
  };
  if (Status st = splitArgs(argv, lookup, raw, args_); !st.isOk()) return st;
  for (const RawFlag& rf : raw) {
    if (rf.spec->name == "help") {
      help_ = help_ || rf.value == "true";
      continue;
    }
    if (Status st = checkFlagValue(*rf.spec, rf.typed, rf.value); !st.isOk()) return st;
    values_[rf.spec->name] = rf.value;
  }
  return Status::ok();
}

const FlagSpec& FlagSet::spec(const std::string& name) const {
  const FlagSpec* f = findFlag(flags_, name, 0);
  assert(f && "flag not in the table");
  return *f;
}

std::string FlagSet::str(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() ? it->second : spec(name).default_value;
}

bool FlagSet::boolean(const std::string& name) const { return str(name) == "true"; }

int64_t FlagSet::integer(const std::string& name) const {
  int64_t v = 0;
  [[maybe_unused]] bool ok = parseInt(str(name), v);
  assert(ok && "integer flag default does not parse");
  return v;
}

double FlagSet::number(const std::string& name) const {
  double v = 0;
  [[maybe_unused]] bool ok = parseNumber(str(name), v);
  assert(ok && "number flag default does not parse");
  return v;
}

std::chrono::nanoseconds FlagSet::duration(const std::string& name) const {
  auto d = parseDuration(str(name));
  assert(d.ok() && "duration flag default does not parse");
  return d.ok() ? *d : std::chrono::nanoseconds(0);
}

std::string FlagSet::usage() const {
  std::string out = "Usage: " + usage_line_ + "\n";
  if (!summary_.empty()) out += "\n" + summary_ + "\n";
  return out + "\nFlags:\n" + flagHelp(flags_);
}

}  // namespace vane::base
