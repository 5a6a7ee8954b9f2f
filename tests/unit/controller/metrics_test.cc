#include "controller/metrics.h"

#include <gtest/gtest.h>

namespace vane::controller {
namespace {

using nlohmann::json;

std::shared_ptr<const json> ro(const std::string& name, int64_t gen, const std::string& observed,
                               const std::string& phase) {
  return std::make_shared<const json>(json{
      {"metadata", {{"name", name}, {"namespace", "shop"}, {"generation", gen}}},
      {"spec",
       {{"replicas", 5},
        {"strategy",
         {{"canary", {{"trafficRouting", {{"istio", {{"virtualService", {{"name", "vs"}}}}}}}}}}}}},
      {"status",
       {{"observedGeneration", observed},
        {"phase", phase},
        {"replicas", 6},
        {"availableReplicas", 4},
        {"updatedReplicas", 2}}}});
}

TEST(Metrics, ObservedPhaseTreatsStaleStatusAsProgressing) {
  EXPECT_EQ(observedRolloutPhase(*ro("a", 2, "2", "Healthy")), "Healthy");
  EXPECT_EQ(observedRolloutPhase(*ro("a", 3, "2", "Healthy")), "Progressing");
}

TEST(Metrics, RolloutInfoAndReplicaGauges) {
  auto fams = rolloutStateFamilies({ro("checkout", 1, "1", "Paused")});
  ASSERT_EQ(fams[0].name, "rollout_info");
  ASSERT_EQ(fams[0].metric.size(), 1u);
  std::map<std::string, std::string> labels;
  for (const auto& l : fams[0].metric[0].label) labels[l.name] = l.value;
  EXPECT_EQ(labels["phase"], "Paused");
  EXPECT_EQ(labels["strategy"], "canary");
  EXPECT_EQ(labels["traffic_router"], "Istio");
  EXPECT_EQ(fams[1].name, "rollout_phase");
  double paused = -1;
  for (const auto& m : fams[1].metric) {
    for (const auto& l : m.label) {
      if (l.name == "phase" && l.value == "Paused") paused = m.gauge.value;
    }
  }
  EXPECT_EQ(paused, 1);
  EXPECT_EQ(fams[3].name, "rollout_info_replicas_unavailable");
  EXPECT_EQ(fams[3].metric[0].gauge.value, 2);
}

TEST(Metrics, TextExpositionHasArgoNamesAndBoundedRequestLabels) {
  ControllerMetrics m;
  m.observeRequest("GET", "rollouts", 200);
  m.observeRolloutReconcile("shop", "checkout", 0.02, true);
  m.observeAbortLatency(0.3);
  m.addStateCollector(
      [] { return std::vector<std::shared_ptr<const json>>{ro("c", 1, "1", "Healthy")}; },
      [] { return std::vector<std::shared_ptr<const json>>{}; });
  std::string text = m.serve().body;
  EXPECT_NE(text.find("controller_clientset_k8s_request_total{kind=\"rollouts\",status_code="
                      "\"200\",verb=\"GET\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rollout_reconcile_error{name=\"checkout\",namespace=\"shop\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("vane_abort_latency_seconds_count 1"), std::string::npos);
  EXPECT_NE(text.find("rollout_info{"), std::string::npos);
}

}  // namespace
}  // namespace vane::controller
