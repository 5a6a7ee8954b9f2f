// The `--simulate-workloads` embedded controllers (local mode has no kube-controller-manager and
// no kubelet): ReplicaSet -> Pods, Deployment -> ReplicaSets, Job -> Pod, plus a tiny "kubelet"
// that marks Pods Running and Ready after a delay. Works only through the Store interface.
//
// Pod template annotations understood:
//   vane.dev/simulate: never-ready        Pods stay Running but never Ready.
//   vane.dev/simulate-job: succeed|fail   (Jobs) the outcome after the delay; default succeed.
// Job Pods also follow their containers' `sh -c "sleep N && exit K"` commands, Jobs honour
// backoffLimit and activeDeadlineSeconds, and unpullable images fail with ErrImagePull
// (apiserver/pod_script.h).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "apiserver/store.h"

namespace vane::apiserver {

inline constexpr char kSimulateAnnotation[] = "vane.dev/simulate";
inline constexpr char kSimulateNeverReady[] = "never-ready";
inline constexpr char kSimulateJobAnnotation[] = "vane.dev/simulate-job";

class WorkloadSimulator {
 public:
  struct Options {
    /// Time from Pod creation to Running+Ready (and from Job Pod creation to the Job's outcome).
    std::chrono::milliseconds pod_ready_delay{1000};
    /// Images that cannot be pulled besides names starting "nonexistent-image" (pod_script.h):
    /// their Pods stay Pending, waiting on ErrImagePull.
    std::vector<std::string> unpullable_images;
  };

  WorkloadSimulator(Store& store, Options options);
  ~WorkloadSimulator();  // stops
  WorkloadSimulator(const WorkloadSimulator&) = delete;
  WorkloadSimulator& operator=(const WorkloadSimulator&) = delete;

  /// Registers the store watch, reconciles everything already stored, and starts the worker
  /// thread. Idempotent. Errors: the watch registration's Status.
  Status start();
  /// Cancels the watch and joins the worker thread. Idempotent; also called by the destructor.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vane::apiserver
