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
  m.observeNotification("shop", "checkout", "Warning", "RolloutAborted", true, 0.02);
  m.observeNotification("shop", "checkout", "Warning", "RolloutAborted", false, 0.3);
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
  // Argo's notification metrics (controller/metrics/prommetrics.go), with its labels.
  EXPECT_NE(text.find("notification_send_success{name=\"checkout\",namespace=\"shop\",reason="
                      "\"RolloutAborted\",type=\"Warning\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("notification_send_error{name=\"checkout\",namespace=\"shop\",reason="
                      "\"RolloutAborted\",type=\"Warning\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("notification_send_count{name=\"checkout\",namespace=\"shop\"} 2"),
            std::string::npos);
}

// A mid-update canary: canary Service "web-canary" on the canary hash, weight 20 with a router.
json midUpdate(bool router) {
  json canary = {{"canaryService", "web-canary"}, {"stableService", "web-stable"}};
  if (router) canary["trafficRouting"] = {{"istio", {{"virtualService", {{"name", "vs"}}}}}};
  json ro = {{"metadata", {{"name", "web"}, {"namespace", "shop"}}},
             {"spec", {{"strategy", {{"canary", canary}}}}},
             {"status", {{"stableRS", "s1"}, {"currentPodHash", "c2"}, {"updatedReplicas", 1}}}};
  if (router) ro["status"]["canary"]["weights"]["canary"] = {{"weight", 20}};
  return ro;
}

json service(const std::string& hash) {
  return {{"metadata", {{"name", "web-canary"}, {"namespace", "shop"}}},
          {"spec", {{"selector", {{"app", "web"}, {"rollouts-pod-template-hash", hash}}}}}};
}

json withAbort(json ro) {
  ro["status"]["abort"] = true;
  return ro;
}

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  void advance(std::chrono::milliseconds d) { now += d; }
};

class AbortLatencyTest : public ::testing::Test {
 protected:
  AbortLatencyTest()
      : tracker_([this](double s) { observed_.push_back(s); }, [this] { return clock_.now; }) {}
  AbortLatencyTracker::ServiceGetter services() {
    return [this](const std::string&, const std::string&) {
      return std::make_shared<const json>(svc_);
    };
  }
  FakeClock clock_;
  std::vector<double> observed_;
  json svc_ = service("c2");
  AbortLatencyTracker tracker_;
};

TEST(AbortSettled, ServiceAndWeightBothOnStable) {
  json ro = withAbort(midUpdate(true));
  json stable = service("s1"), canary = service("c2");
  EXPECT_FALSE(abortSettled(ro, &stable));  // weight still 20
  ro["status"]["canary"]["weights"]["canary"]["weight"] = 0;
  EXPECT_FALSE(abortSettled(ro, &canary));
  EXPECT_FALSE(abortSettled(ro, nullptr));
  EXPECT_TRUE(abortSettled(ro, &stable));
  // Without a router or a canary Service, the canary pods must be gone.
  json basic = withAbort(midUpdate(false));
  basic["spec"]["strategy"]["canary"].erase("canaryService");
  EXPECT_FALSE(abortSettled(basic, nullptr));
  basic["status"]["updatedReplicas"] = 0;
  EXPECT_TRUE(abortSettled(basic, nullptr));
}

TEST(AbortSettled, BlueGreenActiveServiceBackOnStable) {
  json ro = withAbort(midUpdate(false));
  ro["spec"]["strategy"] = {{"blueGreen", {{"activeService", "web-active"}}}};
  EXPECT_EQ(abortService(ro), "web-active");
  json on_new = service("c2"), on_stable = service("s1");
  EXPECT_FALSE(abortSettled(ro, nullptr));
  EXPECT_FALSE(abortSettled(ro, &on_new));
  EXPECT_TRUE(abortSettled(ro, &on_stable));
}

TEST_F(AbortLatencyTest, FromAbortSeenToStatusWriteWithWeightZero) {
  json before = midUpdate(true);
  json hook = withAbort(before);  // what the alert hook writes
  tracker_.rolloutChanged(before, hook, services());
  EXPECT_EQ(tracker_.pending(), 1u);
  clock_.advance(std::chrono::milliseconds(30));
  svc_ = service("s1");  // the reconcile's Service patch, seen
  json written = hook;   // the reconcile's status write, seen
  written["status"]["canary"]["weights"]["canary"]["weight"] = 0;
  clock_.advance(std::chrono::milliseconds(5));
  tracker_.rolloutChanged(hook, written, services());
  ASSERT_EQ(observed_.size(), 1u);
  EXPECT_DOUBLE_EQ(observed_[0], 0.035);
  EXPECT_EQ(tracker_.pending(), 0u);
  // Later writes of the same abort observe nothing more.
  tracker_.rolloutChanged(written, written, services());
  EXPECT_EQ(observed_.size(), 1u);
}

// An abort the controller decides (analysis verdict) lands together with the rollback: timed
// from the decision, not ~0 s from the status write.
TEST_F(AbortLatencyTest, DecidedAbortTimedFromTheDecision) {
  json before = midUpdate(true);
  tracker_.abortDecided("shop/web");
  clock_.advance(std::chrono::milliseconds(20));
  json unrelated = before;  // an update seen before the abort's own write keeps the clock
  tracker_.rolloutChanged(before, unrelated, services());
  EXPECT_EQ(tracker_.pending(), 1u);
  svc_ = service("s1");
  json written = withAbort(before);
  written["status"]["canary"]["weights"]["canary"]["weight"] = 0;
  tracker_.rolloutChanged(before, written, services());
  ASSERT_EQ(observed_.size(), 1u);
  EXPECT_DOUBLE_EQ(observed_[0], 0.020);
}

TEST_F(AbortLatencyTest, ServicePatchSeenLastEndsTheWait) {
  json before = midUpdate(false);
  json aborted = withAbort(before);
  tracker_.rolloutChanged(before, aborted, services());
  clock_.advance(std::chrono::milliseconds(120));
  json other = service("s1");
  other["metadata"]["name"] = "unrelated";
  auto list = [&] {
    return std::vector<std::shared_ptr<const json>>{std::make_shared<json>(aborted)};
  };
  tracker_.serviceChanged(other, list);
  EXPECT_TRUE(observed_.empty());
  tracker_.serviceChanged(service("c2"), list);  // still on the canary
  EXPECT_TRUE(observed_.empty());
  tracker_.serviceChanged(service("s1"), list);
  ASSERT_EQ(observed_.size(), 1u);
  EXPECT_DOUBLE_EQ(observed_[0], 0.12);
}

TEST_F(AbortLatencyTest, AbortsFoundAtStartOrClearedAreNotTimed) {
  json aborted = withAbort(midUpdate(true));
  // A resync of an abort written before the controller started: no transition seen.
  tracker_.rolloutChanged(aborted, aborted, services());
  EXPECT_EQ(tracker_.pending(), 0u);
  // Aborted, then retried before it settled: forgotten, nothing observed.
  tracker_.rolloutChanged(midUpdate(true), aborted, services());
  EXPECT_EQ(tracker_.pending(), 1u);
  tracker_.rolloutChanged(aborted, midUpdate(true), services());
  EXPECT_EQ(tracker_.pending(), 0u);
  // Deleted while pending: forgotten.
  tracker_.rolloutChanged(midUpdate(true), aborted, services());
  tracker_.rolloutDeleted(aborted);
  EXPECT_EQ(tracker_.pending(), 0u);
  EXPECT_TRUE(observed_.empty());
}

TEST(Metrics, AbortLatencyObservedIntoTheHistogram) {
  ControllerMetrics m;
  AbortLatencyTracker tracker([&m](double s) { m.observeAbortLatency(s); });
  json before = midUpdate(false);
  json stable = service("s1");
  tracker.rolloutChanged(before, withAbort(before), [&](const std::string&, const std::string&) {
    return std::make_shared<const json>(stable);
  });
  EXPECT_NE(m.serve().body.find("vane_abort_latency_seconds_count 1"), std::string::npos);
}

}  // namespace
}  // namespace vane::controller
