// A gtest fixture for controller scenarios: a real vane-apiserver --simulate-workloads (pods
// Ready after ~1 s) with the CRDs applied, manifests applied with real kubectl, and the Rollout
// controller (with the job metric provider and the Istio router) running in-process against it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "analysis/provider.h"
#include "controller/manager.h"
#include "controller/metrics.h"
#include "kube/client.h"
#include "kube/events.h"
#include "support/process.h"
#include "trafficrouting/router.h"

namespace vane::testing {

/// Whether ro's status was computed for its current spec (status.observedGeneration is the
/// string of metadata.generation, as Argo writes it).
inline bool statusIsCurrent(const nlohmann::json& ro) {
  return ro.value("status", nlohmann::json::object()).value("observedGeneration", "") ==
         std::to_string(ro["metadata"].value("generation", 0));
}

class ControllerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  /// Starts (or stops and starts again) the in-process controller, as a restarted process would;
  /// instance_id as --instance-id.
  void startController(const std::string& instance_id = "");
  void kubectlOk(const std::string& args);
  /// Writes yaml to a file of its own and `kubectl apply -f`s it.
  void applyYaml(const std::string& yaml);
  /// A merge patch of the Rollout's status subresource, as kubectl-argo-rollouts sends it.
  void patchStatus(const std::string& name, const std::string& json_patch);
  /// Promote as the plugin does: clear status.pauseConditions.
  void promote(const std::string& name = "web");

  nlohmann::json get(const kube::Resource& resource, const std::string& name);
  nlohmann::json rollout(const std::string& name = "web") {
    return get(kube::resources::kRollouts, name);
  }
  /// status.<field> as a string ("" when absent; non-strings dumped as JSON).
  std::string status(const std::string& field, const std::string& name = "web");
  /// The rollouts-pod-template-hash selector of a Service.
  std::string serviceHash(const std::string& service);
  /// {hash -> spec.replicas} of the ReplicaSets in the namespace.
  std::map<std::string, int> counts();
  /// The rollout's status and the ReplicaSet counts, for failure messages.
  std::string describe(const std::string& name = "web");

  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::EventRecorder> events_;
  analysis::ProviderRegistry providers_;    // job (simulated Jobs: vane.dev/simulate-job)
  trafficrouting::RouterRegistry routers_;  // Istio (apply its CRDs to use it)
  /// The controller's metrics as vane-controller wires them (finished updates); kept across
  /// startController(). metrics_.serve().body is what GET /metrics returns. Declared
  /// before controller_ so that it outlives the controller.
  controller::ControllerMetrics metrics_;
  std::unique_ptr<controller::Manager> controller_;
  std::string dir_;
  int files_ = 0;
};

}  // namespace vane::testing
