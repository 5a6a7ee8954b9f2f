// A canary judged by the built-in statistical judge, end to end: the Rollout controller in-process
// (with the vane.dev/judge provider registered as in vane-controller) against vane-apiserver
// --simulate-workloads, and a real Prometheus 2.42 whose latency data were backfilled with
// `promtool tsdb create-blocks-from openmetrics`: the baseline, a canary 25% slower and one within
// 2%. The slow canary's step analysis fails and the Rollout aborts with a message naming the
// metric, its interval and its effect size; the close one passes its analysis and goes on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "analysis/judge_provider.h"
#include "analysis/provider.h"
#include "controller/manager.h"
#include "kube/client.h"
#include "kube/events.h"
#include "kube/http.h"
#include "support/process.h"
#include "trafficrouting/router.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
namespace res = kube::resources;
namespace vt = vane::testing;
using namespace std::chrono_literals;

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

// app_latency_seconds{role=...} every 15 s over the 12 minutes before end, lognormal noise
// (sigma 0.1) around 0.1 s times the role's factor; a fixed seed per role.
std::string openMetrics(int64_t end) {
  std::string out = "# TYPE app_latency_seconds gauge\n";
  uint64_t seed = 1;
  for (const auto& [role, factor] : std::vector<std::pair<std::string, double>>{
           {"baseline", 1.0}, {"canary-slow", 1.25}, {"canary-close", 1.02}}) {
    std::mt19937_64 rng(seed++);
    std::lognormal_distribution<double> noise(0.0, 0.1);
    for (int64_t t = end - 12 * 60; t <= end; t += 15) {
      out += "app_latency_seconds{role=\"" + role + "\"} " +
             std::to_string(0.1 * factor * noise(rng)) + " " + std::to_string(t) + "\n";
    }
  }
  return out + "# EOF\n";
}

constexpr const char* kManifests = R"(apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: latency-judge
spec:
  args:
  - name: canary-role
  metrics:
  - name: judge
    count: 1
    failureLimit: 0
    provider:
      plugin:
        vane.dev/judge:
          address: PROMETHEUS_URL
          window: 10m
          step: 15s
          threshold: {pass: 95, marginal: 75}
          scopes:
          - name: default
            controlScope: {scope: baseline}
            experimentScope: {scope: "{{args.canary-role}}"}
          metrics:
          - name: latency
            query: 'app_latency_seconds{role="${scope}"}'
            direction: increase
            effectSize: {allowedIncrease: 1.1}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: IMAGE
  strategy:
    canary:
      abortScaleDownDelaySeconds: 0
      steps:
      - setWeight: 50
      - analysis:
          templates:
          - templateName: latency-judge
          args:
          - name: canary-role
            value: CANARY_ROLE
      - pause: {}
)";

class JudgeRolloutTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = vt::makeTempDir("vane-judge-rollout");
    const int64_t end =
        std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count() -
        30;
    std::ofstream(dir_ + "/latency.om") << openMetrics(end);
    const auto backfill = vt::run(
        "promtool tsdb create-blocks-from openmetrics " + dir_ + "/latency.om " + dir_ + "/data",
        60s);
    ASSERT_EQ(0, backfill.exit_code) << backfill.output;
    std::ofstream(dir_ + "/prometheus.yml")
        << "global: {scrape_interval: 15s}\nscrape_configs: []\n";
    port_ = vt::freePort();
    prometheus_ =
        new vt::Process({"/usr/bin/prometheus", "--config.file=" + dir_ + "/prometheus.yml",
                         "--storage.tsdb.path=" + dir_ + "/data",
                         "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
                        dir_ + "/prometheus.log");
    auto client = http::Client::create({}).value();
    ASSERT_TRUE(vt::waitFor(
        [&] {
          auto r = client->send({"GET", promUrl() + "/-/ready", {}, "", 1000ms});
          return r.ok() && r->status == 200;
        },
        30s))
        << prometheus_->log();
  }
  static void TearDownTestSuite() {
    delete prometheus_;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static std::string promUrl() { return "http://127.0.0.1:" + std::to_string(port_); }

  void SetUp() override {
    ASSERT_NE(prometheus_, nullptr);
    server_ = vt::ApiServer::start();
    ASSERT_TRUE(server_) << "vane-apiserver did not start";
    kubectlOk("apply -k " + std::string(VANE_SOURCE_DIR) + "/crds/");
    auto config = kube::loadKubeconfig(server_->kubeconfig());
    ASSERT_TRUE(config.ok()) << config.status().toString();
    client_ = std::move(kube::Client::create(*config).value());
    events_ = kube::EventRecorder::create(*client_);
    providers_.add(std::make_unique<analysis::JudgeProvider>());
    controller_ = std::make_unique<Manager>(*client_, ControllerOptions{}, events_.get(), &routers_,
                                            &providers_);
    Status st = controller_->start(seconds(20));
    ASSERT_TRUE(st.isOk()) << st.toString();
  }
  void TearDown() override {
    if (controller_) controller_->stop();
    if (events_) events_->stop();
    if (HasFailure() && server_) std::cerr << "apiserver log:\n" << server_->process()->log();
  }
  void kubectlOk(const std::string& args) {
    auto r = vt::run(server_->kubectl() + " " + args);
    ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  }
  void apply(const std::string& image, const std::string& canary_role) {
    std::string yaml = replaceAll(kManifests, "PROMETHEUS_URL", promUrl());
    yaml = replaceAll(replaceAll(yaml, "IMAGE", image), "CANARY_ROLE", canary_role);
    const std::string file = vt::makeTempDir("vane-judge-m") + "/m.yaml";
    std::ofstream(file) << yaml;
    kubectlOk("apply -f " + file);
  }
  json status() {
    auto r = client_->get(res::kRollouts, "default", "web");
    return r.ok() ? (*r).value("status", json::object()) : json::object();
  }
  bool waitPhase(const std::string& phase, int step) {
    return vt::waitFor(
        [&] {
          json s = status();
          return s.value("phase", "") == phase && s.value("currentStepIndex", -1) == step;
        },
        seconds(60));
  }

  static inline std::string dir_;
  static inline uint16_t port_ = 0;
  static inline vt::Process* prometheus_ = nullptr;
  std::unique_ptr<vt::ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::EventRecorder> events_;
  trafficrouting::RouterRegistry routers_;
  analysis::ProviderRegistry providers_;
  std::unique_ptr<Manager> controller_;
};

TEST_F(JudgeRolloutTest, CanaryTwentyFivePercentSlowerIsAbortedWithTheJudgement) {
  apply("nginx:1", "canary-slow");
  ASSERT_TRUE(waitPhase("Healthy", 3)) << status().dump();
  apply("nginx:2", "canary-slow");
  ASSERT_TRUE(waitPhase("Degraded", 0)) << status().dump();
  const std::string message = status().value("message", "");
  EXPECT_THAT(message, HasSubstr("RolloutAborted: Rollout aborted update to revision 2"));
  EXPECT_THAT(message, HasSubstr("Metric \"judge\" assessed Failed"));
  EXPECT_THAT(message, HasSubstr("latency High: canary-baseline 98% CI ["));
  EXPECT_THAT(message, ContainsRegex("meanRatio 1\\.2[0-9]* \\(allowed increase 1\\.1\\)"));
  EXPECT_THAT(message, HasSubstr("samples canary 41 baseline 41"));
  RecordProperty("abort_message", message);
}

TEST_F(JudgeRolloutTest, CanaryWithinTwoPercentPassesItsAnalysis) {
  apply("nginx:1", "canary-close");
  ASSERT_TRUE(waitPhase("Healthy", 3)) << status().dump();
  apply("nginx:2", "canary-close");
  EXPECT_TRUE(waitPhase("Paused", 2)) << status().dump();
}

}  // namespace
}  // namespace vane::controller
