// status.duration and the rollout_duration_seconds histograms against a real vane-apiserver
// --simulate-workloads, with the controller in-process: a canary update promoted after a manual
// pause, a blue-green update aborted, and no second observation after a controller restart.
#include <gtest/gtest.h>

#include "support/controller_fixture.h"
#include "support/manifests.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::seconds;

class ControllerDurationTest : public vane::testing::ControllerFixture {
 protected:
  json duration() { return rollout().value("status", json::object()).value("duration", json()); }

  // Waits until status.duration has completionStatus `status` and a finishedAt, at the
  // current generation.
  bool waitFinished(const std::string& status, seconds timeout = seconds(40)) {
    return vane::testing::waitFor(
        [&] {
          json ro = rollout();
          const json s = ro.value("status", json::object());
          if (!vane::testing::statusIsCurrent(ro)) {
            return false;
          }
          const json d = s.value("duration", json::object());
          return d.value("completionStatus", "") == status && d.contains("finishedAt");
        },
        timeout);
  }
  bool waitPhaseOf(const std::string& phase, seconds timeout = seconds(40)) {
    return vane::testing::waitFor(
        [&] {
          json ro = rollout();
          const json s = ro.value("status", json::object());
          return vane::testing::statusIsCurrent(ro) && s.value("phase", "") == phase;
        },
        timeout);
  }
  // Waits for the `_count` sample of rollout_duration_seconds{status} to read `count` (the
  // observation follows the status write that a reader may see first).
  bool waitCount(const std::string& status, const std::string& count) {
    return vane::testing::waitFor(
        [&] { return histogramCount("rollout_duration_seconds", status) == count; }, seconds(10));
  }
  // The `_count` sample of one duration histogram for a status ("" when absent).
  std::string histogramCount(const std::string& family, const std::string& status) {
    const std::string text = metrics_.serve().body;
    const std::string key = family + "_count{status=\"" + status + "\"} ";
    auto at = text.find(key);
    if (at == std::string::npos) return "";
    return text.substr(at + key.size(), text.find('\n', at) - at - key.size());
  }
};

std::string canaryDurationYaml(const std::string& image) {
  return vane::testing::webRollout(image, 2, R"(    canary:
      steps:
      - setWeight: 50
      - pause: {}
)");
}

TEST_F(ControllerDurationTest, CanaryPromotedAfterManualPauseObservedOnce) {
  applyYaml(canaryDurationYaml("nginx:1"));
  ASSERT_TRUE(waitFinished("Promoted")) << describe();  // the initial deploy
  const std::string first_start = duration().value("rolloutStartedAt", "");
  applyYaml(canaryDurationYaml("nginx:2"));
  ASSERT_TRUE(waitPhaseOf("Paused")) << describe();
  json d = duration();
  EXPECT_TRUE(d.contains("rolloutStartedAt")) << d.dump();
  EXPECT_TRUE(d.contains("manualPauseStartedAt")) << d.dump();  // the indefinite pause step
  EXPECT_FALSE(d.contains("finishedAt")) << d.dump();
  EXPECT_FALSE(d.contains("completionStatus")) << d.dump();
  promote();
  ASSERT_TRUE(waitFinished("Promoted")) << describe();
  d = duration();
  EXPECT_NE(d.value("rolloutStartedAt", ""), first_start);
  EXPECT_FALSE(d.contains("manualPauseStartedAt")) << d.dump();
  ASSERT_TRUE(d.contains("totalManualPauseDurationSeconds")) << d.dump();
  EXPECT_TRUE(d["totalManualPauseDurationSeconds"].is_number_integer()) << d.dump();
  ASSERT_TRUE(waitCount("Promoted", "2")) << metrics_.serve().body;
  EXPECT_EQ(histogramCount("rollout_progression_duration_seconds", "Promoted"), "2");
  EXPECT_EQ(histogramCount("rollout_manual_pause_duration_seconds", "Promoted"), "2");

  // A restarted controller reads finishedAt back and observes nothing again. A status the
  // controller must rewrite shows that the new one has reconciled.
  startController();
  patchStatus("web", R"({"status":{"message":"stale"}})");
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return status("message").empty() && status("phase") == "Healthy"; }, seconds(30)))
      << describe();
  EXPECT_EQ(duration(), d);
  EXPECT_EQ(histogramCount("rollout_duration_seconds", "Promoted"), "2");
}

TEST_F(ControllerDurationTest, BlueGreenAborted) {
  applyYaml(vane::testing::servicesYaml({"web-active", "web-preview"}));
  const std::string bg =
      "    blueGreen:\n      activeService: web-active\n      previewService: web-preview\n"
      "      autoPromotionEnabled: false\n";
  applyYaml(vane::testing::webRollout("nginx:1", 2, bg));
  ASSERT_TRUE(waitFinished("Promoted")) << describe();
  applyYaml(vane::testing::webRollout("nginx:2", 2, bg));
  ASSERT_TRUE(waitPhaseOf("Paused")) << describe();
  EXPECT_TRUE(duration().contains("manualPauseStartedAt")) << duration().dump();
  patchStatus("web", R"({"status":{"abort":true}})");
  ASSERT_TRUE(waitFinished("Aborted")) << describe();
  json d = duration();
  EXPECT_FALSE(d.contains("manualPauseStartedAt")) << d.dump();
  EXPECT_TRUE(d.contains("totalManualPauseDurationSeconds")) << d.dump();
  ASSERT_TRUE(waitCount("Aborted", "1")) << metrics_.serve().body;
  EXPECT_EQ(histogramCount("rollout_duration_seconds", "Promoted"), "1");
  // Retry: a new update starts, nothing more is observed until it finishes.
  patchStatus("web", R"({"status":{"abort":false}})");
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        json now = duration();
        return now.is_object() && !now.contains("finishedAt") &&
               now.value("rolloutStartedAt", "") != "";
      },
      seconds(30)))
      << describe();
  EXPECT_EQ(histogramCount("rollout_duration_seconds", "Aborted"), "1");
}

}  // namespace
}  // namespace vane::controller
