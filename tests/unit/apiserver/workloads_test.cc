#include "apiserver/workloads.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <regex>
#include <set>
#include <thread>

#include "apiserver/pod_script.h"

namespace vane::apiserver {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// Polls cond until it holds or the deadline passes (no fixed sleeps to synchronise).
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds deadline = 10s) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

class WorkloadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open({});
    ASSERT_TRUE(s.ok()) << s.status().toString();
    store_ = std::move(*s);
    sim_ = std::make_unique<WorkloadSimulator>(*store_, WorkloadSimulator::Options{20ms});
    ASSERT_TRUE(sim_->start().isOk());
  }
  void TearDown() override { sim_->stop(); }

  json podTemplate(const std::string& app, json annotations = json::object()) {
    json t = {{"metadata", {{"labels", {{"app", app}}}}},
              {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "img:1"}}})}}}};
    if (!annotations.empty()) t["metadata"]["annotations"] = annotations;
    return t;
  }
  void create(const std::string& resource, const std::string& name, json obj) {
    obj["metadata"]["name"] = name;
    obj["metadata"]["namespace"] = "default";
    obj["metadata"]["uid"] = "uid-" + name;
    obj["metadata"]["generation"] = 1;
    auto r = store_->create({resource, "default", name}, obj);
    ASSERT_TRUE(r.ok()) << r.status().toString();
  }
  json get(const std::string& resource, const std::string& name) {
    auto r = store_->get({resource, "default", name});
    return r.ok() ? **r : json::object();
  }
  json statusOf(const std::string& resource, const std::string& name) {
    json o = get(resource, name);
    return o.contains("status") && o["status"].is_object() ? o["status"] : json::object();
  }
  std::vector<json> podsOwnedBy(const std::string& uid) {
    std::vector<json> out;
    for (const auto& p : store_->list("core/pods", "default").first) {
      for (const auto& ref : p->value("/metadata/ownerReferences"_json_pointer, json::array())) {
        if (ref.value("uid", "") == uid) out.push_back(*p);
      }
    }
    return out;
  }
  void setReplicas(const std::string& resource, const std::string& name, int n) {
    auto r = store_->mutate({resource, "default", name}, [&](json& o) {
      o["spec"]["replicas"] = n;
      o["metadata"]["generation"] = o["metadata"]["generation"].get<int>() + 1;
      return Status::ok();
    });
    ASSERT_TRUE(r.ok());
  }

  std::unique_ptr<Store> store_;
  std::unique_ptr<WorkloadSimulator> sim_;
};

bool ready(const json& pod) {
  for (const auto& c : pod.value("/status/conditions"_json_pointer, json::array())) {
    if (c["type"] == "Ready") return c["status"] == "True";
  }
  return false;
}

TEST_F(WorkloadsTest, ReplicaSetGetsReadyPods) {
  json rs = {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}};
  rs["spec"] = {{"replicas", 3},
                {"selector", {{"matchLabels", {{"app", "web"}}}}},
                {"template", podTemplate("web", {{"note", "x"}})}};
  create("apps/replicasets", "web", rs);
  ASSERT_TRUE(eventually([&] {
    json s = statusOf("apps/replicasets", "web");
    return s.value("readyReplicas", 0) == 3 && s.value("availableReplicas", 0) == 3;
  }));
  json status = statusOf("apps/replicasets", "web");
  EXPECT_EQ(status["replicas"], 3);
  EXPECT_EQ(status["fullyLabeledReplicas"], 3);
  EXPECT_EQ(status["observedGeneration"], 1);
  auto pods = podsOwnedBy("uid-web");
  ASSERT_EQ(pods.size(), 3u);
  for (const auto& p : pods) {
    EXPECT_TRUE(
        std::regex_match(p["metadata"]["name"].get<std::string>(), std::regex("web-[a-z0-9]{5}")));
    EXPECT_EQ(p["metadata"]["labels"]["app"], "web");
    EXPECT_EQ(p["metadata"]["annotations"]["note"], "x");
    EXPECT_EQ(p["metadata"]["uid"].get<std::string>().size(), 36u);
    EXPECT_TRUE(std::regex_match(p["metadata"]["creationTimestamp"].get<std::string>(),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
    const json& ref = p["metadata"]["ownerReferences"][0];
    EXPECT_EQ(ref["kind"], "ReplicaSet");
    EXPECT_EQ(ref["name"], "web");
    EXPECT_EQ(ref["controller"], true);
    EXPECT_EQ(ref["blockOwnerDeletion"], true);
    EXPECT_EQ(p["status"]["phase"], "Running");
    EXPECT_TRUE(ready(p));
    EXPECT_EQ(p["status"]["containerStatuses"][0]["name"], "c");
    EXPECT_EQ(p["status"]["containerStatuses"][0]["ready"], true);
    EXPECT_EQ(p["spec"]["containers"][0]["image"], "img:1");
  }

  setReplicas("apps/replicasets", "web", 1);
  ASSERT_TRUE(eventually([&] {
    json s = statusOf("apps/replicasets", "web");
    return podsOwnedBy("uid-web").size() == 1 && s.value("replicas", 0) == 1 &&
           s.value("observedGeneration", 0) == 2;
  }));
  EXPECT_EQ(statusOf("apps/replicasets", "web")["readyReplicas"], 1);
}

TEST_F(WorkloadsTest, NeverReadyAnnotationKeepsPodsUnready) {
  json rs = {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}};
  rs["spec"] = {{"replicas", 2},
                {"selector", {{"matchLabels", {{"app", "bad"}}}}},
                {"template", podTemplate("bad", {{kSimulateAnnotation, kSimulateNeverReady}})}};
  create("apps/replicasets", "bad", rs);
  ASSERT_TRUE(eventually([&] {
    auto pods = podsOwnedBy("uid-bad");
    return pods.size() == 2 && pods[0]["status"]["phase"] == "Running" &&
           pods[1]["status"]["phase"] == "Running";
  }));
  for (const auto& p : podsOwnedBy("uid-bad")) EXPECT_FALSE(ready(p));
  ASSERT_TRUE(
      eventually([&] { return statusOf("apps/replicasets", "bad").value("replicas", 0) == 2; }));
  json s = statusOf("apps/replicasets", "bad");
  EXPECT_EQ(s["readyReplicas"], 0);
  EXPECT_EQ(s["availableReplicas"], 0);
}

TEST_F(WorkloadsTest, MinReadySecondsDelaysAvailability) {
  json rs = {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}};
  rs["spec"] = {{"replicas", 1},
                {"minReadySeconds", 1},
                {"selector", {{"matchLabels", {{"app", "slow"}}}}},
                {"template", podTemplate("slow")}};
  create("apps/replicasets", "slow", rs);
  ASSERT_TRUE(eventually(
      [&] { return statusOf("apps/replicasets", "slow").value("availableReplicas", 0) == 1; }));
  auto pods = podsOwnedBy("uid-slow");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_TRUE(ready(pods[0]));
}

TEST_F(WorkloadsTest, DeploymentRollsToNewReplicaSet) {
  json d = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}};
  d["spec"] = {{"replicas", 2},
               {"selector", {{"matchLabels", {{"app", "api"}}}}},
               {"template", podTemplate("api")}};
  create("apps/deployments", "api", d);
  ASSERT_TRUE(eventually([&] {
    json s = statusOf("apps/deployments", "api");
    return s.value("availableReplicas", 0) == 2 && s.value("updatedReplicas", 0) == 2;
  }));
  auto rss = store_->list("apps/replicasets", "default").first;
  ASSERT_EQ(rss.size(), 1u);
  json first = *rss[0];
  std::string hash = first["metadata"]["labels"]["pod-template-hash"];
  EXPECT_EQ(first["metadata"]["name"], "api-" + hash);
  EXPECT_EQ(first["spec"]["selector"]["matchLabels"]["pod-template-hash"], hash);
  EXPECT_EQ(first["metadata"]["ownerReferences"][0]["kind"], "Deployment");
  EXPECT_EQ(first["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "1");
  json status = statusOf("apps/deployments", "api");
  EXPECT_EQ(status["observedGeneration"], 1);
  EXPECT_EQ(status["replicas"], 2);
  EXPECT_EQ(status["readyReplicas"], 2);
  bool available = false, progressed = false;
  for (const auto& c : status["conditions"]) {
    if (c["type"] == "Available") available = c["status"] == "True";
    if (c["type"] == "Progressing") progressed = c["reason"] == "NewReplicaSetAvailable";
  }
  EXPECT_TRUE(available);
  EXPECT_TRUE(progressed);

  ASSERT_TRUE(store_
                  ->mutate({"apps/deployments", "default", "api"},
                           [](json& o) {
                             o["spec"]["template"]["spec"]["containers"][0]["image"] = "img:2";
                             o["metadata"]["generation"] = 2;
                             return Status::ok();
                           })
                  .ok());
  ASSERT_TRUE(eventually([&] {
    json s = statusOf("apps/deployments", "api");
    json old_rs = get("apps/replicasets", first["metadata"]["name"]);
    return s.value("observedGeneration", 0) == 2 && s.value("updatedReplicas", 0) == 2 &&
           s.value("availableReplicas", 0) == 2 && s.value("replicas", 0) == 2 &&
           old_rs["spec"]["replicas"] == 0 && podsOwnedBy(first["metadata"]["uid"]).empty();
  }));
  rss = store_->list("apps/replicasets", "default").first;
  ASSERT_EQ(rss.size(), 2u);
  for (const auto& rs : rss) {
    if ((*rs)["metadata"]["name"] == first["metadata"]["name"]) continue;
    EXPECT_EQ((*rs)["spec"]["template"]["spec"]["containers"][0]["image"], "img:2");
    EXPECT_EQ((*rs)["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
  }
  EXPECT_EQ(get("apps/deployments",
                "api")["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
            "2");

  // kubectl rollout undo: the old template comes back (with the nulls and empty objects of a
  // typed round trip); the old ReplicaSet is reused and becomes revision 3.
  ASSERT_TRUE(store_
                  ->mutate({"apps/deployments", "default", "api"},
                           [](json& o) {
                             json& t = o["spec"]["template"];
                             t["spec"]["containers"][0]["image"] = "img:1";
                             t["spec"]["containers"][0]["resources"] = json::object();
                             t["metadata"]["creationTimestamp"] = nullptr;
                             o["metadata"]["generation"] = 3;
                             return Status::ok();
                           })
                  .ok());
  ASSERT_TRUE(eventually([&] {
    json old_rs = get("apps/replicasets", first["metadata"]["name"]);
    return old_rs["spec"]["replicas"] == 2 &&
           old_rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3" &&
           statusOf("apps/deployments", "api").value("availableReplicas", 0) == 2;
  }));
  EXPECT_EQ(store_->list("apps/replicasets", "default").first.size(), 2u);
}

json jobCondition(const json& job, const std::string& type) {
  for (const auto& c : job.value("/status/conditions"_json_pointer, json::array())) {
    if (c["type"] == type) return c;
  }
  return nullptr;
}

TEST_F(WorkloadsTest, JobsSucceedOrFailByAnnotation) {
  json ok = {{"apiVersion", "batch/v1"}, {"kind", "Job"}};
  ok["spec"] = {{"template", podTemplate("job")}};
  create("batch/jobs", "ok", ok);
  json bad = {{"apiVersion", "batch/v1"}, {"kind", "Job"}};
  bad["spec"] = {{"template", podTemplate("job", {{kSimulateJobAnnotation, "fail"}})}};
  create("batch/jobs", "bad", bad);
  ASSERT_TRUE(eventually([&] {
    return !jobCondition(get("batch/jobs", "ok"), "Complete").is_null() &&
           !jobCondition(get("batch/jobs", "bad"), "Failed").is_null();
  }));
  json done = get("batch/jobs", "ok");
  EXPECT_EQ(done["status"]["succeeded"], 1);
  EXPECT_EQ(done["status"]["active"], 0);
  EXPECT_TRUE(done["status"].contains("completionTime"));
  EXPECT_EQ(jobCondition(done, "Complete")["status"], "True");
  EXPECT_EQ(jobCondition(done, "Complete")["reason"], "CompletionsReached");
  json failed = get("batch/jobs", "bad");
  EXPECT_EQ(failed["status"]["failed"], 1);
  EXPECT_EQ(jobCondition(failed, "Failed")["status"], "True");
  auto pods = podsOwnedBy("uid-ok");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]["status"]["phase"], "Succeeded");
  EXPECT_EQ(pods[0]["metadata"]["labels"]["job-name"], "ok");
  EXPECT_EQ(podsOwnedBy("uid-bad")[0]["status"]["phase"], "Failed");
}

TEST(PodScriptTest, ParsesTheShapesOfArgosJobFixtures) {
  auto parse = [](json c) { return parseContainerScript(c); };
  auto s = parse({{"command", {"sh", "-c", "sleep 5 && exit 1"}}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->runtime, 5s);
  EXPECT_EQ(s->exit_code, 1);
  s = parse({{"command", {"/bin/sh", "-c"}}, {"args", {"exit 3"}}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->runtime, 0s);
  EXPECT_EQ(s->exit_code, 3);
  s = parse({{"command", {"sh", "-c", "sleep 0.5"}}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->runtime, 500ms);
  EXPECT_EQ(s->exit_code, 0);
  s = parse({{"command", {"sh", "-c", "-x"}}, {"args", {"sleep 0s && exit 1"}}});  // Argo's
  ASSERT_TRUE(s);
  EXPECT_EQ(s->runtime, 0s);
  EXPECT_EQ(s->exit_code, 1);
  s = parse({{"command", {"sh", "-c", "sleep 2m"}}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->runtime, 120s);
  s = parse({{"command", {"bash", "-c", "sleep 1; exit 0"}}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->runtime, 1s);
  // Anything else is left to the simulator's default behaviour.
  EXPECT_FALSE(parse({{"command", {"sh", "-c", "curl http://x"}}}));
  EXPECT_FALSE(parse({{"command", {"sh", "-c", "exit 1 && sleep 2"}}}));
  EXPECT_FALSE(parse({{"command", {"sleep", "5"}}}));
  EXPECT_FALSE(parse({{"command", {"sh", "-c", "sleep -1"}}}));
  EXPECT_FALSE(parse({{"image", "busybox"}}));
  EXPECT_TRUE(imageUnpullable("nonexistent-image-that-does-not-exist:latest", {}));
  EXPECT_TRUE(imageUnpullable("quay.io/x/nonexistent-image:1", {}));
  EXPECT_TRUE(imageUnpullable("registry/bad:1", {"registry/bad"}));
  EXPECT_TRUE(imageUnpullable("bad:2", {"bad:2"}));
  EXPECT_FALSE(imageUnpullable("bad:3", {"bad:2"}));
  EXPECT_FALSE(imageUnpullable("argoproj/rollouts-demo:blue", {}));
}

json scriptJob(const std::string& script, json spec_extra = json::object(),
               const std::string& image = "busybox") {
  json job = {{"apiVersion", "batch/v1"}, {"kind", "Job"}};
  job["spec"] = {{"template",
                  {{"spec",
                    {{"restartPolicy", "Never"},
                     {"containers", json::array({{{"name", "c"},
                                                  {"image", image},
                                                  {"command", {"sh", "-c", script}}}})}}}}}};
  for (const auto& [k, v] : spec_extra.items()) job["spec"][k] = v;
  return job;
}

TEST_F(WorkloadsTest, JobPodRunsItsSleepThenExitsWithItsCode) {
  create("batch/jobs", "slow", scriptJob("sleep 0.4 && exit 3", {{"backoffLimit", 0}}));
  create("batch/jobs", "fine", scriptJob("sleep 0.2"));
  ASSERT_TRUE(eventually([&] {
    auto pods = podsOwnedBy("uid-slow");
    return pods.size() == 1 && pods[0]["status"]["phase"] == "Running";
  }));
  EXPECT_TRUE(jobCondition(get("batch/jobs", "slow"), "Failed").is_null());
  ASSERT_TRUE(eventually([&] {
    return !jobCondition(get("batch/jobs", "slow"), "Failed").is_null() &&
           !jobCondition(get("batch/jobs", "fine"), "Complete").is_null();
  }));
  json failed = get("batch/jobs", "slow");
  EXPECT_EQ(jobCondition(failed, "Failed")["reason"], "BackoffLimitExceeded");
  EXPECT_EQ(failed["status"]["failed"], 1);
  auto pods = podsOwnedBy("uid-slow");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]["status"]["phase"], "Failed");
  EXPECT_EQ(pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 3);
  EXPECT_EQ(get("batch/jobs", "fine")["status"]["succeeded"], 1);
}

TEST_F(WorkloadsTest, JobRetriesFailedPodsUpToItsBackoffLimit) {
  create("batch/jobs", "retry", scriptJob("exit 1", {{"backoffLimit", 2}}));
  ASSERT_TRUE(
      eventually([&] { return !jobCondition(get("batch/jobs", "retry"), "Failed").is_null(); }));
  json job = get("batch/jobs", "retry");
  EXPECT_EQ(job["status"]["failed"], 3);
  EXPECT_EQ(job["status"]["active"], 0);
  EXPECT_EQ(podsOwnedBy("uid-retry").size(), 3u);
}

TEST_F(WorkloadsTest, JobPastItsActiveDeadlineFailsWithDeadlineExceeded) {
  create("batch/jobs", "long", scriptJob("sleep 100", {{"activeDeadlineSeconds", 1}}));
  ASSERT_TRUE(eventually([&] {
    auto pods = podsOwnedBy("uid-long");
    return pods.size() == 1 && pods[0]["status"]["phase"] == "Running";
  }));
  ASSERT_TRUE(
      eventually([&] { return !jobCondition(get("batch/jobs", "long"), "Failed").is_null(); }));
  json job = get("batch/jobs", "long");
  EXPECT_EQ(jobCondition(job, "Failed")["reason"], "DeadlineExceeded");
  EXPECT_EQ(job["status"]["active"], 0);
  EXPECT_TRUE(podsOwnedBy("uid-long").empty());
}

TEST_F(WorkloadsTest, UnpullableImagesLeavePodsPendingOnErrImagePull) {
  sim_->stop();
  sim_ = std::make_unique<WorkloadSimulator>(
      *store_, WorkloadSimulator::Options{20ms, {"registry.local/broken:1"}});
  ASSERT_TRUE(sim_->start().isOk());
  create("batch/jobs", "pull",
         scriptJob("exit 0", {}, "nonexistent-image-that-does-not-exist:latest"));
  json rs = {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}};
  rs["spec"] = {{"replicas", 1},
                {"selector", {{"matchLabels", {{"app", "broken"}}}}},
                {"template", podTemplate("broken")}};
  rs["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.local/broken:1";
  create("apps/replicasets", "broken", rs);
  auto waiting = [](const json& pod) {
    return pod.value("/status/containerStatuses/0/state/waiting/reason"_json_pointer, "");
  };
  ASSERT_TRUE(eventually([&] {
    auto j = podsOwnedBy("uid-pull");
    auto r = podsOwnedBy("uid-broken");
    return j.size() == 1 && waiting(j[0]) == "ErrImagePull" && r.size() == 1 &&
           waiting(r[0]) == "ErrImagePull";
  }));
  std::this_thread::sleep_for(100ms);  // several pod delays: nothing moves on
  auto pods = podsOwnedBy("uid-pull");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]["status"]["phase"], "Pending");
  EXPECT_FALSE(ready(pods[0]));
  EXPECT_NE(pods[0]["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
                .get<std::string>()
                .find("nonexistent-image-that-does-not-exist:latest"),
            std::string::npos);
  json job = get("batch/jobs", "pull");
  EXPECT_TRUE(jobCondition(job, "Complete").is_null());
  EXPECT_TRUE(jobCondition(job, "Failed").is_null());
  EXPECT_EQ(job["status"]["active"], 1);
  EXPECT_EQ(statusOf("apps/replicasets", "broken").value("readyReplicas", 0), 0);
}

TEST_F(WorkloadsTest, StandalonePodIsScheduledAndRuns) {
  json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}};
  pod["spec"] = {{"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}};
  create("core/pods", "solo", pod);
  ASSERT_TRUE(eventually([&] { return ready(get("core/pods", "solo")); }));
  json p = get("core/pods", "solo");
  EXPECT_EQ(p["status"]["phase"], "Running");
  EXPECT_FALSE(p["spec"].value("nodeName", "").empty());
  EXPECT_FALSE(p["status"].value("podIP", "").empty());
  EXPECT_EQ(p["status"]["containerStatuses"][0]["state"].contains("running"), true);
}

TEST_F(WorkloadsTest, PausedDeploymentKeepsItsReplicaSet) {
  json d = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}};
  d["spec"] = {{"replicas", 1},
               {"selector", {{"matchLabels", {{"app", "p"}}}}},
               {"template", podTemplate("p")}};
  create("apps/deployments", "p", d);
  ASSERT_TRUE(eventually(
      [&] { return statusOf("apps/deployments", "p").value("availableReplicas", 0) == 1; }));
  ASSERT_TRUE(store_
                  ->mutate({"apps/deployments", "default", "p"},
                           [](json& o) {
                             o["spec"]["paused"] = true;
                             o["spec"]["template"]["spec"]["containers"][0]["image"] = "img:2";
                             o["metadata"]["generation"] = 2;
                             return Status::ok();
                           })
                  .ok());
  ASSERT_TRUE(eventually([&] {
    json s = statusOf("apps/deployments", "p");
    for (const auto& c : s.value("conditions", json::array())) {
      if (c["type"] == "Progressing") return c.value("reason", "") == "DeploymentPaused";
    }
    return false;
  }));
  EXPECT_EQ(store_->list("apps/replicasets", "default").first.size(), 1u);
}

TEST_F(WorkloadsTest, StopAndStartAreIdempotent) {
  EXPECT_TRUE(sim_->start().isOk());
  sim_->stop();
  sim_->stop();
  json rs = {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}};
  rs["spec"] = {{"replicas", 1},
                {"selector", {{"matchLabels", {{"app", "later"}}}}},
                {"template", podTemplate("later")}};
  create("apps/replicasets", "later", rs);
  ASSERT_TRUE(sim_->start().isOk());  // reconciles what was stored while stopped
  EXPECT_TRUE(eventually([&] { return podsOwnedBy("uid-later").size() == 1; }));
}

TEST_F(WorkloadsTest, DeletedPodIsReplacedAndOtherSetsKeepTheirPods) {
  for (const char* name : {"one", "two"}) {
    json rs = {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}};
    rs["spec"] = {{"replicas", 2},
                  {"selector", {{"matchLabels", {{"app", name}}}}},
                  {"template", podTemplate(name)}};
    create("apps/replicasets", name, rs);
  }
  auto readyCount = [&](const std::string& rs) {
    return statusOf("apps/replicasets", rs).value("readyReplicas", 0);
  };
  ASSERT_TRUE(eventually([&] { return readyCount("one") == 2 && readyCount("two") == 2; }));
  std::set<std::string> two_before;
  for (const auto& p : podsOwnedBy("uid-two")) two_before.insert(p["metadata"]["name"]);
  std::string victim = podsOwnedBy("uid-one")[0]["metadata"]["name"];
  ASSERT_TRUE(store_->remove({"core/pods", "default", victim}).ok());
  ASSERT_TRUE(eventually([&] {
    auto pods = podsOwnedBy("uid-one");
    return pods.size() == 2 && pods[0]["metadata"]["name"] != victim &&
           pods[1]["metadata"]["name"] != victim && readyCount("one") == 2;
  }));
  std::set<std::string> two_after;
  for (const auto& p : podsOwnedBy("uid-two")) two_after.insert(p["metadata"]["name"]);
  EXPECT_EQ(two_after, two_before);
}

TEST_F(WorkloadsTest, ManyReplicaSetsGetExactlyTheirOwnPods) {
  constexpr int kSets = 200;
  for (int i = 0; i < kSets; ++i) {
    std::string name = "many-" + std::to_string(i);
    json rs = {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}};
    rs["spec"] = {{"replicas", 1},
                  {"selector", {{"matchLabels", {{"app", name}}}}},
                  {"template", podTemplate(name)}};
    create("apps/replicasets", name, rs);
  }
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& rs : store_->list("apps/replicasets", "default").first) {
          if (rs->value("/status/availableReplicas"_json_pointer, 0) != 1) return false;
        }
        return true;
      },
      60s));
  EXPECT_EQ(store_->list("core/pods", "default").first.size(), static_cast<size_t>(kSets));
  for (int i = 0; i < kSets; ++i) {
    std::string name = "many-" + std::to_string(i);
    auto pods = podsOwnedBy("uid-" + name);
    ASSERT_EQ(pods.size(), 1u) << name;
    EXPECT_EQ(pods[0]["metadata"]["labels"]["app"], name);
    EXPECT_EQ(statusOf("apps/replicasets", name)["replicas"], 1) << name;
  }
}

}  // namespace
}  // namespace vane::apiserver
