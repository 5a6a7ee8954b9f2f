// The keys a Rollout is indexed by (Argo utils/service GetRolloutServiceKeys, utils/istio
// GetRolloutVirtualServiceKeys / GetRolloutDesinationRuleKeys) and removedKeys.
#include "controller/rollout_refs.h"

#include <gtest/gtest.h>

namespace vane::controller {
namespace {

using nlohmann::json;
using Keys = std::vector<std::string>;

json refsRollout(json strategy) {
  return {{"metadata", {{"name", "web"}, {"namespace", "shop"}}},
          {"spec", {{"strategy", std::move(strategy)}}}};
}

TEST(RolloutRefsTest, ServiceKeysFollowTheStrategy) {
  EXPECT_EQ(rolloutServiceKeys(refsRollout(
                {{"blueGreen", {{"activeService", "active"}, {"previewService", "preview"}}}})),
            (Keys{"shop/active", "shop/preview"}));
  EXPECT_EQ(rolloutServiceKeys(refsRollout(
                {{"canary",
                  {{"canaryService", "c"},
                   {"stableService", "s"},
                   {"pingPong", {{"pingService", "ping"}, {"pongService", "pong"}}}}}})),
            (Keys{"shop/c", "shop/s", "shop/ping", "shop/pong"}));
  EXPECT_EQ(rolloutServiceKeys(refsRollout({{"canary", {{"stableService", "s"}}}})),
            (Keys{"shop/s"}));
  EXPECT_TRUE(rolloutServiceKeys(refsRollout({{"canary", {{"steps", json::array()}}}})).empty());
  EXPECT_TRUE(rolloutServiceKeys(json::array()).empty()) << "bad input yields no keys";
  EXPECT_TRUE(rolloutServiceKeys(refsRollout("not an object")).empty());
}

TEST(RolloutRefsTest, VirtualServiceNamesResolveAsInArgo) {
  EXPECT_EQ(virtualServiceKey("vs", "shop"), "shop/vs");
  EXPECT_EQ(virtualServiceKey("vs.mesh", "shop"), "mesh/vs");
  EXPECT_EQ(virtualServiceKey("vs.mesh.cluster.local", "shop"), "mesh/vs");
  EXPECT_EQ(virtualServiceKey("my.vs.mesh", "shop"), "mesh/my.vs") << "issue #4709";
}

TEST(RolloutRefsTest, VirtualServiceKeysNeedExactlyOneOfTheTwoFields) {
  auto istio = [](json i) {
    return refsRollout({{"canary", {{"trafficRouting", {{"istio", std::move(i)}}}}}});
  };
  EXPECT_EQ(rolloutVirtualServiceKeys(istio({{"virtualService", {{"name", "vs"}}}})),
            (Keys{"shop/vs"}));
  EXPECT_EQ(rolloutVirtualServiceKeys(istio(
                {{"virtualServices", {{{"name", "a"}}, {{"name", "b.other"}}, {{"name", ""}}}}})),
            (Keys{"shop/a", "other/b"}));
  EXPECT_TRUE(rolloutVirtualServiceKeys(istio({{"virtualService", {{"name", "a"}}},
                                               {"virtualServices", {{{"name", "b"}}}}}))
                  .empty());
  EXPECT_TRUE(rolloutVirtualServiceKeys(istio(json::object())).empty());
  EXPECT_EQ(rolloutDestinationRuleKeys(istio({{"destinationRule", {{"name", "dr"}}}})),
            (Keys{"shop/dr"}));
  EXPECT_TRUE(rolloutDestinationRuleKeys(istio({{"virtualService", {{"name", "vs"}}}})).empty());
}

TEST(RolloutRefsTest, RemovedKeys) {
  EXPECT_EQ(removedKeys({"a", "b", "c"}, {"b"}), (Keys{"a", "c"}));
  EXPECT_TRUE(removedKeys({"a"}, {"a", "b"}).empty());
  EXPECT_EQ(removedKeys({"a"}, {}), (Keys{"a"}));
}

}  // namespace
}  // namespace vane::controller
