// Plugins Vane does not implement (issue 15 item 8): a step plugin, a traffic router or router
// plugin without a factory, and a metric provider plugin other than vane.dev/judge make the
// Rollout InvalidSpec with a message naming the field and the plugin, never a silent stop.
#include "controller/validation.h"

#include <gtest/gtest.h>

#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::basicRollout;
using testing::World;

kube::Rollout decoded(const json& ro) { return *kube::decodeRollout(ro); }

trafficrouting::RouterRegistry vaneRouters() {
  trafficrouting::RouterRegistry r;
  auto none = [](const json&, const std::string&, const trafficrouting::RouterContext&)
      -> Result<std::unique_ptr<trafficrouting::TrafficRouter>> {
    return Status(Code::kUnsupported, "not in this test");
  };
  r.add("istio", none);
  r.add("plugins/argoproj-labs/gatewayAPI", none);
  return r;
}

TEST(ValidatePlugins, AStepPluginIsInvalidSpecNamingTheStepAndPlugin) {
  World w(basicRollout(
      2,
      json::array({{{"setWeight", 20}},
                   {{"plugin", {{"name", "argoproj-labs/sample"}, {"config", json::object()}}}}})));
  EXPECT_EQ(validateRollout(decoded(w.rollout())),
            "The Rollout \"web\" is invalid: spec.strategy.canary.steps[1].plugin: Invalid value: "
            "\"argoproj-labs/sample\": step plugin \"argoproj-labs/sample\" is not implemented "
            "by Vane (step plugins are not supported)");
  w.settle();
  const kube::RolloutStatus s = w.status();
  const kube::RolloutCondition* c = s.condition(kConditionInvalidSpec);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->message.find("steps[1].plugin"), std::string::npos);
  EXPECT_TRUE(w.replicaSets().empty());  // nothing was rolled out
}

TEST(ValidatePlugins, RouterPluginsWithoutAFactoryAreInvalidSpec) {
  const auto routers = vaneRouters();
  const json canary = {{"canaryService", "c"}, {"stableService", "s"}};
  auto with = [&](const json& tr) {
    json extra = canary;
    extra["trafficRouting"] = tr;
    return decoded(basicRollout(2, json::array({{{"setWeight", 20}}}), extra));
  };
  // Vane's own: the Gateway API plugin and Istio, beside managedRoutes and maxTrafficWeight.
  EXPECT_EQ(validateTrafficRouters(
                with({{"plugins", {{"argoproj-labs/gatewayAPI", {{"httpRoute", "r"}}}}},
                      {"managedRoutes", json::array()},
                      {"maxTrafficWeight", 1000}}),
                routers),
            "");
  EXPECT_EQ(
      validateTrafficRouters(with({{"istio", {{"virtualService", {{"name", "vs"}}}}}}), routers),
      "");
  EXPECT_EQ(
      validateTrafficRouters(with({{"plugins",
                                    {{"argoproj-labs/gatewayAPI", json::object()},
                                     {"example.com/other", json::object()}}}}),
                             routers),
      "The Rollout \"web\" is invalid: spec.strategy.canary.trafficRouting.plugins[\"example.com/"
      "other\"]: Invalid value: \"example.com/other\": traffic router plugin \"example.com/other\" "
      "is not implemented by Vane (implemented: istio, plugins[\"argoproj-labs/gatewayAPI\"])");
  EXPECT_EQ(validateTrafficRouters(with({{"nginx", {{"stableIngress", "i"}}}}), routers),
            "The Rollout \"web\" is invalid: spec.strategy.canary.trafficRouting.nginx: Invalid "
            "value: \"nginx\": traffic router \"nginx\" is not implemented by Vane (implemented: "
            "istio, plugins[\"argoproj-labs/gatewayAPI\"])");
}

TEST(ValidatePlugins, MetricProviderPluginsOtherThanTheJudgeAreInvalidSpec) {
  json ro = basicRollout(
      2,
      json::array(
          {{{"setWeight", 20}},
           {{"analysis",
             {{"templates", json::array({{{"templateName", "judge"}},
                                         {{"templateName", "sumo"}, {"clusterScope", true}}})}}}}}),
      {{"analysis", {{"templates", json::array({{{"templateName", "bg"}}})}}}});
  const kube::Rollout r = decoded(ro);
  const auto refs = referencedTemplates(r);
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0].field, "spec.strategy.canary.analysis.templates[0]");
  EXPECT_EQ(refs[2].field, "spec.strategy.canary.steps[1].analysis.templates[1]");
  EXPECT_TRUE(refs[2].clusterScope);
  auto tmpl = [](const std::string& plugin) {
    return json{{"kind", "AnalysisTemplate"},
                {"spec",
                 {{"metrics",
                   json::array({{{"name", "p"}, {"provider", {{"prometheus", {}}}}},
                                {{"name", "m"}, {"provider", {{"plugin", {{plugin, {}}}}}}}})}}}};
  };
  EXPECT_EQ(validateMetricPlugins(r, refs[1], tmpl("vane.dev/judge")), "");
  EXPECT_EQ(validateMetricPlugins(r, refs[2], tmpl("argoproj-labs/metric-sumologic")),
            "The Rollout \"web\" is invalid: "
            "spec.strategy.canary.steps[1].analysis.templates[1].templateName: Invalid value: "
            "\"sumo\": ClusterAnalysisTemplate \"sumo\" "
            "spec.metrics[1].provider.plugin[\"argoproj-labs/metric-sumologic\"]: metric provider "
            "plugin \"argoproj-labs/metric-sumologic\" is not implemented by Vane (implemented: "
            "vane.dev/judge)");
}

}  // namespace
}  // namespace vane::controller
