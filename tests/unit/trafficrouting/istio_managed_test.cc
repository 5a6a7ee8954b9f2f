// Managed header/mirror routes, ordering, removal and DestinationRule subsets on JSON.
#include <gtest/gtest.h>

#include "istio_fixtures.h"

namespace vane::trafficrouting {
namespace {

using testing::destinationRule;
using testing::hostSplit;
using testing::hostVs;
using testing::routeNames;
using testing::subsetSplit;
using testing::subsetVs;
using testing::weights;
using Names = std::vector<std::string>;
using W = std::vector<std::pair<std::string, int64_t>>;

const IstioVirtualService kPrimary{"vsvc", {"primary"}, {}, {}};

SetHeaderRoute header(const std::string& name, std::vector<HeaderRoutingMatch> match) {
  return SetHeaderRoute{name, std::move(match)};
}

HeaderRoutingMatch exact(const std::string& h, const std::string& v) {
  return HeaderRoutingMatch{h, StringMatch{v, "", ""}};
}

TEST(IstioHeaderRoute, InsertedFirstWithOneMatchPerItemAndTheCanaryPort) {
  HeaderRoutingMatch prefix{"user-agent", StringMatch{"", "Mozilla", ""}};
  HeaderRoutingMatch regex{"cookie", StringMatch{"", "", "^(.*?;)?(canary=always)(;.*)?$"}};
  auto out =
      istio::setHeaderRoute(hostVs(), kPrimary, hostSplit({"hdr"}),
                            header("hdr", {exact("x-canary", "yes"), prefix, regex}), "canary");
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(routeNames(*out), (Names{"hdr", "primary", "secondary"}));
  json expected = json::parse(R"json({"name": "hdr",
    "match": [{"headers": {"x-canary": {"exact": "yes"}}},
              {"headers": {"user-agent": {"prefix": "Mozilla"}}},
              {"headers": {"cookie": {"regex": "^(.*?;)?(canary=always)(;.*)?$"}}}],
    "route": [{"destination": {"host": "canary", "port": {"number": 8080}}, "weight": 100}]})json");
  EXPECT_EQ((*out)["spec"]["http"][0], expected);
  // The user's routes are untouched.
  EXPECT_EQ((*out)["spec"]["http"][1], hostVs()["spec"]["http"][0]);
}

TEST(IstioHeaderRoute, SubsetModeUsesTheDestinationRuleHostAndCanarySubset) {
  auto out = istio::setHeaderRoute(subsetVs(), IstioVirtualService{"vsvc", {}, {}, {}},
                                   subsetSplit({"hdr"}), header("hdr", {exact("x", "1")}), "svc");
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(
      (*out)["spec"]["http"][0]["route"],
      json::parse(R"([{"destination": {"host": "svc", "subset": "canary"}, "weight": 100}])"));
}

TEST(IstioHeaderRoute, IdempotentAndReplacesDuplicates) {
  // argo-rollouts #2769: repeated calls never pile up copies of the route.
  istio::Split split = hostSplit({"hdr"});
  auto once =
      istio::setHeaderRoute(hostVs(), kPrimary, split, header("hdr", {exact("a", "1")}), "canary");
  ASSERT_TRUE(once.ok());
  auto twice =
      istio::setHeaderRoute(*once, kPrimary, split, header("hdr", {exact("a", "1")}), "canary");
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(*twice, *once);
  json dup = *once;
  dup["spec"]["http"].push_back(dup["spec"]["http"][0]);  // left over by an older controller
  auto fixed =
      istio::setHeaderRoute(dup, kPrimary, split, header("hdr", {exact("a", "2")}), "canary");
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(routeNames(*fixed), (Names{"hdr", "primary", "secondary"}));
  EXPECT_EQ((*fixed)["spec"]["http"][0]["match"][0]["headers"]["a"]["exact"], "2");
}

TEST(IstioHeaderRoute, EmptyMatchRemovesTheRoute) {
  istio::Split split = hostSplit({"hdr"});
  auto added =
      istio::setHeaderRoute(hostVs(), kPrimary, split, header("hdr", {exact("a", "1")}), "canary");
  ASSERT_TRUE(added.ok());
  auto removed = istio::setHeaderRoute(*added, kPrimary, split, header("hdr", {}), "");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, hostVs());
  json no_http = hostVs();
  no_http["spec"].erase("http");
  auto noop = istio::setHeaderRoute(no_http, kPrimary, split, header("hdr", {}), "");
  ASSERT_TRUE(noop.ok());
  EXPECT_EQ(*noop, no_http);
}

TEST(IstioHeaderRoute, Errors) {
  json no_http = hostVs();
  no_http["spec"].erase("http");
  auto a = istio::setHeaderRoute(no_http, kPrimary, hostSplit({"hdr"}),
                                 header("hdr", {exact("a", "1")}), "canary");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().message(), istio::kSpecHttpNotFound);
  auto b = istio::setHeaderRoute(hostVs(), kPrimary, hostSplit({"other"}),
                                 header("hdr", {exact("a", "1")}), "canary");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), kStepRouteNotInManagedRoutes);
}

TEST(IstioManagedRoutes, OrderFollowsManagedRoutesList) {
  istio::Split split = hostSplit({"first", "second", "third"});
  json vs = hostVs();
  for (const char* n : {"third", "first"}) {
    auto r = istio::setHeaderRoute(vs, kPrimary, split, header(n, {exact("h", n)}), "canary");
    ASSERT_TRUE(r.ok());
    vs = *r;
  }
  SetMirrorRoute m{"second", {RouteMatch{StringMatch{"GET", "", ""}, std::nullopt, {}}}, 50};
  auto r = istio::setMirrorRoute(vs, kPrimary, split, m, "canary");
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ(routeNames(*r), (Names{"first", "second", "third", "primary", "secondary"}));
  // User routes keep their relative order even when unnamed ones are interleaved.
  json mixed = *r;
  mixed["spec"]["http"].push_back({{"route", json::array()}});
  mixed["spec"]["http"].insert(mixed["spec"]["http"].begin(), json{{"name", "user"}});
  EXPECT_EQ(routeNames(istio::orderRoutes(mixed, split.managedRoutes)),
            (Names{"first", "second", "third", "user", "primary", "secondary", ""}));
}

TEST(IstioManagedRoutes, RemoveDropsOnlyTheNamedRoutes) {
  istio::Split split = hostSplit({"hdr", "mir"});
  auto a =
      istio::setHeaderRoute(hostVs(), kPrimary, split, header("hdr", {exact("a", "1")}), "canary");
  ASSERT_TRUE(a.ok());
  SetMirrorRoute m{"mir", {RouteMatch{std::nullopt, StringMatch{"", "/api", ""}, {}}}, {}};
  auto b = istio::setMirrorRoute(*a, kPrimary, split, m, "canary");
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(routeNames(*b), (Names{"hdr", "mir", "primary", "secondary"}));
  EXPECT_EQ(istio::removeRoutes(*b, {"hdr", "mir"}), hostVs());
  EXPECT_EQ(routeNames(istio::removeRoutes(*b, {"mir"})), (Names{"hdr", "primary", "secondary"}));
  json no_http = hostVs();
  no_http["spec"].erase("http");
  EXPECT_EQ(istio::removeRoutes(no_http, {"hdr"}), no_http);
}

TEST(IstioMirrorRoute, CopiesCurrentWeightsAndMirrorsToTheCanary) {
  auto weighted = istio::setWeight(hostVs(), kPrimary, hostSplit({"mir"}), 20, {});
  ASSERT_TRUE(weighted.ok());
  SetMirrorRoute m{"mir",
                   {RouteMatch{StringMatch{"GET", "", ""},
                               StringMatch{"", "/api", ""},
                               {{"x-debug", StringMatch{"", "", "on.*"}}}}},
                   {}};
  auto out = istio::setMirrorRoute(*weighted, kPrimary, hostSplit({"mir"}), m, "canary");
  ASSERT_TRUE(out.ok()) << out.status().toString();
  const json& route = (*out)["spec"]["http"][0];
  EXPECT_EQ(route["name"], "mir");
  EXPECT_EQ(route["match"], json::parse(R"([{"method": {"exact": "GET"}, "uri": {"prefix": "/api"},
                                           "headers": {"x-debug": {"regex": "on.*"}}}])"));
  EXPECT_EQ(route["route"], (*weighted)["spec"]["http"][0]["route"]);
  EXPECT_EQ(route["mirror"], json::parse(R"({"host": "canary", "port": {"number": 8080}})"));
  EXPECT_EQ(route["mirrorPercentage"]["value"].get<double>(), 100.0);
  // A later setWeight moves the mirror route's split too.
  auto moved = istio::setWeight(*out, kPrimary, hostSplit({"mir"}), 50, {});
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(weights((*moved)["spec"]["http"][0]), (W{{"stable", 50}, {"canary", 50}}));
}

TEST(IstioMirrorRoute, PercentageSubsetAndRemoval) {
  SetMirrorRoute m{"mir", {RouteMatch{StringMatch{"POST", "", ""}, std::nullopt, {}}}, 35};
  IstioVirtualService c{"vsvc", {}, {}, {}};
  auto out = istio::setMirrorRoute(subsetVs(), c, subsetSplit({"mir"}), m, "svc");
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ((*out)["spec"]["http"][0]["mirror"],
            json::parse(R"({"host": "svc", "subset": "canary"})"));
  EXPECT_EQ((*out)["spec"]["http"][0]["mirrorPercentage"]["value"].get<double>(), 35.0);
  auto again = istio::setMirrorRoute(*out, c, subsetSplit({"mir"}), m, "svc");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *out);
  auto removed =
      istio::setMirrorRoute(*out, c, subsetSplit({"mir"}), SetMirrorRoute{"mir", {}, {}}, "");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, subsetVs());
}

// syncManagedRoutes: the managed routes as desired state (controller/trafficrouting.cc).
TEST(IstioSyncManagedRoutes, ExactlyTheDesiredRoutesFirstInManagedRoutesOrder) {
  istio::Split split = hostSplit({"mir", "qa", "old"});
  SetMirrorRoute mir{"mir", {RouteMatch{StringMatch{"GET", "", ""}, std::nullopt, {}}}, 30};
  // A stale route ("old") and a duplicated one (argo-rollouts #2769) left by earlier writes.
  json vs =
      *istio::setHeaderRoute(hostVs(), kPrimary, split, header("old", {exact("o", "1")}), "canary");
  vs = *istio::setHeaderRoute(vs, kPrimary, split, header("qa", {exact("x", "stale")}), "canary");
  vs["spec"]["http"].push_back(vs["spec"]["http"][1]);
  const std::vector<ManagedRoute> desired = {header("qa", {exact("x-canary", "qa")}), mir};
  auto out = istio::syncManagedRoutes(vs, kPrimary, split, desired, {"old", "qa", "mir"}, "canary");
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(routeNames(*out), (Names{"mir", "qa", "primary", "secondary"}));
  EXPECT_EQ((*out)["spec"]["http"][1]["match"],
            json::parse(R"([{"headers": {"x-canary": {"exact": "qa"}}}])"));
  EXPECT_EQ((*out)["spec"]["http"][0]["mirrorPercentage"]["value"].get<double>(), 30.0);
  // Applying it again changes nothing: the router then writes nothing.
  auto again =
      istio::syncManagedRoutes(*out, kPrimary, split, desired, {"old", "qa", "mir"}, "canary");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *out);
  // The same as Argo's per-step calls would leave.
  json stepwise = *istio::setMirrorRoute(hostVs(), kPrimary, split, mir, "canary");
  stepwise = *istio::setHeaderRoute(stepwise, kPrimary, split,
                                    header("qa", {exact("x-canary", "qa")}), "canary");
  EXPECT_EQ(*out, stepwise);
  // Nothing desired: every managed route goes, the user's routes stay as written.
  auto none = istio::syncManagedRoutes(*out, kPrimary, split, {}, {"old", "qa", "mir"}, "");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, hostVs());
}

TEST(IstioSyncManagedRoutes, MirrorRouteKeepsItsMatchAndTheCurrentSplit) {
  istio::Split split = hostSplit({"mir"});
  SetMirrorRoute mir{"mir", {RouteMatch{std::nullopt, StringMatch{"", "/api", ""}, {}}}, 50};
  json vs = *istio::setWeight(hostVs(), kPrimary, split, 10, {});
  auto out = istio::syncManagedRoutes(vs, kPrimary, split, {mir}, {"mir"}, "canary");
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weights((*out)["spec"]["http"][0]), (W{{"stable", 90}, {"canary", 10}}));
  // A later setWeight moves its destinations, and the next sync keeps them (no write).
  auto moved = istio::setWeight(*out, kPrimary, split, 40, {});
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(weights((*moved)["spec"]["http"][0]), (W{{"stable", 60}, {"canary", 40}}));
  auto synced = istio::syncManagedRoutes(*moved, kPrimary, split, {mir}, {"mir"}, "canary");
  ASSERT_TRUE(synced.ok());
  EXPECT_EQ(*synced, *moved);
  EXPECT_EQ((*synced)["spec"]["http"][0]["match"], json::parse(R"([{"uri": {"prefix": "/api"}}])"));
  EXPECT_EQ((*synced)["spec"]["http"][0]["mirrorPercentage"]["value"].get<double>(), 50.0);
}

TEST(IstioSyncManagedRoutes, Errors) {
  istio::Split split = hostSplit({"qa"});
  auto outside = istio::syncManagedRoutes(hostVs(), kPrimary, split,
                                          {header("x", {exact("a", "1")})}, {}, "canary");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.status().message(), kStepRouteNotInManagedRoutes);
  json no_http = hostVs();
  no_http["spec"].erase("http");
  EXPECT_EQ(*istio::syncManagedRoutes(no_http, kPrimary, split, {}, {"qa"}, ""), no_http);
  auto missing = istio::syncManagedRoutes(no_http, kPrimary, split,
                                          {header("qa", {exact("a", "1")})}, {"qa"}, "canary");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), istio::kSpecHttpNotFound);
}

TEST(IstioDestinationRule, HashesSetOthersUntouchedAnnotationAdded) {
  IstioDestinationRule cfg{"dr", "canary", "stable", {}};
  auto out = istio::updateDestinationRule(destinationRule(), cfg, "c1", "s1", {}, "ro");
  ASSERT_TRUE(out.ok()) << out.status().toString();
  json expected = destinationRule();
  expected["metadata"]["annotations"]["argo-rollouts.argoproj.io/managed-by-rollouts"] = "ro";
  expected["spec"]["subsets"][0]["labels"]["rollouts-pod-template-hash"] = "s1";
  expected["spec"]["subsets"][1]["labels"]["rollouts-pod-template-hash"] = "c1";
  EXPECT_EQ(*out, expected);  // trafficPolicy, host and the "legacy" subset preserved
  auto again = istio::updateDestinationRule(*out, cfg, "c1", "s1", {}, "ro");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *out);
}

TEST(IstioDestinationRule, EmptyHashRemovesTheLabelAndExperimentSubsetsAreManaged) {
  IstioDestinationRule cfg{"dr", "canary", "stable", {}};
  std::vector<WeightDestination> extra = {{10, "exp-b", "hb"}, {5, "exp-a", "ha"}, {5, "", "x"}};
  auto out = istio::updateDestinationRule(destinationRule(), cfg, "", "s1", extra, "ro");
  ASSERT_TRUE(out.ok());
  const json& subsets = (*out)["spec"]["subsets"];
  ASSERT_EQ(subsets.size(), 5u);
  EXPECT_EQ(subsets[1]["labels"], json::parse(R"({"app": "svc"})"));
  EXPECT_EQ(subsets[3], json::parse(R"({"name": "exp-a",
                                     "labels": {"rollouts-pod-template-hash": "ha"}})"));
  EXPECT_EQ(subsets[4]["name"], "exp-b");
  auto relabel = istio::updateDestinationRule(*out, cfg, "c2", "s1", {{10, "exp-a", "ha2"}}, "ro");
  ASSERT_TRUE(relabel.ok());
  EXPECT_EQ((*relabel)["spec"]["subsets"][3]["labels"]["rollouts-pod-template-hash"], "ha2");
}

TEST(IstioDestinationRule, MalformedSubsetsAreAnError) {
  json dr = destinationRule();
  dr["spec"]["subsets"] = "nope";
  auto out = istio::updateDestinationRule(dr, IstioDestinationRule{"dr", "canary", "stable", {}},
                                          "c", "s", {}, "ro");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().field(), "spec.subsets");
}

}  // namespace
}  // namespace vane::trafficrouting
