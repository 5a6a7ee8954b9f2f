// `get experiment [--watch]` and `terminate analysisrun|experiment` (Argo's cmd/get/
// get_experiment.go, cmd/terminate/terminate.go).
#include <ostream>

#include "cli/commands.h"
#include "cli/patches.h"
#include "cli/rollout_view.h"

namespace vane::cli {
namespace {

using nlohmann::json;
namespace res = kube::resources;

constexpr int kWatchChunkSeconds = 5;

struct Rendered {
  std::string text, resource_version;
};

Result<Rendered> renderExperimentOnce(const Invocation& inv, CommandContext& ctx) {
  auto exp = ctx.client->get(res::kExperiments, ctx.namespace_, inv.args[0]);
  if (!exp.ok()) return exp.status();
  auto lists = listConcurrently(ctx, {&res::kReplicaSets, &res::kPods, &res::kAnalysisRuns});
  ExperimentView view = buildExperimentView(exp.value(), lists[0], lists[1], lists[2], ctx.now());
  return Rendered{renderExperiment(view, ctx.now(), !inv.flag("no-color")),
                  exp.value()["metadata"].value("resourceVersion", "")};
}

// Patches spec.terminate on every named object; one line each, non-zero if any failed.
int terminate(const Invocation& inv, CommandContext& ctx, const kube::Resource& r,
              const std::string& kind, const std::string& shown_kind) {
  int failed = 0;
  for (const std::string& name : inv.args) {
    auto patched =
        ctx.client->patch(r, ctx.namespace_, name, kube::PatchType::kMerge, terminatePatch());
    if (patched.ok()) {
      *ctx.out << shown_kind << " '" << name << "' terminated\n";
    } else {
      ++failed;
      *ctx.err << "error: " << kind << " '" << name << "' in namespace " << ctx.namespace_ << ": "
               << patched.status().toString() << "\n";
    }
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

int runGetExperiment(const Invocation& inv, CommandContext& ctx) {
  std::string previous;
  while (true) {
    auto shown = renderExperimentOnce(inv, ctx);
    if (!shown.ok()) {
      *ctx.err << "error: " << shown.status().toString() << "\n";
      return 1;
    }
    if (!inv.flag("watch")) {
      *ctx.out << shown.value().text;
      return 0;
    }
    if (shown.value().text != previous) {
      if (ctx.tty) *ctx.out << "\033[H\033[2J";
      *ctx.out << shown.value().text << std::flush;
      previous = shown.value().text;
    }
    waitForChange(ctx, res::kExperiments, inv.args[0], shown.value().resource_version,
                  kWatchChunkSeconds);
  }
}

int runTerminateAnalysisRun(const Invocation& inv, CommandContext& ctx) {
  return terminate(inv, ctx, res::kAnalysisRuns, "analysisrun", "analysisRun");
}

// Argo prints "experiment 'x' retried" here (a copy of retry's text); the line says what
// happened instead.
int runTerminateExperiment(const Invocation& inv, CommandContext& ctx) {
  return terminate(inv, ctx, res::kExperiments, "experiment", "experiment");
}

}  // namespace vane::cli
