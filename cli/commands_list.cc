// `list rollouts [--watch]` and `list experiments` (Argo's cmd/list).
#include <chrono>
#include <map>
#include <ostream>
#include <thread>

#include "cli/commands.h"
#include "cli/rollout_view.h"
#include "cli/table.h"
#include "kube/types.h"

namespace vane::cli {
namespace {

using nlohmann::json;
using Rows = std::vector<std::vector<std::string>>;
namespace res = kube::resources;

constexpr int kListWatchSeconds = 30;  // server-side bound of each watch request
constexpr int kWatchOpenRetries = 5;   // consecutive failures before giving up, as Argo

std::string noneFound(bool all, const std::string& ns) {
  return std::string("No resources found") + (all ? "" : " in " + ns + " namespace") + ".\n";
}

// The rows printed so far: a new line is aligned against all of them (Argo flushes a tabwriter
// every 500 ms; Argo's minimum cell widths keep the columns close to the table above).
class RolloutTable {
 public:
  RolloutTable(const Invocation& inv, CommandContext& ctx)
      : ctx_(ctx), all_(inv.flag("all-namespaces")), timestamps_(inv.flag("timestamps")) {
    std::vector<std::string> header = {"NAME",  "STRATEGY", "STATUS",     "STEP",     "SET-WEIGHT",
                                       "READY", "DESIRED",  "UP-TO-DATE", "AVAILABLE"};
    if (all_) header.insert(header.begin(), "NAMESPACE");
    if (timestamps_) header.insert(header.begin(), "TIMESTAMP");
    rows_.push_back(header);
  }

  // Prints the table of the first list.
  void printInitial(const std::vector<json>& rollouts) {
    for (const json& ro : rollouts) remember(ro);
    *ctx_.out << alignColumns(rows_, 2) << std::flush;
  }

  // Prints the Rollout's line when it differs from the last one printed for it.
  void update(const json& ro) {
    if (!remember(ro)) return;
    std::string text = alignColumns(rows_, 2);
    size_t start = text.rfind('\n', text.size() - 2);
    *ctx_.out << text.substr(start == std::string::npos ? 0 : start + 1) << std::flush;
  }

 private:
  static std::string key(const json& ro) {
    const json& meta = ro.value("metadata", json::object());
    return meta.value("namespace", "") + "/" + meta.value("name", "");
  }

  // Adds the row when changed; false when it equals the last one printed for this Rollout.
  bool remember(const json& ro) {
    std::vector<std::string> row = rolloutListRow(ro, all_);
    std::vector<std::string>& last = last_[key(ro)];
    if (!last.empty() && last == row) return false;
    last = row;
    if (timestamps_) row.insert(row.begin(), kube::formatTime(ctx_.now()));
    rows_.push_back(std::move(row));
    return true;
  }

  CommandContext& ctx_;
  bool all_, timestamps_;
  Rows rows_;
  std::map<std::string, std::vector<std::string>> last_;
};

Result<json> listRollouts(CommandContext& ctx, const std::string& ns,
                          const kube::ListOptions& opts) {
  kube::ListOptions list_opts;
  list_opts.field_selector = opts.field_selector;
  return ctx.client->list(res::kRollouts, ns, list_opts);
}

// PrintRolloutUpdates: follows the watch from the list's resource version, reopening it when the
// server ends a request and relisting when the version has expired (410). Runs until interrupted.
int watchRollouts(CommandContext& ctx, const std::string& ns, kube::ListOptions opts,
                  RolloutTable& table) {
  int failures = 0;
  // `kWatchOpenRetries` failed lists or watch requests in a row end the command.
  auto failed = [&](const char* what, const Status& st) {
    if (++failures > kWatchOpenRetries) {
      *ctx.err << "error: " << what << " rollouts: " << st.toString() << "\n";
      return true;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    return false;
  };
  while (true) {
    if (opts.resource_version.empty()) {  // expired: relist, print what changed meanwhile
      auto list = listRollouts(ctx, ns, opts);
      if (!list.ok()) {
        if (failed("listing", list.status())) return 1;
        continue;
      }
      for (const json& ro : list.value().value("items", json::array())) table.update(ro);
      opts.resource_version = list.value()["metadata"].value("resourceVersion", "");
    }
    opts.timeout_seconds = kListWatchSeconds;
    auto stream = ctx.client->watch(res::kRollouts, ns, opts);
    if (!stream.ok()) {
      if (failed("watching", stream.status())) return 1;
      continue;
    }
    failures = 0;
    while (auto ev = stream.value()->next()) {
      if (ev->type == "ERROR") {
        opts.resource_version.clear();
        break;
      }
      std::string rv = ev->object["metadata"].value("resourceVersion", "");
      if (!rv.empty()) opts.resource_version = rv;
      if (ev->type != "BOOKMARK") table.update(ev->object);
    }
    Status end = stream.value()->error();
    if (end.code() == Code::kGone) {
      opts.resource_version.clear();
    } else if (!end.isOk()) {  // a broken stream: reopen, but never in a tight loop
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

}  // namespace

int runListRollouts(const Invocation& inv, CommandContext& ctx) {
  bool all = inv.flag("all-namespaces");
  std::string ns = all ? "" : ctx.namespace_;
  kube::ListOptions opts;
  if (!inv.value("name").empty()) opts.field_selector = "metadata.name=" + inv.value("name");
  auto list = listRollouts(ctx, ns, opts);
  if (!list.ok()) {
    *ctx.err << "error: " << list.status().toString() << "\n";
    return 1;
  }
  std::vector<json> rollouts;
  for (const json& item : list.value().value("items", json::array())) rollouts.push_back(item);
  bool watch = inv.flag("watch");
  if (rollouts.empty() && !watch) {
    *ctx.err << noneFound(all, ctx.namespace_);
    return 0;
  }
  RolloutTable table(inv, ctx);
  table.printInitial(rollouts);
  if (!watch) return 0;
  opts.resource_version = list.value()["metadata"].value("resourceVersion", "");
  return watchRollouts(ctx, ns, opts, table);
}

int runListExperiments(const Invocation& inv, CommandContext& ctx) {
  bool all = inv.flag("all-namespaces");
  auto list = ctx.client->list(res::kExperiments, all ? "" : ctx.namespace_);
  if (!list.ok()) {
    *ctx.err << "error: " << list.status().toString() << "\n";
    return 1;
  }
  std::vector<json> experiments;
  for (const json& item : list.value().value("items", json::array())) experiments.push_back(item);
  if (experiments.empty()) {
    *ctx.err << noneFound(all, ctx.namespace_);
    return 0;
  }
  *ctx.out << renderExperimentList(experiments, all, ctx.now());
  return 0;
}

}  // namespace vane::cli
