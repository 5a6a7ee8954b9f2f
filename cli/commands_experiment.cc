// `get experiment [--watch]`, `retry experiment` and `terminate analysisrun|experiment` (Argo's
// cmd/get/get_experiment.go, cmd/retry/retry.go, cmd/terminate/terminate.go).
#include <memory>
#include <ostream>
#include <utility>

#include "cli/commands.h"
#include "cli/patches.h"
#include "cli/rollout_view.h"

namespace vane::cli {
namespace {

using nlohmann::json;
namespace res = kube::resources;

// What `get experiment` reads besides the Experiment (Argo's viewcontroller informers).
const std::vector<const kube::Resource*> kExperimentChildren = {&res::kReplicaSets, &res::kPods,
                                                                &res::kAnalysisRuns};

Result<Rendered> readExperiment(const Invocation& inv, CommandContext& ctx) {
  const std::string& name = inv.args[0];
  auto exp = ctx.client->get(res::kExperiments, ctx.namespace_, name);
  if (!exp.ok()) return exp.status();
  auto lists = listConcurrently(ctx, kExperimentChildren);
  std::vector<WatchPoint> sources =
      watchPoints(res::kExperiments, name, exp.value()["metadata"].value("resourceVersion", ""),
                  kExperimentChildren, lists);
  // The view depends on the time (remaining duration), so each drawing rebuilds it.
  auto fetched = std::make_shared<const std::pair<json, std::vector<Listed>>>(
      std::move(exp.value()), std::move(lists));
  bool color = !inv.flag("no-color");
  return Rendered{[&ctx, fetched, color] {
                    const auto& [e, l] = *fetched;
                    int64_t now = ctx.now();
                    return renderExperiment(
                        buildExperimentView(e, l[0].items, l[1].items, l[2].items, now), now,
                        color);
                  },
                  std::move(sources)};
}

// Argo merge-patches {"status":null} on the main resource: its Experiment CRD has no status
// subresource. Ours has one, where the API server ignores status on the main resource, so the
// patch goes to /status first and to the main resource only when there is no /status (NotFound),
// the fallback `retry rollout` uses.
Result<json> retryExperimentOne(CommandContext& ctx, const std::string& name) {
  auto r = ctx.client->patch(res::kExperiments, ctx.namespace_, name, kube::PatchType::kMerge,
                             retryExperimentPatch(), "status");
  if (r.ok() || r.status().code() != Code::kNotFound) return r;
  return ctx.client->patch(res::kExperiments, ctx.namespace_, name, kube::PatchType::kMerge,
                           retryExperimentPatch());
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
  return showOrWatch(inv, ctx, [&] { return readExperiment(inv, ctx); });
}

int runRetryExperiment(const Invocation& inv, CommandContext& ctx) {
  int failed = 0;
  for (const std::string& name : inv.args) {
    auto patched = retryExperimentOne(ctx, name);
    if (patched.ok()) {
      *ctx.out << "experiment '" << name << "' retried\n";
    } else {
      ++failed;
      *ctx.err << "error: experiment '" << name << "' in namespace " << ctx.namespace_ << ": "
               << patched.status().toString() << "\n";
    }
  }
  return failed == 0 ? 0 : 1;
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
