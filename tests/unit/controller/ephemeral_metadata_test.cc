// Ephemeral metadata driven through the in-memory world (world.h): canary/stable and
// preview/active labels and annotations on the ReplicaSet templates and on the running pods
// (patched in place, same names), switched on promotion, removed from old ReplicaSets, the
// rollout.argoproj.io/ephemeral-metadata annotation, and adoption ignoring what was injected
// (Argo rollout/ephemeralmetadata.go, utils/replicaset SyncReplicaSetEphemeralPodMetadata).
#include "controller/ephemeral_metadata.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "controller/conditions.h"
#include "controller/hash.h"
#include "controller/replicaset.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::World;

const json kCanaryMeta = {{"labels", {{"role", "canary"}}}};
const json kStableMeta = {{"labels", {{"role", "stable"}}}, {"annotations", {{"team", "a"}}}};

json* rsOf(World& w, const std::string& hash) {
  for (auto& rs : w.replicaSets()) {
    if (rs["metadata"]["labels"].value(kLabelPodTemplateHash, "") == hash) return &rs;
  }
  return nullptr;
}

// Pod name -> "role" label ("" when unset), for the pods of the ReplicaSet with `hash`.
std::map<std::string, std::string> podRoles(World& w, const std::string& hash) {
  std::map<std::string, std::string> out;
  for (const auto& pod : w.pods()) {
    const json& labels = pod["metadata"].value("labels", json::object());
    if (labels.value(kLabelPodTemplateHash, "") != hash) continue;
    out[pod["metadata"]["name"]] = labels.value("role", "");
  }
  return out;
}

std::set<std::string> names(const std::map<std::string, std::string>& roles) {
  std::set<std::string> out;
  for (const auto& [name, role] : roles) out.insert(name);
  return out;
}

bool allRole(const std::map<std::string, std::string>& roles, const std::string& role) {
  for (const auto& [name, r] : roles) {
    if (r != role) return false;
  }
  return !roles.empty();
}

std::string ephemeralAnnotation(const json& rs) {
  const json meta = rs.value("metadata", json::object());
  return meta.value("annotations", json::object()).value(kAnnotationEphemeralMetadata, "");
}

size_t podPatches(const World& w) { return actionsOf<PatchPod>(w.lastActions()).size(); }

TEST(EphemeralMetadataTest, CanaryLabelsSwitchOnPromotionAndPodsKeepTheirNames) {
  json steps = json::array({{{"setWeight", 50}}, {{"pause", json::object()}}});
  World w(testing::basicRollout(
      4, steps, {{"canaryMetadata", kCanaryMeta}, {"stableMetadata", kStableMeta}}));
  w.settle();
  const std::string v1 = hashOf(w);
  // The first ReplicaSet becomes the stable one: stable metadata from its creation.
  EXPECT_EQ(rsOf(w, v1)->at("spec")["template"]["metadata"]["labels"]["role"], "stable");
  EXPECT_EQ(rsOf(w, v1)->at("spec")["template"]["metadata"]["annotations"]["team"], "a");
  EXPECT_EQ(ephemeralAnnotation(*rsOf(w, v1)),
            R"({"labels":{"role":"stable"},"annotations":{"team":"a"}})");
  EXPECT_TRUE(allRole(podRoles(w, v1), "stable"));
  // The Rollout's selector and the ReplicaSet labels stay without ephemeral labels.
  EXPECT_FALSE(rsOf(w, v1)->at("metadata")["labels"].contains("role"));
  EXPECT_FALSE(rsOf(w, v1)->at("spec")["selector"]["matchLabels"].contains("role"));

  w.setImage("v2");
  w.settle();
  const std::string v2 = hashOf(w);
  ASSERT_EQ(w.status().phase, kPhasePaused);
  EXPECT_EQ(ephemeralAnnotation(*rsOf(w, v2)), R"({"labels":{"role":"canary"}})");
  const auto canary_pods = podRoles(w, v2);
  EXPECT_TRUE(allRole(canary_pods, "canary"));
  EXPECT_TRUE(allRole(podRoles(w, v1), "stable"));

  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  ASSERT_EQ(w.status().stableRS, v2);
  // Promoted: the same pods now carry the stable metadata (patched, not recreated).
  const auto promoted = podRoles(w, v2);
  EXPECT_TRUE(allRole(promoted, "stable"));
  const auto before = names(canary_pods), after = names(promoted);
  EXPECT_TRUE(std::includes(after.begin(), after.end(), before.begin(), before.end()));
  for (const auto& pod : w.pods()) {
    if (pod["metadata"]["labels"].value(kLabelPodTemplateHash, "") != v2) continue;
    EXPECT_EQ(pod["metadata"]["annotations"].value("team", ""), "a");
  }
  EXPECT_EQ(ephemeralAnnotation(*rsOf(w, v2)),
            ephemeralMetadataJson({{{"role", "stable"}}, {{"team", "a"}}}));
  EXPECT_EQ(rsOf(w, v2)->at("spec")["template"]["metadata"]["labels"]["role"], "stable");
  // The old stable ReplicaSet: what was injected is gone, annotation included.
  EXPECT_EQ(ephemeralAnnotation(*rsOf(w, v1)), "");
  EXPECT_FALSE(rsOf(w, v1)->at("spec")["template"]["metadata"]["labels"].contains("role"));
  EXPECT_FALSE(rsOf(w, v1)
                   ->at("spec")["template"]["metadata"]
                   .value("annotations", json::object())
                   .contains("team"));
  // Level-based: nothing left to patch.
  w.reconcile();
  EXPECT_EQ(podPatches(w), 0u);
}

TEST(EphemeralMetadataTest, BlueGreenPreviewThenActive) {
  json ro = testing::basicRollout(2, json::array());
  ro["spec"]["strategy"] = {{"blueGreen",
                             {{"activeService", "web-active"},
                              {"previewService", "web-preview"},
                              {"autoPromotionEnabled", false},
                              {"previewMetadata", {{"labels", {{"role", "preview"}}}}},
                              {"activeMetadata", {{"labels", {{"role", "active"}}}}}}}};
  World w(ro);
  w.services()["web-active"] = "";
  w.services()["web-preview"] = "";
  w.settle();
  const std::string v1 = hashOf(w);
  EXPECT_TRUE(allRole(podRoles(w, v1), "active"));
  w.setImage("v2");
  w.settle();
  const std::string v2 = hashOf(w);
  ASSERT_EQ(w.status().phase, kPhasePaused);
  const auto preview = podRoles(w, v2);
  EXPECT_TRUE(allRole(preview, "preview"));
  EXPECT_TRUE(allRole(podRoles(w, v1), "active"));
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  ASSERT_EQ(w.status().stableRS, v2);
  EXPECT_EQ(w.services()["web-active"], v2);
  const auto active = podRoles(w, v2);
  EXPECT_TRUE(allRole(active, "active"));
  EXPECT_EQ(names(active), names(preview));
  // The previous active keeps its pods for the scale-down delay, without the active label.
  EXPECT_EQ(ephemeralAnnotation(*rsOf(w, v1)), "");
  for (const auto& [name, role] : podRoles(w, v1)) EXPECT_EQ(role, "") << name;
}

TEST(EphemeralMetadataTest, PatchTouchesOnlyWhatWasInjected) {
  const json pod_meta = {{"labels", {{"app", "web"}, {"role", "canary"}, {"sidecar", "istio"}}},
                         {"annotations", {{"team", "a"}}}};
  kube::PodTemplateMetadata canary{{{"role", "canary"}}, {}};
  kube::PodTemplateMetadata stable{{{"role", "stable"}}, {{"team", "a"}}};
  // canary -> stable: role switched; team already right.
  EXPECT_EQ(ephemeralMetadataPatch(pod_meta, canary, stable),
            json({{"labels", {{"role", "stable"}}}}));
  // removal: only the injected key goes.
  EXPECT_EQ(ephemeralMetadataPatch(pod_meta, stable, std::nullopt),
            json({{"labels", {{"role", nullptr}}}, {"annotations", {{"team", nullptr}}}}));
  EXPECT_TRUE(ephemeralMetadataPatch(pod_meta, canary, canary).is_null());
  EXPECT_EQ(ephemeralMetadataJson(stable),
            R"({"labels":{"role":"stable"},"annotations":{"team":"a"}})");
  EXPECT_EQ(ephemeralMetadataJson(canary), R"({"labels":{"role":"canary"}})");
  // Go's encoder escapes HTML characters.
  EXPECT_EQ(ephemeralMetadataJson({{}, {{"link", "<a&b>"}}}),
            R"({"annotations":{"link":"\u003ca\u0026b\u003e"}})");
}

TEST(EphemeralMetadataTest, AdoptionIgnoresInjectedMetadata) {
  json ro = testing::basicRollout(2, json::array(), {{"stableMetadata", kStableMeta}});
  RolloutContext ctx;
  ctx.rollout = *kube::decodeRollout(ro);
  // An Argo-made ReplicaSet: another hash, the stable metadata injected and recorded.
  json rs = newReplicaSetObject(ctx.rollout, "argohash", 1, 2);
  rs["spec"]["template"]["metadata"]["labels"]["role"] = "stable";
  rs["spec"]["template"]["metadata"]["annotations"]["team"] = "a";
  rs["metadata"]["annotations"][kAnnotationEphemeralMetadata] =
      R"({"labels":{"role":"stable"},"annotations":{"team":"a"}})";
  ctx.allRSs = {*kube::decodeReplicaSet(rs)};
  classifyReplicaSets(ctx);
  ASSERT_NE(ctx.newRS, nullptr);
  EXPECT_EQ(ctx.desiredHash, "argohash");
  // Without the annotation the extra label is part of the template: not the same template.
  rs["metadata"]["annotations"].erase(kAnnotationEphemeralMetadata);
  ctx.allRSs = {*kube::decodeReplicaSet(rs)};
  classifyReplicaSets(ctx);
  EXPECT_EQ(ctx.newRS, nullptr);
}

}  // namespace
}  // namespace vane::controller
