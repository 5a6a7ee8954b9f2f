// `kubectl vane judge` offline: samples from flags and files, settings as flags, text and JSON
// output, exit codes, and errors that name the flag.
#include "cli/judge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "analysis/judge_provider.h"
#include "cli/yaml_docs.h"

namespace vane::cli {
namespace {

using ::testing::HasSubstr;

struct JudgeRun {
  int code;
  std::string out, err;
};

JudgeRun judge(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = runJudge(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(JudgeCommand, HighWithTheNumbersBehindIt) {
  const JudgeRun r =
      judge({"--canary", "20,22,21,25,30", "--baseline", "1,2.2,1.1,2.5,3", "--name", "latency"});
  EXPECT_EQ(2, r.code) << r.err;
  EXPECT_THAT(r.out, HasSubstr("METRIC    latency (direction either)"));
  EXPECT_THAT(r.out, HasSubstr("RESULT    High"));
  EXPECT_THAT(r.out, HasSubstr("% CI ["));
  EXPECT_THAT(r.out, HasSubstr("EFFECT    meanRatio 12.0408"));  // 23.6 / 1.96
  EXPECT_THAT(r.out, HasSubstr("CANARY    n=5 mean=23.6"));
  EXPECT_THAT(r.out, HasSubstr("SCORE     0 (Fail; pass 95, marginal 75)"));
}

TEST(JudgeCommand, PassExitsZeroAndJsonCarriesTheJudgement) {
  const JudgeRun r = judge({"--canary", "1 2 3 4 5", "--baseline", "5,4,3,2,1", "-o", "json"});
  EXPECT_EQ(0, r.code) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ("Pass", j["classification"]);
  EXPECT_EQ(100.0, j["score"]);
  EXPECT_EQ("Pass", j["metrics"][0]["classification"]);
  EXPECT_EQ(5, j["metrics"][0]["canary"]["count"]);
}

TEST(JudgeCommand, SettingsAsFlags) {
  // A 25% increase allowed by --allowed-increase 1.3 passes; --direction decrease ignores it.
  std::vector<std::string> base = {"--canary", "125,126,124,127,123,125,126", "--baseline",
                                   "100,101,99,102,98,100,101"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return judge(a);
  };
  EXPECT_EQ(2, with({}).code);
  EXPECT_EQ(0, with({"--allowed-increase", "1.3"}).code);
  EXPECT_EQ(0, with({"--direction=decrease"}).code);
  const JudgeRun critical = with({"--critical", "-o", "json"});
  EXPECT_EQ(true, nlohmann::json::parse(critical.out)["metrics"][0]["critical"]);
  const JudgeRun cles = with({"--effect-size", "cles", "-o", "json"});
  EXPECT_EQ(1.0, nlohmann::json::parse(cles.out)["metrics"][0]["effectSize"]["value"]);
}

TEST(JudgeCommand, SamplesFromFilesAndNaNHandling) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/c.txt") << "1\n2\nNaN\n3\n";
  std::ofstream(dir + "/b.txt") << "1, 2, 3\n";
  JudgeRun r = judge({"--canary-file", dir + "/c.txt", "--baseline-file", dir + "/b.txt"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_THAT(r.out, HasSubstr("CANARY    n=3 (of 4)"));
  r = judge({"--canary-file", dir + "/c.txt", "--baseline-file", dir + "/b.txt", "--nan-strategy",
             "replace", "-o", "json"});
  EXPECT_EQ(4, nlohmann::json::parse(r.out)["metrics"][0]["canary"]["count"]);
}

TEST(JudgeCommand, NoDataIsExplained) {
  const JudgeRun r = judge({"--canary", "", "--baseline", "1,2", "--must-have-data"});
  EXPECT_EQ(2, r.code);
  EXPECT_THAT(r.out, HasSubstr("RESULT    NodataFailMetric"));
  EXPECT_THAT(r.out, HasSubstr("REASON    Missing data for metric"));
}

TEST(JudgeCommand, ErrorsNameTheFlag) {
  EXPECT_THAT(judge({"--canary", "1,x", "--baseline", "1"}).err,
              HasSubstr("--canary: 'x' is not a number"));
  EXPECT_THAT(judge({"--canary", "1", "--baseline", "1", "--direction", "up"}).err,
              HasSubstr("--direction: unknown value \"up\""));
  EXPECT_THAT(judge({"--canary", "1"}).err, HasSubstr("no baseline samples"));
  EXPECT_THAT(judge({"--canary", "1", "--baseline", "1", "--bogus", "2"}).err,
              HasSubstr("unknown flag --bogus"));
  EXPECT_THAT(judge({"--canary", "1", "--baseline", "1", "--allowed-increase", "a"}).err,
              HasSubstr("--allowed-increase: 'a' is not a number"));
  EXPECT_EQ(1, judge({"--canary-file", "/nonexistent/x", "--baseline", "1"}).code);
  EXPECT_EQ(0, judge({"--help"}).code);
}

TEST(JudgeExample, TheExampleTemplateDecodes) {
  std::ifstream in(std::string(VANE_SOURCE_DIR) + "/examples/analysis-template-judge.yaml");
  std::stringstream text;
  text << in.rdbuf();
  auto doc = yamlToJson(text.str());
  ASSERT_TRUE(doc.ok()) << doc.status().toString();
  const nlohmann::json& metric = (*doc)["spec"]["metrics"][0];
  auto spec = analysis::decodeJudgeSpec(metric);
  ASSERT_TRUE(spec.ok()) << spec.status().toString();
  ASSERT_EQ(2u, spec->metrics.size());
  EXPECT_EQ(60.0, spec->groupWeights.at("latency"));
  EXPECT_TRUE(spec->metrics[0].config.critical);
  EXPECT_EQ(1.5, spec->metrics[0].config.params().criticalIncrease);
  EXPECT_EQ(judge::NanStrategy::kReplace, spec->metrics[1].config.nanStrategy);
  EXPECT_EQ("{{args.canary-hash}}", spec->scopes[0].canary.scope);
}

}  // namespace
}  // namespace vane::cli
