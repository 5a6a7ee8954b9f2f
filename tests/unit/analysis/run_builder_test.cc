#include "analysis/run_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vane::analysis {
namespace {

using ::testing::HasSubstr;

json rollout() {
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Rollout"},
          {"metadata",
           {{"name", "demo"},
            {"namespace", "shop"},
            {"uid", "u-1"},
            {"labels", {{"team", "a"}}},
            {"annotations", {{"rollout.argoproj.io/revision", "3"}}}}},
          {"spec", {{"selector", {{"matchLabels", {{"app", "demo"}}}}}}}};
}

json tmpl(const std::string& name, json metrics, json args = json::array(),
          json extra = json::object()) {
  json t = {{"kind", "AnalysisTemplate"},
            {"metadata", {{"name", name}}},
            {"spec", {{"metrics", metrics}, {"args", args}}}};
  t["spec"].update(extra);
  return t;
}

json metric(const std::string& name) {
  return {{"name", name},
          {"successCondition", "result[0] < 0.05"},
          {"provider",
           {{"prometheus", {{"address", "http://p"}, {"query", "q{svc=\"{{args.svc}}\"}"}}}}}};
}

class RunBuilderTest : public ::testing::Test {
 protected:
  RunBuilderTest() {
    lookups_.analysisTemplate = [this](const std::string& ns,
                                       const std::string& name) -> Result<json> {
      looked_up_.push_back(ns + "/" + name);
      auto it = templates_.find(name);
      if (it == templates_.end()) return Status(Code::kNotFound, "not found");
      return it->second;
    };
    lookups_.clusterAnalysisTemplate = [this](const std::string& name) -> Result<json> {
      auto it = cluster_.find(name);
      if (it == cluster_.end()) return Status(Code::kNotFound, "not found");
      return it->second;
    };
  }
  std::map<std::string, json> templates_, cluster_;
  std::vector<std::string> looked_up_;
  TemplateLookups lookups_;
};

TEST_F(RunBuilderTest, StepRunNameLabelsOwner) {
  templates_["error-rate"] = tmpl("error-rate", {metric("error-rate")}, {{{"name", "svc"}}});
  json ro = rollout();
  json analysis = {
      {"templates", {{{"templateName", "error-rate"}}}},
      {"args", {{{"name", "svc"}, {"value", "web"}}}},
      {"analysisRunMetadata", {{"labels", {{"x", "y"}}}, {"annotations", {{"a", "b"}}}}}};
  RunRequest req{ro, analysis, RunType::kStep, 2, "6d4f8c", "abc123", ""};
  auto run = buildAnalysisRun(req, lookups_);
  ASSERT_TRUE(run.ok()) << run.status().toString();
  const json& md = (*run)["metadata"];
  EXPECT_EQ(md["name"], "demo-6d4f8c-3-2");
  EXPECT_EQ(md["namespace"], "shop");
  EXPECT_EQ(md["labels"], json({{"app", "demo"},
                                {"rollouts-pod-template-hash", "6d4f8c"},
                                {"rollout-type", "Step"},
                                {"step-index", "2"},
                                {"x", "y"}}));
  EXPECT_EQ(md["annotations"], json({{"rollout.argoproj.io/revision", "3"}, {"a", "b"}}));
  EXPECT_EQ(md["ownerReferences"][0], json({{"apiVersion", "argoproj.io/v1alpha1"},
                                            {"kind", "Rollout"},
                                            {"name", "demo"},
                                            {"uid", "u-1"},
                                            {"controller", true},
                                            {"blockOwnerDeletion", true}}));
  EXPECT_EQ((*run)["spec"]["args"], json::array({{{"name", "svc"}, {"value", "web"}}}));
  EXPECT_EQ((*run)["spec"]["metrics"][0]["name"], "error-rate");
  EXPECT_EQ((*run)["kind"], "AnalysisRun");
  EXPECT_EQ(looked_up_, std::vector<std::string>{"shop/error-rate"});
}

TEST_F(RunBuilderTest, NamesForEveryRunType) {
  EXPECT_EQ(analysisRunName("demo", "h", "4", RunType::kBackground, 0), "demo-h-4");
  EXPECT_EQ(analysisRunName("demo", "h", "4", RunType::kPrePromotion, 0), "demo-h-4-pre");
  EXPECT_EQ(analysisRunName("demo", "h", "4", RunType::kPostPromotion, 0), "demo-h-4-post");
  EXPECT_EQ(analysisRunName("demo", "h", "4", RunType::kStep, 0), "demo-h-4-0");
}

TEST_F(RunBuilderTest, BackgroundMergesNestedAndClusterTemplates) {
  templates_["a"] = tmpl("a", {metric("m1")}, {{{"name", "svc"}, {"value", "default-svc"}}},
                         {{"templates", {{{"templateName", "shared"}, {"clusterScope", true}}}},
                          {"dryRun", {{{"metricName", "m1"}}}}});
  cluster_["shared"] = tmpl("shared", {metric("m2")}, json::array(),
                            {{"measurementRetention", {{{"metricName", "m2"}, {"limit", 3}}}}});
  json ro = rollout();
  json analysis = {{"templates", {{{"templateName", "a"}}}}};
  RunRequest req{ro, analysis, RunType::kBackground, 0, "h1", "", ""};
  auto run = buildAnalysisRun(req, lookups_);
  ASSERT_TRUE(run.ok()) << run.status().toString();
  EXPECT_EQ((*run)["metadata"]["name"], "demo-h1-3");
  EXPECT_EQ((*run)["metadata"]["labels"]["rollout-type"], "Background");
  EXPECT_FALSE((*run)["metadata"]["labels"].contains("step-index"));
  ASSERT_EQ((*run)["spec"]["metrics"].size(), 2u);
  EXPECT_EQ((*run)["spec"]["metrics"][1]["name"], "m2");
  EXPECT_EQ((*run)["spec"]["args"][0]["value"], "default-svc");
  EXPECT_EQ((*run)["spec"]["dryRun"][0]["metricName"], "m1");
  EXPECT_EQ((*run)["spec"]["measurementRetention"][0]["limit"], 3);
}

TEST_F(RunBuilderTest, ValueFromRolloutAndHashes) {
  templates_["t"] =
      tmpl("t", {metric("m")},
           {{{"name", "svc"}},
            {{"name", "name"},
             {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.labels['team']"}}}}}},
            {{"name", "stable"}, {"valueFrom", {{"podTemplateHashValue", "Stable"}}}},
            {{"name", "latest"}, {"valueFrom", {{"podTemplateHashValue", "Latest"}}}},
            {{"name", "token"}, {"valueFrom", {{"secretKeyRef", {{"name", "s"}, {"key", "k"}}}}}}});
  json ro = rollout();
  json analysis = {
      {"templates", {{{"templateName", "t"}}}},
      {"args",
       {{{"name", "svc"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}}}}};
  RunRequest req{ro, analysis, RunType::kPrePromotion, 0, "new1", "old1", ""};
  auto run = buildAnalysisRun(req, lookups_);
  ASSERT_TRUE(run.ok()) << run.status().toString();
  const json& args = (*run)["spec"]["args"];
  EXPECT_EQ(args[0], json({{"name", "svc"}, {"value", "demo"}}));
  EXPECT_EQ(args[1], json({{"name", "name"}, {"value", "a"}}));
  EXPECT_EQ(args[2], json({{"name", "stable"}, {"value", "old1"}}));
  EXPECT_EQ(args[3], json({{"name", "latest"}, {"value", "new1"}}));
  EXPECT_EQ(args[4]["valueFrom"]["secretKeyRef"]["name"], "s");  // resolved by the analysis engine
  EXPECT_EQ((*run)["metadata"]["name"], "demo-new1-3-pre");
}

TEST_F(RunBuilderTest, Errors) {
  json ro = rollout();
  json missing = {{"templates", {{{"templateName", "nope"}}}}};
  auto r1 = buildAnalysisRun(RunRequest{ro, missing, RunType::kStep, 0, "h", "", ""}, lookups_);
  ASSERT_FALSE(r1.ok());
  EXPECT_THAT(r1.status().message(), HasSubstr("AnalysisTemplate \"nope\" not found"));

  templates_["t"] = tmpl("t", {metric("m")}, {{{"name", "svc"}}});
  json unresolved = {{"templates", {{{"templateName", "t"}}}}};
  auto r2 = buildAnalysisRun(RunRequest{ro, unresolved, RunType::kStep, 0, "h", "", ""}, lookups_);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().message(), "args.svc was not resolved");

  templates_["u"] = tmpl("u", {metric("m")});
  json dup = {{"templates", {{{"templateName", "t"}}, {{"templateName", "u"}}}},
              {"args", {{{"name", "svc"}, {"value", "x"}}}}};
  auto r3 = buildAnalysisRun(RunRequest{ro, dup, RunType::kStep, 0, "h", "", ""}, lookups_);
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.status().message(), "two metrics have the same name \"m\"");

  templates_["loop"] =
      tmpl("loop", json::array(), json::array(), {{"templates", {{{"templateName", "loop"}}}}});
  json loop = {{"templates", {{{"templateName", "loop"}}}}};
  auto r4 = buildAnalysisRun(RunRequest{ro, loop, RunType::kStep, 0, "h", "", ""}, lookups_);
  ASSERT_FALSE(r4.ok());
  EXPECT_THAT(r4.status().message(), HasSubstr("nest deeper"));
}

}  // namespace
}  // namespace vane::analysis
