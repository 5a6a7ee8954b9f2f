#include "cli/lint.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cli/yaml_docs.h"
#include "controller/conditions.h"

namespace vane::cli {
namespace {

const char* kValid = R"(apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: demo
spec:
  selector:
    matchLabels: {app: demo}
  template:
    metadata:
      labels: {app: demo}
    spec:
      containers: [{name: app, image: nginx}]
  strategy:
    canary:
      steps:
      - setWeight: 20
      - pause: {duration: 30s}
)";

std::string withSteps(const std::string& steps) {
  std::string s = kValid;
  return s.substr(0, s.find("      steps:")) + "      steps:\n" + steps;
}

TEST(SplitYaml, SplitsOnSeparatorLinesOnly) {
  auto docs =
      splitYamlDocuments("---\na: 1\n--- # two\nb: '---'\n---\n# only a comment\n---\nc: 3\n");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].text, "a: 1\n");
  EXPECT_EQ(docs[1].first_line, 4);
  EXPECT_EQ(docs[2].text, "c: 3\n");
}

TEST(YamlToJson, TypesScalarsLikeKubectl) {
  auto j = yamlToJson("a: 10\nb: '10'\nc: true\nd: 30s\ne: ~\nf: 1.5\ng: \"x\"\n");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j.value()["a"], 10);
  EXPECT_EQ(j.value()["b"], "10");
  EXPECT_EQ(j.value()["c"], true);
  EXPECT_EQ(j.value()["d"], "30s");
  EXPECT_TRUE(j.value()["e"].is_null());
  EXPECT_EQ(j.value()["f"], 1.5);
  EXPECT_FALSE(yamlToJson("a: [1,\n").ok());
}

TEST(Lint, ValidRolloutHasNoErrors) {
  int checked = 0;
  EXPECT_TRUE(lintText(kValid, &checked).empty());
  EXPECT_EQ(checked, 1);
}

TEST(Lint, TypeErrorNamesTheField) {
  auto errors = lintText(withSteps("      - setWeight: \"abc\"\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "spec.strategy.canary.steps[0].setWeight");
  EXPECT_EQ(errors[0].name, "demo");
}

TEST(Lint, ArgoRulesWithPaths) {
  auto errors =
      lintText(withSteps("      - setWeight: 120\n      - {}\n"
                         "      - pause: {duration: 0}\n"
                         "      - setWeight: 10\n        pause: {}\n"));
  std::vector<std::string> fields;
  for (const auto& e : errors) fields.push_back(e.field + ": " + e.message);
  EXPECT_NE(std::find(fields.begin(), fields.end(),
                      "spec.strategy.canary.steps[0].setWeight: SetWeight needs to be between 0 "
                      "and 100"),
            fields.end());
  EXPECT_NE(
      std::find(fields.begin(), fields.end(),
                std::string("spec.strategy.canary.steps[1]: ") + controller::kMessageInvalidStep),
      fields.end());
  EXPECT_NE(
      std::find(fields.begin(), fields.end(),
                std::string("spec.strategy.canary.steps[3]: ") + controller::kMessageInvalidStep),
      fields.end());
  EXPECT_EQ(errors.size(), 3u);
  auto negative = lintText(withSteps("      - pause: {duration: -5}\n"));
  ASSERT_EQ(negative.size(), 1u);
  EXPECT_EQ(negative[0].field, "spec.strategy.canary.steps[0].pause.duration");
  EXPECT_EQ(negative[0].message, controller::kMessageInvalidDuration);
}

TEST(Lint, TrafficRoutingRules) {
  std::string text = kValid;
  text += R"(      trafficRouting:
        istio:
          virtualService: {name: vs}
)";
  text = text.substr(0, text.find("      steps:")) +
         "      steps:\n      - setHeaderRoute: {name: hdr, match: [{headerName: x, headerValue: "
         "{}}]}\n" +
         text.substr(text.find("      trafficRouting:"));
  auto errors = lintText(text);
  std::set<std::string> fields;
  for (const auto& e : errors) fields.insert(e.field);
  EXPECT_TRUE(fields.count("spec.strategy.canary.trafficRouting"));  // Argo's path for both
  EXPECT_TRUE(fields.count("spec.strategy.canary.steps[0].setHeaderRoute.name"));
  EXPECT_TRUE(fields.count("spec.strategy.canary.steps[0].setHeaderRoute.match[0].headerValue"));
}

TEST(Lint, StrategyAndSelector) {
  auto none =
      lintText("kind: Rollout\nmetadata: {name: x}\nspec:\n  selector: {}\n  template: {}\n");
  std::set<std::string> fields;
  for (const auto& e : none) fields.insert(e.field + "|" + e.message);
  EXPECT_TRUE(fields.count(std::string("spec.selector|") + controller::kMessageSelectAll));
  EXPECT_TRUE(
      fields.count("spec.strategy|Rollout has missing field '.spec.strategy.canary or "
                   ".spec.strategy.blueGreen'"));
  auto bg = lintText(
      "kind: Rollout\nmetadata: {name: x}\nspec:\n  selector: {matchLabels: {a: b}}\n"
      "  template: {metadata: {labels: {a: c}}}\n  strategy:\n    blueGreen:\n"
      "      activeService: s\n      previewService: s\n");
  fields.clear();
  for (const auto& e : bg) fields.insert(e.field);
  EXPECT_TRUE(fields.count("spec.template.metadata.labels"));
  EXPECT_TRUE(fields.count("spec.strategy.blueGreen.activeService"));
}

TEST(Lint, SkipsOtherKindsAndReportsBadYaml) {
  int checked = -1;
  auto errors = lintText("kind: Service\nmetadata: {name: s}\n---\nkind: [\n", &checked);
  EXPECT_EQ(checked, 0);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].document, 1);
  EXPECT_NE(errors[0].message.find("invalid YAML"), std::string::npos);
}

TEST(Lint, RepositoryExamplesAreValid) {
  for (const char* f :
       {"rollout-canary-basic.yaml", "rollout-canary-istio.yaml", "rollout-canary-analysis.yaml",
        "rollout-bluegreen.yaml", "rollout-rolling-update.yaml", "rollout-analysis-step.yaml",
        "gatewayapi/rollout-canary-gatewayapi.yaml"}) {
    std::ifstream in(std::string(VANE_SOURCE_DIR) + "/examples/" + f);
    ASSERT_TRUE(in) << f;
    std::stringstream ss;
    ss << in.rdbuf();
    int checked = 0;
    auto errors = lintText(ss.str(), &checked);
    EXPECT_TRUE(errors.empty()) << f << ": " << (errors.empty() ? "" : formatLintError(errors[0]));
    EXPECT_EQ(checked, 1) << f;
  }
}

TEST(Lint, WarnsAboutRoutersAndProvidersVaneDoesNotImplement) {
  // Argo's Linkerd example (examples/traffic-management/linkerd.yaml): SMI traffic routing.
  std::string smi = R"(apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: rollouts-demo
spec:
  replicas: 1
  selector:
    matchLabels: {app: rollouts-demo}
  template:
    metadata:
      labels: {app: rollouts-demo}
    spec:
      containers: [{name: rollouts-demo, image: argoproj/rollouts-demo:blue}]
  strategy:
    canary:
      canaryService: rollouts-demo-canary
      stableService: rollouts-demo-stable
      trafficRouting:
        smi: {}
        plugins:
          argoproj-labs/gatewayAPI: {httpRoute: web}
          example.com/other: {}
      steps:
      - setWeight: 5
      - pause: {}
---
kind: AnalysisTemplate
metadata: {name: t}
spec:
  metrics:
  - name: a
    provider: {datadog: {query: x}}
  - name: b
    provider: {prometheus: {query: x}}
  - name: c
    provider: {plugin: {vane.dev/judge: {}, argoproj-labs/metric-sumologic: {}}}
)";
  int checked = 0;
  auto found = lintText(smi, &checked);
  EXPECT_EQ(checked, 1);
  std::vector<std::string> fields;
  for (const auto& e : found) {
    EXPECT_TRUE(e.warning) << e.field << ": " << e.message;
    fields.push_back(std::to_string(e.document) + " " + e.field);
  }
  EXPECT_EQ(fields,
            (std::vector<std::string>{
                "0 spec.strategy.canary.trafficRouting.plugins[\"example.com/other\"]",
                "0 spec.strategy.canary.trafficRouting.smi", "1 spec.metrics[0].provider.datadog",
                "1 spec.metrics[2].provider.plugin[\"argoproj-labs/metric-sumologic\"]"}));
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(formatLintError(found[1]).rfind("warning: document 1 (rollout rollouts-demo): "
                                            "spec.strategy.canary.trafficRouting.smi: traffic "
                                            "router 'smi' is not implemented by Vane",
                                            0),
            0u)
      << formatLintError(found[1]);
  EXPECT_TRUE(lintText(kValid).empty());
}

}  // namespace
}  // namespace vane::cli
