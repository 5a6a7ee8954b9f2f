#include "controller/manager.h"

#include "base/log.h"
#include "controller/analysisrun_controller.h"
#include "controller/experiment_controller.h"
#include "controller/metrics.h"
#include "controller/release_controller.h"
#include "controller/rollout_controller.h"

namespace vane::controller {

Manager::Manager(kube::Client& client, ControllerOptions options, kube::EventRecorder* events,
                 const trafficrouting::RouterRegistry* routers,
                 analysis::ProviderRegistry* providers)
    : client_(client), options_(std::move(options)), informers_(client_, options_) {
  if (options_.abortLatency) {
    abortLatency_ = std::make_unique<AbortLatencyTracker>(options_.abortLatency);
  }
  rollouts_ = std::make_unique<RolloutController>(client_, informers_, options_, events, routers,
                                                  [this](const std::string& key) {
                                                    if (abortLatency_)
                                                      abortLatency_->abortDecided(key);
                                                  });
  experiments_ = std::make_unique<ExperimentController>(client_, informers_, options_, events);
  if (providers != nullptr) {
    analysisRuns_ =
        std::make_unique<AnalysisRunController>(client_, informers_, options_, *providers);
  }
  release_ = std::make_unique<ReleaseController>(client_, informers_, *rollouts_);
  if (abortLatency_) trackAbortLatency();
}

Manager::~Manager() { stop(); }

Reconciler& Manager::reconciler() { return rollouts_->reconciler(); }

// vane_abort_latency_seconds, timed from the caches: the abort seen, then the Service and the
// status write seen.
void Manager::trackAbortLatency() {
  auto services = [this](const std::string& ns, const std::string& n) {
    return informers_.services->get(ns, n);
  };
  informers_.rollouts->addHandlers(
      {nullptr,
       [this, services](const kube::ObjectPtr& o, const kube::ObjectPtr& n) {
         if (o && n) abortLatency_->rolloutChanged(*o, *n, services);
       },
       [this](const kube::ObjectPtr& o) {
         if (o) abortLatency_->rolloutDeleted(*o);
       }});
  auto changed = [this](const kube::ObjectPtr& s) {
    if (!s) return;
    const std::string ns = s->at("metadata").value("namespace", "");
    abortLatency_->serviceChanged(*s, [this, ns] { return informers_.rollouts->list(ns); });
  };
  informers_.services->addHandlers(
      {changed, [changed](const kube::ObjectPtr&, const kube::ObjectPtr& n) { changed(n); },
       nullptr});
}

// Argo DoesIstioExist and the Experiment CRD check: a list of one object.
bool Manager::served(const kube::Informer& informer) const {
  kube::ListOptions probe;
  probe.limit = 1;
  return client_.list(informer.resource(), options_.namespace_, probe).ok();
}

Status Manager::start(std::chrono::milliseconds sync_timeout) {
  // Deployments start with the first Rollout that names one (RolloutController).
  started_ = {informers_.rollouts.get(), informers_.replicaSets.get(), informers_.services.get(),
              informers_.analysisRuns.get(), informers_.pods.get()};
  // Experiments only where their CRD is served (tests and clusters without it keep working; an
  // experiment step then fails to create its Experiment and retries).
  const bool experiments_served = served(*informers_.experiments);
  if (experiments_served) {
    started_.push_back(informers_.experiments.get());
  } else {
    log::warn("experiments.argoproj.io is not served: Experiments are not reconciled");
  }
  // Istio's objects likewise; without them the routers still read and write them directly, only
  // edits are not noticed until Istio is detected later (probeIstio).
  bool istio_served = false;
  for (auto* inf : {informers_.virtualServices.get(), informers_.destinationRules.get()}) {
    if (served(*inf)) {
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
  if (experiments_served) experiments_->start(workers_);
  release_->start(workers_);
  if (!istio_served) istioProbe_ = std::thread([this] { probeIstio(); });
  rollouts_->start(workers_, options_.workers);
  if (analysisRuns_) analysisRuns_->start(workers_, options_.analysisWorkers);
  ready_ = true;
  return Status::ok();
}

// Argo IstioController.Run: without Istio at start, look again every 10 minutes and start the
// informers once it is installed, so that the install order does not matter.
void Manager::probeIstio() {
  std::unique_lock lock(istioMu_);
  while (
      !istioCv_.wait_for(lock, options_.istioProbeInterval, [this] { return stopped_.load(); })) {
    lock.unlock();
    std::vector<kube::Informer*> found;
    for (auto* inf : {informers_.virtualServices.get(), informers_.destinationRules.get()}) {
      if (served(*inf)) found.push_back(inf);
    }
    lock.lock();
    if (stopped_ || found.empty()) continue;
    log::info("Istio install detected: watching VirtualServices and DestinationRules");
    for (auto* inf : found) {
      inf->start();
      started_.push_back(inf);
    }
    return;
  }
}

void Manager::stop() {
  if (stopped_.exchange(true)) return;
  ready_ = false;
  {
    std::lock_guard lock(istioMu_);  // the prober checks stopped_ under it: no lost wake-up
  }
  istioCv_.notify_all();
  if (istioProbe_.joinable()) istioProbe_.join();
  workers_.stop();
  for (auto* inf : started_) inf->stop();
  informers_.deployments->stop();  // started lazily, if at all; a no-op otherwise
}

}  // namespace vane::controller
