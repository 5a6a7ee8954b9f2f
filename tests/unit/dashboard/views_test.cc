#include "dashboard/views.h"

#include <gtest/gtest.h>

namespace vane::dashboard {
namespace {

json rollout(const std::string& ns, const std::string& name, const std::string& phase, int step = 0,
             bool abort = false) {
  json ro = json::parse(R"({
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
    "metadata": {"generation": 1},
    "spec": {"replicas": 1,
      "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}},
      "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}},
        {"analysis": {"templates": [{"templateName": "smoke"}]}},
        {"pause": {"duration": "10s"}}]}}},
    "status": {"observedGeneration": "1"}})");
  ro["metadata"]["name"] = name;
  ro["metadata"]["namespace"] = ns;
  ro["metadata"]["uid"] = ns + "-" + name;
  ro["status"]["phase"] = phase;
  ro["status"]["currentStepIndex"] = step;
  ro["status"]["abort"] = abort;
  if (phase == "Paused")
    ro["status"]["pauseConditions"] = json::parse(R"([{"reason":"CanaryPauseStep"}])");
  return ro;
}

TEST(Views, ListCountsPhasesAndFilters) {
  json a = rollout("prod", "api", "Healthy"), b = rollout("prod", "web", "Paused", 1),
       c = rollout("dev", "web", "Degraded", 2, true);
  std::vector<const json*> all = {&a, &b, &c};
  json list = rolloutList(all, {});
  ASSERT_EQ(list["items"].size(), 3u);
  EXPECT_EQ(list["items"][0]["namespace"], "dev");  // sorted by namespace, name
  EXPECT_EQ(list["counts"]["Healthy"], 1);
  EXPECT_EQ(list["counts"]["Paused"], 1);
  EXPECT_EQ(list["counts"]["Degraded"], 1);
  EXPECT_EQ(list["namespaces"], json({"dev", "prod"}));
  EXPECT_EQ(list["items"][0]["images"], json({"app:1"}));

  ListFilter prod;
  prod.namespace_ = "prod";
  json p = rolloutList(all, prod);
  EXPECT_EQ(p["items"].size(), 2u);
  EXPECT_EQ(p["total"], 2);
  EXPECT_FALSE(p["counts"].contains("Degraded"));

  ListFilter attention;
  attention.attention = true;
  json n = rolloutList(all, attention);
  ASSERT_EQ(n["items"].size(), 2u);      // the paused and the degraded one
  EXPECT_EQ(n["counts"]["Healthy"], 1);  // counts ignore the attention filter

  ListFilter by_name;
  by_name.name = "ap";
  EXPECT_EQ(rolloutList(all, by_name)["items"].size(), 1u);
  ListFilter by_phase;
  by_phase.phase = "Paused";
  EXPECT_EQ(rolloutList(all, by_phase)["items"][0]["name"], "web");
}

TEST(Views, TimelineMarksDoneCurrentPending) {
  json t = stepTimeline(rollout("d", "web", "Paused", 1));
  ASSERT_EQ(t["steps"].size(), 4u);
  EXPECT_EQ(t["steps"][0]["state"], "done");
  EXPECT_EQ(t["steps"][0]["text"], "Set weight 20%");
  EXPECT_EQ(t["steps"][1]["state"], "current");
  EXPECT_EQ(t["steps"][1]["text"], "Pause (until promoted)");
  EXPECT_EQ(t["steps"][2]["text"], "Analysis smoke");
  EXPECT_EQ(t["steps"][3]["text"], "Pause 10s");
  EXPECT_EQ(t["steps"][3]["state"], "pending");
  EXPECT_TRUE(t["paused"].get<bool>());
}

TEST(Views, VirtualServiceRoutesAndMissingOnes) {
  json ro = rollout("d", "web", "Healthy");
  ro["spec"]["strategy"]["canary"]["trafficRouting"] = {
      {"istio", {{"virtualServices", {{{"name", "web-vsvc"}}, {{"name", "gone"}}}}}}};
  json vs = {{"metadata", {{"name", "web-vsvc"}, {"namespace", "d"}}},
             {"spec",
              {{"http",
                {{{"name", "primary"},
                  {"route",
                   {{{"destination", {{"host", "web-stable"}}}, {"weight", 80}},
                    {{"destination", {{"host", "web-canary"}}}, {"weight", 20}}}}}}}}}};
  json out = virtualServiceRoutes(ro, {&vs});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["routes"][0]["name"], "primary");
  EXPECT_EQ(out[0]["routes"][0]["destinations"][1]["weight"], 20);
  EXPECT_TRUE(out[1].value("missing", false));
}

TEST(Views, AnalysisVerdictExplainsTheLimit) {
  json run = {
      {"metadata", {{"name", "web-1"}}},
      {"spec",
       {{"metrics",
         {{{"name", "errors"}, {"successCondition", "result[0] < 5"}, {"failureLimit", 1}}}}}},
      {"status",
       {{"phase", "Failed"},
        {"metricResults",
         {{{"name", "errors"},
           {"phase", "Failed"},
           {"count", 3},
           {"failed", 2},
           {"measurements",
            {{{"phase", "Failed"}, {"value", "[7]"}},
             {{"phase", "Failed"}, {"value", "[9]"}}}}}}}}}};
  json d = analysisRunDetail(run);
  ASSERT_EQ(d["metrics"].size(), 1u);
  EXPECT_EQ(d["metrics"][0]["verdict"], "2 failed measurement(s), more than failureLimit 1");
  EXPECT_EQ(d["metrics"][0]["measurements"][1]["value"], "[9]");
  EXPECT_EQ(d["metrics"][0]["successCondition"], "result[0] < 5");
}

TEST(Views, EventsAboutTheRolloutNewestFirst) {
  json e1 = {{"involvedObject", {{"kind", "Rollout"}, {"name", "web"}}},
             {"reason", "RolloutPaused"},
             {"lastTimestamp", "2026-01-01T00:00:01Z"}};
  json e2 = {{"involvedObject", {{"kind", "Rollout"}, {"name", "web"}}},
             {"reason", "RolloutResumed"},
             {"lastTimestamp", "2026-01-01T00:00:02Z"}};
  json other = {{"involvedObject", {{"kind", "Rollout"}, {"name", "api"}}}, {"reason", "X"}};
  json out = eventList({&e1, &other, &e2}, {"web"});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["reason"], "RolloutResumed");
}

}  // namespace
}  // namespace vane::dashboard
