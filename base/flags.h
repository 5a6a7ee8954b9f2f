// Command-line flags from a table: each flag has a kind, and a value that does not fit its kind
// is refused naming the flag (`--qps fast: invalid value "fast": want a number`), never read as 0.
// Used by kubectl-vane (per-command tables), vane-controller and vane-apiserver (one flat table).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace vane::base {

enum class FlagKind {
  kBool,      // takes no value; --flag=false accepted
  kString,    // anything
  kInt,       // a decimal integer (int64)
  kNumber,    // a finite decimal number
  kDuration,  // base::parseDuration: "1m30s", "1.5h", "30" (seconds)
};

struct FlagSpec {
  FlagSpec(std::string n, char s, FlagKind k, std::string h, std::string def = "")
      : name(std::move(n)),
        shorthand(s),
        kind(k),
        help(std::move(h)),
        default_value(std::move(def)) {}
  /// A boolean (true) or string (false) flag, as kubectl-vane's table writes them.
  FlagSpec(std::string n, char s, bool is_bool, std::string h, std::string def = "")
      : FlagSpec(std::move(n), s, is_bool ? FlagKind::kBool : FlagKind::kString, std::move(h),
                 std::move(def)) {}
  /// Other long names for the same flag (old or Kubernetes spellings).
  FlagSpec& alias(std::string other) {
    aliases.push_back(std::move(other));
    return *this;
  }
  /// Only these values are accepted (kString).
  FlagSpec& oneOf(std::vector<std::string> values) {
    choices = std::move(values);
    return *this;
  }
  /// kInt, kNumber, kDuration: the value must be greater than zero.
  FlagSpec& mustBePositive() {
    positive = true;
    return *this;
  }
  bool boolean() const { return kind == FlagKind::kBool; }

  std::string name;    // long name without dashes: "to-revision"
  char shorthand = 0;  // 'l' for -l, 0 for none
  FlagKind kind = FlagKind::kString;
  std::string help;
  std::string default_value;
  std::vector<std::string> aliases;
  std::vector<std::string> choices;
  bool positive = false;
};

/// The flag whose name (or an alias) is long_name, or whose shorthand is shorthand; nullptr if
/// none.
const FlagSpec* findFlag(const std::vector<FlagSpec>& flags, std::string_view long_name,
                         char shorthand);

/// kBadRequest `<typed> <value>: invalid value "<value>": want ...` when value does not fit spec.
Status checkFlagValue(const FlagSpec& spec, std::string_view typed, std::string_view value);

/// One flag as typed on the command line ("--in" / "-i") and its value ("true" for booleans).
struct RawFlag {
  std::string typed, value;
  const FlagSpec* spec = nullptr;
};
using FlagLookup = std::function<const FlagSpec*(std::string_view long_name, char shorthand)>;

/// Splits argv into flags and plain words, as pflag does: --name=value, --name value, -n value,
/// -nvalue, -n=value, boolean flags without a value, "--" ends the flags. Whether a flag takes the
/// next word is known from lookup. kBadRequest for an unknown flag ("unknown flag: --x") or a
/// missing value ("flag needs an argument: --x"). Values are not checked here (checkFlagValue).
Status splitArgs(const std::vector<std::string>& argv, const FlagLookup& lookup,
                 std::vector<RawFlag>& flags, std::vector<std::string>& plain);

/// Help lines for flags: "  -n, --namespace string   Help (default x)".
std::string flagHelp(const std::vector<FlagSpec>& flags);

/// A program with one flat table of flags (the daemons, `plan`). --help/-h is always known.
class FlagSet {
 public:
  FlagSet(std::string usage_line, std::string summary, std::vector<FlagSpec> flags);

  /// Parses argv without the program name: every flag known, every value of its kind.
  /// kBadRequest naming the flag otherwise. Plain words are kept in args().
  Status parse(const std::vector<std::string>& argv);
  Status parse(int argc, char** argv);

  /// --help or -h was given.
  bool help() const { return help_; }
  const std::vector<std::string>& args() const { return args_; }
  /// The flag (by its name, not an alias) was given on the command line.
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  /// The value given, else the default. The getters below convert values parse() checked; a
  /// default that does not fit its kind is a broken invariant (asserts).
  std::string str(const std::string& name) const;
  bool boolean(const std::string& name) const;
  int64_t integer(const std::string& name) const;
  double number(const std::string& name) const;
  std::chrono::nanoseconds duration(const std::string& name) const;
  template <class D>
  D durationAs(const std::string& name) const {
    return std::chrono::duration_cast<D>(duration(name));
  }

  /// "Usage: ...\n\nsummary\n\nFlags:\n..." for --help.
  std::string usage() const;
  const std::vector<FlagSpec>& flags() const { return flags_; }

 private:
  const FlagSpec& spec(const std::string& name) const;

  std::string usage_line_, summary_;
  std::vector<FlagSpec> flags_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> args_;
  bool help_ = false;
};

}  // namespace vane::base
