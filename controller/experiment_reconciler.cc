// The Experiment controller's I/O half: reads an Experiment and what it owns from the caches,
// plans with planExperiment(), performs the writes through the Executor, and writes the status once
// (PUT with the cached resourceVersion: a stale read becomes a 409 and a retry, never an older
// status).
#include <algorithm>
#include <ctime>
#include <set>

#include "controller/conditions.h"
#include "controller/executor.h"
#include "controller/experiment.h"
#include "kube/events.h"
#include "kube/json_access.h"

namespace vane::controller {

using nlohmann::json;
namespace res = kube::resources;

namespace {

// status.analysisRuns[] entry for a run that could not be created.
void setAnalysisError(kube::ExperimentStatus& status, const std::string& analysis,
                      const std::string& message) {
  status.setAnalysisRun({analysis, "", message, kube::AnalysisPhase::kError});
}

}  // namespace

void applyExecReport(ExperimentContext& ctx, const ExecReport& report) {
  for (const auto& [analysis, s] : report.analysisErrors) {
    setAnalysisError(ctx.newStatus, analysis,
                     format("Failed to create AnalysisRun for analysis '%s': %s", analysis.c_str(),
                            s.message().c_str()));
  }
  for (const CreateService& svc : report.servicesTaken) {
    if (kube::TemplateStatus* ts = ctx.newStatus.templateStatus(svc.templateName)) {
      ts->status = kube::TemplateStatusCode::kError;
      ts->message = experimentServiceTakenMessage(svc.name, svc.templateName);
      ts->serviceName.clear();
      ts->podTemplateHash.clear();
    }
  }
}

ExperimentReconciler::ExperimentReconciler(ExperimentReconcilerDeps deps)
    : deps_(std::move(deps)), executor_(ExecutorDeps{deps_.client, nullptr, {}, {}}) {
  if (!deps_.clock) deps_.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
}

kube::ReconcileResult ExperimentReconciler::reconcile(const std::string& key) {
  kube::ReconcileResult out;
  const auto [ns, name] = kube::splitKey(key);
  kube::ObjectPtr cached = deps_.experiments->get(ns, name);
  if (!cached) written_.forget(key);
  if (!cached) return out;
  // The stale-cache guard of the Rollout loop (Argo rollout/controller.go): a cache older than our
  // own last status write would replay the previous plan (recreate what was just deleted, scale
  // back what was just scaled); come back once the informer has caught up.
  if (written_.stale(key, kube::strAt(*cached, "/metadata/resourceVersion"))) {
    out.requeueAfter = kube::kStaleCacheRequeueDelay;
    return out;
  }
  ExperimentContext ctx;
  if (Status s = readExperiment(ctx, *cached); !s) {
    out.status = s;
    return out;
  }
  if (!ctx.experiment.metadata.deletionTimestamp.empty()) return out;
  const std::string& uid = ctx.experiment.metadata.uid;
  std::set<std::string> defined;
  for (const auto& t : ctx.experiment.spec.templates) defined.insert(t.name);
  // Owned objects that do not decode are left out, as the Rollout's ReplicaSets are.
  for (const auto& obj : deps_.replicaSets->byIndex(kube::kIndexOwner, uid)) {
    auto rs = kube::decodeReplicaSet(*obj);
    if (!rs || rs->annotation(kAnnotationExperimentName) != name) continue;
    const std::string tmpl = rs->annotation(kAnnotationExperimentTemplate);
    if (defined.count(tmpl) && rs->metadata.deletionTimestamp.empty()) {
      ctx.templateRSs[tmpl] = std::move(*rs);
    }
  }
  if (deps_.services != nullptr) {
    // GetServiceForExperiment: controlled by this Experiment and annotated with a template of it.
    for (const auto& obj : deps_.services->byIndex(kube::kIndexOwner, uid)) {
      auto svc = kube::decodeService(*obj);
      if (!svc) continue;
      const kube::Labels& annotations = svc->metadata.annotations;
      auto ex_name = annotations.find(kAnnotationExperimentName);
      auto tmpl = annotations.find(kAnnotationExperimentTemplate);
      if (ex_name == annotations.end() || ex_name->second != name || tmpl == annotations.end()) {
        continue;
      }
      if (defined.count(tmpl->second) && svc->metadata.deletionTimestamp.empty()) {
        ctx.templateServices[tmpl->second] = std::move(*svc);
      }
    }
  }
  if (deps_.analysisRuns != nullptr) {
    for (const auto& obj : deps_.analysisRuns->byIndex(kube::kIndexOwner, uid)) {
      if (auto run = kube::decodeAnalysisRun(*obj)) ctx.analysisRuns.push_back(std::move(*run));
    }
  }
  ctx.now = deps_.clock();
  planExperiment(ctx);

  ExecReport report;
  Status st = executor_.execute(ctx.actions, {*cached, nullptr, ctx.now}, report);
  if (!st) {
    out.status = st;
    return out;
  }
  applyExecReport(ctx, report);
  const json new_status = kube::toJson(ctx.newStatus);
  if (new_status != cached->value("status", json::object()) || !cached->contains("status")) {
    json updated = *cached;
    updated["status"] = new_status;
    auto w = deps_.client->updateStatus(res::kExperiments, ns, updated);
    if (!w) {
      out.status = w.status();
      return out;
    }
    written_.recordWrite(key, kube::strAt(*w, "/metadata/resourceVersion"));
  }
  if (deps_.events != nullptr) {
    for (const auto& e : ctx.events) deps_.events->event(*cached, e.type, e.reason, e.message);
  }
  if (ctx.requeueAt) {
    out.requeueAfter = std::chrono::seconds(std::max<int64_t>(1, *ctx.requeueAt - ctx.now));
  }
  return out;
}

}  // namespace vane::controller
