// setWeight on VirtualService JSON: selection, validation, destinations, preservation.
#include <gtest/gtest.h>

#include "istio_fixtures.h"

namespace vane::trafficrouting {
namespace {

using istio::setWeight;
using testing::hostSplit;
using testing::hostVs;
using testing::l4Vs;
using testing::subsetSplit;
using testing::subsetVs;
using testing::weights;
using W = std::vector<std::pair<std::string, int64_t>>;

IstioVirtualService cfg(std::vector<std::string> routes = {}) {
  return IstioVirtualService{"vsvc", std::move(routes), {}, {}};
}

class HostWeights : public ::testing::TestWithParam<int32_t> {};

TEST_P(HostWeights, OnlyWeightsOfTheNamedRouteChangeAndEverythingElseIsPreserved) {
  const int32_t w = GetParam();
  json in = hostVs();
  auto out = setWeight(in, cfg({"primary"}), hostSplit(), w, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  json expected = in;
  expected["spec"]["http"][0]["route"][0]["weight"] = 100 - w;
  expected["spec"]["http"][0]["route"][1]["weight"] = w;
  EXPECT_EQ(*out, expected);  // retries, timeout, corsPolicy, headers, ports, match, metadata
  EXPECT_EQ(weights((*out)["spec"]["http"][1]), (W{{"stable.default.svc.cluster.local", 100},
                                                   {"canary.default.svc.cluster.local", 0}}));
}

TEST_P(HostWeights, FullyQualifiedHostsMatchTheServiceName) {
  const int32_t w = GetParam();
  auto out = setWeight(hostVs(), cfg({"primary", "secondary"}), hostSplit(), w, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weights((*out)["spec"]["http"][1]), (W{{"stable.default.svc.cluster.local", 100 - w},
                                                   {"canary.default.svc.cluster.local", w}}));
}

TEST_P(HostWeights, SubsetModeSplitsBySubsetName) {
  const int32_t w = GetParam();
  auto out = setWeight(subsetVs(), cfg(), subsetSplit(), w, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weights((*out)["spec"]["http"][0]), (W{{"svc/stable", 100 - w}, {"svc/canary", w}}));
}

TEST_P(HostWeights, TlsAndTcpRoutesSelectedByPortAndSni) {
  const int32_t w = GetParam();
  IstioVirtualService c = cfg();
  c.tlsRoutes = {TlsRoute{3000, {"b.example", "a.example"}}};  // SNI compared as a set
  c.tcpRoutes = {TcpRoute{3001}};
  auto out = setWeight(l4Vs(), c, hostSplit(), w, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  const json& spec = (*out)["spec"];
  EXPECT_EQ(weights(spec["tls"][0]), (W{{"stable", 100 - w}, {"canary", w}}));
  EXPECT_EQ(weights(spec["tls"][1]), (W{{"stable", 100}, {"canary", 0}}));
  EXPECT_EQ(weights(spec["tcp"][0]), (W{{"stable", 100}, {"canary", 0}}));
  EXPECT_EQ(weights(spec["tcp"][1]), (W{{"stable", 100 - w}, {"canary", w}}));
  EXPECT_EQ(spec["tcp"][1]["match"], l4Vs()["spec"]["tcp"][1]["match"]);
}

INSTANTIATE_TEST_SUITE_P(Weights, HostWeights, ::testing::Values(0, 5, 30, 100));

TEST(IstioSetWeight, UnchangedInputComesBackEqual) {
  json in = hostVs();
  auto out = setWeight(in, cfg({"primary"}), hostSplit(), 0, {});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, in);
}

TEST(IstioSetWeight, TlsUnionOfSniHostsAcrossMatchBlocks) {
  IstioVirtualService c = cfg();
  c.tlsRoutes = {TlsRoute{3001, {"a.example", "c.example"}}};
  c.tcpRoutes = {TcpRoute{3000}};
  auto out = setWeight(l4Vs(), c, hostSplit(), 40, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weights((*out)["spec"]["tls"][1]), (W{{"stable", 60}, {"canary", 40}}));
  EXPECT_EQ(weights((*out)["spec"]["tls"][0]), (W{{"stable", 100}, {"canary", 0}}));
}

struct ErrorCase {
  const char* name;
  json vs;
  IstioVirtualService cfg;
  istio::Split split;
  std::string message;
};
// Keeps test names short in ctest's listing (gtest would print the struct's bytes).
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class SetWeightErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(SetWeightErrors, ExactArgoMessage) {
  const ErrorCase& c = GetParam();
  auto out = setWeight(c.vs, c.cfg, c.split, 10, {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::kInvalid);
  EXPECT_EQ(out.status().message(), c.message);
}

IstioVirtualService withTls(std::vector<TlsRoute> tls) {
  IstioVirtualService c = cfg();
  c.tlsRoutes = std::move(tls);
  c.tcpRoutes = {TcpRoute{3000}};
  return c;
}

IstioVirtualService withTcp(std::vector<TcpRoute> tcp) {
  IstioVirtualService c = cfg();
  c.tlsRoutes = {TlsRoute{3000, {"a.example", "b.example"}}};
  c.tcpRoutes = std::move(tcp);
  return c;
}

json subsetVsWithoutCanary() {
  json vs = subsetVs();
  vs["spec"]["http"][0]["route"].erase(1);
  return vs;
}

json emptyVs() {
  json vs = hostVs();
  vs["spec"].erase("http");
  return vs;
}

INSTANTIATE_TEST_SUITE_P(
    Istio, SetWeightErrors,
    ::testing::Values(
        ErrorCase{"RouteNotFound", hostVs(), cfg({"primary", "missing"}), hostSplit(),
                  "HTTP Route 'missing' is not found in the defined Virtual Service."},
        ErrorCase{"RouteNamedButNoHttp", emptyVs(), cfg({"primary"}), hostSplit(),
                  "HTTP Route 'primary' is not found in the defined Virtual Service."},
        ErrorCase{"AmbiguousInference", hostVs(), cfg(), hostSplit(), istio::kAmbiguousHttpRoutes},
        ErrorCase{"NoRoutesAtAll", emptyVs(), cfg(), hostSplit(), istio::kNoRoutes},
        ErrorCase{"TlsNotMatchedByPort", l4Vs(), withTls({TlsRoute{3009, {"a.example"}}}),
                  hostSplit(), istio::kNoMatchingTlsRoutes},
        ErrorCase{"TlsNotMatchedBySniSubset", l4Vs(), withTls({TlsRoute{3000, {"a.example"}}}),
                  hostSplit(), istio::kNoMatchingTlsRoutes},
        ErrorCase{"TlsMultiPortRouteNeverMatches", l4Vs(), withTls({TlsRoute{3002, {"a.example"}}}),
                  hostSplit(), istio::kNoMatchingTlsRoutes},
        ErrorCase{"TcpNotMatched", l4Vs(), withTcp({TcpRoute{4000}}), hostSplit(),
                  istio::kNoMatchingTcpRoutes},
        ErrorCase{"TlsAmbiguous", l4Vs(),
                  [] {
                    auto c = cfg();
                    c.tcpRoutes = {TcpRoute{3000}};
                    return c;
                  }(),
                  hostSplit(), istio::kAmbiguousTlsRoutes},
        ErrorCase{"CanaryServiceMissing", hostVs(), cfg({"primary"}),
                  [] {
                    auto s = hostSplit();
                    s.canaryService = "other";
                    return s;
                  }(),
                  "Canary Service 'other' not found in route"},
        ErrorCase{"StableServiceMissing", hostVs(), cfg({"primary"}),
                  [] {
                    auto s = hostSplit();
                    s.stableService = "other";
                    return s;
                  }(),
                  "Stable Service 'other' not found in route"},
        ErrorCase{"CanarySubsetMissing", subsetVsWithoutCanary(), cfg(), subsetSplit(),
                  "Canary DestinationRule subset 'canary' not found in route"},
        ErrorCase{"StableSubsetMissing", subsetVs(), cfg(),
                  [] {
                    auto s = subsetSplit();
                    s.stableSubset = "gone";
                    return s;
                  }(),
                  "Stable DestinationRule subset 'gone' not found in route"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(IstioSetWeight, TcpAmbiguousWhenOmitted) {
  IstioVirtualService c = cfg();
  c.tlsRoutes = {TlsRoute{3000, {"a.example", "b.example"}}};
  auto out = setWeight(l4Vs(), c, hostSplit(), 10, {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), istio::kAmbiguousTcpRoutes);
}

TEST(IstioSetWeight, InfersTheSingleNonManagedRouteWhenAllRoutesAreNamed) {
  // argo-rollouts #4741: routes omitted, only named routes, one of them managed.
  json vs = hostVs();
  vs["spec"]["http"][0]["name"] = "header-route";
  auto out = setWeight(vs, cfg(), hostSplit({"header-route"}), 30, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weights((*out)["spec"]["http"][1]), (W{{"stable.default.svc.cluster.local", 70},
                                                   {"canary.default.svc.cluster.local", 30}}));
  EXPECT_EQ(weights((*out)["spec"]["http"][0]), (W{{"stable", 100}, {"canary", 0}}));
}

TEST(IstioSetWeight, InfersAnUnnamedSingleRoute) {
  auto out = setWeight(subsetVs(), cfg(), subsetSplit(), 5, {});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(weights((*out)["spec"]["http"][0]), (W{{"svc/stable", 95}, {"svc/canary", 5}}));
}

TEST(IstioSetWeight, RejectsWeightsOutsideRange) {
  EXPECT_FALSE(setWeight(subsetVs(), cfg(), subsetSplit(), 101, {}).ok());
  EXPECT_FALSE(setWeight(subsetVs(), cfg(), subsetSplit(), -1, {}).ok());
}

TEST(IstioSetWeight, AdditionalDestinationsAppendedSortedAndTakenFromStable) {
  std::vector<WeightDestination> extra = {{10, "exp-b", "h2"}, {5, "exp-a", "h1"}};
  auto out = setWeight(hostVs(), cfg({"primary"}), hostSplit(), 20, extra);
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weights((*out)["spec"]["http"][0]),
            (W{{"stable", 65}, {"canary", 20}, {"exp-a", 5}, {"exp-b", 10}}));
  // Existing experiment destination reweighted; a finished one removed.
  auto again = setWeight(*out, cfg({"primary"}), hostSplit(), 20, {{15, "exp-b", "h2"}});
  ASSERT_TRUE(again.ok()) << again.status().toString();
  EXPECT_EQ(weights((*again)["spec"]["http"][0]),
            (W{{"stable", 65}, {"canary", 20}, {"exp-b", 15}}));
  auto done = setWeight(*again, cfg({"primary"}), hostSplit(), 20, {});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(weights((*done)["spec"]["http"][0]), (W{{"stable", 80}, {"canary", 20}}));
  // The canary destination kept its extra fields through all of it.
  EXPECT_EQ((*done)["spec"]["http"][0]["route"][0]["headers"],
            hostVs()["spec"]["http"][0]["route"][0]["headers"]);
}

TEST(IstioSetWeight, AdditionalDestinationWithEmptyServiceNameIsIgnored) {
  // argo-rollouts #4890: never write a destination with an empty host.
  auto out = setWeight(hostVs(), cfg({"primary"}), hostSplit(), 20, {{10, "", "h"}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(weights((*out)["spec"]["http"][0]), (W{{"stable", 80}, {"canary", 20}}));
}

TEST(IstioSetWeight, ExistingEmptyHostDestinationsAreRemoved) {
  json vs = hostVs();
  vs["spec"]["http"][0]["route"].push_back({{"destination", {{"host", ""}}}, {"weight", 10}});
  vs["spec"]["http"][0]["route"][0]["weight"] = 90;
  auto out = setWeight(vs, cfg({"primary"}), hostSplit(), 30, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weights((*out)["spec"]["http"][0]), (W{{"stable", 70}, {"canary", 30}}));
}

TEST(IstioSetWeight, AdditionalSubsetsKeepTheirWeightWhichIsTakenFromStable) {
  json vs = subsetVs();
  vs["spec"]["http"][0]["route"][0]["weight"] = 90;
  vs["spec"]["http"][0]["route"].push_back(
      {{"destination", {{"host", "svc"}, {"subset", "pinned"}}}, {"weight", 10}});
  vs["spec"]["http"][0]["route"].push_back(
      {{"destination", {{"host", "svc"}, {"subset", "unknown"}}}, {"weight", 0}});
  istio::Split split = subsetSplit();
  split.additionalSubsetNames = {"pinned"};
  auto out = setWeight(vs, cfg(), split, 30, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weights((*out)["spec"]["http"][0]),
            (W{{"svc/stable", 60}, {"svc/canary", 30}, {"svc/pinned", 10}}));
}

TEST(IstioSetWeight, WeightsThatCannotSumTo100AreAnError) {
  // argo-rollouts #3141: never write a route Istio's webhook would reject.
  json vs = subsetVs();
  vs["spec"]["http"][0]["route"].push_back(
      {{"destination", {{"host", "svc"}, {"subset", "pinned"}}}, {"weight", 30}});
  istio::Split split = subsetSplit();
  split.additionalSubsetNames = {"pinned"};
  auto out = setWeight(vs, cfg(), split, 80, {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().field(), "spec.http[0].route");
  EXPECT_TRUE(setWeight(vs, cfg(), split, 70, {}).ok());
}

TEST(IstioSetWeight, AdditionalWeightsBeyond100AreAnError) {
  auto out = setWeight(hostVs(), cfg({"primary"}), hostSplit(), 60, {{50, "exp", "h"}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::kInvalid);
  EXPECT_TRUE(setWeight(hostVs(), cfg({"primary"}), hostSplit(), 50, {{50, "exp", "h"}}).ok());
}

TEST(IstioSetWeight, ManagedMirrorRoutesFollowTheSplit) {
  json vs = hostVs();
  json mirror = vs["spec"]["http"][0];
  mirror["name"] = "mirror-1";
  mirror["mirror"] = {{"host", "canary"}};
  vs["spec"]["http"].insert(vs["spec"]["http"].begin(), mirror);
  auto out = setWeight(vs, cfg({"primary"}), hostSplit({"mirror-1"}), 30, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weights((*out)["spec"]["http"][0]), (W{{"stable", 70}, {"canary", 30}}));
  EXPECT_EQ(weights((*out)["spec"]["http"][1]), (W{{"stable", 70}, {"canary", 30}}));
  // An unmanaged route with a mirror is the user's and keeps its weights.
  auto unmanaged = setWeight(vs, cfg({"primary"}), hostSplit({"other"}), 30, {});
  ASSERT_TRUE(unmanaged.ok());
  EXPECT_EQ(weights((*unmanaged)["spec"]["http"][0]), (W{{"stable", 100}, {"canary", 0}}));
}

TEST(IstioSetWeight, ChangedVirtualServiceGetsManagedRoutesOrderedFirst) {
  json vs = hostVs();
  json header = {{"name", "hdr"}, {"route", json::array()}};
  vs["spec"]["http"].push_back(header);
  auto out = setWeight(vs, cfg({"primary"}), hostSplit({"hdr"}), 10, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(testing::routeNames(*out), (std::vector<std::string>{"hdr", "primary", "secondary"}));
}

TEST(IstioShortHost, ArgoGetHost) {
  EXPECT_EQ(istio::shortHost("svc"), "svc");
  EXPECT_EQ(istio::shortHost("svc.ns.svc.cluster.local"), "svc");
  EXPECT_EQ(istio::shortHost(".svc"), "");
  EXPECT_EQ(istio::shortHost(""), "");
}

}  // namespace
}  // namespace vane::trafficrouting
