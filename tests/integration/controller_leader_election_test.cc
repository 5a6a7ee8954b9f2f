// Leader election between two vane-controller processes (--leader-elect, short leases) against a
// real vane-apiserver. Each process logs "started leading as ID at TIME" when it starts acting and
// "leader election lost: stopped leading as ID at TIME" when it must stop; the wall-clock times of
// processes on one machine put those events in order, so the tests check that no two leadership
// periods overlap, rather than any duration.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>

#include "kube/client.h"
#include "support/process.h"

namespace vane::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using SystemTime = std::chrono::system_clock::time_point;

constexpr const char* kLease = "argo-rollouts-controller-lock";
// The Lease lives in the controllers' own namespace (POD_NAMESPACE), as Argo's does, not in the
// kubeconfig's.
constexpr const char* kLeaseNamespace = "vane-system";

std::string binDir() {
  const char* env = std::getenv("VANE_BIN_DIR");
  return env && *env ? env : VANE_BIN_DIR;
}

// "2026-12-07T01:02:03.456789Z" (as the controller logs it) -> time point.
std::optional<SystemTime> parseTime(const std::string& s) {
  std::tm tm{};
  int us = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us) != 7) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::microseconds(us);
}

// One vane-controller --leader-elect process. A bash wrapper passes SIGTERM on to it and records
// its exit status in the log.
constexpr const char* kWrapper =
    "\"$0\" \"$@\" & c=$!; trap 'kill -TERM $c' TERM; "
    "while :; do wait $c; s=$?; kill -0 $c 2>/dev/null || break; done; "
    "echo \"vane-controller exited with status $s\"";

class Controller {
 public:
  Controller(const ApiServer& server, const std::string& dir, const std::string& name)
      : log_file_(dir + "/" + name + ".log") {
    process_ = std::make_unique<Process>(
        std::vector<std::string>{
            "bash", "-c", kWrapper, binDir() + "/vane-controller", "--kubeconfig",
            server.kubeconfig(), "--leader-elect", "--leader-election-lease-duration", "6s",
            "--leader-election-renew-deadline", "4s", "--leader-election-retry-period", "500ms",
            "--health-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"},
        log_file_, std::map<std::string, std::string>{{"POD_NAMESPACE", kLeaseNamespace}});
  }

  std::string log() const { return process_->log(); }
  bool running() { return process_->running(); }
  void kill9() { process_->kill9(); }
  void terminate() { process_->terminate(20s); }

  /// The Lease identity it logged at start ("" until then).
  std::string identity() const { return match(R"(identity (\S+))"); }
  /// Times of "started leading" lines.
  std::vector<SystemTime> startedLeading() const { return times("started leading as \\S+ at "); }
  std::vector<SystemTime> lostLeadership() const {
    return times("leader election lost: stopped leading as \\S+ at ");
  }
  std::vector<SystemTime> stoppedOnShutdown() const {
    return times("stopped leading as \\S+ at (\\S+) \\(shutdown\\)", 2);
  }
  bool observedLeader(const std::string& id) const {
    return log().find("leader is now \"" + id + "\"") != std::string::npos;
  }

 private:
  std::string match(const std::string& pattern) const {
    std::smatch m;
    std::string text = log();
    return std::regex_search(text, m, std::regex(pattern)) ? m[1].str() : "";
  }
  // Times captured by group 1 of pattern (prefix + "(\\S+)" when the pattern has no group).
  std::vector<SystemTime> times(const std::string& pattern, int groups = 0) const {
    std::vector<SystemTime> out;
    std::string text = log();
    std::regex re(groups ? pattern : pattern + "(\\S+)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
         ++it) {
      if (auto t = parseTime((*it)[1].str())) out.push_back(*t);
    }
    return out;
  }

  std::string log_file_;
  std::unique_ptr<Process> process_;
};

class ControllerLeaderElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ApiServer::start();
    ASSERT_TRUE(server_) << "vane-apiserver did not start";
    dir_ = makeTempDir("vane-le");
    const std::string crds = std::string(VANE_SOURCE_DIR) + "/crds/";
    auto r = run(server_->kubectl() + " apply -f " + crds + "rollout-crd.yaml -f " + crds +
                 "analysis-run-crd.yaml -f " + crds + "analysis-template-crd.yaml && " +
                 server_->kubectl() + " create namespace " + kLeaseNamespace);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto config = kube::loadKubeconfig(server_->kubeconfig());
    ASSERT_TRUE(config.ok()) << config.status().toString();
    client_ = std::move(kube::Client::create(*config)).value();
  }

  void TearDown() override {
    if (HasFailure()) {
      for (auto* c : {a_.get(), b_.get()}) {
        if (c) std::cerr << "controller log:\n" << c->log() << "\n";
      }
    }
    a_.reset();
    b_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::string holder() {
    auto lease = client_->get(kube::resources::kLeases, kLeaseNamespace, kLease);
    return lease.ok() ? (*lease)["spec"].value("holderIdentity", "") : "";
  }

  /// Starts A, waits until it holds the lease, then starts B and waits until B has seen A lead.
  void startLeaderAndFollower() {
    a_ = std::make_unique<Controller>(*server_, dir_, "a");
    ASSERT_TRUE(waitFor([&] { return !a_->identity().empty(); }, 30s)) << a_->log();
    ASSERT_TRUE(waitFor([&] { return holder() == a_->identity(); }, 30s)) << a_->log();
    ASSERT_TRUE(waitFor([&] { return a_->startedLeading().size() == 1; }, 10s)) << a_->log();
    b_ = std::make_unique<Controller>(*server_, dir_, "b");
    ASSERT_TRUE(waitFor([&] { return b_->observedLeader(a_->identity()); }, 30s)) << b_->log();
    ASSERT_NE(a_->identity(), b_->identity());
  }

  /// Applies a one-replica canary Rollout and waits until a controller has written its status.
  bool reconciled(const std::string& name) {
    const std::string file = dir_ + "/" + name + ".yaml";
    std::ofstream(file) << "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: "
                        << name
                        << "\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: "
                        << name
                        << "\n  template:\n    metadata:\n      labels:\n        app: " << name
                        << "\n    spec:\n      containers:\n      - name: web\n        image: "
                           "nginx:1.25\n  strategy:\n    canary: {}\n";
    auto r = run(server_->kubectl() + " apply -f " + file);
    if (r.exit_code != 0) {
      ADD_FAILURE() << r.output;
      return false;
    }
    return waitFor(
        [&] {
          auto ro = client_->get(kube::resources::kRollouts, "default", name);
          return ro.ok() && ro->contains("status") &&
                 (*ro)["status"].contains("observedGeneration");
        },
        30s);
  }

  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::string dir_;
  std::unique_ptr<Controller> a_, b_;
};

TEST_F(ControllerLeaderElectionTest, FollowerTakesOverWhenTheLeaderIsKilled) {
  startLeaderAndFollower();
  if (HasFatalFailure()) return;
  EXPECT_TRUE(reconciled("before")) << "the leader did not reconcile a Rollout";
  EXPECT_TRUE(b_->startedLeading().empty()) << "the follower leads while the leader renews";

  a_->kill9();
  const SystemTime killed = std::chrono::system_clock::now();
  ASSERT_TRUE(waitFor([&] { return !b_->startedLeading().empty(); }, 30s)) << b_->log();
  EXPECT_EQ(holder(), b_->identity());
  auto lease = client_->get(kube::resources::kLeases, kLeaseNamespace, kLease);
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);
  // B started acting only after A was gone, and each led exactly once.
  ASSERT_EQ(b_->startedLeading().size(), 1u);
  EXPECT_GT(b_->startedLeading()[0], killed);
  EXPECT_EQ(a_->startedLeading().size(), 1u);
  EXPECT_TRUE(reconciled("after")) << "the new leader did not reconcile a Rollout";
  EXPECT_TRUE(b_->running());
}

TEST_F(ControllerLeaderElectionTest, LeaderThatCannotRenewShutsDownAsArgoDoes) {
  startLeaderAndFollower();
  if (HasFatalFailure()) return;

  // No API server for longer than the renew deadline: A must stop acting and, as Argo's
  // controller does, log OnStoppedLeading, shut down and exit 0; B keeps campaigning.
  server_->kill9();
  ASSERT_TRUE(waitFor([&] { return !a_->running(); }, 30s)) << a_->log();
  EXPECT_NE(a_->log().find("vane-controller exited with status 0"), std::string::npos) << a_->log();
  EXPECT_NE(a_->log().find("OnStoppedLeading called, shutting down: " + a_->identity()),
            std::string::npos)
      << a_->log();
  ASSERT_EQ(a_->lostLeadership().size(), 1u) << a_->log();
  EXPECT_TRUE(b_->running());
  EXPECT_TRUE(b_->startedLeading().empty());

  ASSERT_TRUE(server_->restart());
  ASSERT_TRUE(waitFor([&] { return !b_->startedLeading().empty(); }, 30s)) << b_->log();
  EXPECT_EQ(holder(), b_->identity());
  // A's leadership (start .. lost) ends before B's begins.
  ASSERT_EQ(a_->startedLeading().size(), 1u);
  EXPECT_LT(a_->startedLeading()[0], a_->lostLeadership()[0]);
  EXPECT_LT(a_->lostLeadership()[0], b_->startedLeading()[0]);
  EXPECT_TRUE(reconciled("after-restart")) << "the new leader did not reconcile a Rollout";
}

TEST_F(ControllerLeaderElectionTest, CleanShutdownReleasesTheLeaseAndExitsZero) {
  startLeaderAndFollower();
  if (HasFatalFailure()) return;
  // SIGTERM: the leader stops its controller, then releases the lease, and exits 0.
  a_->terminate();
  EXPECT_NE(a_->log().find("vane-controller exited with status 0"), std::string::npos) << a_->log();
  ASSERT_EQ(a_->stoppedOnShutdown().size(), 1u) << a_->log();
  EXPECT_TRUE(a_->lostLeadership().empty());
  // Released: an empty holder, or B already holds it.
  std::string now = holder();
  EXPECT_TRUE(now.empty() || now == b_->identity()) << now;
  ASSERT_TRUE(waitFor([&] { return !b_->startedLeading().empty(); }, 30s)) << b_->log();
  EXPECT_LT(a_->stoppedOnShutdown()[0], b_->startedLeading()[0]);
  EXPECT_EQ(holder(), b_->identity());
}

}  // namespace
}  // namespace vane::testing

namespace vane::testing {
namespace {

TEST_F(ControllerLeaderElectionTest, BadDurationsAreRejectedNamingTheFlag) {
  const std::string base = binDir() + "/vane-controller --kubeconfig " + server_->kubeconfig() +
                           " --health-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --leader-elect ";
  auto bad = run(base + "--leader-election-retry-period 5x", 30s);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--leader-election-retry-period 5x: invalid value \"5x\""),
            std::string::npos)
      << bad.output;
  auto order =
      run(base + "--leader-election-lease-duration 2s --leader-election-renew-deadline 3s", 30s);
  EXPECT_EQ(order.exit_code, 1) << order.output;
  EXPECT_NE(order.output.find("--leader-election-lease-duration: must be greater than "
                              "--leader-election-renew-deadline"),
            std::string::npos)
      << order.output;
  // client-go's component-base spelling is accepted too.
  auto other = run(base + "--leader-elect-retry-period 5x", 30s);
  EXPECT_NE(other.output.find("--leader-elect-retry-period 5x: invalid value"), std::string::npos)
      << other.output;
}

}  // namespace
}  // namespace vane::testing
