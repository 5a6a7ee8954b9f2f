#include "cli/patches.h"

#include <gtest/gtest.h>

namespace vane::cli {
namespace {

using nlohmann::json;

json canary(json status, bool paused = false) {
  return {{"metadata", {{"name", "demo"}, {"uid", "u1"}}},
          {"spec",
           {{"paused", paused},
            {"strategy", {{"canary", {{"steps", json::parse(R"([{"setWeight":20},{"pause":{}},
              {"analysis":{"templates":[{"templateName":"t"}]}},{"setWeight":80}])")}}}}}}},
          {"status", status}};
}

TEST(PromotePlan, ClearsPauseConditionsWhenPaused) {
  auto plan = promotePlan(
      canary({{"currentStepIndex", 1}, {"pauseConditions", {{{"reason", "CanaryPauseStep"}}}}}),
      false);
  ASSERT_TRUE(plan.status);
  EXPECT_EQ(*plan.status, json::parse(R"({"status":{"pauseConditions":null}})"));
  EXPECT_FALSE(plan.spec);
  EXPECT_EQ(*plan.unified,
            json::parse(R"({"spec":{"paused":false},"status":{"pauseConditions":null}})"));
}

TEST(PromotePlan, SkipsRunningStepWithoutPauseConditions) {
  auto plan = promotePlan(canary({{"currentStepIndex", 2}}), false);
  ASSERT_TRUE(plan.status);
  EXPECT_EQ(*plan.status,
            json::parse(R"({"status":{"pauseConditions":null,"currentStepIndex":3}})"));
  EXPECT_EQ(
      *plan.unified,
      json::parse(
          R"({"spec":{"paused":false},"status":{"pauseConditions":null,"currentStepIndex":3}})"));
}

TEST(PromotePlan, IndexNeverPassesStepCount) {
  auto plan = promotePlan(canary({{"currentStepIndex", 4}}), false);
  EXPECT_EQ((*plan.status)["status"]["currentStepIndex"], 4);
}

TEST(PromotePlan, InconclusiveClearsControllerPause) {
  json st = {{"currentStepIndex", 2},
             {"controllerPause", true},
             {"pauseConditions", {{{"reason", "InconclusiveAnalysisRun"}}}},
             {"canary", {{"currentStepAnalysisRunStatus", {{"status", "Inconclusive"}}}}}};
  auto plan = promotePlan(canary(st), false);
  EXPECT_EQ(*plan.status, json::parse(R"({"status":{"pauseConditions":null,
      "controllerPause":false,"currentStepIndex":3}})"));
}

TEST(PromotePlan, UnpausesUserPause) {
  auto plan = promotePlan(canary({{"currentStepIndex", 0}}, true), false);
  EXPECT_EQ(*plan.spec, json::parse(R"({"spec":{"paused":false}})"));
}

TEST(PromotePlan, FullSetsPromoteFullOnlyMidUpdate) {
  auto mid = promotePlan(canary({{"currentPodHash", "a"}, {"stableRS", "b"}}), true);
  EXPECT_EQ(*mid.status, json::parse(R"({"status":{"promoteFull":true}})"));
  EXPECT_FALSE(mid.spec);
  auto done = promotePlan(canary({{"currentPodHash", "a"}, {"stableRS", "a"}}, true), true);
  EXPECT_FALSE(done.status);
  EXPECT_EQ(*done.spec, json::parse(R"({"spec":{"paused":false}})"));
}

TEST(PromotePlan, BlueGreenOnlyClearsPauseConditions) {
  json ro = {{"spec", {{"strategy", {{"blueGreen", {{"activeService", "a"}}}}}}},
             {"status", {{"pauseConditions", {{{"reason", "BlueGreenPause"}}}}}}};
  EXPECT_EQ(*promotePlan(ro, false).status, json::parse(R"({"status":{"pauseConditions":null}})"));
  json no_pause = {{"spec", {{"strategy", {{"blueGreen", {{"activeService", "a"}}}}}}}};
  EXPECT_FALSE(promotePlan(no_pause, false).status);
}

TEST(SimplePatches, AreArgosExactDocuments) {
  EXPECT_EQ(abortPatch().dump(), R"({"status":{"abort":true}})");
  EXPECT_EQ(retryPatch().dump(), R"({"status":{"abort":false}})");
  EXPECT_EQ(pausePatch().dump(), R"({"spec":{"paused":true}})");
  EXPECT_EQ(terminatePatch().dump(), R"({"spec":{"terminate":true}})");
  EXPECT_EQ(retryExperimentPatch().dump(), R"({"status":null})");
  EXPECT_EQ(restartPatch(1795000000, 30).dump(),
            R"({"spec":{"restartAt":"2026-11-18T11:07:10Z"}})");
}

TEST(SimplePatches, RetryExperimentDropsTheWholeStatusAndKeepsSpec) {
  json exp = json::parse(R"({"metadata":{"name":"e"},"spec":{"duration":"1h"},
    "status":{"phase":"Failed","message":"x","templateStatuses":[{"name":"a"}]}})");
  exp.merge_patch(retryExperimentPatch());  // RFC 7386, as the API server applies it
  EXPECT_EQ(exp, json::parse(R"({"metadata":{"name":"e"},"spec":{"duration":"1h"}})"));
}

TEST(FlagDuration, ParsesAndNamesTheFlag) {
  EXPECT_EQ(parseFlagDuration("--in", "1m30s").value(), 90);
  EXPECT_EQ(parseFlagDuration("--in", "45").value(), 45);
  auto bad = parseFlagDuration("--timeout", "soon");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--timeout"), std::string::npos);
}

TEST(SetImage, ReplacesNamedOrAllContainers) {
  json ro = json::parse(R"({"spec":{"template":{"spec":{
    "initContainers":[{"name":"init","image":"busybox"}],
    "containers":[{"name":"app","image":"v1"},{"name":"side","image":"s1"}]}}}})");
  auto one = setImage(ro, "app", "v2");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one.value()["spec"]["template"]["spec"]["containers"][0]["image"], "v2");
  EXPECT_EQ(one.value()["spec"]["template"]["spec"]["containers"][1]["image"], "s1");
  auto all = setImage(ro, "*", "v3");
  EXPECT_EQ(all.value()["spec"]["template"]["spec"]["initContainers"][0]["image"], "v3");
  EXPECT_EQ(all.value()["spec"]["template"]["spec"]["containers"][1]["image"], "v3");
  auto missing = setImage(ro, "nope", "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "unable to find container named \"nope\"");
}

TEST(ContainerImage, RejectsMalformedArgument) {
  EXPECT_EQ(parseContainerImage("app=nginx:1.27").value().second, "nginx:1.27");
  for (const char* bad : {"app", "=img", "app=", "a=b=c"}) {
    auto r = parseContainerImage(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find(bad), std::string::npos);
  }
}

json rs(const std::string& rev, const std::string& image) {
  return {
      {"metadata",
       {{"annotations", {{"rollout.argoproj.io/revision", rev}}},
        {"ownerReferences", {{{"uid", "u1"}}}}}},
      {"spec",
       {{"template",
         {{"metadata", {{"labels", {{"app", "demo"}, {"rollouts-pod-template-hash", "h" + rev}}}}},
          {"spec", {{"containers", {{{"name", "app"}, {"image", image}}}}}}}}}}};
}

TEST(Undo, PreviousRevisionTemplateWithoutHashLabel) {
  json ro = canary({});
  ro["spec"]["template"] = rs("3", "v3")["spec"]["template"];
  ro["spec"]["template"]["metadata"]["labels"].erase("rollouts-pod-template-hash");
  std::vector<json> sets = {rs("1", "v1"), rs("3", "v3"), rs("2", "v2")};
  auto undo = undoPatch(ro, sets, 0);
  ASSERT_TRUE(undo.ok());
  EXPECT_EQ(undo.value().revision, 2);
  json expected = rs("2", "v2")["spec"]["template"];
  expected["metadata"]["labels"].erase("rollouts-pod-template-hash");
  EXPECT_EQ(*undo.value().patch,
            json::array({{{"op", "replace"}, {"path", "/spec/template"}, {"value", expected}}}));
  auto to1 = undoPatch(ro, sets, 1);
  EXPECT_EQ(to1.value().revision, 1);
  auto same = undoPatch(ro, sets, 3);
  EXPECT_FALSE(same.value().patch);
  EXPECT_EQ(undoPatch(ro, sets, 9).status().message(),
            "unable to find specified revision 9 in history");
  EXPECT_FALSE(undoPatch(ro, {rs("1", "v1")}, 0).ok());
}

TEST(OwnedBy, MatchesOwnerUid) {
  EXPECT_TRUE(ownedBy(rs("1", "x"), "u1"));
  EXPECT_FALSE(ownedBy(rs("1", "x"), "u2"));
  EXPECT_FALSE(ownedBy(json::object(), "u1"));
}

}  // namespace
}  // namespace vane::cli
