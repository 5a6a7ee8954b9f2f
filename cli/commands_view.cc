// Commands that read: get rollout, status, lint, version; and the dispatcher. The list commands
// are in commands_list.cc, the Experiment ones in commands_experiment.cc.
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
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

// What `get rollout` reads besides the Rollout (Argo's viewcontroller informers).
const std::vector<const kube::Resource*> kRolloutChildren = {
    &res::kReplicaSets, &res::kPods, &res::kAnalysisRuns, &res::kExperiments};

Result<Rendered> readRollout(const Invocation& inv, CommandContext& ctx) {
  const std::string& name = inv.args[0];
  auto ro = ctx.client->get(res::kRollouts, ctx.namespace_, name);
  if (!ro.ok()) return ro.status();
  auto lists = listConcurrently(ctx, kRolloutChildren);
  auto view = std::make_shared<const RolloutView>(
      buildRolloutView(ro.value(), lists[0].items, lists[1].items, lists[2].items, lists[3].items));
  std::vector<WatchPoint> sources =
      watchPoints(res::kRollouts, name, ro.value()["metadata"].value("resourceVersion", ""),
                  kRolloutChildren, lists);
  bool json_output = inv.value("output") == "json", color = !inv.flag("no-color");
  return Rendered{[&ctx, view, json_output, color] {
                    return json_output ? rolloutViewJson(*view).dump(2) + "\n"
                                       : renderRollout(*view, ctx.now(), color);
                  },
                  std::move(sources)};
}

std::string phaseLine(const PhaseMessage& pm) {
  return pm.message.empty() ? pm.phase : pm.phase + " - " + pm.message;
}

}  // namespace

std::vector<Listed> listConcurrently(CommandContext& ctx,
                                     const std::vector<const kube::Resource*>& rs) {
  std::vector<std::future<Listed>> pending;
  for (const kube::Resource* r : rs) {
    pending.push_back(std::async(std::launch::async, [&ctx, r] {
      Listed out;
      auto list = ctx.client->list(*r, ctx.namespace_);
      if (!list.ok()) return out;
      for (json& item : list.value()["items"]) out.items.push_back(std::move(item));
      out.resource_version = list.value()["metadata"].value("resourceVersion", "");
      return out;
    }));
  }
  std::vector<Listed> out;
  for (auto& f : pending) out.push_back(f.get());
  return out;
}

std::vector<WatchPoint> watchPoints(const kube::Resource& r, const std::string& name,
                                    const std::string& rv,
                                    const std::vector<const kube::Resource*>& resources,
                                    const std::vector<Listed>& lists) {
  std::vector<WatchPoint> out{{&r, name, rv}};
  for (size_t i = 0; i < resources.size() && i < lists.size(); ++i) {
    out.push_back({resources[i], "", lists[i].resource_version});
  }
  return out;
}

void waitForChange(CommandContext& ctx, const kube::Resource& r, const std::string& name,
                   const std::string& rv, int max_seconds) {
  kube::ListOptions opts;
  opts.field_selector = "metadata.name=" + name;
  opts.resource_version = rv;
  opts.timeout_seconds = std::max(1, std::min(max_seconds, kWatchChunkSeconds));
  auto stream = ctx.client->watch(r, ctx.namespace_, opts);
  if (!stream.ok()) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    return;
  }
  while (auto ev = stream.value()->next()) {
    if (ev->type != "BOOKMARK") return;
  }
}

bool waitForAnyChange(CommandContext& ctx, const std::vector<WatchPoint>& points, int max_seconds) {
  // Without a version a watch would replay every object as ADDED and end the wait at once. A
  // watch that cannot be opened (or kept) means reading again after the wait, as before watches.
  std::vector<std::unique_ptr<kube::WatchStream>> streams;
  bool broken = false;
  for (const WatchPoint& p : points) {
    if (p.resource_version.empty()) continue;
    kube::ListOptions opts;
    if (!p.name.empty()) opts.field_selector = "metadata.name=" + p.name;
    opts.resource_version = p.resource_version;
    opts.timeout_seconds = std::max(1, std::min(max_seconds, kWatchChunkSeconds));
    auto stream = ctx.client->watch(*p.resource, ctx.namespace_, opts);
    if (stream.ok()) {
      streams.push_back(std::move(stream.value()));
    } else {
      broken = true;
    }
  }
  if (streams.empty()) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    return true;
  }
  std::mutex mu;
  std::condition_variable cv;
  size_t ended = 0;
  bool changed = false;
  std::vector<std::thread> readers;
  for (auto& s : streams) {
    readers.emplace_back([&, stream = s.get()] {
      bool saw = false;
      while (auto ev = stream->next()) {
        if (ev->type != "BOOKMARK") {
          saw = true;
          break;
        }
      }
      bool failed = !saw && !stream->error().ok();
      std::lock_guard lock(mu);
      ++ended;
      changed = changed || saw;
      broken = broken || failed;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return changed || ended == streams.size(); });
  }
  for (auto& s : streams) s->cancel();
  for (auto& t : readers) t.join();
  if (!changed && broken) std::this_thread::sleep_for(std::chrono::seconds(1));
  return changed || broken;
}

int showOrWatch(const Invocation& inv, CommandContext& ctx,
                const std::function<Result<Rendered>()>& read) {
  Rendered shown;
  std::string previous;
  for (bool reread = true;; reread = waitForAnyChange(ctx, shown.sources, kWatchChunkSeconds)) {
    if (reread) {
      auto r = read();
      if (!r.ok()) {
        *ctx.err << "error: " << r.status().toString() << "\n";
        return 1;
      }
      shown = std::move(r.value());
    }
    std::string text = shown.draw();
    if (!inv.flag("watch")) {
      *ctx.out << text;
      return 0;
    }
    if (text != previous) {
      if (ctx.tty) *ctx.out << "\033[H\033[2J";
      *ctx.out << text << std::flush;
      previous = std::move(text);
    }
  }
}

int runGetRollout(const Invocation& inv, CommandContext& ctx) {
  std::string output = inv.value("output");
  if (!output.empty() && output != "json" && output != "text") {
    *ctx.err << "error: invalid value \"" << output
             << "\" for -o/--output: expected json or text\n";
    return 1;
  }
  return showOrWatch(inv, ctx, [&] { return readRollout(inv, ctx); });
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
    waitForChange(ctx, res::kRollouts, name, ro.value()["metadata"].value("resourceVersion", ""),
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
  bool failed = false;
  for (const LintError& e : errors) {
    *ctx.out << file << ": " << formatLintError(e) << "\n";
    failed = failed || !e.warning;
  }
  if (failed) return 1;
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
      {"retry experiment", runRetryExperiment},
      {"pause", runPause},
      {"restart", runRestart},
      {"undo", runUndo},
      {"set image", runSetImage},
      {"get rollout", runGetRollout},
      {"list rollouts", runListRollouts},
      {"get experiment", runGetExperiment},
      {"list experiments", runListExperiments},
      {"terminate analysisrun", runTerminateAnalysisRun},
      {"terminate experiment", runTerminateExperiment},
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
