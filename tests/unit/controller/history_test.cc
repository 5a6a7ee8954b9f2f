// Revision history, AnalysisRun history and scaleDownDelayRevisionLimit, planned over in-memory
// objects (Argo reconcileRevisionHistoryLimit, FilterAnalysisRunsToDelete, scaleDownDelayHelper).
#include "controller/history.h"

#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "controller/hash.h"
#include "controller/replicaset.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::kNow;
using testing::World;

kube::ReplicaSet makeRS(const std::string& hash, int64_t revision, int32_t replicas,
                        int64_t created) {
  json rs = {{"metadata",
              {{"name", "web-" + hash},
               {"namespace", "default"},
               {"uid", "uid-" + hash},
               {"generation", 2},
               {"creationTimestamp", kube::formatTime(created)},
               {"labels", {{kLabelPodTemplateHash, hash}}},
               {"annotations", {{kAnnotationRevision, std::to_string(revision)}}}}},
             {"spec", {{"replicas", replicas}}},
             {"status", {{"replicas", replicas}, {"observedGeneration", 2}}}};
  return *kube::decodeReplicaSet(rs);
}

kube::AnalysisRun makeRun(const std::string& name, const std::string& hash,
                          const std::string& phase, int64_t created) {
  json run = {{"metadata", {{"name", name}, {"creationTimestamp", kube::formatTime(created)}}},
              {"status", {{"phase", phase}}}};
  if (!hash.empty()) run["metadata"]["labels"][kLabelPodTemplateHash] = hash;
  return *kube::decodeAnalysisRun(run);
}

// A promoted rollout (stable = new = the template's RS) plus old ReplicaSets.
struct Fixture {
  explicit Fixture(json spec_patch = json::object()) {
    json ro = testing::basicRollout(5, json::array());
    ro["spec"].merge_patch(spec_patch);
    raw = ro;
    hash = podTemplateHash(raw["spec"]["template"]);
    ctx.rollout = *kube::decodeRollout(raw);
    ctx.rollout.status.stableRS = hash;
    ctx.rollout.status.currentPodHash = hash;
    ctx.now = kNow;
  }
  void add(kube::ReplicaSet rs) { ctx.allRSs.push_back(std::move(rs)); }
  void classify() {
    auto current = makeRS(hash, 100, 5, kNow - 10);
    current.metadata.annotations[kAnnotationDesiredReplicas] = "5";
    current.status.availableReplicas = 5;
    ctx.allRSs.push_back(current);
    ctx.newStatus = ctx.rollout.status;
    classifyReplicaSets(ctx);
  }
  template <class A>
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const A* a : actionsOf<A>(ctx.actions)) out.push_back(a->name);
    return out;
  }

  json raw;
  std::string hash;
  RolloutContext ctx;
};

using Names = std::vector<std::string>;

TEST(RevisionHistoryTest, DeletesOldestScaledDownReplicaSetsBeyondTheLimit) {
  Fixture f(json{{"revisionHistoryLimit", 2}});
  // Creation order h1..h5; revisions deliberately out of order: creation time decides.
  f.add(makeRS("h3", 3, 0, kNow - 300));
  f.add(makeRS("h1", 5, 0, kNow - 500));
  f.add(makeRS("h2", 4, 0, kNow - 400));
  f.add(makeRS("h4", 2, 0, kNow - 200));
  f.add(makeRS("h5", 1, 0, kNow - 100));
  f.classify();
  planRevisionHistory(f.ctx);
  EXPECT_EQ(f.names<DeleteReplicaSet>(), (Names{"web-h1", "web-h2", "web-h3"}));
}

TEST(RevisionHistoryTest, KeepsReplicaSetsWithPodsOrUnobservedScaleDown) {
  Fixture f(json{{"revisionHistoryLimit", 1}});
  auto pods_left = makeRS("h1", 1, 0, kNow - 500);
  pods_left.status.replicas = 1;  // scaled to 0, pods not gone yet
  auto unobserved = makeRS("h2", 2, 0, kNow - 400);
  unobserved.metadata.generation = 3;  // the scale-down not yet observed
  auto scaled = makeRS("h3", 3, 1, kNow - 300);
  f.add(pods_left);
  f.add(unobserved);
  f.add(scaled);
  f.add(makeRS("h4", 4, 0, kNow - 200));
  f.add(makeRS("h5", 5, 0, kNow - 100));
  f.classify();
  planRevisionHistory(f.ctx);
  // diff = 5 - 1 = 4: the four oldest are candidates, only h4 qualifies; h5 is within the limit.
  EXPECT_EQ(f.names<DeleteReplicaSet>(), (Names{"web-h4"}));
}

TEST(RevisionHistoryTest, DefaultLimitIsTen) {
  Fixture f;
  for (int i = 1; i <= 10; ++i) f.add(makeRS("h" + std::to_string(i), i, 0, kNow - 1000 + i));
  f.classify();
  planRevisionHistory(f.ctx);
  EXPECT_TRUE(f.ctx.actions.empty());
  f.ctx.allRSs.pop_back();  // the new RS; classify() adds it again
  f.add(makeRS("h11", 11, 0, kNow - 900));
  f.classify();
  planRevisionHistory(f.ctx);
  EXPECT_EQ(f.names<DeleteReplicaSet>(), (Names{"web-h1"}));
}

TEST(RevisionHistoryTest, DeletesTheRunsOfADeletedReplicaSetButNotCurrentOnes) {
  Fixture f(json{{"revisionHistoryLimit", 0}});
  f.add(makeRS("h1", 1, 0, kNow - 500));
  f.ctx.analysisRuns = {makeRun("web-h1-1-0", "h1", "Running", kNow - 450),
                        makeRun("web-h1-1", "h1", "Successful", kNow - 440),
                        makeRun("web-h1-current", "h1", "Successful", kNow - 430)};
  f.ctx.rollout.status.canary.currentBackgroundAnalysisRunStatus =
      kube::RolloutAnalysisRunStatus{"web-h1-current", "Successful", ""};
  f.classify();
  planRevisionHistory(f.ctx);
  EXPECT_EQ(f.names<DeleteReplicaSet>(), (Names{"web-h1"}));
  EXPECT_EQ(f.names<DeleteAnalysisRun>(), (Names{"web-h1-1-0", "web-h1-1"}));
}

TEST(AnalysisRunHistoryTest, FiltersAsArgo) {
  Fixture f;
  f.add(makeRS("h1", 1, 0, kNow - 500));
  const std::string cur = f.hash;
  f.ctx.analysisRuns = {
      makeRun("no-label", "", "Successful", kNow - 100),
      makeRun("no-rs", "gone", "Running", kNow - 100),
      makeRun("s1", cur, "Successful", kNow - 50),
      makeRun("s2", "h1", "Successful", kNow - 40),
      makeRun("s3", cur, "Successful", kNow - 30),
      makeRun("s4", "h1", "Successful", kNow - 20),
      makeRun("f1", cur, "Failed", kNow - 45),
      makeRun("e1", cur, "Error", kNow - 35),
      makeRun("i1", "h1", "Inconclusive", kNow - 25),
      makeRun("running", "h1", "Running", kNow - 500),
      makeRun("step-current", cur, "Successful", kNow - 600),
  };
  f.ctx.rollout.status.canary.currentStepAnalysisRunStatus =
      kube::RolloutAnalysisRunStatus{"step-current", "Successful", ""};
  kube::AnalysisRun deleting = makeRun("deleting", "gone", "Failed", kNow - 10);
  deleting.metadata.deletionTimestamp = kube::formatTime(kNow - 5);
  f.ctx.analysisRuns.push_back(deleting);
  f.classify();
  auto out = analysisRunsToDelete(f.ctx, {2, 1});
  std::sort(out.begin(), out.end());
  // Newest first: s4, s3 kept (2 successful), s2, s1 go; i1 kept (1 unsuccessful), e1, f1 go.
  EXPECT_EQ(out, (Names{"e1", "f1", "no-label", "no-rs", "s1", "s2"}));
  out = analysisRunsToDelete(f.ctx, {});
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, (Names{"no-label", "no-rs"}));
}

TEST(AnalysisRunHistoryTest, LimitsComeFromSpecAnalysis) {
  Fixture f(
      json{{"analysis", {{"successfulRunHistoryLimit", 1}, {"unsuccessfulRunHistoryLimit", 0}}}});
  f.ctx.analysisRuns = {makeRun("s1", f.hash, "Successful", kNow - 50),
                        makeRun("s2", f.hash, "Successful", kNow - 40),
                        makeRun("f1", f.hash, "Failed", kNow - 30)};
  f.classify();
  planAnalysisRunHistory(f.ctx);
  EXPECT_EQ(f.names<DeleteAnalysisRun>(), (Names{"f1", "s1"}));  // newest first
  EXPECT_TRUE(f.ctx.events.empty());
}

TEST(AnalysisRunHistoryTest, InvalidLimitIsRefusedWithItsField) {
  json ro = testing::basicRollout(5, json::array());
  ro["spec"]["analysis"] = {{"successfulRunHistoryLimit", "two"}};
  auto decoded = kube::decodeRollout(ro);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().toString().find("spec.analysis.successfulRunHistoryLimit"),
            std::string::npos)
      << decoded.status().toString();
}

TEST(RevisionHistoryTest, CanaryPlanDeletesTheOldReplicaSetOnceScaledDown) {
  json ro = testing::basicRollout(5, json::array());
  ro["spec"]["revisionHistoryLimit"] = 0;
  World w(ro);
  w.settle();
  const std::string v1 = podTemplateHash(w.rollout()["spec"]["template"]);
  w.setImage("v2");
  w.settle();
  EXPECT_EQ(w.replicasOf(v1), 0);
  // Deleted through the executor once scaled down, and gone from the (fake) API server.
  bool deleted = false;
  for (const auto& r : w.client().requests) {
    deleted |= r.verb == "delete" && r.resource == "replicasets" && r.name == "web-" + v1;
  }
  EXPECT_TRUE(deleted);
  for (const auto& rs : w.replicaSets()) EXPECT_NE(rs["metadata"]["name"], "web-" + v1);
}

// A fully promoted traffic-routed canary with scaleDownDelaySeconds 10.
Fixture routed(json canary_patch) {
  json canary = {{"canaryService", "c"},
                 {"stableService", "s"},
                 {"scaleDownDelaySeconds", 10},
                 {"trafficRouting", {{"istio", {{"virtualService", {{"name", "vs"}}}}}}}};
  canary.merge_patch(canary_patch);
  return Fixture(json{{"strategy", {{"canary", canary}}}});
}

kube::ReplicaSet withDeadline(kube::ReplicaSet rs, int64_t at) {
  rs.metadata.annotations[kAnnotationScaleDownDeadline] = kube::formatTime(at);
  rs.status.availableReplicas = rs.replicas;
  return rs;
}

std::map<std::string, int32_t> scaled(const Fixture& f) {
  std::map<std::string, int32_t> out;
  for (const ScaleReplicaSet* a : actionsOf<ScaleReplicaSet>(f.ctx.actions)) {
    out[a->name] = a->replicas;
  }
  return out;
}

TEST(ScaleDownDelayTest, RevisionLimitScalesDownOlderDelayedReplicaSetsAtOnce) {
  Fixture f = routed({{"scaleDownDelayRevisionLimit", 1}});
  f.add(withDeadline(makeRS("h1", 1, 5, kNow - 300), kNow + 5));
  f.add(withDeadline(makeRS("h2", 2, 5, kNow - 200), kNow + 5));
  auto newest = makeRS("h3", 3, 5, kNow - 100);
  newest.status.availableReplicas = 5;
  f.add(newest);
  f.classify();
  planCanaryReplicaSets(f.ctx);
  // Newest first: h3 takes the one delayed slot (deadline added now), h2 and h1 go at once.
  EXPECT_EQ(f.names<AnnotateReplicaSet>(), (Names{"web-h3"}));
  EXPECT_EQ(scaled(f), (std::map<std::string, int32_t>{{"web-h1", 0}, {"web-h2", 0}}));
  ASSERT_TRUE(f.ctx.requeueAt);
  EXPECT_EQ(*f.ctx.requeueAt, kNow + 10);
}

TEST(ScaleDownDelayTest, WithoutLimitEachKeepsItsPodsUntilItsDeadline) {
  Fixture f = routed(json::object());
  f.add(withDeadline(makeRS("h1", 1, 5, kNow - 300), kNow - 1));  // passed
  f.add(withDeadline(makeRS("h2", 2, 5, kNow - 200), kNow + 5));
  f.add(makeRS("h3", 3, 5, kNow - 100));
  f.classify();
  planCanaryReplicaSets(f.ctx);
  EXPECT_EQ(f.names<AnnotateReplicaSet>(), (Names{"web-h3"}));
  EXPECT_EQ(scaled(f), (std::map<std::string, int32_t>{{"web-h1", 0}}));
  ASSERT_TRUE(f.ctx.requeueAt);
  EXPECT_EQ(*f.ctx.requeueAt, kNow + 5);
}

TEST(ScaleDownDelayTest, LimitZeroScalesEveryOldReplicaSetDownAtOnce) {
  Fixture f = routed({{"scaleDownDelayRevisionLimit", 0}});
  f.add(makeRS("h1", 1, 5, kNow - 100));
  f.classify();
  planCanaryReplicaSets(f.ctx);
  EXPECT_TRUE(f.names<AnnotateReplicaSet>().empty());
  EXPECT_EQ(scaled(f), (std::map<std::string, int32_t>{{"web-h1", 0}}));
}

}  // namespace
}  // namespace vane::controller
