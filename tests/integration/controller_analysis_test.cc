// A canary judged by Prometheus analysis, end to end: the Rollout controller in-process (Istio
// router and Prometheus provider registered as in vane-controller) against vane-apiserver
// --simulate-workloads with the Istio CRDs, a real Prometheus 2.42 scraping two real
// vane-test-app instances (the stable version and the canary, whose error rate the test raises),
// and request traffic sent to both. No timing is asserted here: bench/analysis_abort_latency.sh
// measures how fast the abort follows the breach.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "analysis/prometheus_provider.h"
#include "analysis/provider.h"
#include "controller/manager.h"
#include "kube/client.h"
#include "kube/events.h"
#include "kube/http.h"
#include "support/manifests.h"
#include "support/process.h"
#include "trafficrouting/istio_router.h"
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

/// vane-test-app on a free port (it writes the port it bound to a file).
struct App {
  std::string dir, url;
  std::unique_ptr<vt::Process> process;
  static std::unique_ptr<App> start(const std::string& version) {
    auto a = std::make_unique<App>();
    a->dir = vt::makeTempDir("vane-app-" + version);
    a->process = std::make_unique<vt::Process>(
        std::vector<std::string>{std::string(VANE_BIN_DIR) + "/vane-test-app", "--listen",
                                 "127.0.0.1:0", "--version", version, "--error-rate", "0",
                                 "--port-file", a->dir + "/port"},
        a->dir + "/app.log");
    std::string port;
    bool up = vt::waitFor(
        [&] {
          std::ifstream in(a->dir + "/port");
          return static_cast<bool>(in >> port);
        },
        10s);
    EXPECT_TRUE(up) << a->process->log();
    a->url = "http://127.0.0.1:" + port;
    return up ? std::move(a) : nullptr;
  }
  std::string target() const { return url.substr(std::string("http://").size()); }
  ~App() {
    if (process) process->terminate();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

/// Prometheus scraping the apps every second, with its own data dir, stopped by PID.
struct Prometheus {
  std::string dir, url;
  std::unique_ptr<vt::Process> process;
  static std::unique_ptr<Prometheus> start(const std::vector<std::string>& targets) {
    auto p = std::make_unique<Prometheus>();
    p->dir = vt::makeTempDir("vane-prom");
    const uint16_t port = vt::freePort();
    std::string list;
    for (const auto& t : targets) list += (list.empty() ? "'" : ", '") + t + "'";
    std::ofstream(p->dir + "/prometheus.yml")
        << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        << "scrape_configs: [{job_name: app, static_configs: [{targets: [" << list << "]}]}]\n";
    p->process = std::make_unique<vt::Process>(
        std::vector<std::string>{"/usr/bin/prometheus",
                                 "--config.file=" + p->dir + "/prometheus.yml",
                                 "--storage.tsdb.path=" + p->dir + "/data",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port)},
        p->dir + "/prometheus.log");
    p->url = "http://127.0.0.1:" + std::to_string(port);
    auto client = http::Client::create({}).value();
    bool ready = vt::waitFor(
        [&] {
          auto r = client->send({"GET", p->url + "/-/ready", {}, "", 1000ms});
          return r.ok() && r->status == 200;
        },
        20s);
    EXPECT_TRUE(ready) << p->process->log();
    return ready ? std::move(p) : nullptr;
  }
  ~Prometheus() {
    if (process) process->terminate();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

constexpr const char* kManifests = R"(apiVersion: v1
kind: Service
metadata:
  name: web-canary
spec:
  ports:
  - {name: http, port: 80, targetPort: http}
  selector:
    app: web
---
apiVersion: v1
kind: Service
metadata:
  name: web-stable
spec:
  ports:
  - {name: http, port: 80, targetPort: http}
  selector:
    app: web
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: web-vsvc
spec:
  hosts: [web.example.com]
  http:
  - name: primary
    route:
    - destination: {host: web-stable}
      weight: 100
    - destination: {host: web-canary}
      weight: 0
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: error-rate
spec:
  args:
  - name: version
  metrics:
  - name: error-rate
    interval: 1s
    failureLimit: 0
    successCondition: result[0] < 0.05
    provider:
      prometheus:
        address: PROMETHEUS_URL
        query: >-
          (sum(http_requests_total{version="{{args.version}}",code=~"5.."}) or vector(0))
          / sum(http_requests_total{version="{{args.version}}"})
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: always-ok
spec:
  metrics:
  - name: up
    interval: 1s
    successCondition: result[0] == 1
    provider:
      prometheus:
        address: PROMETHEUS_URL
        query: vector(1)
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
      canaryService: web-canary
      stableService: web-stable
      abortScaleDownDelaySeconds: 0
      analysis:
        startingStep: 1
        templates:
        - templateName: always-ok
      trafficRouting:
        istio:
          virtualService:
            name: web-vsvc
            routes: [primary]
      steps:
      - setWeight: 20
      - analysis:
          templates:
          - templateName: STEP_TEMPLATE
          args:
          - name: version
            value: v2
      - setWeight: 50
      - pause: {}
)";

class ControllerAnalysisTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stable_ = App::start("v1").release();
    canary_ = App::start("v2").release();
    ASSERT_TRUE(stable_ && canary_);
    prom_ = Prometheus::start({stable_->target(), canary_->target()}).release();
    ASSERT_NE(prom_, nullptr);
    // Users of both versions, all along: bounded in count, stopped by the suite.
    traffic_ = new std::thread([] {
      auto client = http::Client::create({}).value();
      for (int i = 0; i < 100000 && !stop_.load(); ++i) {
        for (App* app : {stable_, canary_}) {
          (void)client->send({"GET", app->url + "/checkout", {}, "", 2000ms});
        }
        std::this_thread::sleep_for(20ms);
      }
    });
    // Both versions scraped, so that the analysis has data from its first measurement.
    auto client = http::Client::create({}).value();
    ASSERT_TRUE(vt::waitFor(
        [&] {
          auto r = client->send({"GET",
                                 prom_->url + "/api/v1/query?query=" +
                                     http::urlEncode("count(http_requests_total) >= 2"),
                                 {},
                                 "",
                                 2000ms});
          return r.ok() && r->status == 200 && r->body.find("\"value\"") != std::string::npos;
        },
        30s))
        << prom_->process->log();
  }
  static void TearDownTestSuite() {
    stop_ = true;
    if (traffic_ != nullptr) traffic_->join();
    delete traffic_;
    delete prom_;
    delete canary_;
    delete stable_;
  }

  void SetUp() override {
    ASSERT_TRUE(prom_ && stable_ && canary_);
    setErrorRate(0);
    server_ = vt::ApiServer::start();
    ASSERT_TRUE(server_) << "vane-apiserver did not start";
    dir_ = vt::makeTempDir("vane-ctrl-analysis");
    const std::string crds = std::string(VANE_SOURCE_DIR) + "/crds/";
    const std::string istio = vane::testing::istioCrdDir();
    kubectlOk("apply -k " + crds);
    kubectlOk("apply -f " + istio + "virtualservice.crd.yaml");
    ASSERT_TRUE(vt::waitFor(
        [&] { return kubectl("get virtualservices.networking.istio.io").exit_code == 0; },
        seconds(30)));
    auto config = kube::loadKubeconfig(server_->kubeconfig());
    ASSERT_TRUE(config.ok()) << config.status().toString();
    client_ = std::move(kube::Client::create(*config).value());
    events_ = kube::EventRecorder::create(*client_);
    trafficrouting::registerIstioRouter(routers_, *client_);
    providers_.add(std::make_unique<analysis::PrometheusProvider>());
    ControllerOptions opts;
    controller_ = std::make_unique<Manager>(*client_, opts, events_.get(), &routers_, &providers_);
    Status st = controller_->start(seconds(20));
    ASSERT_TRUE(st.isOk()) << st.toString();
  }
  void TearDown() override {
    if (controller_) controller_->stop();
    if (events_) events_->stop();
    if (HasFailure() && server_) std::cerr << "apiserver log:\n" << server_->process()->log();
  }

  static void setErrorRate(double rate) {
    auto client = http::Client::create({}).value();
    auto r = client->send({"POST", canary_->url + "/error-rate", {}, std::to_string(rate), 2000ms});
    ASSERT_TRUE(r.ok() && r->status == 200);
  }
  vt::CommandResult kubectl(const std::string& args) {
    return vt::run(server_->kubectl() + " " + args);
  }
  void kubectlOk(const std::string& args) {
    auto r = kubectl(args);
    ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  }
  void apply(const std::string& image, const std::string& step_template) {
    std::string yaml = replaceAll(kManifests, "PROMETHEUS_URL", prom_->url);
    yaml = replaceAll(replaceAll(yaml, "IMAGE", image), "STEP_TEMPLATE", step_template);
    const std::string file = dir_ + "/m" + std::to_string(files_++) + ".yaml";
    std::ofstream(file) << yaml;
    kubectlOk("apply -f " + file);
  }
  json status() {
    auto r = client_->get(res::kRollouts, "default", "web");
    return r.ok() ? (*r).value("status", json::object()) : json::object();
  }
  std::vector<json> runs() {
    auto list = client_->list(res::kAnalysisRuns, "default");
    return list.ok() ? (*list)["items"].get<std::vector<json>>() : std::vector<json>{};
  }
  json run(const std::string& name) {
    auto r = client_->get(res::kAnalysisRuns, "default", name);
    return r.ok() ? *r : json::object();
  }
  bool waitPhase(const std::string& phase, int step, seconds timeout = seconds(60)) {
    return vt::waitFor(
        [&] {
          json s = status();
          return s.value("phase", "") == phase && s.value("currentStepIndex", -1) == step;
        },
        timeout);
  }
  std::string describe() {
    std::string out = status().dump() + "\nruns:";
    for (const json& r : runs()) {
      out += "\n  " + r["metadata"].value("name", "") + " terminate=" +
             r.value("spec", json::object()).value("terminate", json(false)).dump() + " " +
             r.value("status", json::object()).dump();
    }
    return out;
  }
  /// Deploys v1, then v2 up to its step analysis running with a passing measurement.
  std::string runningStepAnalysis(const std::string& step_template, std::string& stable_hash) {
    apply("nginx:1", step_template);
    EXPECT_TRUE(waitPhase("Healthy", 4)) << describe();
    stable_hash = status().value("stableRS", "");
    apply("nginx:2", step_template);
    std::string name;
    EXPECT_TRUE(vt::waitFor(
        [&] {
          json s = status();
          if (s.value("currentStepIndex", -1) != 1) return false;
          name =
              s["canary"].value("currentStepAnalysisRunStatus", json::object()).value("name", "");
          json r = run(name);
          return !name.empty() && r.contains("status") &&
                 r["status"].value("phase", "") == "Running" &&
                 r["status"]["metricResults"][0].value("successful", 0) >= 1;
        },
        seconds(60)))
        << describe();
    return name;
  }

  static App* stable_;
  static App* canary_;
  static Prometheus* prom_;
  static std::thread* traffic_;
  static std::atomic<bool> stop_;
  std::unique_ptr<vt::ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::EventRecorder> events_;
  trafficrouting::RouterRegistry routers_;
  analysis::ProviderRegistry providers_;
  std::unique_ptr<Manager> controller_;
  std::string dir_;
  int files_ = 0;
};
App* ControllerAnalysisTest::stable_ = nullptr;
App* ControllerAnalysisTest::canary_ = nullptr;
Prometheus* ControllerAnalysisTest::prom_ = nullptr;
std::thread* ControllerAnalysisTest::traffic_ = nullptr;
std::atomic<bool> ControllerAnalysisTest::stop_{false};

TEST_F(ControllerAnalysisTest, ErrorRateBreachAbortsAndReturnsTrafficToStable) {
  std::string stable_hash;
  const std::string step_run = runningStepAnalysis("error-rate", stable_hash);
  ASSERT_FALSE(step_run.empty());
  const std::string canary_hash = status().value("currentPodHash", "");
  auto vs = client_->get(res::virtualServices("v1alpha3"), "default", "web-vsvc");
  ASSERT_TRUE(vs.ok());
  EXPECT_EQ((*vs)["spec"]["http"][0]["route"][1]["weight"], 20);

  setErrorRate(0.5);
  ASSERT_TRUE(waitPhase("Degraded", 0)) << describe();
  const std::string message = status().value("message", "");
  EXPECT_THAT(message, HasSubstr("RolloutAborted: Rollout aborted update to revision 2: "
                                 "Step-based analysis phase error/failed: "));
  EXPECT_THAT(message, HasSubstr("Metric \"error-rate\""));               // the metric
  EXPECT_THAT(message, ContainsRegex("result \\[0\\.[0-9]+\\] failed"));  // the value
  EXPECT_THAT(message, HasSubstr("\"result[0] < 0.05\""));                // the threshold
  EXPECT_THAT(message, HasSubstr("failed (1) > failureLimit (0)"));

  // All traffic back on stable: the weights, the canary Service and the recorded status.
  vs = client_->get(res::virtualServices("v1alpha3"), "default", "web-vsvc");
  ASSERT_TRUE(vs.ok());
  EXPECT_EQ((*vs)["spec"]["http"][0]["route"][0]["weight"], 100) << vs->dump();
  EXPECT_EQ((*vs)["spec"]["http"][0]["route"][1]["weight"], 0) << vs->dump();
  EXPECT_EQ(status()["canary"]["weights"]["canary"]["weight"], 0);
  auto svc = client_->get(res::kServices, "default", "web-canary");
  ASSERT_TRUE(svc.ok());
  EXPECT_EQ((*svc)["spec"]["selector"]["rollouts-pod-template-hash"], stable_hash);

  // Every run of the aborted revision ends: the failed step run, the background run terminated.
  EXPECT_EQ(run(step_run)["status"].value("phase", ""), "Failed");
  EXPECT_TRUE(vt::waitFor(
      [&] {
        int of_revision = 0;
        for (const json& r : runs()) {
          if (r["metadata"]["labels"].value("rollouts-pod-template-hash", "") != canary_hash) {
            continue;
          }
          ++of_revision;
          const std::string phase = r.value("status", json::object()).value("phase", "");
          const bool terminal = phase == "Successful" || phase == "Failed" || phase == "Error" ||
                                phase == "Inconclusive";
          if (!terminal && !r["spec"].value("terminate", false)) return false;
        }
        return of_revision == 2;
      },
      seconds(30)))
      << describe();
}

TEST_F(ControllerAnalysisTest, PromoteSkippingARunningAnalysisStepTerminatesItsRun) {
  std::string stable_hash;
  const std::string step_run = runningStepAnalysis("always-ok", stable_hash);
  ASSERT_FALSE(step_run.empty());
  // kubectl argo rollouts promote on a rollout that is not paused: the next step index.
  kubectlOk(
      "patch rollout web --subresource=status --type merge -p "
      "'{\"status\":{\"currentStepIndex\":2}}'");
  ASSERT_TRUE(waitPhase("Paused", 3)) << describe();
  EXPECT_TRUE(
      vt::waitFor([&] { return run(step_run)["spec"].value("terminate", false); }, seconds(30)))
      << describe();
  auto vs = client_->get(res::virtualServices("v1alpha3"), "default", "web-vsvc");
  ASSERT_TRUE(vs.ok());
  EXPECT_EQ((*vs)["spec"]["http"][0]["route"][1]["weight"], 50);
}

}  // namespace
}  // namespace vane::controller
