// The I/O layer against a fake client that records the patches sent and injects faults (the
// real API server path is covered by tests/e2e/cli_commands_test.sh).
#include "cli/commands.h"

#include <gtest/gtest.h>

#include <sstream>

namespace vane::cli {
namespace {

using nlohmann::json;

struct SentPatch {
  std::string name, subresource;
  kube::PatchType type;
  json body;
};

class FakeClient : public kube::Client {
 public:
  std::map<std::string, json> rollouts;
  std::set<std::string> fail_patch;  // names whose patches fail with kInternal
  bool status_subresource = true;    // false: status patches answer NotFound (v0.9 CRD)
  std::vector<SentPatch> sent;

  const kube::RestConfig& config() const override { return config_; }
  Result<json> get(const kube::Resource&, const std::string&, const std::string& name) override {
    auto it = rollouts.find(name);
    if (it == rollouts.end()) return Status(Code::kNotFound, "rollout \"" + name + "\" not found");
    return it->second;
  }
  Result<json> list(const kube::Resource& r, const std::string&,
                    const kube::ListOptions& opts) override {
    json items = json::array();
    if (r == kube::resources::kRollouts) {
      for (const auto& [name, ro] : rollouts) {
        if (opts.label_selector.empty() || opts.label_selector == "tier=web") items.push_back(ro);
      }
    }
    return json{{"items", items}};
  }
  Result<json> create(const kube::Resource&, const std::string&, const json& o) override {
    return o;
  }
  Result<json> update(const kube::Resource&, const std::string&, const json& o) override {
    rollouts[o["metadata"]["name"]] = o;
    return o;
  }
  Result<json> updateStatus(const kube::Resource&, const std::string&, const json& o) override {
    return o;
  }
  Result<json> patch(const kube::Resource&, const std::string&, const std::string& name,
                     kube::PatchType type, const json& body, const std::string& sub,
                     const std::string&) override {
    if (!rollouts.count(name)) return Status(Code::kNotFound, "rollout \"" + name + "\" not found");
    if (fail_patch.count(name)) return Status(Code::kInternal, "injected failure");
    if (sub == "status" && !status_subresource) return Status(Code::kNotFound, "no subresource");
    sent.push_back({name, sub, type, body});
    return rollouts[name];
  }
  Status remove(const kube::Resource&, const std::string&, const std::string&,
                const kube::DeleteOptions&) override {
    return Status::ok();
  }
  Result<std::unique_ptr<kube::WatchStream>> watch(const kube::Resource&, const std::string&,
                                                   const kube::ListOptions&) override {
    return Status(Code::kUnsupported, "no watch");
  }
  Result<json> raw(const std::string&, const std::string&, const json&) override { return json(); }
  void setRequestObserver(kube::RequestObserver) override {}

 private:
  kube::RestConfig config_;
};

json rollout(const std::string& name) {
  return json::parse(R"({"metadata":{"name":")" + name + R"(","labels":{"tier":"web"}},
    "spec":{"paused":true,"strategy":{"canary":{"steps":[{"setWeight":10},{"pause":{}}]}}},
    "status":{"currentStepIndex":1,"pauseConditions":[{"reason":"CanaryPauseStep"}]}})");
}

class CommandsTest : public ::testing::Test {
 protected:
  int run(std::vector<std::string> argv) {
    auto inv = parseArgs(argv);
    EXPECT_TRUE(inv.ok()) << inv.status().message();
    CommandContext ctx{&client, "default", &out, &err, [] { return int64_t{1795000000}; }, false};
    return runCommand(inv.value(), ctx);
  }
  FakeClient client;
  std::ostringstream out, err;
};

TEST_F(CommandsTest, PromoteSendsStatusThenSpecPatch) {
  client.rollouts["a"] = rollout("a");
  EXPECT_EQ(run({"promote", "a"}), 0);
  ASSERT_EQ(client.sent.size(), 2u);
  EXPECT_EQ(client.sent[0].subresource, "status");
  EXPECT_EQ(client.sent[0].body, json::parse(R"({"status":{"pauseConditions":null}})"));
  EXPECT_EQ(client.sent[1].subresource, "");
  EXPECT_EQ(client.sent[1].body, json::parse(R"({"spec":{"paused":false}})"));
  EXPECT_EQ(out.str(), "rollout 'a' promoted\n");
}

TEST_F(CommandsTest, PromoteFallsBackToUnifiedPatchWithoutStatusSubresource) {
  client.rollouts["a"] = rollout("a");
  client.status_subresource = false;
  EXPECT_EQ(run({"promote", "a"}), 0);
  ASSERT_EQ(client.sent.size(), 1u);
  EXPECT_EQ(client.sent[0].body,
            json::parse(R"({"spec":{"paused":false},"status":{"pauseConditions":null}})"));
}

TEST_F(CommandsTest, BulkReportsEachRolloutAndFailsIfAnyFailed) {
  for (const char* n : {"a", "b", "c"}) client.rollouts[n] = rollout(n);
  client.fail_patch = {"b"};
  EXPECT_EQ(run({"abort", "-l", "tier=web"}), 1);
  EXPECT_EQ(out.str(), "rollout 'a' aborted\nrollout 'c' aborted\n");
  EXPECT_EQ(err.str(), "error: rollout 'b': injected failure\n");
  ASSERT_EQ(client.sent.size(), 2u);
  EXPECT_EQ(client.sent[0].body, json::parse(R"({"status":{"abort":true}})"));
}

TEST_F(CommandsTest, BulkWithNoMatchFails) {
  EXPECT_EQ(run({"promote", "--all"}), 1);
  EXPECT_NE(err.str().find("no Rollouts matched"), std::string::npos);
}

TEST_F(CommandsTest, RestartUsesInjectedClock) {
  client.rollouts["a"] = rollout("a");
  EXPECT_EQ(run({"restart", "a", "--in", "1m"}), 0);
  EXPECT_EQ(client.sent.at(0).body,
            json::parse(R"({"spec":{"restartAt":"2026-11-18T11:07:40Z"}})"));
  EXPECT_EQ(out.str(), "rollout 'a' restarts in 1m\n");
}

TEST_F(CommandsTest, StatusExitCodesWithoutWatch) {
  client.rollouts["a"] = rollout("a");
  client.rollouts["a"]["status"]["phase"] = "Healthy";
  EXPECT_EQ(run({"status", "a"}), 0);
  EXPECT_EQ(out.str(), "Healthy\n");
  client.rollouts["a"]["status"]["phase"] = "Degraded";
  client.rollouts["a"]["status"]["message"] = "RolloutAborted: x";
  EXPECT_EQ(run({"status", "a", "--watch=false"}), 1);
  EXPECT_NE(err.str().find("degraded state with message: RolloutAborted: x"), std::string::npos);
}

TEST_F(CommandsTest, NotFoundIsAnError) {
  EXPECT_EQ(run({"pause", "nope"}), 1);
  EXPECT_NE(err.str().find("not found"), std::string::npos);
}

}  // namespace
}  // namespace vane::cli
