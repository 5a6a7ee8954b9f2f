#include "apiserver/owner_index.h"

#include <gtest/gtest.h>

namespace vane::apiserver {
namespace {

json ownerIndexPod(const std::string& name, const std::string& uid, const std::string& owner,
                   bool controller = true) {
  json o = {{"metadata", {{"name", name}, {"namespace", "default"}, {"uid", uid}}}};
  if (!owner.empty()) {
    o["metadata"]["ownerReferences"] = json::array(
        {{{"kind", "ReplicaSet"}, {"name", "rs"}, {"uid", owner}, {"controller", controller}}});
  }
  return o;
}

StoreEvent ownerIndexEvent(const std::string& type, const json& obj, const json* old = nullptr) {
  return {type, "core/pods", 1, std::make_shared<const json>(obj),
          old ? std::make_shared<const json>(*old) : nullptr};
}

std::vector<std::string> ownerIndexNames(const std::vector<ObjectKey>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(k.namespace_ + "/" + k.name);
  return out;
}

TEST(OwnerIndex, FindsObjectsByUidAndByController) {
  OwnerIndex idx;
  idx.add("apps/replicasets",
          {{"metadata", {{"name", "rs"}, {"namespace", "default"}, {"uid", "u-rs"}}}});
  idx.apply(ownerIndexEvent("ADDED", ownerIndexPod("b", "u-b", "u-rs")));
  idx.apply(ownerIndexEvent("ADDED", ownerIndexPod("a", "u-a", "u-rs")));
  idx.apply(ownerIndexEvent("ADDED", ownerIndexPod("c", "u-c", "u-other")));
  idx.apply(ownerIndexEvent("ADDED", ownerIndexPod("d", "u-d", "u-rs", /*controller=*/false)));

  auto rs = idx.byUid("u-rs");
  ASSERT_TRUE(rs.has_value());
  EXPECT_EQ(rs->resource, "apps/replicasets");
  EXPECT_EQ(rs->name, "rs");
  EXPECT_FALSE(idx.byUid("u-missing").has_value());
  EXPECT_EQ(idx.size(), 5u);
  // In (namespace, name) order; a non-controller reference does not count.
  EXPECT_EQ(ownerIndexNames(idx.controlledBy("core/pods", "u-rs")),
            (std::vector<std::string>{"default/a", "default/b"}));
  EXPECT_TRUE(idx.controlledBy("apps/replicasets", "u-rs").empty());
}

TEST(OwnerIndex, FollowsModificationsAndDeletions) {
  OwnerIndex idx;
  json a = ownerIndexPod("a", "u-a", "u-rs1");
  idx.apply(ownerIndexEvent("ADDED", a));
  // Adopted by another controller.
  json moved = ownerIndexPod("a", "u-a", "u-rs2");
  idx.apply(ownerIndexEvent("MODIFIED", moved, &a));
  EXPECT_TRUE(idx.controlledBy("core/pods", "u-rs1").empty());
  EXPECT_EQ(ownerIndexNames(idx.controlledBy("core/pods", "u-rs2")),
            (std::vector<std::string>{"default/a"}));
  // Orphaned.
  json orphan = ownerIndexPod("a", "u-a", "");
  idx.apply(ownerIndexEvent("MODIFIED", orphan, &moved));
  EXPECT_TRUE(idx.controlledBy("core/pods", "u-rs2").empty());
  EXPECT_TRUE(idx.byUid("u-a").has_value());
  idx.apply(ownerIndexEvent("DELETED", orphan, &orphan));
  EXPECT_FALSE(idx.byUid("u-a").has_value());
  EXPECT_EQ(idx.size(), 0u);
}

TEST(OwnerIndex, ReplayingEventsAlreadyListedConverges) {
  // start() lists, then replays the events after an older resourceVersion: events whose effect
  // the list already holds are applied a second time.
  json v1 = ownerIndexPod("a", "u-a", "u-rs");
  json v2 = ownerIndexPod("a", "u-a", "u-rs");
  v2["metadata"]["labels"] = {{"x", "y"}};
  OwnerIndex idx;
  idx.add("core/pods", v2);  // the list
  idx.apply(ownerIndexEvent("ADDED", v1));
  idx.apply(ownerIndexEvent("MODIFIED", v2, &v1));
  EXPECT_EQ(ownerIndexNames(idx.controlledBy("core/pods", "u-rs")),
            (std::vector<std::string>{"default/a"}));
  // A uid reused by a newer object is not dropped by the old object's deletion.
  json other = ownerIndexPod("b", "u-a", "");
  idx.add("core/pods", other);
  idx.apply(ownerIndexEvent("DELETED", v2, &v2));
  ASSERT_TRUE(idx.byUid("u-a").has_value());
  EXPECT_EQ(idx.byUid("u-a")->name, "b");
}

TEST(OwnerIndex, MalformedOwnerReferencesAreIgnored) {
  OwnerIndex idx;
  json o = {{"metadata",
             {{"name", "a"},
              {"namespace", "default"},
              {"ownerReferences", json::array({"junk",
                                               {{"uid", 7}, {"controller", true}},
                                               {{"uid", "u-x"}, {"controller", "true"}}})}}}};
  idx.apply(ownerIndexEvent("ADDED", o));
  EXPECT_EQ(controllerUidOf(o), "");
  EXPECT_TRUE(idx.controlledBy("core/pods", "u-x").empty());
  idx.apply(ownerIndexEvent("ADDED", json::array()));  // not even an object
  EXPECT_EQ(idx.size(), 0u);
}

}  // namespace
}  // namespace vane::apiserver
