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
  std::map<std::string, json> others;  // other kinds, by "<plural>/<name>"
  std::vector<json> replicasets;       // answered to a ReplicaSet list
  std::set<std::string> fail_patch;    // names whose patches fail with kInternal
  bool status_subresource = true;      // false: status patches answer NotFound (v0.9 CRD)
  std::vector<SentPatch> sent;

  const kube::RestConfig& config() const override { return config_; }
  Result<json> get(const kube::Resource& r, const std::string&, const std::string& name) override {
    auto& objects = r == kube::resources::kRollouts ? rollouts : others;
    auto it = objects.find(key(r, name));
    if (it == objects.end()) return notFound(r, name);
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
    if (r == kube::resources::kReplicaSets) {
      for (const json& rs : replicasets) items.push_back(rs);
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
  Result<json> patch(const kube::Resource& r, const std::string&, const std::string& name,
                     kube::PatchType type, const json& body, const std::string& sub,
                     const std::string&) override {
    auto& objects = r == kube::resources::kRollouts ? rollouts : others;
    if (!objects.count(key(r, name))) return notFound(r, name);
    if (fail_patch.count(name)) return Status(Code::kInternal, "injected failure");
    if (sub == "status" && !status_subresource) return Status(Code::kNotFound, "no subresource");
    sent.push_back({name, sub, type, body});
    return objects[key(r, name)];
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
  static std::string key(const kube::Resource& r, const std::string& name) {
    return r == kube::resources::kRollouts ? name : r.resource + "/" + name;
  }
  static Status notFound(const kube::Resource& r, const std::string& name) {
    return Status(Code::kNotFound, r.resource + ".argoproj.io \"" + name + "\" not found");
  }
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

// A blue-green Rollout paused before promotion (BlueGreenPause), new ReplicaSet h2 as preview.
json blueGreen(const std::string& name) {
  return json::parse(R"({"metadata":{"name":")" + name + R"(","uid":"bg-uid"},
    "spec":{"strategy":{"blueGreen":{"activeService":"active","previewService":"preview"}},
      "template":{"metadata":{"labels":{"app":"bg"}},
                  "spec":{"containers":[{"name":"app","image":"v2"}]}}},
    "status":{"currentPodHash":"h2","stableRS":"h1","controllerPause":true,
      "pauseConditions":[{"reason":"BlueGreenPause","startTime":"2026-11-18T11:00:00Z"}],
      "blueGreen":{"activeSelector":"h1","previewSelector":"h2"}}})");
}

TEST_F(CommandsTest, BlueGreenPromoteClearsPauseConditionsOnly) {
  client.rollouts["bg"] = blueGreen("bg");
  EXPECT_EQ(run({"promote", "bg"}), 0);
  ASSERT_EQ(client.sent.size(), 1u);
  EXPECT_EQ(client.sent[0].subresource, "status");
  EXPECT_EQ(client.sent[0].body, json::parse(R"({"status":{"pauseConditions":null}})"));
  EXPECT_EQ(out.str(), "rollout 'bg' promoted\n");
  // Without pause conditions there is no step to skip: nothing is sent (Argo: no status patch).
  client.sent.clear();
  client.rollouts["bg"]["status"].erase("pauseConditions");
  EXPECT_EQ(run({"promote", "bg"}), 0);
  EXPECT_TRUE(client.sent.empty());
}

TEST_F(CommandsTest, BlueGreenPromoteFullAndUserPause) {
  client.rollouts["bg"] = blueGreen("bg");
  client.rollouts["bg"]["spec"]["paused"] = true;
  EXPECT_EQ(run({"promote", "bg", "--full"}), 0);
  ASSERT_EQ(client.sent.size(), 2u);
  EXPECT_EQ(client.sent[0].body, json::parse(R"({"status":{"promoteFull":true}})"));
  EXPECT_EQ(client.sent[0].subresource, "status");
  EXPECT_EQ(client.sent[1].body, json::parse(R"({"spec":{"paused":false}})"));
  EXPECT_EQ(client.sent[1].subresource, "");
  EXPECT_EQ(out.str(), "rollout 'bg' fully promoted\n");
  // Once the new ReplicaSet is stable, --full only unpauses.
  client.sent.clear();
  client.rollouts["bg"]["status"]["stableRS"] = "h2";
  EXPECT_EQ(run({"promote", "bg", "--full"}), 0);
  ASSERT_EQ(client.sent.size(), 1u);
  EXPECT_EQ(client.sent[0].body, json::parse(R"({"spec":{"paused":false}})"));
}

TEST_F(CommandsTest, BlueGreenAbortRetryUndo) {
  client.rollouts["bg"] = blueGreen("bg");
  auto rs = [](const std::string& hash, int rev, const std::string& image) {
    return json{
        {"metadata",
         {{"name", "bg-" + hash},
          {"annotations", {{"rollout.argoproj.io/revision", std::to_string(rev)}}},
          {"ownerReferences", {{{"uid", "bg-uid"}}}}}},
        {"spec",
         {{"template",
           {{"metadata", {{"labels", {{"app", "bg"}, {"rollouts-pod-template-hash", hash}}}}},
            {"spec", {{"containers", {{{"name", "app"}, {"image", image}}}}}}}}}}};
  };
  client.replicasets = {rs("h1", 1, "v1"), rs("h2", 2, "v2")};
  EXPECT_EQ(run({"abort", "bg"}), 0);
  EXPECT_EQ(run({"retry", "rollout", "bg"}), 0);
  EXPECT_EQ(run({"undo", "bg"}), 0);
  ASSERT_EQ(client.sent.size(), 3u);
  EXPECT_EQ(client.sent[0].subresource, "status");
  EXPECT_EQ(client.sent[0].body, json::parse(R"({"status":{"abort":true}})"));
  EXPECT_EQ(client.sent[1].subresource, "status");
  EXPECT_EQ(client.sent[1].body, json::parse(R"({"status":{"abort":false}})"));
  EXPECT_EQ(client.sent[2].type, kube::PatchType::kJson);
  EXPECT_EQ(client.sent[2].body, json::parse(R"([{"op":"replace","path":"/spec/template",
      "value":{"metadata":{"labels":{"app":"bg"}},
               "spec":{"containers":[{"name":"app","image":"v1"}]}}}])"));
  EXPECT_EQ(out.str(), "rollout 'bg' aborted\nrollout 'bg' retried\nrollout 'bg' undo\n");
}

TEST_F(CommandsTest, TerminateSendsSpecTerminateToEachObject) {
  client.others["analysisruns/ar1"] = json{{"metadata", {{"name", "ar1"}}}};
  client.others["experiments/ex1"] = json{{"metadata", {{"name", "ex1"}}}};
  EXPECT_EQ(run({"terminate", "analysisrun", "ar1"}), 0);
  EXPECT_EQ(run({"terminate", "exp", "ex1"}), 0);
  ASSERT_EQ(client.sent.size(), 2u);
  for (const SentPatch& p : client.sent) {
    EXPECT_EQ(p.type, kube::PatchType::kMerge);
    EXPECT_EQ(p.subresource, "");
    EXPECT_EQ(p.body, json::parse(R"({"spec":{"terminate":true}})"));
  }
  EXPECT_EQ(out.str(), "analysisRun 'ar1' terminated\nexperiment 'ex1' terminated\n");
}

TEST_F(CommandsTest, TerminateMissingObjectNamesIt) {
  client.others["analysisruns/ar1"] = json{{"metadata", {{"name", "ar1"}}}};
  EXPECT_EQ(run({"terminate", "ar", "nope", "ar1"}), 1);
  EXPECT_EQ(out.str(), "analysisRun 'ar1' terminated\n");
  EXPECT_EQ(err.str(),
            "error: analysisrun 'nope' in namespace default: analysisruns.argoproj.io \"nope\" "
            "not found\n");
  EXPECT_EQ(run({"terminate", "experiment", "gone"}), 1);
  EXPECT_NE(err.str().find("experiment 'gone'"), std::string::npos);
}

TEST_F(CommandsTest, RetryExperimentClearsStatusThroughTheSubresource) {
  client.others["experiments/ex1"] = json{{"metadata", {{"name", "ex1"}}}};
  client.others["experiments/ex2"] = json{{"metadata", {{"name", "ex2"}}}};
  EXPECT_EQ(run({"retry", "exp", "ex1", "ex2"}), 0);
  ASSERT_EQ(client.sent.size(), 2u);
  for (const SentPatch& p : client.sent) {
    EXPECT_EQ(p.type, kube::PatchType::kMerge);
    EXPECT_EQ(p.subresource, "status");
    EXPECT_EQ(p.body, json::parse(R"({"status":null})"));
  }
  EXPECT_EQ(out.str(), "experiment 'ex1' retried\nexperiment 'ex2' retried\n");
}

TEST_F(CommandsTest, RetryExperimentWithoutStatusSubresourcePatchesTheObjectAsArgo) {
  client.others["experiments/ex1"] = json{{"metadata", {{"name", "ex1"}}}};
  client.status_subresource = false;
  EXPECT_EQ(run({"retry", "experiment", "ex1"}), 0);
  ASSERT_EQ(client.sent.size(), 1u);
  EXPECT_EQ(client.sent[0].subresource, "");
  EXPECT_EQ(client.sent[0].body, json::parse(R"({"status":null})"));
}

TEST_F(CommandsTest, RetryExperimentMissingNamesIt) {
  EXPECT_EQ(run({"retry", "experiments", "gone"}), 1);
  EXPECT_EQ(err.str(),
            "error: experiment 'gone' in namespace default: experiments.argoproj.io \"gone\" not "
            "found\n");
  EXPECT_TRUE(client.sent.empty());
}

TEST(WatchPoints, NameTheObjectAndCarryEachListsVersion) {
  std::vector<Listed> lists(2);
  lists[0].resource_version = "41";  // lists[1] failed: no version, so it is not watched
  auto points = watchPoints(kube::resources::kRollouts, "demo", "40",
                            {&kube::resources::kPods, &kube::resources::kAnalysisRuns}, lists);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(*points[0].resource, kube::resources::kRollouts);
  EXPECT_EQ(points[0].name, "demo");
  EXPECT_EQ(points[0].resource_version, "40");
  EXPECT_EQ(*points[1].resource, kube::resources::kPods);
  EXPECT_EQ(points[1].name, "");
  EXPECT_EQ(points[1].resource_version, "41");
  EXPECT_EQ(points[2].resource_version, "");
}

TEST_F(CommandsTest, NotFoundIsAnError) {
  EXPECT_EQ(run({"pause", "nope"}), 1);
  EXPECT_NE(err.str().find("not found"), std::string::npos);
}

}  // namespace
}  // namespace vane::cli
