#include "cli/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace vane::cli {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char* kRoutedRollout = R"(apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: demo
  namespace: shop
spec:
  replicas: 10
  selector:
    matchLabels: {app: demo}
  template:
    metadata:
      labels: {app: demo}
    spec:
      containers: [{name: app, image: nginx}]
  strategy:
    canary:
      canaryService: canary
      stableService: stable
      trafficRouting:
        managedRoutes:
        - name: canary-header
        istio:
          virtualService:
            name: demo-vs
            routes: [primary]
      steps:
      - setHeaderRoute:
          name: canary-header
          match:
          - headerName: x-canary
            headerValue: {exact: "yes"}
      - setWeight: 5
      - pause: {duration: 30s}
      - setCanaryScale: {replicas: 2}
      - setWeight: 30
      - pause: {duration: 1m}
      - analysis:
          templates: [{templateName: error-rate}]
      - pause: {}
)";

const char* kVirtualService = R"(apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: demo-vs
  namespace: shop
spec:
  hosts: [demo]
  http:
  - name: primary
    retries: {attempts: 3}
    route:
    - destination: {host: stable}
      weight: 100
    - destination: {host: canary}
      weight: 0
)";

const char* kService = R"(apiVersion: v1
kind: Service
metadata: {name: canary}
spec:
  selector: {app: demo}
)";

std::string writeFile(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/plan_test_" + name;
  std::ofstream(path) << text;
  return path;
}

struct RunResult {
  int code;
  std::string out, err;
};

RunResult run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = runPlan(args, out, err);
  return {code, out.str(), err.str()};
}

std::string multiDoc() {
  return std::string(kService) + "---\n" + kRoutedRollout + "---\n" + kVirtualService;
}

TEST(PlanTest, TrafficRoutedTimelineFromMultiDocumentFile) {
  auto r = run({"-f", writeFile("multi.yaml", multiDoc()), "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json plan = json::parse(r.out);
  EXPECT_EQ(plan["rollout"], "demo");
  EXPECT_EQ(plan["namespace"], "shop");
  EXPECT_TRUE(plan["trafficRouting"]);
  const json& steps = plan["steps"];
  ASSERT_EQ(steps.size(), 10u);  // 8 steps + completion + promotion
  std::vector<std::string> names;
  for (const json& s : steps) names.push_back(s["step"]);
  EXPECT_THAT(names, ElementsAre("setHeaderRoute: canary-header", "setWeight: 5", "pause: 30s",
                                 "setCanaryScale: replicas 2", "setWeight: 30", "pause: 1m",
                                 "analysis: error-rate", "pause (indefinite)", "(all steps done)",
                                 "(promoted: new revision is stable)"));
  // Weight 5 of 10 replicas: canary ceil(0.5) = 1, stable stays at 10.
  EXPECT_EQ(steps[1]["weight"], 5);
  EXPECT_EQ(steps[1]["replicas"], json({{"canary", 1}, {"stable", 10}}));
  // setCanaryScale decouples the canary count from the weight (3 would follow from 30 %).
  EXPECT_EQ(steps[4]["weight"], 30);
  EXPECT_EQ(steps[4]["replicas"], json({{"canary", 2}, {"stable", 10}}));
  EXPECT_EQ(steps[5]["cumulativeSeconds"], 90);
  EXPECT_EQ(steps[6]["wait"], "analysis");
  EXPECT_EQ(steps[7]["wait"], "waits for promotion");
  EXPECT_EQ(steps[7]["untimedWaits"], 2);
  EXPECT_EQ(steps[8]["weight"], 100);
  EXPECT_EQ(steps[8]["replicas"], json({{"canary", 10}, {"stable", 10}}));
  EXPECT_EQ(steps[9]["replicas"], json({{"canary", 0}, {"stable", 10}}));

  auto changes = [&](int i) { return steps[i]["virtualServiceChanges"]; };
  // The header route is held out while the canary has no pod (step 0 scales it to none) and
  // written with the first canary pod, as the controller does.
  EXPECT_TRUE(changes(0).empty());
  ASSERT_EQ(changes(1).size(), 1u);
  EXPECT_EQ(changes(1)[0]["virtualService"], "demo-vs");
  ASSERT_EQ(changes(1)[0]["changes"].size(), 3u);
  EXPECT_THAT(changes(1)[0]["changes"][0].get<std::string>(),
              HasSubstr("spec.http[canary-header]: added {"));
  EXPECT_EQ(changes(1)[0]["changes"][1], "spec.http[primary].route[stable].weight: 100 -> 95");
  EXPECT_EQ(changes(1)[0]["changes"][2], "spec.http[primary].route[canary].weight: 0 -> 5");
  EXPECT_TRUE(changes(2).empty());  // a pause moves no traffic
  EXPECT_EQ(changes(8)[0]["changes"], json({"spec.http[primary].route[stable].weight: 70 -> 0",
                                            "spec.http[primary].route[canary].weight: 30 -> 100"}));
  EXPECT_EQ(changes(9)[0]["changes"], json({"spec.http[canary-header]: removed",
                                            "spec.http[primary].route[stable].weight: 0 -> 100",
                                            "spec.http[primary].route[canary].weight: 100 -> 0"}));
}

TEST(PlanTest, TextOutputShowsRowsAndChangedLinesOnly) {
  auto r = run({"-f", writeFile("text.yaml", multiDoc())});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Rollout shop/demo: 10 replicas, traffic routing"));
  EXPECT_THAT(r.out, HasSubstr("STEP  ACTION"));
  EXPECT_THAT(r.out, HasSubstr("        spec.http[primary].route[canary].weight: 0 -> 5\n"));
  EXPECT_THAT(r.out, HasSubstr("1m30s + waits  waits for promotion"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("retries")));  // untouched fields are not shown
}

TEST(PlanTest, VirtualServiceFromSeparateFile) {
  auto r = run({"--filename=" + writeFile("ro.yaml", kRoutedRollout), "--virtualservice",
                writeFile("vs.yaml", kVirtualService), "--output=json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json plan = json::parse(r.out);
  EXPECT_EQ(plan["steps"][1]["virtualServiceChanges"][0]["changes"][2],
            "spec.http[primary].route[canary].weight: 0 -> 5");
  EXPECT_TRUE(plan["notes"].empty());
}

TEST(PlanTest, MissingVirtualServiceIsNotedNotGuessed) {
  auto r = run({"-f", writeFile("novs.yaml", kRoutedRollout), "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json plan = json::parse(r.out);
  EXPECT_TRUE(plan["steps"][1]["virtualServiceChanges"].empty());
  EXPECT_THAT(plan["notes"][0].get<std::string>(), HasSubstr("'demo-vs' not given"));
}

TEST(PlanTest, GatewayApiPluginRoutes) {
  std::string ro = kRoutedRollout;
  const std::size_t from = ro.find("      trafficRouting:");
  const std::size_t to = ro.find("      steps:");
  ro = ro.substr(0, from) + R"(      trafficRouting:
        managedRoutes:
        - name: canary-header
        plugins:
          argoproj-labs/gatewayAPI:
            httpRoute: demo-route
)" + ro.substr(to);
  const char* route = R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: demo-route, namespace: shop}
spec:
  rules:
  - backendRefs:
    - {name: stable, port: 80, weight: 100}
    - {name: canary, port: 80, weight: 0}
)";
  auto r = run({"-f", writeFile("gw.yaml", ro + "---\n" + route), "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json plan = json::parse(r.out);
  EXPECT_TRUE(plan["notes"].empty()) << plan["notes"].dump();
  auto changes = [&](int i) { return plan["steps"][i]["virtualServiceChanges"]; };
  EXPECT_TRUE(changes(0).empty()) << plan.dump();  // held out: no canary pod at step 0
  ASSERT_EQ(changes(1).size(), 1u) << plan.dump();
  EXPECT_EQ(changes(1)[0]["kind"], "HTTPRoute");
  EXPECT_EQ(changes(1)[0]["virtualService"], "demo-route");
  // The in-progress label, the rule and the weights; the router's record is not shown.
  ASSERT_EQ(changes(1)[0]["changes"].size(), 4u) << changes(1).dump();
  EXPECT_THAT(changes(1)[0]["changes"].dump(), HasSubstr("spec.rules[canary-header]: added"));
  EXPECT_THAT(changes(1)[0]["changes"].dump(),
              HasSubstr("spec.rules[stable,canary].backendRefs[canary].weight: 0 -> 5"));
  EXPECT_THAT(changes(9)[0]["changes"].dump(), HasSubstr("spec.rules[canary-header]: removed"));
  auto text = run({"-f", writeFile("gw.yaml", ro + "---\n" + route)});
  EXPECT_THAT(text.out, HasSubstr("      HTTPRoute demo-route:\n"));
}

TEST(PlanTest, BasicCanaryUsesArgosClosestSplit) {
  const std::string rollout = R"(kind: Rollout
metadata: {name: basic}
spec:
  replicas: 4
  strategy:
    canary:
      steps:
      - setWeight: 25
      - pause: {duration: 10}
      - setWeight: 50
      - setCanaryScale: {replicas: 3}
)";
  auto r = run({"-f", writeFile("basic.yaml", rollout), "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json plan = json::parse(r.out);
  EXPECT_FALSE(plan["trafficRouting"]);
  const json& steps = plan["steps"];
  EXPECT_EQ(steps[0]["replicas"], json({{"canary", 1}, {"stable", 3}}));
  EXPECT_EQ(steps[1]["cumulativeSeconds"], 10);
  EXPECT_EQ(steps[2]["replicas"], json({{"canary", 2}, {"stable", 2}}));
  // Without traffic routing Argo ignores setCanaryScale.
  EXPECT_EQ(steps[3]["replicas"], json({{"canary", 2}, {"stable", 2}}));
  EXPECT_THAT(plan["notes"][0].get<std::string>(), HasSubstr("setCanaryScale has no effect"));
  EXPECT_EQ(steps[4]["replicas"], json({{"canary", 4}, {"stable", 0}}));
}

TEST(PlanTest, DecodeErrorNamesDocumentAndField) {
  std::string text = std::string(kService) + "---\n" +
                     "kind: Rollout\nmetadata: {name: bad}\nspec:\n  strategy:\n    canary:\n"
                     "      steps:\n      - setWeight: high\n";
  auto r = run({"-f", writeFile("bad.yaml", text)});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml doc 2 (Rollout bad)"));
  EXPECT_THAT(r.err, HasSubstr("spec.strategy.canary.steps[0].setWeight"));
}

TEST(PlanTest, RouterErrorNamesVirtualServiceDocumentAndStep) {
  std::string vs = kVirtualService;
  vs.replace(vs.find("name: primary"), 13, "name: other");
  auto r = run(
      {"-f", writeFile("ro2.yaml", kRoutedRollout), "--virtualservice", writeFile("vs2.yaml", vs)});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("vs2.yaml doc 1 (VirtualService 'demo-vs') at steps[0]"));
  EXPECT_THAT(r.err, HasSubstr("HTTP Route 'primary' is not found"));
}

TEST(PlanTest, MalformedYamlAndBadArguments) {
  auto r = run({"-f", writeFile("broken.yaml", std::string(kService) + "---\nkind: [\n")});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("broken.yaml doc 2 (line "));
  EXPECT_EQ(run({}).code, 1);
  EXPECT_THAT(run({"-f", "x", "-o", "yaml"}).err,
              HasSubstr("-o yaml: invalid value \"yaml\": want one of text, json"));
  EXPECT_THAT(run({"-f", "/nonexistent/plan.yaml"}).err, HasSubstr("cannot read file"));
  EXPECT_THAT(run({"-f", writeFile("svc.yaml", kService)}).err, HasSubstr("no Rollout found"));
}

TEST(PlanDiffTest, PrependedRouteIsOneAddedLine) {
  json before = {{"spec", {{"http", {{{"name", "a"}}, {{"name", "b"}}}}}}};
  json after = {{"spec", {{"http", {{{"name", "m"}}, {{"name", "a"}}, {{"name", "b"}}}}}}};
  EXPECT_THAT(diffObjects(before, after), ElementsAre("spec.http[m]: added {\"name\":\"m\"}"));
  json reordered = {{"spec", {{"http", {{{"name", "b"}}, {{"name", "a"}}}}}}};
  EXPECT_THAT(diffObjects(before, reordered), ElementsAre("spec.http order: a, b -> b, a"));
  EXPECT_TRUE(diffObjects(before, before).empty());
  EXPECT_THAT(diffObjects(json{{"x", {1, 2}}}, json{{"x", {1}}}), ElementsAre("x[1]: removed"));
}

TEST(PlanDiffTest, FormatSeconds) {
  EXPECT_EQ(formatSeconds(0), "0s");
  EXPECT_EQ(formatSeconds(90), "1m30s");
  EXPECT_EQ(formatSeconds(3600), "1h");
  EXPECT_EQ(formatSeconds(3661), "1h1m1s");
}

}  // namespace
}  // namespace vane::cli
