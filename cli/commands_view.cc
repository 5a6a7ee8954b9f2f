// Commands that read: get rollout, list rollouts, status, lint, version; and the dispatcher.
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/lint.h"
#include "cli/patches.h"
#include "cli/rollout_view.h"

namespace vane::cli {
namespace {

using nlohmann::json;
namespace res = kube::resources;

constexpr int kWatchChunkSeconds = 5;

std::vector<json> items(kube::Client& client, const kube::Resource& r, const std::string& ns) {
  auto list = client.list(r, ns);
  if (!list.ok()) return {};  // the tree is shown without the parts that cannot be read
  std::vector<json> out;
  for (const json& item : list.value().value("items", json::array())) out.push_back(item);
  return out;
}

Result<std::string> renderOnce(const Invocation& inv, CommandContext& ctx) {
  const std::string& name = inv.args[0];
  auto ro = ctx.client->get(res::kRollouts, ctx.namespace_, name);
  if (!ro.ok()) return ro.status();
  RolloutView view =
      buildRolloutView(ro.value(), items(*ctx.client, res::kReplicaSets, ctx.namespace_),
                       items(*ctx.client, res::kPods, ctx.namespace_),
                       items(*ctx.client, res::kAnalysisRuns, ctx.namespace_));
  if (inv.value("output") == "json") return rolloutViewJson(view).dump(2) + "\n";
  return renderRollout(view, ctx.now(), !inv.flag("no-color"));
}

// Blocks until the Rollout changes or kWatchChunkSeconds pass (a watch with a server-side
// timeout); falls back to a one-second wait when the watch cannot be opened.
void waitForChange(CommandContext& ctx, const std::string& name, const std::string& rv,
                   int max_seconds) {
  kube::ListOptions opts;
  opts.field_selector = "metadata.name=" + name;
  opts.resource_version = rv;
  opts.timeout_seconds = std::max(1, std::min(max_seconds, kWatchChunkSeconds));
  auto stream = ctx.client->watch(res::kRollouts, ctx.namespace_, opts);
  if (!stream.ok()) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    return;
  }
  while (auto ev = stream.value()->next()) {
    if (ev->type != "BOOKMARK") return;
  }
}

std::string phaseLine(const PhaseMessage& pm) {
  return pm.message.empty() ? pm.phase : pm.phase + " - " + pm.message;
}

}  // namespace

int runGetRollout(const Invocation& inv, CommandContext& ctx) {
  std::string output = inv.value("output");
  if (!output.empty() && output != "json" && output != "text") {
    *ctx.err << "error: invalid value \"" << output
             << "\" for -o/--output: expected json or text\n";
    return 1;
  }
  std::string previous;
  while (true) {
    auto text = renderOnce(inv, ctx);
    if (!text.ok()) {
      *ctx.err << "error: " << text.status().toString() << "\n";
      return 1;
    }
    if (!inv.flag("watch")) {
      *ctx.out << text.value();
      return 0;
    }
    if (text.value() != previous) {
      if (ctx.tty) *ctx.out << "\033[H\033[2J";
      *ctx.out << text.value() << std::flush;
      previous = text.value();
    }
    auto ro = ctx.client->get(res::kRollouts, ctx.namespace_, inv.args[0]);
    std::string rv = ro.ok() ? ro.value()["metadata"].value("resourceVersion", "") : "";
    waitForChange(ctx, inv.args[0], rv, kWatchChunkSeconds);
  }
}

int runListRollouts(const Invocation& inv, CommandContext& ctx) {
  bool all = inv.flag("all-namespaces");
  auto list = ctx.client->list(res::kRollouts, all ? "" : ctx.namespace_);
  if (!list.ok()) {
    *ctx.err << "error: " << list.status().toString() << "\n";
    return 1;
  }
  std::vector<json> rollouts;
  for (const json& item : list.value().value("items", json::array())) rollouts.push_back(item);
  if (rollouts.empty()) {
    *ctx.err << "No resources found" << (all ? "" : " in " + ctx.namespace_ + " namespace")
             << ".\n";
    return 0;
  }
  *ctx.out << renderRolloutList(rollouts, all);
  return 0;
}

int runStatus(const Invocation& inv, CommandContext& ctx) {
  const std::string& name = inv.args[0];
  auto timeout = parseFlagDuration("--timeout", inv.value("timeout"));
  if (!timeout.ok()) {
    *ctx.err << "error: " << timeout.status().message() << "\n";
    return 1;
  }
  bool watch = inv.value("watch") != "false";
  int64_t deadline = timeout.value() > 0 ? ctx.now() + timeout.value() : 0;
  std::string printed;
  while (true) {
    auto ro = ctx.client->get(res::kRollouts, ctx.namespace_, name);
    if (!ro.ok()) {
      *ctx.err << "error: " << ro.status().toString() << "\n";
      return 1;
    }
    PhaseMessage pm = rolloutPhase(ro.value());
    bool done = pm.phase == "Healthy" || pm.phase == "Degraded";
    std::string line = (!watch && done) ? pm.phase : phaseLine(pm);
    if (line != printed) {
      *ctx.out << line << "\n" << std::flush;
      printed = line;
    }
    if (pm.phase == "Degraded") {
      *ctx.err << "error: The rollout is in a degraded state with message: " << pm.message << "\n";
      return 1;
    }
    if (pm.phase == "Healthy" || !watch) return 0;
    int64_t left = deadline ? deadline - ctx.now() : kWatchChunkSeconds;
    if (deadline && left <= 0) {
      *ctx.err << "error: Rollout status watch exceeded timeout\n";
      return 1;
    }
    waitForChange(ctx, name, ro.value()["metadata"].value("resourceVersion", ""),
                  static_cast<int>(left));
  }
}

int runLint(const Invocation& inv, CommandContext& ctx) {
  std::string file = inv.value("filename");
  if (file.empty()) {
    *ctx.err << "error: required flag -f/--filename not set\n";
    return 1;
  }
  std::stringstream text;
  if (file == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(file);
    if (!in) {
      *ctx.err << "error: cannot read -f " << file << "\n";
      return 1;
    }
    text << in.rdbuf();
  }
  int checked = 0;
  auto errors = lintText(text.str(), &checked);
  for (const LintError& e : errors) *ctx.out << file << ": " << formatLintError(e) << "\n";
  if (!errors.empty()) return 1;
  *ctx.out << file << ": " << checked << " Rollout(s) valid\n";
  return 0;
}

int runVersion(const Invocation& inv, CommandContext& ctx) {
  if (inv.flag("short")) {
    *ctx.out << kVersion << "\n";
  } else {
    *ctx.out << "kubectl-vane: " << kVersion << "\n";
  }
  return 0;
}

Status checkArgs(const Invocation& inv) {
  const std::string& path = inv.command->path;
  if (path == "set image") return parseContainerImage(inv.args.at(1)).status();
  if (path == "restart" && inv.has("in"))
    return parseFlagDuration("--in", inv.value("in")).status();
  if (path == "status") return parseFlagDuration("--timeout", inv.value("timeout")).status();
  if (path == "get rollout") {
    std::string o = inv.value("output");
    if (!o.empty() && o != "json" && o != "text") {
      return Status(Code::kBadRequest,
                    "invalid value \"" + o + "\" for -o/--output: expected json or text");
    }
  }
  if (path == "undo") {
    const std::string v = inv.value("to-revision");
    bool digits = !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
    if (!digits) {
      return Status(Code::kBadRequest, "invalid value \"" + v +
                                           "\" for --to-revision: expected a revision number >= 0");
    }
  }
  return Status::ok();
}

int runCommand(const Invocation& inv, CommandContext& ctx) {
  static const std::map<std::string, int (*)(const Invocation&, CommandContext&)> kRunners = {
      {"promote", runPromote},
      {"abort", runAbort},
      {"retry rollout", runRetry},
      {"pause", runPause},
      {"restart", runRestart},
      {"undo", runUndo},
      {"set image", runSetImage},
      {"get rollout", runGetRollout},
      {"list rollouts", runListRollouts},
      {"status", runStatus},
      {"lint", runLint},
      {"version", runVersion},
  };
  auto it = kRunners.find(inv.command->path);
  if (it == kRunners.end()) {
    *ctx.err << "error: command not implemented: " << inv.command->path << "\n";
    return 1;
  }
  return it->second(inv, ctx);
}

}  // namespace vane::cli
