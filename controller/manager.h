// The controller manager (Argo controller/controller.go Manager): owns the shared informers and
// wires the loops, each in its own file: Rollouts (rollout_controller.h), Experiments
// (experiment_controller.h), AnalysisRuns (analysisrun_controller.h) and the release of Services
// and DestinationRules no Rollout names any more (release_controller.h). start() starts the
// informers of the kinds the cluster serves, waits for their first sync, then the workers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "controller/informers.h"
#include "controller/reconciler.h"
#include "kube/controller_runtime.h"

namespace vane::analysis {
class ProviderRegistry;
}

namespace vane::controller {

class AbortLatencyTracker;
class AnalysisRunController;
class ExperimentController;
class ReleaseController;
class RolloutController;

class Manager {
 public:
  /// Without providers AnalysisRuns are not reconciled (another process measures them).
  Manager(kube::Client& client, ControllerOptions options, kube::EventRecorder* events = nullptr,
          const trafficrouting::RouterRegistry* routers = nullptr,
          analysis::ProviderRegistry* providers = nullptr);
  ~Manager();
  /// Starts the informers, waits for their first sync (up to timeout), then starts workers.
  Status start(std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  /// Stops workers and informers; idempotent.
  void stop();
  /// Informers synced and workers running.
  bool ready() const { return ready_.load(); }
  Reconciler& reconciler();
  /// The caches, read-only (metrics collect per-object state from them at scrape time).
  const kube::Informer& rolloutInformer() const { return *informers_.rollouts; }
  const kube::Informer& analysisRunInformer() const { return *informers_.analysisRuns; }

 private:
  void trackAbortLatency();
  bool served(const kube::Informer& informer) const;
  void probeIstio();

  kube::Client& client_;
  ControllerOptions options_;
  SharedInformers informers_;
  std::unique_ptr<AbortLatencyTracker> abortLatency_;
  std::unique_ptr<RolloutController> rollouts_;
  std::unique_ptr<ExperimentController> experiments_;
  std::unique_ptr<AnalysisRunController> analysisRuns_;  // null without providers
  std::unique_ptr<ReleaseController> release_;
  kube::WorkerGroup workers_;
  std::vector<kube::Informer*> started_;  // every informer started (under istioMu_ once running)
  std::thread istioProbe_;
  std::mutex istioMu_;
  std::condition_variable istioCv_;
  std::atomic<bool> ready_{false}, stopped_{false};
};

}  // namespace vane::controller
