// The per-Rollout intents behind the action commands, shared by `kubectl vane` and the dashboard
// so that both send exactly the same patches. Each reads what it needs, writes its patch(es)
// with ctx.client in ctx.namespace_ and returns the message the CLI prints, or the API server's
// error (kForbidden for an RBAC refusal) unchanged.
#pragma once

#include <cstdint>
#include <string>

#include "cli/commands.h"

namespace vane::cli {

Result<std::string> promoteRollout(CommandContext& ctx, const std::string& name, bool full);
Result<std::string> abortRollout(CommandContext& ctx, const std::string& name);
Result<std::string> retryRollout(CommandContext& ctx, const std::string& name);
Result<std::string> pauseRollout(CommandContext& ctx, const std::string& name);
/// restartAt = ctx.now() + delay_seconds.
Result<std::string> restartRollout(CommandContext& ctx, const std::string& name,
                                   int64_t delay_seconds);
/// to_revision 0: the previous revision.
Result<std::string> undoRollout(CommandContext& ctx, const std::string& name, int64_t to_revision);
/// container "*" for all containers.
Result<std::string> setRolloutImage(CommandContext& ctx, const std::string& name,
                                    const std::string& container, const std::string& image);

}  // namespace vane::cli
