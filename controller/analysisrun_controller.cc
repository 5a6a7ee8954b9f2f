#include "controller/analysisrun_controller.h"

#include <algorithm>

#include "analysis/analysis_run.h"
#include "base/log.h"
#include "kube/json_access.h"
#include "kube/kubeconfig.h"

namespace vane::controller {

using nlohmann::json;
namespace res = kube::resources;

AnalysisRunController::AnalysisRunController(kube::Client& client, SharedInformers& informers,
                                             const ControllerOptions& options,
                                             analysis::ProviderRegistry& providers, Clock clock)
    : client_(client),
      analysisRuns_(*informers.analysisRuns),
      providers_(providers),
      clock_(clock ? std::move(clock) : [] { return std::chrono::system_clock::now(); }),
      queue_(kube::WorkQueue::create(controllerQueueOptions())) {
  analysisRuns_.addHandlers(enqueueOwnedByInstance(*queue_, options.instanceId));
}

void AnalysisRunController::start(kube::WorkerGroup& group, int workers) {
  group.start(*queue_, "reconcile analysisrun", workers,
              [this](const std::string& key) { return reconcile(key); });
}

kube::ReconcileResult AnalysisRunController::reconcile(const std::string& key) {
  const auto [ns, name] = kube::splitKey(key);
  kube::ObjectPtr run = analysisRuns_.get(ns, name);
  if (!run) return {};
  analysis::ReconcileOptions opts;
  opts.secrets = [this](const std::string& n, const std::string& secret,
                        const std::string& k) -> Result<std::string> {
    auto s = client_.get(res::kSecrets, n, secret);
    if (!s) return s.status();
    const json& v = kube::at(*s, {"data", k.c_str()});
    if (!v.is_string()) {
      return Status(Code::kNotFound, "key " + k + " not found in secret " + secret);
    }
    return kube::base64Decode(v.get<std::string>());
  };
  auto out = analysis::reconcileAnalysisRun(*run, clock_(), providers_, opts);
  json current = *run;
  current["status"] = out.status;
  if (out.changed) {
    auto w = client_.updateStatus(res::kAnalysisRuns, ns, current);
    if (!w) return {w.status(), std::nullopt};
  }
  kube::ReconcileResult expiry = expire(current, key);
  if (!expiry.status || !out.requeue_after) return expiry;
  // The work queue keeps the earlier of two delayed adds of one key: so does this.
  if (!expiry.requeueAfter || *out.requeue_after < *expiry.requeueAfter) {
    expiry.requeueAfter = out.requeue_after;
  }
  return expiry;
}

kube::ReconcileResult AnalysisRunController::expire(const json& run, const std::string& key) {
  auto expiry = analysis::ttlExpiry(run);
  if (!expiry) {
    // A bad ttlStrategy is the user's to fix; retrying would not change it.
    log::error("reading an AnalysisRun's ttlStrategy failed",
               {{"analysisrun", key}, {"error", expiry.status().toString()}});
    return {};
  }
  if (!*expiry) return {};
  const auto now = clock_();
  if (now < **expiry) {
    return {Status::ok(), std::chrono::ceil<std::chrono::milliseconds>(**expiry - now)};
  }
  const auto [ns, name] = kube::splitKey(key);
  Status d = client_.remove(res::kAnalysisRuns, ns, name);
  if (!d && d.code() != Code::kNotFound) return {d, std::nullopt};
  return {};
}

}  // namespace vane::controller
