#include "controller/rollout_controller.h"

#include <algorithm>
#include <iostream>

#include "analysis/analysis_run.h"
#include "base/log.h"
#include "controller/conditions.h"
#include "controller/experiment.h"
#include "controller/metrics.h"
#include "controller/rollout_refs.h"
#include "kube/kubeconfig.h"

namespace vane::controller {

using nlohmann::json;
namespace res = kube::resources;

namespace {
std::string keyOf(const json& obj) {
  const json& m = obj.value("metadata", json::object());
  return m.value("namespace", "") + "/" + m.value("name", "");
}
// A label by its key, which may hold '/' (not usable in a JSON pointer as it is).
std::string label(const json& obj, const std::string& key) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return "";
  auto labels = meta->find("labels");
  if (labels == meta->end() || !labels->is_object()) return "";
  auto v = labels->find(key);
  return v != labels->end() && v->is_string() ? v->get<std::string>() : "";
}
// Argo templateref.go refKey: <apiVersion>/<kind>/<namespace>/<name>.
constexpr const char* kIndexWorkloadRef = "byTemplateRef";
std::string refKey(const std::string& api_version, const std::string& kind, const std::string& ns,
                   const std::string& name) {
  return api_version + "/" + kind + "/" + ns + "/" + name;
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
  io.transform = kube::stripManagedFields;  // and last-applied-configuration (status-only PUTs)
  // Rollouts, AnalysisRuns and Experiments are filtered by the server on the instance-id label
  // (Argo's instanceID requirement): with --instance-id X only those labelled X, without it only
  // those without the label. Objects of other instances are never cached.
  kube::InformerOptions owned = io;
  owned.label_selector = options_.instanceId.empty()
                             ? std::string("!") + kLabelInstanceId
                             : std::string(kLabelInstanceId) + "=" + options_.instanceId;
  rollouts_ = kube::Informer::create(client_, res::kRollouts, owned);
  replicaSets_ = kube::Informer::create(client_, res::kReplicaSets, io);
  services_ = kube::Informer::create(client_, res::kServices, io);
  analysisRuns_ = kube::Informer::create(client_, res::kAnalysisRuns, owned);
  // Pods only for the restarter (by owner ReplicaSet); no handlers: ReplicaSet status changes
  // and the restarter's 30 s requeue drive it, as in Argo.
  pods_ = kube::Informer::create(client_, res::kPods, io);
  // Deployments named by spec.workloadRef: their template is read from this cache, and a change
  // re-triggers the Rollouts that reference them (Argo's informer per workload kind).
  deployments_ = kube::Informer::create(client_, res::kDeployments, io);
  rollouts_->addIndex(kIndexWorkloadRef, [](const json& ro) -> std::vector<std::string> {
    auto p = json::json_pointer("/spec/workloadRef");
    if (!ro.contains(p) || !ro.at(p).is_object()) return {};
    const json& ref = ro.at(p);
    return {refKey(ref.value("apiVersion", ""), ref.value("kind", ""),
                   ro["metadata"].value("namespace", ""), ref.value("name", ""))};
  });
  rollouts_->addIndex(kIndexService, rolloutServiceKeys);
  rollouts_->addIndex(kIndexVirtualService, rolloutVirtualServiceKeys);
  rollouts_->addIndex(kIndexDestinationRule, rolloutDestinationRuleKeys);
  // Argo's IstioController: a change of a VirtualService or DestinationRule (a manual edit of the
  // weights, say) re-queues the Rollouts that name it. Started only where served (start()).
  virtualServices_ =
      kube::Informer::create(client_, res::virtualServices(options_.istioApiVersion), io);
  destinationRules_ =
      kube::Informer::create(client_, res::destinationRules(options_.istioApiVersion), io);
  kube::WorkQueueOptions qo;
  qo.base_delay = std::chrono::milliseconds(5);
  qo.max_delay = std::chrono::milliseconds(10000);  // Argo: 1 ms .. 10 s
  queue_ = kube::WorkQueue::create(qo);
  arQueue_ = kube::WorkQueue::create(qo);
  svcQueue_ = kube::WorkQueue::create(qo);
  drQueue_ = kube::WorkQueue::create(qo);
  // Experiments (the canary experiment step, or standalone): their own queue and reconciler;
  // a change re-queues the owning Rollout, and a change of what they own re-queues them.
  experiments_ = kube::Informer::create(client_, res::kExperiments, owned);
  exQueue_ = kube::WorkQueue::create(qo);
  ExperimentReconcilerDeps ex_deps;
  ex_deps.client = &client_;
  ex_deps.experiments = experiments_.get();
  ex_deps.replicaSets = replicaSets_.get();
  ex_deps.analysisRuns = analysisRuns_.get();
  ex_deps.services = services_.get();
  ex_deps.events = events;
  experimentReconciler_ = std::make_unique<ExperimentReconciler>(std::move(ex_deps));
  auto ex = [this](const kube::ObjectPtr& o) {
    enqueueOwner(o);
    if (o && ownedByInstance(*o)) exQueue_->add(keyOf(*o));
  };
  experiments_->addHandlers(
      {ex, [ex](const kube::ObjectPtr&, const kube::ObjectPtr& n) { ex(n); }, ex});
  auto ex_owner = [this](const kube::ObjectPtr& o) { enqueueExperimentOwner(o); };
  // Template Services too: one deleted by hand is made again at once (Argo watches them).
  for (auto* inf : {replicaSets_.get(), analysisRuns_.get(), services_.get()}) {
    inf->addHandlers({ex_owner,
                      [ex_owner](const kube::ObjectPtr&, const kube::ObjectPtr& n) { ex_owner(n); },
                      ex_owner});
  }
  ReconcilerDeps deps;
  deps.client = &client_;
  deps.rollouts = rollouts_.get();
  deps.replicaSets = replicaSets_.get();
  deps.services = services_.get();
  deps.abortDecided = [this](const std::string& key) {
    if (abortLatency_) abortLatency_->abortDecided(key);
  };
  deps.analysisRuns = analysisRuns_.get();
  deps.experiments = experiments_.get();
  deps.pods = pods_.get();
  deps.deployments = deployments_.get();
  deps.events = events;
  deps.routers = routers;
  deps.istioApiVersion = options_.istioApiVersion;
  deps.observer = options_.observer;
  deps.rolloutFinished = options_.rolloutFinished;
  reconciler_ = std::make_unique<Reconciler>(std::move(deps));

  rollouts_->addHandlers({[this](const kube::ObjectPtr& o) { enqueueRollout(o); },
                          [this](const kube::ObjectPtr& o, const kube::ObjectPtr& n) {
                            enqueueReleased(o, n);
                            enqueueRollout(n);
                          },
                          [this](const kube::ObjectPtr& o) {
                            enqueueReleased(o, nullptr);
                            enqueueRollout(o);
                          }});
  auto owner = [this](const kube::ObjectPtr& o) { enqueueOwner(o); };
  replicaSets_->addHandlers(
      {owner, [owner](const kube::ObjectPtr&, const kube::ObjectPtr& n) { owner(n); }, owner});
  auto svc = [this](const kube::ObjectPtr& o) {
    enqueueForService(o);
    if (o) svcQueue_->add(keyOf(*o));
  };
  services_->addHandlers(
      {svc, [svc](const kube::ObjectPtr&, const kube::ObjectPtr& n) { svc(n); }, svc});
  auto vs = [this](const kube::ObjectPtr& o) { enqueueByIndex(kIndexVirtualService, o); };
  virtualServices_->addHandlers(
      {vs, [vs](const kube::ObjectPtr&, const kube::ObjectPtr& n) { vs(n); }, vs});
  // Argo sends DestinationRule events through its own queue (syncDestinationRule), which
  // re-queues the managing Rollout or, when none names the rule any more, cleans it.
  auto dr = [this](const kube::ObjectPtr& o) {
    enqueueByIndex(kIndexDestinationRule, o);
    if (o) drQueue_->addRateLimited(keyOf(*o));
  };
  destinationRules_->addHandlers(
      {dr, [dr](const kube::ObjectPtr&, const kube::ObjectPtr& n) { dr(n); }, dr});
  auto workload = [this](const kube::ObjectPtr& o) { enqueueForWorkload(o); };
  deployments_->addHandlers(
      {workload, [workload](const kube::ObjectPtr&, const kube::ObjectPtr& n) { workload(n); },
       workload});
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
  enqueueByIndex(kIndexService, svc);
}

// The Rollouts whose index (kIndexService, kIndexVirtualService, ...) names obj.
void RolloutController::enqueueByIndex(const char* index, const kube::ObjectPtr& obj) {
  if (!obj) return;
  for (const auto& ro : rollouts_->byIndex(index, keyOf(*obj))) enqueueRollout(ro);
}

// Argo rollout/controller.go: the Services and DestinationRules a Rollout stopped naming (all of
// them when it is deleted) go to their release loops, which clean them if no Rollout names them
// any more.
void RolloutController::enqueueReleased(const kube::ObjectPtr& old_ro,
                                        const kube::ObjectPtr& new_ro) {
  if (!old_ro) return;
  using KeysFn = std::vector<std::string> (*)(const json&);
  for (auto [keys_of, queue] :
       {std::pair<KeysFn, kube::WorkQueue*>{rolloutServiceKeys, svcQueue_.get()},
        {rolloutDestinationRuleKeys, drQueue_.get()}}) {
    std::vector<std::string> keys = keys_of(*old_ro);
    if (new_ro) keys = removedKeys(keys, keys_of(*new_ro));
    for (const auto& key : keys) queue->addRateLimited(key);
  }
}

void RolloutController::enqueueForWorkload(const kube::ObjectPtr& workload) {
  if (!workload) return;
  const json& m = workload->at("metadata");
  // List items carry no apiVersion/kind: this informer only holds apps/v1 Deployments.
  const std::string key =
      refKey("apps/v1", "Deployment", m.value("namespace", ""), m.value("name", ""));
  for (const auto& ro : rollouts_->byIndex(kIndexWorkloadRef, key)) enqueueRollout(ro);
}

void RolloutController::enqueueExperimentOwner(const kube::ObjectPtr& obj) {
  if (!obj) return;
  auto p = json::json_pointer("/metadata/ownerReferences");
  if (!obj->contains(p) || !obj->at(p).is_array()) return;
  for (const auto& ref : obj->at(p)) {
    if (ref.value("kind", "") == "Experiment" && ref.value("controller", false)) {
      exQueue_->add(obj->at("metadata").value("namespace", "") + "/" + ref.value("name", ""));
    }
  }
}

void RolloutController::experimentWorker() {
  while (auto key = exQueue_->get()) {
    ExperimentResult r = experimentReconciler_->reconcile(*key);
    if (!r.status) {
      log::error("reconciling an Experiment failed",
                 {{"experiment", *key}, {"error", r.status.toString()}});
      exQueue_->addRateLimited(*key);
    } else {
      exQueue_->forget(*key);
      if (r.requeueAfter) {
        exQueue_->addAfter(*key,
                           std::chrono::duration_cast<std::chrono::milliseconds>(*r.requeueAfter));
      }
    }
    exQueue_->done(*key);
  }
}

void RolloutController::enqueueAnalysisRun(const kube::ObjectPtr& obj) {
  if (obj && ownedByInstance(*obj)) arQueue_->add(keyOf(*obj));
}

Status RolloutController::start(std::chrono::milliseconds sync_timeout) {
  // Experiments only where their CRD is served (tests and clusters without it keep working;
  // an experiment step then fails to create its Experiment and retries).
  kube::ListOptions probe;
  probe.limit = 1;
  experimentsServed_ = client_.list(res::kExperiments, options_.namespace_, probe).ok();
  if (!experimentsServed_) {
    log::warn("experiments.argoproj.io is not served: Experiments are not reconciled");
  }
  started_ = {rollouts_.get(),     replicaSets_.get(), services_.get(),
              analysisRuns_.get(), pods_.get(),        deployments_.get()};
  if (experimentsServed_) started_.push_back(experiments_.get());
  // Istio's objects likewise (Argo DoesIstioExist: a list of one VirtualService); without them
  // the routers still read and write them directly, only edits are not noticed until Istio is
  // detected later (probeIstio).
  bool istio_served = false;
  for (auto* inf : {virtualServices_.get(), destinationRules_.get()}) {
    if (client_.list(inf->resource(), options_.namespace_, probe).ok()) {
      started_.push_back(inf);
      istio_served = true;
    } else {
      log::info(inf->resource().resource + "." + inf->resource().group + "/" +
                inf->resource().version + " is not served: changes to them are not watched");
    }
  }
  for (auto* inf : started_) inf->start();
  for (auto* inf : started_) {
    if (!inf->waitForSync(sync_timeout)) {
      return Status(Code::kTimeout, "informer for " + inf->resource().resource + " did not sync");
    }
  }
  if (experimentsServed_) threads_.emplace_back([this] { experimentWorker(); });
  threads_.emplace_back([this] { releaseWorker(*svcQueue_, &RolloutController::syncService); });
  threads_.emplace_back(
      [this] { releaseWorker(*drQueue_, &RolloutController::syncDestinationRule); });
  if (!istio_served) istioProbe_ = std::thread([this] { probeIstio(); });
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

// Argo IstioController.Run: without Istio at start, look again every 10 minutes and start the
// informers once it is installed, so that the install order does not matter.
void RolloutController::probeIstio() {
  kube::ListOptions probe;
  probe.limit = 1;
  std::unique_lock lock(istioMu_);
  while (
      !istioCv_.wait_for(lock, options_.istioProbeInterval, [this] { return stopped_.load(); })) {
    lock.unlock();
    std::vector<kube::Informer*> served;
    for (auto* inf : {virtualServices_.get(), destinationRules_.get()}) {
      if (client_.list(inf->resource(), options_.namespace_, probe).ok()) served.push_back(inf);
    }
    lock.lock();
    if (stopped_ || served.empty()) continue;
    log::info("Istio install detected: watching VirtualServices and DestinationRules");
    for (auto* inf : served) {
      inf->start();
      started_.push_back(inf);
    }
    return;
  }
}

void RolloutController::stop() {
  if (stopped_.exchange(true)) return;
  ready_ = false;
  {
    std::lock_guard lock(istioMu_);  // the prober checks stopped_ under it: no lost wake-up
  }
  istioCv_.notify_all();
  if (istioProbe_.joinable()) istioProbe_.join();
  queue_->shutdown();
  arQueue_->shutdown();
  exQueue_->shutdown();
  svcQueue_->shutdown();
  drQueue_->shutdown();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  for (auto* inf : started_) inf->stop();
}

void RolloutController::rolloutWorker() {
  while (auto key = queue_->get()) {
    ReconcileResult r = reconciler_->reconcile(*key);
    if (!r.status) {
      const auto slash = key->find('/');
      log::error("reconciling a Rollout failed", {{"namespace", key->substr(0, slash)},
                                                  {"rollout", key->substr(slash + 1)},
                                                  {"error", r.status.toString()}});
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
  // spec.ttlStrategy: a completed run goes once its time to live has passed.
  json current = *run;
  current["status"] = out.status;
  auto expiry = analysis::ttlExpiry(current);
  if (!expiry) {
    log::error("reading an AnalysisRun's ttlStrategy failed",
               {{"analysisrun", key}, {"error", expiry.status().toString()}});
  } else if (*expiry) {
    const auto now = std::chrono::system_clock::now();
    if (now < **expiry) {
      arQueue_->addAfter(key, std::chrono::ceil<std::chrono::milliseconds>(**expiry - now));
    } else if (Status d = client_.remove(res::kAnalysisRuns, ns, key.substr(slash + 1));
               !d && d.code() != Code::kNotFound) {
      arQueue_->addRateLimited(key);
    }
  }
}

}  // namespace vane::controller
