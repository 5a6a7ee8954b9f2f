// AnalysisRun phase changes become "AnalysisRun<Phase>" events on the Rollout, as Argo's
// emitAnalysisRunStatusChanges records them (the on-analysis-run-* notification triggers).
#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::World;

std::vector<Event> analysisEvents(World& w) {
  std::vector<Event> out;
  for (const auto& e : w.events()) {
    if (e.reason.rfind("AnalysisRun", 0) == 0 && e.reason != kEventAnalysisRunCreated) {
      out.push_back(e);
    }
  }
  return out;
}

TEST(AnalysisEventsTest, RunningThenFailedRecordedOnceEach) {
  json steps = json::array({{{"setWeight", 20}},
                            {{"analysis", {{"templates", {{{"templateName", "rate"}}}}}}},
                            {{"setWeight", 50}}});
  World w(testing::basicRollout(5, steps));
  w.settle();
  w.setImage("v2");
  w.settle();
  ASSERT_EQ(w.analysisRuns().size(), 1u);
  const std::string name = w.analysisRuns()[0]["metadata"]["name"];
  w.analysisRuns()[0]["status"] = {{"phase", "Running"}};
  w.settle();
  w.settle();
  auto events = analysisEvents(w);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "Normal");
  EXPECT_EQ(events[0].reason, "AnalysisRunRunning");
  EXPECT_EQ(events[0].message,
            "Step Analysis Run '" + name + "' Status New: 'Running' Previous: ''");
  w.analysisRuns()[0]["status"] = {{"phase", "Failed"}};
  w.settle();
  events = analysisEvents(w);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, "Warning");
  EXPECT_EQ(events[1].reason, "AnalysisRunFailed");
  EXPECT_EQ(events[1].message,
            "Step Analysis Run '" + name + "' Status New: 'Failed' Previous: 'Running'");
}

}  // namespace
}  // namespace vane::controller
