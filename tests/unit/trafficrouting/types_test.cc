// Decoding of the step types and the Istio block, and the router registry.
#include <gtest/gtest.h>

#include "trafficrouting/router.h"

namespace vane::trafficrouting {
namespace {

TEST(DecodeSetHeaderRoute, MatchesAndFieldPathErrors) {
  auto hr = decodeSetHeaderRoute(json::parse(R"({"name": "hdr", "match": [
      {"headerName": "x-a", "headerValue": {"exact": "1"}},
      {"headerName": "x-b", "headerValue": {"regex": "v.*"}}]})"),
                                 "spec.strategy.canary.steps[2].setHeaderRoute");
  ASSERT_TRUE(hr.ok()) << hr.status().toString();
  EXPECT_EQ(hr->name, "hdr");
  ASSERT_EQ(hr->match.size(), 2u);
  EXPECT_EQ(hr->match[1].headerName, "x-b");
  EXPECT_EQ(hr->match[1].headerValue.regex, "v.*");

  auto removal = decodeSetHeaderRoute(json::parse(R"({"name": "hdr"})"), "s");
  ASSERT_TRUE(removal.ok());
  EXPECT_TRUE(removal->match.empty());

  auto two = decodeSetHeaderRoute(json::parse(R"({"name": "h", "match": [{"headerName": "a",
                      "headerValue": {"exact": "1", "prefix": "2"}}]})"),
                                  "spec.strategy.canary.steps[2].setHeaderRoute");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().field(),
            "spec.strategy.canary.steps[2].setHeaderRoute.match[0].headerValue");
  EXPECT_EQ(two.status().message(), kStringMatchMultipleValues);

  auto none = decodeSetHeaderRoute(
      json::parse(R"({"name": "h", "match": [{"headerName": "a", "headerValue": {}}]})"), "p");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), kStringMatchMissedValue);

  auto noname = decodeSetHeaderRoute(json::parse(R"({"match": []})"), "p");
  ASSERT_FALSE(noname.ok());
  EXPECT_EQ(noname.status().field(), "p.name");
}

TEST(DecodeSetMirrorRoute, MatchesPercentageAndErrors) {
  auto mr = decodeSetMirrorRoute(json::parse(R"({"name": "m", "percentage": 35, "match": [
      {"method": {"exact": "GET"}, "path": {"prefix": "/api"},
       "headers": {"x-debug": {"regex": "on"}}}]})"),
                                 "steps[1].setMirrorRoute");
  ASSERT_TRUE(mr.ok()) << mr.status().toString();
  EXPECT_EQ(mr->percentage, 35);
  ASSERT_EQ(mr->match.size(), 1u);
  EXPECT_EQ(mr->match[0].method->exact, "GET");
  EXPECT_EQ(mr->match[0].path->prefix, "/api");
  EXPECT_EQ(mr->match[0].headers.at("x-debug").regex, "on");

  auto bad = decodeSetMirrorRoute(
      json::parse(R"({"name": "m", "match": [{"path": {"exact": "/", "regex": "x"}}]})"),
      "steps[1].setMirrorRoute");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "steps[1].setMirrorRoute.match[0].path");

  auto pct = decodeSetMirrorRoute(json::parse(R"({"name": "m", "percentage": "50"})"), "s");
  ASSERT_FALSE(pct.ok());
  EXPECT_EQ(pct.status().field(), "s.percentage");
  EXPECT_FALSE(decodeSetMirrorRoute(json::parse(R"({"name": "m", "percentage": 101})"), "s").ok());
}

TEST(DecodeIstio, SingleAndMultipleVirtualServicesAndDestinationRule) {
  auto one = decodeIstioTrafficRouting(json::parse(R"({
      "virtualService": {"name": "vs.other-ns", "routes": ["primary"],
        "tlsRoutes": [{"port": 443, "sniHosts": ["a.example"]}], "tcpRoutes": [{"port": 9000}]},
      "destinationRule": {"name": "dr", "canarySubsetName": "canary", "stableSubsetName": "stable",
        "additionalSubsetNames": ["pinned"]}})"),
                                       "spec.strategy.canary.trafficRouting.istio");
  ASSERT_TRUE(one.ok()) << one.status().toString();
  ASSERT_EQ(one->all().size(), 1u);
  EXPECT_EQ(one->all()[0].routes, std::vector<std::string>{"primary"});
  EXPECT_EQ(one->all()[0].tlsRoutes[0].port, 443);
  EXPECT_EQ(one->all()[0].tlsRoutes[0].sniHosts, std::vector<std::string>{"a.example"});
  EXPECT_EQ(one->all()[0].tcpRoutes[0].port, 9000);
  EXPECT_EQ(one->destinationRule->additionalSubsetNames, std::vector<std::string>{"pinned"});

  auto many = decodeIstioTrafficRouting(
      json::parse(R"({"virtualServices": [{"name": "a"}, {"name": "b", "routes": ["r"]}]})"), "i");
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->all().size(), 2u);
  EXPECT_EQ(many->all()[1].name, "b");
}

TEST(DecodeIstio, Errors) {
  struct Case {
    const char* body;
    const char* field;
  };
  for (
      const Case& c : {
          Case{R"({})", "i.virtualService"},
          Case{R"({"virtualService": {"name": "a"}, "virtualServices": [{"name": "b"}]})",
               "i.virtualServices"},
          Case{R"({"virtualService": {"routes": ["x"]}})", "i.virtualService.name"},
          Case{R"({"virtualService": {"name": "a", "routes": "x"}})", "i.virtualService.routes"},
          Case{
              R"({"virtualServices": [{"name": "a"}, {"name": "b", "tcpRoutes": [{"port": "x"}]}]})",
              "i.virtualServices[1].tcpRoutes[0].port"},
          Case{R"({"virtualService": {"name": "a"}, "destinationRule": {"name": "dr",
                  "canarySubsetName": "c"}})",
               "i.destinationRule.stableSubsetName"},
      }) {
    auto r = decodeIstioTrafficRouting(json::parse(c.body), "i");
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().field(), c.field) << c.body;
    EXPECT_EQ(r.status().code(), Code::kInvalid);
  }
}

TEST(DecodeManagedRoutes, InOrder) {
  auto names = decodeManagedRoutes(
      json::parse(R"({"managedRoutes": [{"name": "b"}, {"name": "a"}], "istio": {}})"), "tr");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"b", "a"}));
  auto bad = decodeManagedRoutes(json::parse(R"({"managedRoutes": [{}]})"), "tr");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "tr.managedRoutes[0].name");
}

TEST(SplitVirtualServiceName, NamespaceShorthand) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(splitVirtualServiceName("vs"), (P{"", "vs"}));
  EXPECT_EQ(splitVirtualServiceName("vs.ns"), (P{"ns", "vs"}));
  EXPECT_EQ(splitVirtualServiceName("vs.ns.svc.cluster.local"), (P{"svc", "vs.ns"}));
  EXPECT_EQ(splitVirtualServiceName("my.vs.ns"), (P{"ns", "my.vs"}));
  EXPECT_EQ(splitVirtualServiceName("vs.ns.cluster.local"), (P{"ns", "vs"}));
}

class NamedRouter : public TrafficRouter {
 public:
  explicit NamedRouter(std::string n) : name_(std::move(n)) {}
  std::string_view type() const override { return name_; }
  Status setWeight(int32_t, const std::vector<WeightDestination>&) override { return {}; }
  Status setHeaderRoute(const SetHeaderRoute&) override { return {}; }
  Status setMirrorRoute(const SetMirrorRoute&) override { return {}; }
  Result<std::optional<bool>> verifyWeight(int32_t,
                                           const std::vector<WeightDestination>&) override {
    return std::optional<bool>();
  }
  Status removeManagedRoutes() override { return {}; }
  Status syncManagedRoutes(const std::vector<ManagedRoute>&) override { return {}; }
  Status updateHash(const std::string&, const std::string&,
                    const std::vector<WeightDestination>&) override {
    return {};
  }

 private:
  std::string name_;
};

TEST(RouterRegistry, CreatesRegisteredRoutersAndRejectsUnknownOnes) {
  RouterRegistry registry;
  std::string seen_path, seen_rollout;
  std::vector<std::string> seen_managed;
  registry.add("istio",
               [&](const json& config, const std::string& path,
                   const RouterContext& ctx) -> Result<std::unique_ptr<TrafficRouter>> {
                 seen_path = path;
                 seen_rollout = ctx.rolloutName;
                 seen_managed = ctx.managedRoutes;
                 return std::unique_ptr<TrafficRouter>(new NamedRouter(config.value("tag", "")));
               });
  EXPECT_TRUE(registry.has("istio"));
  EXPECT_FALSE(registry.has("nginx"));
  RouterContext ctx;
  ctx.rolloutName = "ro";
  auto routers =
      registry.create(json::parse(R"({"managedRoutes": [{"name": "a"}], "maxTrafficWeight": 100,
                      "istio": {"tag": "Istio"}})"),
                      ctx);
  ASSERT_TRUE(routers.ok()) << routers.status().toString();
  ASSERT_EQ(routers->size(), 1u);
  EXPECT_EQ((*routers)[0]->type(), "Istio");
  EXPECT_EQ(seen_path, "spec.strategy.canary.trafficRouting.istio");
  EXPECT_EQ(seen_rollout, "ro");
  EXPECT_EQ(seen_managed, std::vector<std::string>{"a"});  // filled from the JSON

  auto unknown = registry.create(json::parse(R"({"nginx": {"stableIngress": "x"}})"), ctx);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kUnsupported);
  EXPECT_EQ(unknown.status().field(), "spec.strategy.canary.trafficRouting.nginx");

  registry.add("istio",
               [](const json&, const std::string& path,
                  const RouterContext&) -> Result<std::unique_ptr<TrafficRouter>> {
                 return Status(Code::kInvalid, "bad", path + ".virtualService");
               });
  auto failing = registry.create(json::parse(R"({"istio": {}})"), ctx);
  ASSERT_FALSE(failing.ok());
  EXPECT_EQ(failing.status().field(), "spec.strategy.canary.trafficRouting.istio.virtualService");
  auto none = registry.create(nullptr, ctx);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(RouterContextFromRollout, ReadsServicesManagedRoutesAndStepRouteNames) {
  auto ctx = routerContextFromRollout(json::parse(R"({
      "metadata": {"name": "ro", "namespace": "prod"},
      "spec": {"strategy": {"canary": {"canaryService": "c", "stableService": "s",
        "trafficRouting": {"managedRoutes": [{"name": "m1"}, {"name": "h1"}], "istio": {}},
        "steps": [{"setWeight": 5}, {"setHeaderRoute": {"name": "h1"}},
                  {"setMirrorRoute": {"name": "m1", "match": []}}]}}}})"),
                                      "v1");
  ASSERT_TRUE(ctx.ok()) << ctx.status().toString();
  EXPECT_EQ(ctx->rolloutName, "ro");
  EXPECT_EQ(ctx->rolloutNamespace, "prod");
  EXPECT_EQ(ctx->canaryService, "c");
  EXPECT_EQ(ctx->stableService, "s");
  EXPECT_EQ(ctx->managedRoutes, (std::vector<std::string>{"m1", "h1"}));
  EXPECT_EQ(ctx->stepRouteNames, (std::vector<std::string>{"h1", "m1"}));
  EXPECT_EQ(ctx->istioApiVersion, "v1");
  auto bad = routerContextFromRollout(
      json::parse(R"({"spec": {"strategy": {"canary": {"steps": [{"setHeaderRoute": {}}]}}}})"),
      "v1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "spec.strategy.canary.steps[0].setHeaderRoute.name");
}

}  // namespace
}  // namespace vane::trafficrouting
