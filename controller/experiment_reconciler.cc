// The Experiment controller's I/O half: reads an Experiment and what it owns from the caches,
// plans with planExperiment(), performs the writes, and writes the status once (PUT with the
// cached resourceVersion: a stale read becomes a 409 and a retry, never an older status).
#include <algorithm>
#include <ctime>
#include <set>

#include "analysis/run_builder.h"
#include "controller/conditions.h"
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

ExperimentReconciler::ExperimentReconciler(ExperimentReconcilerDeps deps) : deps_(std::move(deps)) {
  if (!deps_.clock) deps_.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
}

Status ExperimentReconciler::createAnalysisRun(ExperimentContext& ctx, const Action& a) {
  const json& ex = ctx.experiment.raw;
  const std::string ns = kube::strAt(ex, "/metadata/namespace");
  kube::Client* client = deps_.client;
  analysis::TemplateLookups lookups;
  lookups.analysisTemplate = [client](const std::string& n, const std::string& name) {
    return client->get(res::kAnalysisTemplates, n, name);
  };
  lookups.clusterAnalysisTemplate = [client](const std::string& name) {
    return client->get(res::kClusterAnalysisTemplates, "", name);
  };
  const json& ref = a.body.at("analysis");
  json spec = {{"templates", json::array({{{"templateName", ref.value("templateName", "")},
                                           {"clusterScope", ref.value("clusterScope", false)}}})},
               {"args", ref.value("args", json::array())}};
  for (const char* k : {"dryRun", "measurementRetention", "analysisRunMetadata"}) {
    if (a.body.contains(k)) spec[k] = a.body[k];
  }
  analysis::RunRequest req{ex, spec, analysis::RunType::kBackground, 0, "", "", ""};
  auto run = analysis::buildAnalysisRun(req, lookups);
  if (!run) return run.status();
  json body = *run;
  json& md = body["metadata"];
  md["name"] = a.name;
  md["namespace"] = ns;
  // Experiment runs carry the instance id and analysisRunMetadata only (no rollout labels).
  md["labels"].erase(analysis::kLabelPodTemplateHash);
  md["labels"].erase(analysis::kLabelRolloutType);
  const std::string instance = kube::metaEntry(ex, "labels", kLabelInstanceId);
  if (!instance.empty()) md["labels"][kLabelInstanceId] = instance;
  md["ownerReferences"] = kube::controllerOwnerRefs("Experiment", kube::strAt(ex, "/metadata/name"),
                                                    kube::strAt(ex, "/metadata/uid"));
  auto created = deps_.client->create(res::kAnalysisRuns, ns, body);
  if (!created && created.status().code() != Code::kAlreadyExists) return created.status();
  return Status::ok();
}

// CreateService (experiments/service.go): an existing Service of that name is ours only when this
// Experiment controls it for the same template; otherwise the template errors.
Status ExperimentReconciler::createService(ExperimentContext& ctx, const Action& a) {
  const json& ex = ctx.experiment.raw;
  const std::string ns = kube::strAt(ex, "/metadata/namespace");
  auto created = deps_.client->create(res::kServices, ns, a.body);
  if (created) return Status::ok();
  if (created.status().code() != Code::kAlreadyExists) return created.status();
  auto existing = deps_.client->get(res::kServices, ns, a.name);
  if (!existing) return existing.status();
  const std::string tmpl = kube::metaEntry(a.body, "annotations", kAnnotationExperimentTemplate);
  bool controlled = false;
  for (const auto& ref : kube::arrayAt(*existing, "/metadata/ownerReferences")) {
    if (ref.value("controller", false) &&
        ref.value("uid", "") == kube::strAt(ex, "/metadata/uid")) {
      controlled = true;
    }
  }
  if (controlled &&
      kube::metaEntry(*existing, "annotations", kAnnotationExperimentName) ==
          kube::strAt(ex, "/metadata/name") &&
      kube::metaEntry(*existing, "annotations", kAnnotationExperimentTemplate) == tmpl) {
    return Status::ok();
  }
  if (kube::TemplateStatus* ts = ctx.newStatus.templateStatus(tmpl)) {
    ts->status = kube::TemplateStatusCode::kError;
    ts->message = experimentServiceTakenMessage(a.name, tmpl);
    ts->serviceName.clear();
    ts->podTemplateHash.clear();
  }
  return Status::ok();
}

ExperimentResult ExperimentReconciler::reconcile(const std::string& key) {
  ExperimentResult out;
  auto slash = key.find('/');
  const std::string ns = slash == std::string::npos ? "" : key.substr(0, slash);
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  kube::ObjectPtr cached = deps_.experiments->get(ns, name);
  if (!cached) return out;
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

  for (const Action& a : ctx.actions) {
    Result<json> r = json();
    switch (a.kind) {
      case Action::Kind::kCreateReplicaSet:
        r = deps_.client->create(res::kReplicaSets, ns, a.body);
        if (!r && r.status().code() == Code::kAlreadyExists) r = json();
        break;
      case Action::Kind::kScaleReplicaSet:
        r = deps_.client->patch(res::kReplicaSets, ns, a.name, kube::PatchType::kMerge,
                                {{"spec", {{"replicas", a.replicas}}}});
        break;
      case Action::Kind::kAnnotateReplicaSet:
        r = deps_.client->patch(res::kReplicaSets, ns, a.name, kube::PatchType::kMerge,
                                {{"metadata", {{"annotations", a.body}}}});
        break;
      case Action::Kind::kCreateAnalysisRun:
        if (Status s = createAnalysisRun(ctx, a); !s) {
          if (s.code() != Code::kInvalid && s.code() != Code::kNotFound &&
              s.code() != Code::kBadRequest) {
            out.status = s;
            return out;
          }
          // A missing template or a bad argument ends the analysis (and the experiment).
          const std::string analysis = a.body.value("analysisName", "");
          setAnalysisError(ctx.newStatus, analysis,
                           format("Failed to create AnalysisRun for analysis '%s': %s",
                                  analysis.c_str(), s.message().c_str()));
        }
        break;
      case Action::Kind::kTerminateAnalysisRun:
        r = deps_.client->patch(res::kAnalysisRuns, ns, a.name, kube::PatchType::kMerge,
                                {{"spec", {{"terminate", true}}}});
        if (!r && r.status().code() == Code::kNotFound) r = json();
        break;
      case Action::Kind::kCreateService:
        if (Status s = createService(ctx, a); !s) {
          out.status = s;
          return out;
        }
        break;
      case Action::Kind::kDeleteService: {
        Status s = deps_.client->remove(res::kServices, ns, a.name);
        if (!s && s.code() != Code::kNotFound) {
          out.status = s;
          return out;
        }
        break;
      }
      default:
        break;
    }
    if (!r) {
      out.status = r.status();
      return out;
    }
  }
  const json new_status = kube::toJson(ctx.newStatus);
  if (new_status != cached->value("status", json::object()) || !cached->contains("status")) {
    json updated = *cached;
    updated["status"] = new_status;
    auto w = deps_.client->updateStatus(res::kExperiments, ns, updated);
    if (!w) {
      out.status = w.status();
      return out;
    }
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
