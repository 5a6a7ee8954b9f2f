// status.duration (controller/duration.h) driven through the in-memory world (world.h): when each
// field is set, carried and cleared for canary and blue-green updates (promote, promote --full,
// abort and retry, rollback, an update superseded by a newer one, manual vs timed pauses), that
// each finished update is observed once, and the rollout_duration_seconds histograms.
#include "controller/duration.h"

#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "controller/hash.h"
#include "controller/metrics.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::World;

json durationSteps() {
  return json::parse(R"([{"setWeight":20},{"pause":{}},{"setWeight":40},{"pause":{"duration":10}},
                         {"setWeight":80},{"pause":{"duration":"1m"}}])");
}

// status.duration as written (null when absent).
json durationOf(World& w) { return w.rollout()["status"].value("duration", json()); }

std::string durationHash(World& w) { return podTemplateHash(w.rollout()["spec"]["template"]); }

json durationBlueGreen(int replicas, json extra) {
  json ro = testing::basicRollout(replicas, json::array());
  json bg = {{"activeService", "web-active"}, {"previewService", "web-preview"}};
  bg.merge_patch(extra);
  ro["spec"]["strategy"] = {{"blueGreen", bg}};
  return ro;
}

World durationBlueGreenWorld(int replicas, json extra = json::object()) {
  World w(durationBlueGreen(replicas, std::move(extra)));
  w.services()["web-active"] = "";
  w.services()["web-preview"] = "";
  return w;
}

// The initial deploy is an update of its own: started and promoted at once.
TEST(RolloutDurationTest, InitialDeployIsPromoted) {
  World w(testing::basicRollout(3, durationSteps()));
  const int64_t t0 = w.now;
  w.settle();
  json d = durationOf(w);
  EXPECT_EQ(d["rolloutStartedAt"], kube::formatTime(t0));
  EXPECT_EQ(d["finishedAt"], kube::formatTime(t0));
  EXPECT_EQ(d["completionStatus"], kCompletionPromoted);
  EXPECT_FALSE(d.contains("manualPauseStartedAt"));
  ASSERT_EQ(w.finished.size(), 1u);
  EXPECT_EQ(w.finished[0].completionStatus, kCompletionPromoted);
}

// Only the indefinite pause step counts as manual; timed pause steps are progression.
TEST(RolloutDurationTest, CanaryStepsWithManualPauseThenPromoted) {
  World w(testing::basicRollout(5, durationSteps()));
  w.settle();
  w.finished.clear();
  w.now += 100;
  const int64_t t1 = w.now;
  w.setImage("v2");
  w.settle();
  ASSERT_EQ(w.status().phase, kPhasePaused);
  json d = durationOf(w);
  EXPECT_EQ(d["rolloutStartedAt"], kube::formatTime(t1));
  EXPECT_EQ(d["manualPauseStartedAt"], kube::formatTime(t1));
  EXPECT_FALSE(d.contains("finishedAt"));
  EXPECT_FALSE(d.contains("completionStatus"));
  w.now += 30;
  w.patchStatus({{"pauseConditions", nullptr}});  // promote
  w.settle();
  d = durationOf(w);
  EXPECT_FALSE(d.contains("manualPauseStartedAt"));
  EXPECT_EQ(d["totalManualPauseDurationSeconds"], 30);
  EXPECT_EQ(*w.status().currentStepIndex, 3);  // the timed pause: not manual
  w.now += 10;
  w.settle();
  EXPECT_FALSE(durationOf(w).contains("manualPauseStartedAt"));
  w.now += 60;
  w.settle();
  ASSERT_EQ(w.status().stableRS, durationHash(w));
  d = durationOf(w);
  EXPECT_EQ(d["rolloutStartedAt"], kube::formatTime(t1));
  EXPECT_EQ(d["finishedAt"], kube::formatTime(t1 + 100));
  EXPECT_EQ(d["completionStatus"], kCompletionPromoted);
  EXPECT_EQ(d["totalManualPauseDurationSeconds"], 30);
  ASSERT_EQ(w.finished.size(), 1u);
  EXPECT_EQ(w.finished[0].totalSeconds(), 100);
  EXPECT_EQ(w.finished[0].manualPauseSeconds(), 30);
  // Once finished, later reconciles carry it unchanged and observe nothing.
  w.now += 500;
  w.settle();
  EXPECT_EQ(durationOf(w), d);
  EXPECT_EQ(w.finished.size(), 1u);
}

TEST(RolloutDurationTest, PromoteFullIsFastPromoted) {
  World w(testing::basicRollout(5, durationSteps()));
  w.settle();
  w.now += 10;
  w.setImage("v2");
  w.settle();
  w.now += 7;
  w.patchStatus({{"promoteFull", true}});
  w.settle();
  json d = durationOf(w);
  EXPECT_EQ(d["completionStatus"], kCompletionFastPromoted);
  EXPECT_EQ(d["totalManualPauseDurationSeconds"], 7);  // the indefinite pause, closed
  ASSERT_EQ(w.finished.size(), 2u);
  EXPECT_EQ(w.finished[1].completionStatus, kCompletionFastPromoted);
  EXPECT_EQ(w.finished[1].totalSeconds(), 7);
}

// spec.paused counts as a manual pause; an abort finishes the update, a retry starts another.
TEST(RolloutDurationTest, CanaryPausedThenAbortedThenRetried) {
  World w(testing::basicRollout(5, json::parse(R"([{"setWeight":20},{"pause":{"duration":60}}])")));
  w.settle();
  w.now += 10;
  const int64_t t1 = w.now;
  w.setImage("v2");
  w.settle();
  EXPECT_FALSE(durationOf(w).contains("manualPauseStartedAt"));  // a timed pause step
  w.now += 5;
  w.rollout()["spec"]["paused"] = true;
  w.bumpGeneration();
  w.settle();
  EXPECT_EQ(durationOf(w)["manualPauseStartedAt"], kube::formatTime(t1 + 5));
  w.now += 20;
  w.patchStatus({{"abort", true}});
  w.settle();
  json d = durationOf(w);
  EXPECT_EQ(d["completionStatus"], kCompletionAborted);
  EXPECT_EQ(d["finishedAt"], kube::formatTime(t1 + 25));
  EXPECT_EQ(d["totalManualPauseDurationSeconds"], 20);
  EXPECT_FALSE(d.contains("manualPauseStartedAt"));
  ASSERT_EQ(w.finished.size(), 2u);
  EXPECT_EQ(w.finished[1].completionStatus, kCompletionAborted);
  EXPECT_EQ(w.finished[1].totalSeconds(), 25);
  // Retry: a new update starts (still paused by spec.paused: a manual pause from the start).
  w.now += 40;
  w.patchStatus({{"abort", false}});
  w.settle();
  d = durationOf(w);
  EXPECT_EQ(d["rolloutStartedAt"], kube::formatTime(t1 + 65));
  EXPECT_EQ(d["manualPauseStartedAt"], kube::formatTime(t1 + 65));
  EXPECT_FALSE(d.contains("finishedAt"));
  EXPECT_FALSE(d.contains("completionStatus"));
  EXPECT_FALSE(d.contains("totalManualPauseDurationSeconds"));
  EXPECT_EQ(w.finished.size(), 2u);
}

// A new revision mid-update finishes the old update as Superseded (observed, then replaced).
TEST(RolloutDurationTest, NewRevisionSupersedes) {
  World w(testing::basicRollout(5, durationSteps()));
  w.settle();
  w.now += 10;
  w.setImage("v2");
  w.settle();
  w.now += 50;
  w.setImage("v3");
  w.settle();
  ASSERT_EQ(w.finished.size(), 2u);
  EXPECT_EQ(w.finished[1].completionStatus, kCompletionSuperseded);
  EXPECT_EQ(w.finished[1].totalSeconds(), 50);
  EXPECT_EQ(w.finished[1].manualPauseSeconds(), 50);  // paused at the indefinite step all along
  json d = durationOf(w);
  EXPECT_EQ(d["rolloutStartedAt"], kube::formatTime(w.now));
  EXPECT_EQ(d["manualPauseStartedAt"], kube::formatTime(w.now));  // at step 1 again
  EXPECT_FALSE(d.contains("completionStatus"));
  EXPECT_FALSE(d.contains("totalManualPauseDurationSeconds"));
}

// Back to the stable template mid-update: the same update goes on as a fast rollback.
TEST(RolloutDurationTest, RollbackToStableIsFastRolledBack) {
  World w(testing::basicRollout(5, durationSteps()));
  w.settle();
  w.now += 10;
  const int64_t t1 = w.now;
  w.setImage("v2");
  w.settle();
  w.now += 15;
  w.setImage("v1");
  w.settle();
  json d = durationOf(w);
  EXPECT_EQ(d["rolloutStartedAt"], kube::formatTime(t1));
  EXPECT_EQ(d["completionStatus"], kCompletionFastRolledBack);
  EXPECT_EQ(d["finishedAt"], kube::formatTime(t1 + 15));
  ASSERT_EQ(w.finished.size(), 2u);
  EXPECT_EQ(w.finished[1].completionStatus, kCompletionFastRolledBack);
}

// Back to a revision older than stable mid-update (outside any rollbackWindow): RolledBack, and
// the outcome stays when the user then promotes.
TEST(RolloutDurationTest, RollbackToOlderRevisionIsRolledBack) {
  World w(testing::basicRollout(5, durationSteps()));
  w.settle();
  w.now += 10;
  w.setImage("v2");
  w.settle();
  w.patchStatus({{"promoteFull", true}});
  w.settle();
  w.now += 10;
  const int64_t t3 = w.now;
  w.setImage("v3");
  w.settle();
  w.now += 10;
  w.setImage("v1");  // older than the stable v2
  w.settle();
  json d = durationOf(w);
  EXPECT_EQ(d["rolloutStartedAt"], kube::formatTime(t3));
  EXPECT_EQ(d["completionStatus"], kCompletionRolledBack);
  EXPECT_FALSE(d.contains("finishedAt"));
  ASSERT_EQ(w.status().phase, kPhasePaused);  // the steps run again for a plain rollback
  w.now += 5;
  w.patchStatus({{"promoteFull", true}});
  w.settle();
  d = durationOf(w);
  EXPECT_EQ(d["completionStatus"], kCompletionRolledBack);
  EXPECT_EQ(d["finishedAt"], kube::formatTime(t3 + 15));
  ASSERT_EQ(w.finished.size(), 3u);
  EXPECT_EQ(w.finished[2].completionStatus, kCompletionRolledBack);
  EXPECT_EQ(w.finished[2].totalSeconds(), 15);
}

// Blue-green: the pause without auto-promotion is manual, a promotion finishes it.
TEST(RolloutDurationTest, BlueGreenManualPromotion) {
  World w = durationBlueGreenWorld(3, {{"autoPromotionEnabled", false}});
  w.settle();
  w.now += 10;
  const int64_t t1 = w.now;
  w.setImage("v2");
  w.settle();
  ASSERT_EQ(w.status().message, kPauseBlueGreen);
  EXPECT_EQ(durationOf(w)["manualPauseStartedAt"], kube::formatTime(t1));
  w.now += 40;
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  json d = durationOf(w);
  EXPECT_EQ(d["completionStatus"], kCompletionPromoted);
  EXPECT_EQ(d["finishedAt"], kube::formatTime(t1 + 40));
  EXPECT_EQ(d["totalManualPauseDurationSeconds"], 40);
  ASSERT_EQ(w.finished.size(), 2u);
  EXPECT_EQ(w.finished[1].totalSeconds(), 40);
}

// Blue-green auto-promotion: the pause ends by itself, so it is progression.
TEST(RolloutDurationTest, BlueGreenAutoPromotionPauseIsNotManual) {
  World w = durationBlueGreenWorld(2, {{"autoPromotionSeconds", 20}});
  w.settle();
  w.now += 10;
  w.setImage("v2");
  w.settle();
  EXPECT_FALSE(durationOf(w).contains("manualPauseStartedAt"));
  w.now += 21;
  w.settle();
  json d = durationOf(w);
  EXPECT_EQ(d["completionStatus"], kCompletionPromoted);
  EXPECT_FALSE(d.contains("totalManualPauseDurationSeconds"));
  ASSERT_EQ(w.finished.size(), 2u);
  EXPECT_EQ(w.finished[1].totalSeconds(), 21);
}

TEST(RolloutDurationTest, BlueGreenAbortAndPromoteFull) {
  World w = durationBlueGreenWorld(2, {{"autoPromotionEnabled", false}});
  w.settle();
  w.now += 10;
  w.setImage("v2");
  w.settle();
  w.now += 3;
  w.patchStatus({{"abort", true}});
  w.settle();
  EXPECT_EQ(durationOf(w)["completionStatus"], kCompletionAborted);
  w.now += 5;
  w.patchStatus({{"abort", false}});
  w.settle();
  EXPECT_EQ(durationOf(w)["rolloutStartedAt"], kube::formatTime(w.now));
  w.now += 6;
  w.patchStatus({{"promoteFull", true}});
  w.settle();
  json d = durationOf(w);
  EXPECT_EQ(d["completionStatus"], kCompletionFastPromoted);
  EXPECT_EQ(d["totalManualPauseDurationSeconds"], 6);
  ASSERT_EQ(w.finished.size(), 3u);
  EXPECT_EQ(w.finished[1].completionStatus, kCompletionAborted);
  EXPECT_EQ(w.finished[1].totalSeconds(), 3);
  EXPECT_EQ(w.finished[2].completionStatus, kCompletionFastPromoted);
}

// A malformed status.duration is dropped with a Warning naming the field.
TEST(RolloutDurationTest, MalformedDurationIsDropped) {
  World w(testing::basicRollout(3, durationSteps()));
  w.settle();
  w.patchStatus({{"duration", {{"finishedAt", "yesterday"}}}});
  w.reconcile();
  EXPECT_TRUE(durationOf(w).is_null());
  bool warned = false;
  for (const auto& e : w.events()) {
    warned |= e.reason == kEventDurationInvalid &&
              e.message.find("status.duration.finishedAt: expected an RFC 3339 time") !=
                  std::string::npos;
  }
  EXPECT_TRUE(warned);
}

TEST(RolloutDurationTest, DecodeAndEncodeRoundTrip) {
  json in = {{"rolloutStartedAt", "2026-12-07T04:00:00Z"},
             {"finishedAt", "2026-12-07T04:02:05Z"},
             {"totalManualPauseDurationSeconds", 0},
             {"completionStatus", "Promoted"}};
  auto d = decodeRolloutDuration(in);
  ASSERT_TRUE(d.ok()) << d.status().toString();
  EXPECT_TRUE(d->completed());
  EXPECT_EQ(d->totalSeconds(), 125);
  EXPECT_EQ(toJson(*d), in);  // a total of 0 is written (a set pointer in Argo)
  auto bad = decodeRolloutDuration({{"totalManualPauseDurationSeconds", "5"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "status.duration.totalManualPauseDurationSeconds");
}

TEST(RolloutDurationMetricsTest, HistogramsLabelledByCompletionStatus) {
  ControllerMetrics metrics;
  RolloutDuration d;
  d.rolloutStartedAt = 1000;
  d.totalManualPauseDurationSeconds = 100;
  metrics.observeRolloutDuration(d);  // not finished: ignored
  d.complete(1400, kCompletionPromoted);
  metrics.observeRolloutDuration(d);
  const std::string text = metrics.serve().body;
  EXPECT_NE(text.find("rollout_duration_seconds_count{status=\"Promoted\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("rollout_duration_seconds_sum{status=\"Promoted\"} 400"), std::string::npos);
  EXPECT_NE(text.find("rollout_duration_seconds_bucket{status=\"Promoted\",le=\"600\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("rollout_duration_seconds_bucket{status=\"Promoted\",le=\"300\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("rollout_progression_duration_seconds_sum{status=\"Promoted\"} 300"),
            std::string::npos);
  EXPECT_NE(text.find("rollout_manual_pause_duration_seconds_sum{status=\"Promoted\"} 100"),
            std::string::npos);
  EXPECT_NE(
      text.find("rollout_manual_pause_duration_seconds_bucket{status=\"Promoted\",le=\"0\"} 0"),
      std::string::npos);
}

}  // namespace
}  // namespace vane::controller
