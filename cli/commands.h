// The I/O half of kubectl-vane: each command reads objects with kube::Client, asks the pure
// functions (patches.h, rollout_view.h, lint.h) what to write or show, and writes it.
// Every command returns the process exit code (0 success, 1 failure) and never throws.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/options.h"
#include "kube/client.h"

namespace vane::cli {

inline constexpr const char* kVersion = "v0.1.0";

struct CommandContext {
  kube::Client* client = nullptr;  // null for offline commands (lint, version)
  std::string namespace_;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::function<int64_t()> now;  // unix seconds
  bool tty = false;              // stdout is a terminal (watch redraws clear the screen)
};

/// Offline checks of flag values and arguments (durations, CONTAINER=IMAGE, revisions, output
/// format), so that bad input is reported before any connection is made.
Status checkArgs(const Invocation& inv);

/// Runs inv.command (which must be set). Offline commands work with ctx.client == nullptr.
int runCommand(const Invocation& inv, CommandContext& ctx);

// Individual commands (used by runCommand; exposed for tests).
int runPromote(const Invocation& inv, CommandContext& ctx);
int runAbort(const Invocation& inv, CommandContext& ctx);
int runRetry(const Invocation& inv, CommandContext& ctx);
int runPause(const Invocation& inv, CommandContext& ctx);
int runRestart(const Invocation& inv, CommandContext& ctx);
int runUndo(const Invocation& inv, CommandContext& ctx);
int runSetImage(const Invocation& inv, CommandContext& ctx);
int runGetRollout(const Invocation& inv, CommandContext& ctx);
int runListRollouts(const Invocation& inv, CommandContext& ctx);
int runGetExperiment(const Invocation& inv, CommandContext& ctx);
int runListExperiments(const Invocation& inv, CommandContext& ctx);
int runTerminateAnalysisRun(const Invocation& inv, CommandContext& ctx);
int runTerminateExperiment(const Invocation& inv, CommandContext& ctx);
int runStatus(const Invocation& inv, CommandContext& ctx);
int runLint(const Invocation& inv, CommandContext& ctx);
int runVersion(const Invocation& inv, CommandContext& ctx);

// Helpers shared by the command files.

/// The items of each resource in ns, listed concurrently (one request each, so a `get` costs one
/// round trip after its GET); a list that fails yields no items (the view omits that part).
std::vector<std::vector<nlohmann::json>> listConcurrently(
    CommandContext& ctx, const std::vector<const kube::Resource*>& resources);

/// Blocks until the named object changes after resource version rv, or min(max_seconds, 5) pass
/// (a watch with a server-side timeout); waits one second when the watch cannot be opened.
void waitForChange(CommandContext& ctx, const kube::Resource& r, const std::string& name,
                   const std::string& rv, int max_seconds);

}  // namespace vane::cli
