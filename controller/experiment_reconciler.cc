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
void setAnalysisError(json& status, const std::string& analysis, const std::string& message) {
  json entry = {{"name", analysis}, {"phase", "Error"}, {"message", message}};
  json& runs = status["analysisRuns"];
  if (!runs.is_array()) runs = json::array();
  for (auto& e : runs) {
    if (e.is_object() && e.value("name", "") == analysis) {
      e = entry;
      return;
    }
  }
  runs.push_back(entry);
}

}  // namespace

void applyExecReport(ExperimentContext& ctx, const ExecReport& report) {
  for (const auto& [analysis, s] : report.analysisErrors) {
    setAnalysisError(ctx.newStatus, analysis,
                     format("Failed to create AnalysisRun for analysis '%s': %s", analysis.c_str(),
                            s.message().c_str()));
  }
  for (const CreateService& svc : report.servicesTaken) {
    for (auto& ts : ctx.newStatus["templateStatuses"]) {
      if (ts.value("name", "") != svc.templateName) continue;
      ts["status"] = "Error";
      ts["message"] = experimentServiceTakenMessage(svc.name, svc.templateName);
      ts.erase("serviceName");
      ts.erase("podTemplateHash");
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
  if (!cached || !kube::strAt(*cached, "/metadata/deletionTimestamp").empty()) return out;
  // The stale-cache guard of the Rollout loop (Argo rollout/controller.go): a cache older than our
  // own last status write would replay the previous plan (recreate what was just deleted, scale
  // back what was just scaled); come back once the informer has caught up.
  if (written_.stale(key, kube::strAt(*cached, "/metadata/resourceVersion"))) {
    out.requeueAfter = kube::kStaleCacheRequeueDelay;
    return out;
  }
  ExperimentContext ctx;
  ctx.experiment = *cached;
  const std::string uid = kube::strAt(*cached, "/metadata/uid");
  std::set<std::string> defined;
  for (const auto& t : kube::arrayAt(*cached, "/spec/templates"))
    defined.insert(t.value("name", ""));
  for (const auto& rs : deps_.replicaSets->byIndex(kube::kIndexOwner, uid)) {
    if (kube::metaEntry(*rs, "annotations", kAnnotationExperimentName) != name) continue;
    const std::string tmpl = kube::metaEntry(*rs, "annotations", kAnnotationExperimentTemplate);
    if (defined.count(tmpl) && kube::strAt(*rs, "/metadata/deletionTimestamp").empty()) {
      ctx.templateRSs[tmpl] = *rs;
    }
  }
  if (deps_.services != nullptr) {
    // GetServiceForExperiment: controlled by this Experiment and annotated with a template of it.
    for (const auto& svc : deps_.services->byIndex(kube::kIndexOwner, uid)) {
      if (kube::metaEntry(*svc, "annotations", kAnnotationExperimentName) != name) continue;
      const std::string tmpl = kube::metaEntry(*svc, "annotations", kAnnotationExperimentTemplate);
      if (defined.count(tmpl) && kube::strAt(*svc, "/metadata/deletionTimestamp").empty()) {
        ctx.templateServices[tmpl] = *svc;
      }
    }
  }
  if (deps_.analysisRuns != nullptr) {
    for (const auto& r : deps_.analysisRuns->byIndex(kube::kIndexOwner, uid)) {
      ctx.analysisRuns.push_back(*r);
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
  if (ctx.newStatus != cached->value("status", json::object()) || !cached->contains("status")) {
    json updated = *cached;
    updated["status"] = ctx.newStatus;
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
