#include "controller/rollout_controller.h"

#include <array>
#include <iostream>

#include "analysis/analysis_run.h"
#include "controller/conditions.h"
#include "controller/metrics.h"
#include "kube/kubeconfig.h"

namespace vane::controller {

using nlohmann::json;
namespace res = kube::resources;

namespace {
std::string keyOf(const json& obj) {
  const json& m = obj.value("metadata", json::object());
  return m.value("namespace", "") + "/" + m.value("name", "");
}
std::string label(const json& obj, const std::string& key) {
  auto p = json::json_pointer("/metadata/labels/" + key);
  return obj.contains(p) && obj.at(p).is_string() ? obj.at(p).get<std::string>() : "";
}
}  // namespace

RolloutController::RolloutController(kube::Client& client, ControllerOptions options,
                                     kube::EventRecorder* events,
                                     const trafficrouting::RouterRegistry* routers,
                                     analysis::ProviderRegistry* providers)
    : client_(client), options_(std::move(options)), providers_(providers) {
  kube::InformerOptions io;
  io.namespace_ = options_.namespace_;
  io.resync = options_.resync;
  io.transform = [](json& o) {
    if (o.contains("metadata") && o["metadata"].is_object()) o["metadata"].erase("managedFields");
  };
  rollouts_ = kube::Informer::create(client_, res::kRollouts, io);
  replicaSets_ = kube::Informer::create(client_, res::kReplicaSets, io);
  services_ = kube::Informer::create(client_, res::kServices, io);
  analysisRuns_ = kube::Informer::create(client_, res::kAnalysisRuns, io);
  // Pods only for the restarter (by owner ReplicaSet); no handlers: ReplicaSet status changes
  // and the restarter's 30 s requeue drive it, as in Argo.
  pods_ = kube::Informer::create(client_, res::kPods, io);
  kube::WorkQueueOptions qo;
  qo.base_delay = std::chrono::milliseconds(5);
  qo.max_delay = std::chrono::milliseconds(10000);  // Argo: 1 ms .. 10 s
  queue_ = kube::WorkQueue::create(qo);
  arQueue_ = kube::WorkQueue::create(qo);
  ReconcilerDeps deps;
  deps.client = &client_;
  deps.rollouts = rollouts_.get();
  deps.replicaSets = replicaSets_.get();
  deps.services = services_.get();
  deps.analysisRuns = analysisRuns_.get();
  deps.pods = pods_.get();
  deps.events = events;
  deps.routers = routers;
  deps.istioApiVersion = options_.istioApiVersion;
  deps.observer = options_.observer;
  reconciler_ = std::make_unique<Reconciler>(std::move(deps));

  rollouts_->addHandlers(
      {[this](const kube::ObjectPtr& o) { enqueueRollout(o); },
       [this](const kube::ObjectPtr&, const kube::ObjectPtr& n) { enqueueRollout(n); },
       [this](const kube::ObjectPtr& o) { enqueueRollout(o); }});
  auto owner = [this](const kube::ObjectPtr& o) { enqueueOwner(o); };
  replicaSets_->addHandlers(
      {owner, [owner](const kube::ObjectPtr&, const kube::ObjectPtr& n) { owner(n); }, owner});
  auto svc = [this](const kube::ObjectPtr& o) { enqueueForService(o); };
  services_->addHandlers(
      {svc, [svc](const kube::ObjectPtr&, const kube::ObjectPtr& n) { svc(n); }, svc});
  auto ar = [this](const kube::ObjectPtr& o) {
    enqueueOwner(o);
    enqueueAnalysisRun(o);
  };
  analysisRuns_->addHandlers(
      {ar, [ar](const kube::ObjectPtr&, const kube::ObjectPtr& n) { ar(n); }, ar});
  if (options_.abortLatency) {
    // Timed from the caches: the abort seen, then the Service and the status write seen.
    abortLatency_ = std::make_unique<AbortLatencyTracker>(options_.abortLatency);
    auto services = [this](const std::string& ns, const std::string& n) {
      return services_->get(ns, n);
    };
    rollouts_->addHandlers({nullptr,
                            [this, services](const kube::ObjectPtr& o, const kube::ObjectPtr& n) {
                              if (o && n) abortLatency_->rolloutChanged(*o, *n, services);
                            },
                            [this](const kube::ObjectPtr& o) {
                              if (o) abortLatency_->rolloutDeleted(*o);
                            }});
    auto changed = [this](const kube::ObjectPtr& s) {
      if (!s) return;
      const std::string ns = s->at("metadata").value("namespace", "");
      abortLatency_->serviceChanged(*s, [this, ns] { return rollouts_->list(ns); });
    };
    services_->addHandlers(
        {changed, [changed](const kube::ObjectPtr&, const kube::ObjectPtr& n) { changed(n); },
         nullptr});
  }
}

RolloutController::~RolloutController() { stop(); }

bool RolloutController::ownedByInstance(const json& obj) const {
  return label(obj, kLabelInstanceId) == options_.instanceId;
}

void RolloutController::enqueueRollout(const kube::ObjectPtr& obj) {
  if (obj && ownedByInstance(*obj)) queue_->add(keyOf(*obj));
}

void RolloutController::enqueueOwner(const kube::ObjectPtr& obj) {
  if (!obj) return;
  auto p = json::json_pointer("/metadata/ownerReferences");
  if (!obj->contains(p) || !obj->at(p).is_array()) return;
  for (const auto& ref : obj->at(p)) {
    if (ref.value("kind", "") == "Rollout" && ref.value("controller", false)) {
      queue_->add(obj->at("metadata").value("namespace", "") + "/" + ref.value("name", ""));
    }
  }
}

void RolloutController::enqueueForService(const kube::ObjectPtr& svc) {
  if (!svc) return;
  const std::string ns = svc->at("metadata").value("namespace", "");
  const std::string name = svc->at("metadata").value("name", "");
  static const std::pair<const char*, std::array<const char*, 2>> kRefs[] = {
      {"/spec/strategy/canary", {"canaryService", "stableService"}},
      {"/spec/strategy/blueGreen", {"activeService", "previewService"}}};
  for (const auto& ro : rollouts_->list(ns)) {
    for (const auto& [path, fields] : kRefs) {
      auto p = json::json_pointer(path);
      if (!ro->contains(p) || !ro->at(p).is_object()) continue;
      const json& s = ro->at(p);
      if (s.value(fields[0], "") == name || s.value(fields[1], "") == name) enqueueRollout(ro);
    }
  }
}

void RolloutController::enqueueAnalysisRun(const kube::ObjectPtr& obj) {
  if (obj && ownedByInstance(*obj)) arQueue_->add(keyOf(*obj));
}

Status RolloutController::start(std::chrono::milliseconds sync_timeout) {
  for (auto* inf :
       {rollouts_.get(), replicaSets_.get(), services_.get(), analysisRuns_.get(), pods_.get()}) {
    inf->start();
  }
  for (auto* inf :
       {rollouts_.get(), replicaSets_.get(), services_.get(), analysisRuns_.get(), pods_.get()}) {
    if (!inf->waitForSync(sync_timeout)) {
      return Status(Code::kTimeout, "informer for " + inf->resource().resource + " did not sync");
    }
  }
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    threads_.emplace_back([this] { rolloutWorker(); });
  }
  if (providers_ != nullptr) {
    for (int i = 0; i < std::max(1, options_.analysisWorkers); ++i) {
      threads_.emplace_back([this] { analysisWorker(); });
    }
  }
  ready_ = true;
  return Status::ok();
}

void RolloutController::stop() {
  if (stopped_.exchange(true)) return;
  ready_ = false;
  queue_->shutdown();
  arQueue_->shutdown();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  for (auto* inf :
       {rollouts_.get(), replicaSets_.get(), services_.get(), analysisRuns_.get(), pods_.get()}) {
    inf->stop();
  }
}

void RolloutController::rolloutWorker() {
  while (auto key = queue_->get()) {
    ReconcileResult r = reconciler_->reconcile(*key);
    if (!r.status) {
      std::cerr << "reconcile " << *key << ": " << r.status.toString() << "\n";
      queue_->addRateLimited(*key);
    } else {
      queue_->forget(*key);
      if (r.requeueAfter) {
        queue_->addAfter(*key,
                         std::chrono::duration_cast<std::chrono::milliseconds>(*r.requeueAfter));
      }
    }
    queue_->done(*key);
  }
}

void RolloutController::analysisWorker() {
  while (auto key = arQueue_->get()) {
    reconcileAnalysisRun(*key);
    arQueue_->done(*key);
  }
}

void RolloutController::reconcileAnalysisRun(const std::string& key) {
  auto slash = key.find('/');
  kube::ObjectPtr run = analysisRuns_->get(key.substr(0, slash), key.substr(slash + 1));
  if (!run) return;
  const std::string ns = key.substr(0, slash);
  analysis::ReconcileOptions opts;
  opts.secrets = [this](const std::string& n, const std::string& name,
                        const std::string& k) -> Result<std::string> {
    auto s = client_.get(res::kSecrets, n, name);
    if (!s) return s.status();
    auto p = json::json_pointer("/data/" + k);
    if (!s->contains(p))
      return Status(Code::kNotFound, "key " + k + " not found in secret " + name);
    return kube::base64Decode(s->at(p).get<std::string>());
  };
  auto out =
      analysis::reconcileAnalysisRun(*run, std::chrono::system_clock::now(), *providers_, opts);
  if (out.changed) {
    json updated = *run;
    updated["status"] = out.status;
    auto w = client_.updateStatus(res::kAnalysisRuns, ns, updated);
    if (!w) {
      arQueue_->addRateLimited(key);
      return;
    }
  }
  arQueue_->forget(key);
  if (out.requeue_after) arQueue_->addAfter(key, *out.requeue_after);
}

}  // namespace vane::controller
