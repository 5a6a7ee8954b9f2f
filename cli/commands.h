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
int runRetryExperiment(const Invocation& inv, CommandContext& ctx);
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

/// One list read by listConcurrently: its items and the resource version it was read at ("" when
/// the list failed).
struct Listed {
  std::vector<nlohmann::json> items;
  std::string resource_version;
};

/// The items of each resource in ns, listed concurrently (one request each, so a `get` costs one
/// round trip after its GET); a list that fails yields no items (the view omits that part).
std::vector<Listed> listConcurrently(CommandContext& ctx,
                                     const std::vector<const kube::Resource*>& resources);

/// Blocks until the named object changes after resource version rv, or min(max_seconds, 5) pass
/// (a watch with a server-side timeout); waits one second when the watch cannot be opened.
void waitForChange(CommandContext& ctx, const kube::Resource& r, const std::string& name,
                   const std::string& rv, int max_seconds);

/// Something a rendering read: one object (name set) or every object of the resource in the
/// namespace, at a resource version. A redraw is due when it changes after that version.
struct WatchPoint {
  const kube::Resource* resource = nullptr;
  std::string name;
  std::string resource_version;  // "": not read (a failed list), not watched
};

/// Blocks until any point changes (one watch per point from its resource version, all open at
/// once; the first event other than BOOKMARK ends the wait, ERROR included, so a 410 re-reads),
/// or min(max_seconds, 5) pass. True when something changed or a watch could not be opened or
/// kept (then after the timeout, or a one-second pause): the caller reads again. False on a quiet
/// timeout.
bool waitForAnyChange(CommandContext& ctx, const std::vector<WatchPoint>& points, int max_seconds);

/// One read of an object and its children: draw() shows them at ctx.now() (no requests, so a
/// redraw after a quiet watch only moves the ages on); sources say what was read, at which version.
struct Rendered {
  std::function<std::string()> draw;
  std::vector<WatchPoint> sources;
};

/// Prints read()'s drawing once, or with --watch draws it again (clearing a terminal first when it
/// differs) until interrupted: read again when one of its sources changes, redrawn from what was
/// read after a quiet watch. Returns 1 when a read fails.
int showOrWatch(const Invocation& inv, CommandContext& ctx,
                const std::function<Result<Rendered>()>& read);

/// WatchPoints for a rendering: the named object at rv, then each list of resources (in the order
/// given) at the version it was read at.
std::vector<WatchPoint> watchPoints(const kube::Resource& r, const std::string& name,
                                    const std::string& rv,
                                    const std::vector<const kube::Resource*>& resources,
                                    const std::vector<Listed>& lists);

}  // namespace vane::cli
