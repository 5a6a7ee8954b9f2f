// Chaos scenarios (ctest label "chaos"): Istio canary Rollouts driven through an update (to a
// setHeaderRoute and a pause), a promote (through an analysis to the next pause), an abort and a
// retry, by a vane-controller process against vane-apiserver --faults, with the controller
// killed (-9) and restarted at a moment drawn from the seed. Every Rollout must end as in a
// fault-free run: phase, stable revision, abort flag, step, ReplicaSets by revision with their
// replicas, VirtualService routes and weights, AnalysisRuns; and the run may use at most 3 times
// the fault-free run's API requests (apiserver_request_total).
//
// Default: 16 Rollouts under the mixed profile and the conflicts profile. VANE_CHAOS_FULL=1: 50
// Rollouts under every profile. VANE_CHAOS_SEED=N replays a run (the seed is printed on failure);
// VANE_CHAOS_PROFILES=conflicts,gone picks profiles; VANE_CHAOS_ROLLOUTS=N sets the count.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "kube/client.h"
#include "support/manifests.h"
#include "support/process.h"

namespace vane::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace res = kube::resources;

constexpr const char* kIstioVersion = "v1alpha3";

bool fullSet() {
  const char* v = std::getenv("VANE_CHAOS_FULL");
  return v && std::string(v) == "1";
}
int rolloutCount() {
  if (const char* v = std::getenv("VANE_CHAOS_ROLLOUTS"); v && std::atoi(v) > 0)
    return std::atoi(v);
  return fullSet() ? 50 : 16;
}
uint64_t seedFromEnv() {
  const char* v = std::getenv("VANE_CHAOS_SEED");
  return v && *v ? std::strtoull(v, nullptr, 10) : 20261208;
}
std::string binDir() {
  const char* env = std::getenv("VANE_BIN_DIR");
  return env && *env ? env : VANE_BIN_DIR;
}

struct Profile {
  std::string name;
  std::string rules;  // the rules: list of the --faults file; "" for the fault-free run
};

// Every rule is confined to the controller (userAgent), so the test's own reads and patches
// drive the scenario without faults.
const std::vector<Profile>& profiles() {
  static const std::vector<Profile> all = {
      {"conflicts", R"(
- {verbs: [update, patch], resources: ["*"], rate: 0.2, fault: conflict, userAgent: vane-controller}
)"},
      {"throttling", R"(
- {verbs: ["*"], rate: 0.08, fault: tooManyRequests, retryAfterSeconds: 1, userAgent: vane-controller}
)"},
      {"servererrors", R"(
- {verbs: ["*"], rate: 0.05, fault: internalError, userAgent: vane-controller}
- {verbs: ["*"], rate: 0.05, fault: serviceUnavailable, userAgent: vane-controller}
)"},
      {"latency", R"(
- {verbs: ["*"], rate: 0.3, fault: latency, latency: 40ms, userAgent: vane-controller}
)"},
      {"watchdrops", R"(
- {verbs: [watch], every: 1, fault: watchClose, afterEvents: 25, afterSeconds: 3s, userAgent: vane-controller}
)"},
      {"gone", R"(
- {verbs: [watch], every: 1, fault: watchGone, afterSeconds: 3s, userAgent: vane-controller}
- {verbs: [watch], rate: 0.2, fault: gone, userAgent: vane-controller}
)"},
      {"mixed", R"(
- {verbs: [update, patch], resources: ["*"], rate: 0.08, fault: conflict, userAgent: vane-controller}
- {verbs: ["*"], rate: 0.03, fault: tooManyRequests, retryAfterSeconds: 1, userAgent: vane-controller}
- {verbs: ["*"], rate: 0.02, fault: internalError, userAgent: vane-controller}
- {verbs: ["*"], rate: 0.02, fault: serviceUnavailable, userAgent: vane-controller}
- {verbs: ["*"], rate: 0.1, fault: latency, latency: 20ms, userAgent: vane-controller}
- {verbs: [watch], every: 3, fault: watchClose, afterEvents: 40, afterSeconds: 4s, userAgent: vane-controller}
- {verbs: [watch], every: 4, fault: watchGone, afterSeconds: 3s, userAgent: vane-controller}
)"},
  };
  return all;
}

std::string name(int i) { return "web-" + std::to_string(i); }

json servicesOf(int i) {
  json out = json::array();
  for (const char* role : {"canary", "stable"}) {
    out.push_back({{"apiVersion", "v1"},
                   {"kind", "Service"},
                   {"metadata", {{"name", name(i) + "-" + role}, {"namespace", "default"}}},
                   {"spec", {{"selector", {{"app", name(i)}}}, {"ports", {{{"port", 80}}}}}}});
  }
  return out;
}

json virtualServiceOf(int i) {
  return {{"apiVersion", std::string("networking.istio.io/") + kIstioVersion},
          {"kind", "VirtualService"},
          {"metadata", {{"name", name(i) + "-vsvc"}, {"namespace", "default"}}},
          {"spec",
           {{"hosts", {name(i)}},
            {"http",
             {{{"name", "primary"},
               {"route",
                {{{"destination", {{"host", name(i) + "-stable"}}}, {"weight", 100}},
                 {{"destination", {{"host", name(i) + "-canary"}}}, {"weight", 0}}}}}}}}}};
}

json rolloutOf(int i, const std::string& image) {
  json steps = json::parse(R"([
    {"setWeight": 20},
    {"setHeaderRoute": {"name": "header-route",
                        "match": [{"headerName": "x-canary", "headerValue": {"exact": "yes"}}]}},
    {"pause": {}},
    {"setWeight": 50},
    {"analysis": {"templates": [{"templateName": "smoke"}]}},
    {"pause": {}},
    {"setWeight": 80},
    {"pause": {}}
  ])");
  json canary = {
      {"canaryService", name(i) + "-canary"},
      {"stableService", name(i) + "-stable"},
      {"abortScaleDownDelaySeconds", 1},
      {"trafficRouting",
       {{"managedRoutes", {{{"name", "header-route"}}}},
        {"istio", {{"virtualService", {{"name", name(i) + "-vsvc"}, {"routes", {"primary"}}}}}}}},
      {"steps", steps}};
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Rollout"},
          {"metadata", {{"name", name(i)}, {"namespace", "default"}}},
          {"spec",
           {{"replicas", 2},
            {"selector", {{"matchLabels", {{"app", name(i)}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name(i)}}}}},
              {"spec", {{"containers", {{{"name", "web"}, {"image", image}}}}}}}},
            {"strategy", {{"canary", canary}}}}}};
}

/// What must match the fault-free run, as one comparable string per Rollout.
struct Snapshot {
  std::map<std::string, std::string> rollouts;  // name -> state
  double requests = 0;                          // apiserver_request_total, all verbs and codes
  double injected = 0;                          // vane_apiserver_injected_faults_total
  double lists = 0;                             // apiserver_request_total{verb="list"}
};

class ChaosRun {
 public:
  ChaosRun(const Profile& profile, uint64_t seed, int n) : profile_(profile), seed_(seed), n_(n) {}
  ~ChaosRun() {
    if (controller_) controller_->kill9();  // no graceful stop needed: saves its grace period
    if (::testing::Test::HasFailure()) {
      std::cerr << "chaos profile " << profile_.name << " seed " << seed_ << " (replay with "
                << "VANE_CHAOS_SEED=" << seed_ << "); logs in " << dir_ << "\n";
    }
  }

  void start() {
    auto started = std::chrono::steady_clock::now();
    dir_ = makeTempDir("vane-chaos-" + profile_.name);
    ApiServer::Options o;
    o.extra_args = {"--pod-ready-delay", "200ms", "--no-fsync"};
    if (!profile_.rules.empty()) {
      std::ofstream(dir_ + "/faults.yaml")
          << "seed: " << seed_ << "\nrules:" << profile_.rules << "\n";
      o.extra_args.insert(o.extra_args.end(),
                          {"--faults", dir_ + "/faults.yaml", "--log-level", "debug"});
    }
    server_ = ApiServer::start(o);
    ASSERT_TRUE(server_) << "vane-apiserver did not start";
    const std::string istio = istioCrdDir();
    auto r = run(server_->kubectl() + " apply -k " + VANE_SOURCE_DIR + "/crds/ && " +
                 server_->kubectl() + " apply -f " + istio + "virtualservice.crd.yaml -f " + istio +
                 "destinationrule.crd.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto config = kube::loadKubeconfig(server_->kubeconfig());
    ASSERT_TRUE(config.ok()) << config.status().toString();
    config->user_agent = "vane-chaos-test";
    config->qps = 0;
    auto client = kube::Client::create(*config);
    ASSERT_TRUE(client.ok());
    client_ = std::move(*client);
    ASSERT_TRUE(waitFor(
        [&] { return client_->list(res::virtualServices(kIstioVersion), "default").ok(); }, 30s));
    ASSERT_TRUE(waitFor([&] { return client_->list(res::kRollouts, "default").ok(); }, 30s));
    applyYamlFile(jobAnalysisTemplate("smoke", "succeed"));
    for (int i = 0; i < n_; ++i) {
      for (const json& s : servicesOf(i)) create(res::kServices, s);
      create(res::virtualServices(kIstioVersion), virtualServiceOf(i));
      create(res::kRollouts, rolloutOf(i, "web:v1"));
    }
    startController();
    std::cerr << "  " << profile_.name << ": set up in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count()
              << " ms\n";
  }

  void startController() {
    controller_.reset();
    controller_ = std::make_unique<Process>(
        std::vector<std::string>{binDir() + "/vane-controller", "--kubeconfig",
                                 server_->kubeconfig(), "--health-addr", "127.0.0.1:0",
                                 "--metrics-addr", "127.0.0.1:0", "--istio-api-version",
                                 kIstioVersion, "--workers", "4", "--qps", "200", "--burst", "400",
                                 "--log-level", std::getenv("VANE_CHAOS_DEBUG") ? "debug" : "info"},
        dir_ + "/controller-" + std::to_string(starts_++) + ".log");
  }

  /// The stages of the scenario; the controller is killed once, at a stage and delay drawn from
  /// the seed (no kill in the fault-free run).
  void drive(bool kill) {
    // Each profile its own moment: the seed mixed with the profile's name.
    std::mt19937_64 rng(seed_ ^ std::hash<std::string>{}(profile_.name));
    int kill_stage = kill ? static_cast<int>(rng() % 5) : -1;
    auto kill_after = std::chrono::milliseconds(rng() % 1500);
    auto maybeKill = [&](int stage) {
      if (stage != kill_stage) return;
      std::this_thread::sleep_for(kill_after);
      controller_->kill9();
      std::cerr << "  " << profile_.name << ": controller killed (-9) at stage " << stage << " + "
                << kill_after.count() << " ms\n";
      startController();
    };
    maybeKill(0);
    ASSERT_TRUE(waitAll("Healthy at v1", [](const json& ro) {
      return phase(ro) == "Healthy" && ro["status"].value("stableRS", "") != "";
    }));
    patchAll(
        [](int) {
          return json{{"spec",
                       {{"template",
                         {{"spec", {{"containers", {{{"name", "web"}, {"image", "web:v2"}}}}}}}}}}};
        },
        "");
    maybeKill(1);
    ASSERT_TRUE(waitAll("paused at step 2", [](const json& ro) { return pausedAt(ro, 2); }));
    patchAll([](int) { return json{{"status", {{"pauseConditions", nullptr}}}}; }, "status");
    maybeKill(2);
    ASSERT_TRUE(waitAll("paused at step 5", [](const json& ro) { return pausedAt(ro, 5); }));
    patchAll([](int) { return json{{"status", {{"abort", true}}}}; }, "status");
    maybeKill(3);
    ASSERT_TRUE(waitAll("aborted, canary scaled down", [this](const json& ro) {
      return phase(ro) == "Degraded" && ro["status"].value("abort", false) &&
             canaryReplicas(ro) == 0;
    }));
    patchAll([](int) { return json{{"status", {{"abort", false}}}}; }, "status");
    maybeKill(4);
    ASSERT_TRUE(waitAll("paused at step 2 again", [](const json& ro) {
      return pausedAt(ro, 2) && !ro["status"].value("abort", false);
    }));
  }

  Snapshot snapshot() {
    Snapshot s;
    auto rss = client_->list(res::kReplicaSets, "default");
    auto ars = client_->list(res::kAnalysisRuns, "default");
    auto vss = client_->list(res::virtualServices(kIstioVersion), "default");
    EXPECT_TRUE(rss.ok() && ars.ok() && vss.ok());
    if (!rss.ok() || !ars.ok() || !vss.ok()) return s;
    for (int i = 0; i < n_; ++i) {
      auto ro = client_->get(res::kRollouts, "default", name(i));
      EXPECT_TRUE(ro.ok());
      if (!ro.ok()) continue;
      s.rollouts[name(i)] = describe(*ro, *rss, *ars, *vss);
    }
    auto m = client_->raw("GET", "/metrics");
    EXPECT_TRUE(m.ok());
    if (m.ok() && m->is_string()) {
      std::regex line(R"(^apiserver_request_total\{[^}]*\} ([0-9.e+]+)$)");
      std::regex injected(R"(^vane_apiserver_injected_faults_total\{[^}]*\} ([0-9.e+]+)$)");
      std::string text = m->get<std::string>();
      std::istringstream in(text);
      for (std::string l; std::getline(in, l);) {
        std::smatch sm;
        if (std::regex_match(l, sm, line)) {
          s.requests += std::stod(sm[1].str());
          if (l.find("verb=\"list\"") != std::string::npos) s.lists += std::stod(sm[1].str());
        }
        if (std::regex_match(l, sm, injected)) s.injected += std::stod(sm[1].str());
      }
    }
    return s;
  }

  std::string controllerLogs() const {
    std::string out;
    for (int i = 0; i < starts_; ++i) {
      std::ifstream in(dir_ + "/controller-" + std::to_string(i) + ".log");
      out += std::string(std::istreambuf_iterator<char>(in), {});
    }
    return out;
  }

 private:
  static std::string phase(const json& ro) {
    return ro.value("status", json::object()).value("phase", "");
  }
  static bool current(const json& ro) {
    return ro.value("status", json::object()).value("observedGeneration", "") ==
           std::to_string(ro["metadata"].value("generation", 0));
  }
  static bool pausedAt(const json& ro, int step) {
    const json st = ro.value("status", json::object());
    return current(ro) && st.value("currentStepIndex", -1) == step && phase(ro) == "Paused" &&
           !st.value("pauseConditions", json::array()).empty();
  }
  int canaryReplicas(const json& ro) {
    const json st = ro.value("status", json::object());
    std::string canary = st.value("currentPodHash", "");
    if (canary.empty() || canary == st.value("stableRS", "")) return -1;
    kube::ListOptions by_hash;
    by_hash.label_selector =
        "rollouts-pod-template-hash=" + canary + ",app=" + ro["metadata"].value("name", "");
    auto rs = client_->list(res::kReplicaSets, "default", by_hash);
    if (!rs.ok() || (*rs)["items"].size() != 1) return -1;
    return (*rs)["items"][0]["spec"].value("replicas", -1);
  }

  void create(const kube::Resource& r, const json& obj) {
    auto c = client_->create(r, "default", obj);
    ASSERT_TRUE(c.ok()) << c.status().toString();
  }
  void applyYamlFile(const std::string& yaml) {
    const std::string file = dir_ + "/m.yaml";
    std::ofstream(file) << yaml;
    auto r = run(server_->kubectl() + " apply -f " + file);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  void patchAll(const std::function<json(int)>& body, const std::string& sub) {
    for (int i = 0; i < n_; ++i) {
      auto p = client_->patch(res::kRollouts, "default", name(i), kube::PatchType::kMerge, body(i),
                              sub, "kubectl-argo-rollouts");
      ASSERT_TRUE(p.ok()) << name(i) << ": " << p.status().toString();
    }
  }
  bool waitAll(const std::string& what, const std::function<bool(const json&)>& done) {
    auto started = std::chrono::steady_clock::now();
    std::set<std::string> left;
    for (int i = 0; i < n_; ++i) left.insert(name(i));
    std::string last;
    bool ok = waitFor(
        [&] {
          for (auto it = left.begin(); it != left.end();) {
            auto ro = client_->get(res::kRollouts, "default", *it);
            if (ro.ok() && done(*ro)) {
              it = left.erase(it);
            } else {
              last = ro.ok() ? (*ro).value("status", json::object()).dump() : "";
              ++it;
            }
          }
          return left.empty();
        },
        fullSet() ? 240s : 90s);
    std::cerr << "  " << profile_.name << ": " << what << " after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count()
              << " ms\n";
    if (!ok) {
      std::string stuck = *left.begin();
      std::string rss;
      kube::ListOptions by_app;
      by_app.label_selector = "app=" + stuck;
      if (auto l = client_->list(res::kReplicaSets, "default", by_app); l.ok()) {
        for (const json& rs : (*l)["items"]) {
          rss += rs["metadata"].value("name", "") +
                 " rv=" + rs["metadata"].value("resourceVersion", "") +
                 " spec=" + std::to_string(rs["spec"].value("replicas", -1)) +
                 " status=" + rs.value("status", json::object()).dump() + "\n";
        }
      }
      auto ro = client_->get(res::kRollouts, "default", stuck);
      ADD_FAILURE() << profile_.name << ": " << left.size() << " Rollouts not " << what << ", e.g. "
                    << stuck << ": " << (ro.ok() ? ro->dump() : "") << "\n"
                    << rss;
    }
    return ok;
  }

  // phase, abort, step, the stable revision, ReplicaSets by revision with replicas, the
  // AnalysisRuns, the VirtualService routes with matches and weights.
  static std::string describe(const json& ro, const json& rss, const json& ars, const json& vss) {
    const std::string n = ro["metadata"].value("name", "");
    const std::string uid = ro["metadata"].value("uid", "");
    const json st = ro.value("status", json::object());
    auto owned = [&](const json& o) {
      for (const json& ref : o["metadata"].value("ownerReferences", json::array())) {
        if (ref.value("uid", "") == uid) return true;
      }
      return false;
    };
    std::map<std::string, std::string> revision_of;  // hash -> revision
    std::map<std::string, std::vector<int>> by_revision;
    for (const json& rs : rss["items"]) {
      if (!owned(rs)) continue;
      std::string rev = rs["metadata"]
                            .value("annotations", json::object())
                            .value("rollout.argoproj.io/revision", "?");
      revision_of[rs["metadata"]["labels"].value("rollouts-pod-template-hash", "")] = rev;
      by_revision[rev].push_back(rs["spec"].value("replicas", -1));
    }
    std::ostringstream out;
    out << "phase=" << st.value("phase", "") << " abort=" << st.value("abort", false)
        << " step=" << st.value("currentStepIndex", -1)
        << " stableRevision=" << revision_of[st.value("stableRS", "")] << " rs=";
    for (const auto& [rev, replicas] : by_revision) {
      out << rev << ":";
      for (int r : replicas) out << r << ",";  // two entries for a revision: a duplicate
      out << " ";
    }
    std::map<std::string, int> runs;  // "<phase>" -> count
    for (const json& ar : ars["items"]) {
      if (owned(ar)) ++runs[ar.value("status", json::object()).value("phase", "")];
    }
    out << "analysisruns=";
    for (const auto& [p, c] : runs) out << p << "x" << c << " ";
    for (const json& vs : vss["items"]) {
      if (vs["metadata"].value("name", "") != n + "-vsvc") continue;
      out << "vs=";
      for (const json& route : vs["spec"].value("http", json::array())) {
        out << route.value("name", "") << route.value("match", json::array()).dump() << "[";
        for (const json& d : route.value("route", json::array())) {
          std::string host = d["destination"].value("host", "");
          out << host.substr(n.size()) << "=" << d.value("weight", 0) << ",";
        }
        out << "] ";
      }
    }
    return out.str();
  }

  Profile profile_;
  uint64_t seed_;
  int n_;
  std::string dir_;
  int starts_ = 0;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<Process> controller_;
};

std::vector<std::string> selectedProfiles() {
  if (const char* v = std::getenv("VANE_CHAOS_PROFILES"); v && *v) {
    std::vector<std::string> out;
    std::stringstream ss(v);
    for (std::string p; std::getline(ss, p, ',');) out.push_back(p);
    return out;
  }
  if (fullSet()) {
    std::vector<std::string> all;
    for (const auto& p : profiles()) all.push_back(p.name);
    return all;
  }
  return {"mixed", "conflicts"};
}

int failureCount() {
  return ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
}

// One test: the fault-free run once, then each profile against it.
TEST(ChaosTest, ProfilesConvergeAsTheFaultFreeRun) {
  const uint64_t seed = seedFromEnv();
  const int n = rolloutCount();
  Snapshot expected;
  {
    ChaosRun run({"fault-free", ""}, seed, n);
    run.start();
    ASSERT_FALSE(::testing::Test::HasFailure());
    run.drive(false);
    ASSERT_FALSE(::testing::Test::HasFailure()) << "the fault-free run failed";
    expected = run.snapshot();
  }
  ASSERT_EQ(expected.rollouts.size(), static_cast<std::size_t>(n));
  std::cerr << "fault-free: " << expected.requests / n << " requests per Rollout; web-0 ends as "
            << expected.rollouts.begin()->second << "\n";
  for (const std::string& name : selectedProfiles()) {
    SCOPED_TRACE("profile " + name);
    auto it = std::find_if(profiles().begin(), profiles().end(),
                           [&](const Profile& p) { return p.name == name; });
    ASSERT_NE(it, profiles().end());
    auto started = std::chrono::steady_clock::now();
    const int failures = failureCount();  // a failed profile does not stop the next one
    ChaosRun run(*it, seed, n);
    run.start();
    if (failureCount() != failures) continue;
    run.drive(true);
    if (failureCount() != failures) continue;
    Snapshot got = run.snapshot();
    for (const auto& [ro, state] : expected.rollouts) {
      EXPECT_EQ(got.rollouts[ro], state) << ro << " under " << name;
    }
    double per_rollout = got.requests / n;
    double baseline_per_rollout = expected.requests / n;
    EXPECT_GT(got.injected, 0) << "no fault was injected under " << name;
    std::cerr << name << ": " << got.injected << " faults injected, " << per_rollout
              << " requests per Rollout, "
              << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                  started)
                     .count()
              << " s\n";
    EXPECT_LE(per_rollout, 3 * baseline_per_rollout) << "a hot loop under " << name;
    if (name == "gone") {
      // A 410 on a watch makes the informer list again (client-go's reflector relists).
      EXPECT_GT(got.lists, expected.lists) << "no relist after 410 Gone";
    }
  }
}

}  // namespace
}  // namespace vane::testing
