// Commands that write intent: promote, abort, retry, pause, restart, undo, set image.
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/actions.h"
#include "cli/commands.h"
#include "cli/patches.h"

namespace vane::cli {
namespace {

using kube::PatchType;
using nlohmann::json;
namespace res = kube::resources;

constexpr int kSetImageAttempts = 5;

// Patches the status subresource; falls back to the main resource when the server has no status
// subresource (NotFound), as Argo's plugin does for v0.9 CRDs.
Result<json> patchStatus(CommandContext& ctx, const std::string& name, const json& patch,
                         const std::optional<json>& fallback = std::nullopt) {
  auto r =
      ctx.client->patch(res::kRollouts, ctx.namespace_, name, PatchType::kMerge, patch, "status");
  if (r.ok() || r.status().code() != Code::kNotFound) return r;
  return ctx.client->patch(res::kRollouts, ctx.namespace_, name, PatchType::kMerge,
                           fallback.value_or(patch));
}

Result<json> patchSpec(CommandContext& ctx, const std::string& name, const json& patch) {
  return ctx.client->patch(res::kRollouts, ctx.namespace_, name, PatchType::kMerge, patch);
}

// One rollout name -> message printed on success, or the error.
using Action = std::function<Result<std::string>(CommandContext&, const std::string&)>;

// Runs action on the named Rollout, or on every Rollout matched by -l / --all (one line each).
int forEachRollout(const Invocation& inv, CommandContext& ctx, const Action& action) {
  std::vector<std::string> names;
  if (!inv.args.empty()) {
    names.push_back(inv.args[0]);
  } else {
    kube::ListOptions opts;
    opts.label_selector = inv.value("selector");
    auto list = ctx.client->list(res::kRollouts, ctx.namespace_, opts);
    if (!list.ok()) {
      *ctx.err << "error: listing rollouts: " << list.status().toString() << "\n";
      return 1;
    }
    for (const json& item : list.value().value("items", json::array())) {
      names.push_back(item["metadata"].value("name", ""));
    }
    if (names.empty()) {
      *ctx.err << "error: no Rollouts matched in namespace " << ctx.namespace_ << "\n";
      return 1;
    }
  }
  int failed = 0;
  for (const std::string& name : names) {
    auto r = action(ctx, name);
    if (r.ok()) {
      *ctx.out << r.value() << "\n";
    } else {
      ++failed;
      *ctx.err << "error: rollout '" << name << "': " << r.status().toString() << "\n";
    }
  }
  return failed == 0 ? 0 : 1;
}

int single(const Invocation& inv, CommandContext& ctx, const Action& action) {
  return forEachRollout(inv, ctx, action);
}

// Reads the object, applies fn and PUTs it back; retried on 409 like Argo's set image.
Result<json> updateWithRetry(CommandContext& ctx, const kube::Resource& r, const std::string& name,
                             const std::function<Result<json>(json)>& fn) {
  Status last;
  for (int attempt = 0; attempt < kSetImageAttempts; ++attempt) {
    auto obj = ctx.client->get(r, ctx.namespace_, name);
    if (!obj.ok()) return obj.status();
    auto changed = fn(obj.value());
    if (!changed.ok()) return changed.status();
    auto updated = ctx.client->update(r, ctx.namespace_, changed.value());
    if (updated.ok() || updated.status().code() != Code::kConflict) return updated;
    last = updated.status();
  }
  return last;
}

}  // namespace

Result<std::string> promoteRollout(CommandContext& ctx, const std::string& name, bool full) {
  auto ro = ctx.client->get(res::kRollouts, ctx.namespace_, name);
  if (!ro.ok()) return ro.status();
  PatchPlan plan = promotePlan(ro.value(), full);
  std::optional<json> spec = plan.spec;
  if (plan.status) {
    auto r = ctx.client->patch(res::kRollouts, ctx.namespace_, name, PatchType::kMerge,
                               *plan.status, "status");
    if (!r.ok()) {
      if (r.status().code() != Code::kNotFound) return r.status();
      spec = plan.unified;  // no status subresource: one patch on the main resource
    }
  }
  if (spec) {
    auto r = patchSpec(ctx, name, *spec);
    if (!r.ok()) return r.status();
  }
  return "rollout '" + name + "' " + (full ? "fully promoted" : "promoted");
}

Result<std::string> abortRollout(CommandContext& ctx, const std::string& name) {
  auto r = patchStatus(ctx, name, abortPatch());
  if (!r.ok()) return r.status();
  return "rollout '" + name + "' aborted";
}

Result<std::string> retryRollout(CommandContext& ctx, const std::string& name) {
  auto r = patchStatus(ctx, name, retryPatch());
  if (!r.ok()) return r.status();
  return "rollout '" + name + "' retried";
}

Result<std::string> pauseRollout(CommandContext& ctx, const std::string& name) {
  auto r = patchSpec(ctx, name, pausePatch());
  if (!r.ok()) return r.status();
  return "rollout '" + name + "' paused";
}

Result<std::string> restartRollout(CommandContext& ctx, const std::string& name,
                                   int64_t delay_seconds) {
  auto r = patchSpec(ctx, name, restartPatch(ctx.now(), delay_seconds));
  if (!r.ok()) return r.status();
  return "rollout '" + name + "' restarts in " + std::to_string(delay_seconds) + "s";
}

Result<std::string> undoRollout(CommandContext& c, const std::string& name, int64_t to) {
  auto ro = c.client->get(res::kRollouts, c.namespace_, name);
  if (!ro.ok()) return ro.status();
  auto list = c.client->list(res::kReplicaSets, c.namespace_);
  if (!list.ok()) return list.status();
  std::vector<json> owned;
  std::string uid = ro.value()["metadata"].value("uid", "");
  for (const json& rs : list.value().value("items", json::array())) {
    if (ownedBy(rs, uid)) owned.push_back(rs);
  }
  auto undo = undoPatch(ro.value(), owned, to);
  if (!undo.ok()) return undo.status();
  if (!undo.value().patch) {
    return "skipped rollback (current template already matches revision " +
           std::to_string(undo.value().revision) + ")";
  }
  const json& ref = ro.value()["spec"].value("workloadRef", json());
  bool deployment = ref.is_object() && ref.value("kind", "") == "Deployment";
  auto r = c.client->patch(deployment ? res::kDeployments : res::kRollouts, c.namespace_,
                           deployment ? ref.value("name", "") : name, PatchType::kJson,
                           *undo.value().patch);
  if (!r.ok()) {
    return Status(r.status().code(), "failed restoring revision " +
                                         std::to_string(undo.value().revision) + ": " +
                                         r.status().toString());
  }
  return "rollout '" + name + "' undo";
}

Result<std::string> setRolloutImage(CommandContext& c, const std::string& name,
                                    const std::string& container, const std::string& image) {
  auto ro = c.client->get(res::kRollouts, c.namespace_, name);
  if (!ro.ok()) return ro.status();
  const json& ref = ro.value()["spec"].value("workloadRef", json());
  bool deployment = ref.is_object() && ref.value("kind", "") == "Deployment";
  auto edit = [&](json obj) { return setImage(std::move(obj), container, image); };
  auto r = deployment ? updateWithRetry(c, res::kDeployments, ref.value("name", ""), edit)
                      : updateWithRetry(c, res::kRollouts, name, edit);
  if (!r.ok()) return r.status();
  return std::string(deployment ? "deployment \"" + ref.value("name", "") : "rollout \"" + name) +
         "\" image updated";
}

int runPromote(const Invocation& inv, CommandContext& ctx) {
  bool full = inv.flag("full");
  return forEachRollout(inv, ctx, [full](CommandContext& c, const std::string& name) {
    return promoteRollout(c, name, full);
  });
}

int runAbort(const Invocation& inv, CommandContext& ctx) {
  return forEachRollout(inv, ctx, abortRollout);
}

int runRetry(const Invocation& inv, CommandContext& ctx) { return single(inv, ctx, retryRollout); }

int runPause(const Invocation& inv, CommandContext& ctx) { return single(inv, ctx, pauseRollout); }

int runRestart(const Invocation& inv, CommandContext& ctx) {
  std::string in = inv.has("in") ? inv.value("in") : "0s";
  auto secs = parseFlagDuration("--in", in);
  if (!secs.ok()) {
    *ctx.err << "error: " << secs.status().message() << "\n";
    return 1;
  }
  int64_t delay = secs.value();
  return single(inv, ctx, [&](CommandContext& c, const std::string& name) -> Result<std::string> {
    auto r = patchSpec(c, name, restartPatch(c.now(), delay));
    if (!r.ok()) return r.status();
    return "rollout '" + name + "' restarts in " + in;
  });
}

int runUndo(const Invocation& inv, CommandContext& ctx) {
  int64_t to = 0;
  try {
    size_t used = 0;
    to = std::stoll(inv.value("to-revision"), &used);
    if (used != inv.value("to-revision").size() || to < 0) throw std::invalid_argument("");
  } catch (const std::exception&) {
    *ctx.err << "error: invalid value \"" << inv.value("to-revision")
             << "\" for --to-revision: expected a revision number >= 0\n";
    return 1;
  }
  return single(inv, ctx, [to](CommandContext& c, const std::string& name) {
    return undoRollout(c, name, to);
  });
}

int runSetImage(const Invocation& inv, CommandContext& ctx) {
  auto ci = parseContainerImage(inv.args[1]);
  if (!ci.ok()) {
    *ctx.err << "error: " << ci.status().message() << "\n";
    return 1;
  }
  auto [container, image] = ci.value();
  Invocation one = inv;
  one.args.resize(1);
  return single(one, ctx, [&](CommandContext& c, const std::string& name) {
    return setRolloutImage(c, name, container, image);
  });
}

}  // namespace vane::cli
