// Command-line parsing for kubectl-vane: a table of commands, each with its flags (base/flags.h),
// plus the global kubeconfig flags (-n/--namespace, --context, --kubeconfig). Errors name the
// offending argument.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/flags.h"
#include "kube/status.h"

namespace vane::cli {

/// One flag of a command: name, shorthand, kind (a value that does not fit is refused naming the
/// flag), help and default. The table and its parser live in base/flags.h.
using FlagSpec = base::FlagSpec;
using FlagKind = base::FlagKind;

struct CommandSpec {
  std::string path;  // "promote", "set image", "get rollout"
  std::string args;  // "NAME", "NAME CONTAINER=IMAGE"
  std::string summary;
  std::string example;
  size_t min_args = 0, max_args = 0;
  std::vector<FlagSpec> flags;
};

struct Invocation {
  const CommandSpec* command = nullptr;  // nullptr: root (help / no command)
  std::vector<std::string> args;
  std::map<std::string, std::string> flags;  // long name -> value ("true"/"false" for booleans)
  std::string namespace_, context, kubeconfig;
  bool help = false;

  bool flag(const std::string& name) const;          // boolean flag set to true
  std::string value(const std::string& name) const;  // "" when unset (or its default)
  bool has(const std::string& name) const { return flags.count(name) > 0; }
};

/// The commands of kubectl-vane.
const std::vector<CommandSpec>& commandTable();

/// Parses argv (without the program name). kBadRequest naming the flag/argument on bad input.
Result<Invocation> parseArgs(const std::vector<std::string>& argv,
                             const std::vector<CommandSpec>& table = commandTable());

/// `--help` text of one command, and of the root.
std::string commandHelp(const CommandSpec& command);
std::string rootHelp(const std::vector<CommandSpec>& table = commandTable());

}  // namespace vane::cli
