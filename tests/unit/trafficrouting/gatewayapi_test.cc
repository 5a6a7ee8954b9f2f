// The Gateway API router: the pure transforms on in-memory routes, and GatewayApiRouter over an
// in-memory kube::Client (which calls are made, idempotency, retry on conflict, plugin config).
#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "router_test_client.h"
#include "trafficrouting/gatewayapi_router.h"
#include "trafficrouting/gatewayapi_transform.h"

namespace vane::trafficrouting::gatewayapi_test {
namespace {

namespace gw = gatewayapi;
using gw::RouteKind;

json httpRoute() {
  return json::parse(R"({
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
    "metadata": {"name": "web", "namespace": "ns"},
    "spec": {"parentRefs": [{"name": "gw"}], "rules": [
      {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
       "filters": [{"type": "RequestHeaderModifier",
                    "requestHeaderModifier": {"set": [{"name": "x-env", "value": "prod"}]}}],
       "backendRefs": [{"name": "web-stable", "port": 80, "weight": 100},
                       {"name": "web-canary", "port": 80, "weight": 0}]},
      {"matches": [{"path": {"type": "PathPrefix", "value": "/static"}}],
       "backendRefs": [{"name": "cdn", "port": 8080}]}]}})");
}

gw::Split split() { return {"web-canary", "web-stable", {"canary-header", "mirror"}}; }

json weightsOf(const json& route, std::size_t rule) {
  json out = json::object();
  for (const json& ref : route["spec"]["rules"][rule]["backendRefs"]) {
    out[ref["name"].get<std::string>()] = ref.value("weight", json());
  }
  return out;
}

SetHeaderRoute header(const std::string& value) {
  SetHeaderRoute h{"canary-header", {}};
  HeaderRoutingMatch m;
  m.headerName = "x-canary";
  m.headerValue.exact = value;
  h.match.push_back(m);
  return h;
}

TEST(GatewayApiDecode, ReadsThePluginConfiguration) {
  auto cfg = gw::decodeGatewayApiTrafficRouting(json::parse(R"({
      "httpRoutes": [{"name": "a", "useHeaderRoutes": true}, {"name": "b"}],
      "grpcRoute": "g", "tcpRoutes": [{"name": "t"}], "tlsRoute": "s",
      "namespace": "edge", "configMap": "cm", "inProgressLabelKey": "k"})"),
                                                "p");
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  std::vector<gw::RouteRef> want = {{RouteKind::kHttp, "a", true},
                                    {RouteKind::kHttp, "b", false},
                                    {RouteKind::kGrpc, "g", true},
                                    {RouteKind::kTcp, "t", false},
                                    {RouteKind::kTls, "s", true}};
  EXPECT_EQ(cfg->routes, want);
  EXPECT_EQ(cfg->namespace_, "edge");
  EXPECT_EQ(cfg->configMap, "cm");
  EXPECT_EQ(cfg->inProgressLabelKey, "k");
  EXPECT_EQ(cfg->inProgressLabelValue, gw::kDefaultInProgressLabelValue);

  auto none = gw::decodeGatewayApiTrafficRouting(json::parse(R"({"namespace": "x"})"), "p");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), gw::kNoRoutesConfigured);
  auto unnamed = gw::decodeGatewayApiTrafficRouting(json::parse(R"({"httpRoutes": [{}]})"), "p");
  ASSERT_FALSE(unnamed.ok());
  EXPECT_EQ(unnamed.status().field(), "p.httpRoutes[0].name");
  auto selector =
      gw::decodeGatewayApiTrafficRouting(json::parse(R"({"httpRouteSelector": {}})"), "p");
  ASSERT_FALSE(selector.ok());
  EXPECT_EQ(selector.status().code(), Code::kUnsupported);
  EXPECT_EQ(selector.status().field(), "p.httpRouteSelector");
}

TEST(GatewayApiWeights, SetsCanaryAndStableAndTheInProgressLabel) {
  gw::GatewayApiTrafficRouting cfg;
  auto out = gw::setWeight(httpRoute(), RouteKind::kHttp, split(), cfg, 30, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weightsOf(*out, 0), json::parse(R"({"web-stable": 70, "web-canary": 30})"));
  EXPECT_EQ(weightsOf(*out, 1), json::parse(R"({"cdn": null})"));  // not ours: untouched
  EXPECT_EQ((*out)["spec"]["rules"][0]["filters"], httpRoute()["spec"]["rules"][0]["filters"]);
  EXPECT_EQ((*out)["metadata"]["labels"][gw::kDefaultInProgressLabelKey], "in-progress");
  auto again = gw::setWeight(*out, RouteKind::kHttp, split(), cfg, 30, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *out);  // idempotent
  auto back = gw::setWeight(*out, RouteKind::kHttp, split(), cfg, 0, {});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(weightsOf(*back, 0), json::parse(R"({"web-stable": 100, "web-canary": 0})"));
  EXPECT_FALSE((*back)["metadata"].contains("labels"));
  EXPECT_EQ(*back, httpRoute());  // back to the user's object exactly

  cfg.disableInProgressLabel = true;
  auto unlabelled = gw::setWeight(httpRoute(), RouteKind::kHttp, split(), cfg, 10, {});
  ASSERT_TRUE(unlabelled.ok());
  EXPECT_FALSE((*unlabelled)["metadata"].contains("labels"));
  EXPECT_TRUE(*gw::weightsMatch(*unlabelled, RouteKind::kHttp, split(), 10));
  EXPECT_FALSE(*gw::weightsMatch(*unlabelled, RouteKind::kHttp, split(), 20));
}

TEST(GatewayApiWeights, ErrorsWhenABackendRefIsMissing) {
  json route = httpRoute();
  route["spec"]["rules"][0]["backendRefs"].erase(1);
  auto out = gw::setWeight(route, RouteKind::kHttp, split(), {}, 30, {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "backendRef was not found in httpRoute");
  auto too_much = gw::setWeight(httpRoute(), RouteKind::kHttp, split(), {}, 80,
                                {WeightDestination{30, "exp-svc", "h"}});
  EXPECT_FALSE(too_much.ok());
  auto range = gw::setWeight(httpRoute(), RouteKind::kHttp, split(), {}, 101, {});
  EXPECT_FALSE(range.ok());
}

TEST(GatewayApiWeights, ExperimentServicesJoinAndLeaveTheSplit) {
  std::vector<WeightDestination> exp = {
      {10, "exp-baseline", "h1"}, {10, "exp-canary", "h2"}, {5, "", "h3"}};  // no Service: ignored
  auto out =
      gw::setWeight(httpRoute(), RouteKind::kHttp, split(), {}, 20, exp, {{"exp-baseline", 8080}});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weightsOf(*out, 0), json::parse(R"({"web-stable": 60, "web-canary": 20,
      "exp-baseline": 10, "exp-canary": 10})"));
  const json& refs = (*out)["spec"]["rules"][0]["backendRefs"];
  EXPECT_EQ(refs[2], json::parse(R"({"group": "", "kind": "Service", "name": "exp-baseline",
      "port": 8080, "weight": 10})"));
  EXPECT_EQ(refs[3]["port"], 80);  // no Service port known: the canary's
  EXPECT_EQ(weightsOf(*out, 1), json::parse(R"({"cdn": null})"));
  EXPECT_TRUE(
      *gw::weightsMatch(*out, RouteKind::kHttp, split(), 20, exp, {{"exp-baseline", 8080}}));
  EXPECT_FALSE(*gw::weightsMatch(*out, RouteKind::kHttp, split(), 20, {}));
  auto again =
      gw::setWeight(*out, RouteKind::kHttp, split(), {}, 20, exp, {{"exp-baseline", 8080}});
  EXPECT_EQ(*again, *out);
  // The experiment ends: its backendRefs go, a user's backendRef of another name stays.
  json user = *out;
  user["spec"]["rules"][0]["backendRefs"].push_back({{"name", "sidecar"}, {"weight", 0}});
  auto done = gw::setWeight(user, RouteKind::kHttp, split(), {}, 0, {});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(weightsOf(*done, 0), json::parse(R"({"web-stable": 100, "web-canary": 0,
      "sidecar": 0})"));
  EXPECT_FALSE((*done)["metadata"].contains("annotations"));
  EXPECT_FALSE((*done)["metadata"].contains("labels"));
}

TEST(GatewayApiWeights, TcpRoutesAreWeightedToo) {
  json tcp = json::parse(R"({"metadata": {"name": "t", "namespace": "ns"}, "spec": {"rules": [
      {"backendRefs": [{"name": "web-stable", "port": 9000}, {"name": "web-canary", "port": 9000}]}
  ]}})");
  auto out = gw::setWeight(tcp, RouteKind::kTcp, split(), {}, 25, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(weightsOf(*out, 0), json::parse(R"({"web-stable": 75, "web-canary": 25})"));
  // Header routes mean nothing on TCP: no rule is added.
  auto h = gw::setHeaderRoute(*out, RouteKind::kTcp, split(), header("1"));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, *out);
}

TEST(GatewayApiHeaderRoute, AddsARuleFirstWithTheHeadersAndOnlyTheCanary) {
  auto out = gw::setHeaderRoute(httpRoute(), RouteKind::kHttp, split(), header("yes"));
  ASSERT_TRUE(out.ok()) << out.status().toString();
  const json& rules = (*out)["spec"]["rules"];
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0]["matches"], json::parse(R"([{"path": {"type": "PathPrefix", "value": "/"},
      "headers": [{"name": "x-canary", "type": "Exact", "value": "yes"}]}])"));
  EXPECT_EQ(rules[0]["backendRefs"],
            json::parse(R"([{"group": "", "kind": "Service", "name": "web-canary", "port": 80}])"));
  EXPECT_EQ(rules[0]["filters"], httpRoute()["spec"]["rules"][0]["filters"]);
  EXPECT_EQ(rules[1], httpRoute()["spec"]["rules"][0]);
  EXPECT_TRUE((*out)["metadata"]["annotations"].contains(gw::kManagedRulesAnnotation));

  // Idempotent; setWeight leaves the header rule's lone canary backendRef alone.
  auto again = gw::setHeaderRoute(*out, RouteKind::kHttp, split(), header("yes"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *out);
  auto weighted = gw::setWeight(*out, RouteKind::kHttp, split(), {}, 0, {});
  ASSERT_TRUE(weighted.ok());
  EXPECT_FALSE((*weighted)["spec"]["rules"][0]["backendRefs"][0].contains("weight"));

  // A new match replaces the rule (never a duplicate); an empty match removes it.
  auto changed = gw::setHeaderRoute(*weighted, RouteKind::kHttp, split(), header("other"));
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ((*changed)["spec"]["rules"].size(), 3u);
  EXPECT_EQ((*changed)["spec"]["rules"][0]["matches"][0]["headers"][0]["value"], "other");
  auto removed = gw::setHeaderRoute(*changed, RouteKind::kHttp, split(), {"canary-header", {}});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ((*removed)["spec"]["rules"], httpRoute()["spec"]["rules"]);
  EXPECT_FALSE((*removed)["metadata"].contains("annotations"));
}

TEST(GatewayApiHeaderRoute, PrefixAndRegexAndACatchAllBase) {
  json route = httpRoute();
  route["spec"]["rules"][0].erase("matches");  // matches everything
  SetHeaderRoute h{"canary-header", {}};
  HeaderRoutingMatch prefix, regex;
  prefix.headerName = "a";
  prefix.headerValue.prefix = "v1.2";
  regex.headerName = "b";
  regex.headerValue.regex = "^x+$";
  h.match = {prefix, regex};
  auto out = gw::setHeaderRoute(route, RouteKind::kHttp, split(), h);
  ASSERT_TRUE(out.ok());
  // The plugin would give this rule no matches at all (every request to the canary).
  EXPECT_EQ((*out)["spec"]["rules"][0]["matches"], json::parse(R"([{"headers": [
      {"name": "a", "type": "RegularExpression", "value": "^v1\\.2.*"},
      {"name": "b", "type": "RegularExpression", "value": "^x+$"}]}])"));
}

TEST(GatewayApiHeaderRoute, ManualEditsAreCorrectedAndNothingIsStranded) {
  auto out = gw::setHeaderRoute(httpRoute(), RouteKind::kHttp, split(), header("yes"));
  ASSERT_TRUE(out.ok());
  // Someone moves the managed rule to the end and deletes the weights of the stable rule.
  json edited = *out;
  json moved = edited["spec"]["rules"][0];
  edited["spec"]["rules"].erase(0);
  edited["spec"]["rules"].push_back(moved);
  auto fixed = gw::setHeaderRoute(edited, RouteKind::kHttp, split(), header("yes"));
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ((*fixed)["spec"]["rules"], (*out)["spec"]["rules"]);
  // Someone deletes the record: the same rule is recognised by its content, not added twice.
  json lost = *out;
  lost["metadata"].erase("annotations");
  auto relearned = gw::setHeaderRoute(lost, RouteKind::kHttp, split(), header("yes"));
  ASSERT_TRUE(relearned.ok());
  EXPECT_EQ(*relearned, *out);
  // removeManagedRules takes out every managed rule and its record.
  auto clean = gw::removeManagedRules(*out, split(), split().managedRoutes);
  ASSERT_TRUE(clean.ok());
  EXPECT_EQ(*clean, httpRoute());
  auto twice = gw::removeManagedRules(*clean, split(), split().managedRoutes);
  EXPECT_EQ(*twice, *clean);
}

TEST(GatewayApiHeaderRoute, NamedRulesPrunedNamesPluginRulesAndSeveralPaths) {
  auto out = gw::setHeaderRoute(httpRoute(), RouteKind::kHttp, split(), header("yes"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["spec"]["rules"][0]["name"], "canary-header");
  // A CRD without rule names prunes the name: the record still recognises the rule.
  json pruned = *out;
  pruned["spec"]["rules"][0].erase("name");
  auto again = gw::setHeaderRoute(pruned, RouteKind::kHttp, split(), header("yes"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["spec"]["rules"].size(), 3u);
  // A rule the plugin created (named, no Vane record) is removed by name.
  json plugin = *out;
  plugin["metadata"].erase("annotations");
  plugin["spec"]["rules"][0]["matches"][0]["headers"][0]["value"] = "older";
  auto clean = gw::removeManagedRules(plugin, split(), {"canary-header"});
  ASSERT_TRUE(clean.ok());
  EXPECT_EQ((*clean)["spec"]["rules"], httpRoute()["spec"]["rules"]);
  // Two managed routes on the same header coexist (plugin issue #215), in managedRoutes order.
  SetHeaderRoute second = header("beta");
  second.name = "mirror";  // the second managed name of split()
  auto both = gw::setHeaderRoute(*out, RouteKind::kHttp, split(), second);
  ASSERT_TRUE(both.ok());
  ASSERT_EQ((*both)["spec"]["rules"].size(), 4u);
  EXPECT_EQ((*both)["spec"]["rules"][0]["name"], "canary-header");
  EXPECT_EQ((*both)["spec"]["rules"][1]["name"], "mirror");
  // Every path that splits canary and stable gets the header (plugin issue #207).
  json paths = httpRoute();
  paths["spec"]["rules"][0].erase("filters");
  paths["spec"]["rules"][1] = paths["spec"]["rules"][0];
  paths["spec"]["rules"][1]["matches"][0]["path"]["value"] = "/b";
  auto covered = gw::setHeaderRoute(paths, RouteKind::kHttp, split(), header("yes"));
  ASSERT_TRUE(covered.ok());
  const json& m = (*covered)["spec"]["rules"][0]["matches"];
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["path"]["value"], "/");
  EXPECT_EQ(m[1]["path"]["value"], "/b");
  // A step route name that is not a valid rule name leaves the rule unnamed.
  SetHeaderRoute odd = header("yes");
  odd.name = "Canary_Header";
  auto unnamed = gw::setHeaderRoute(httpRoute(), RouteKind::kHttp, split(), odd);
  ASSERT_TRUE(unnamed.ok());
  EXPECT_FALSE((*unnamed)["spec"]["rules"][0].contains("name"));
}

TEST(GatewayApiMirrorRoute, AddsARequestMirrorRuleKeptInStepWithTheWeights) {
  SetMirrorRoute m{"mirror", {}, 40};
  RouteMatch rm;
  rm.method = StringMatch{"GET", "", ""};
  rm.path = StringMatch{"", "/api", ""};
  m.match.push_back(rm);
  auto w = gw::setWeight(httpRoute(), RouteKind::kHttp, split(), {}, 20, {});
  auto out = gw::setMirrorRoute(*w, RouteKind::kHttp, split(), m);
  ASSERT_TRUE(out.ok()) << out.status().toString();
  const json& rule = (*out)["spec"]["rules"][0];
  EXPECT_EQ(rule["matches"],
            json::parse(R"([{"method": "GET", "path": {"type": "PathPrefix", "value": "/api"}}])"));
  EXPECT_EQ(rule["filters"], json::parse(R"([{"type": "RequestMirror", "requestMirror":
      {"backendRef": {"kind": "Service", "name": "web-canary", "port": 80}, "percent": 40}}])"));
  EXPECT_EQ(weightsOf(*out, 0), json::parse(R"({"web-stable": 80, "web-canary": 20})"));
  auto later = gw::setWeight(*out, RouteKind::kHttp, split(), {}, 50, {});
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(weightsOf(*later, 0), json::parse(R"({"web-stable": 50, "web-canary": 50})"));
  EXPECT_EQ(weightsOf(*later, 1), json::parse(R"({"web-stable": 50, "web-canary": 50})"));
  auto again = gw::setMirrorRoute(*later, RouteKind::kHttp, split(), m);
  EXPECT_EQ(*again, *later);  // the reweighted mirror rule is still recognised
  // Header and mirror rules together keep the managedRoutes order at the front.
  auto both = gw::setHeaderRoute(*later, RouteKind::kHttp, split(), header("1"));
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE((*both)["spec"]["rules"][0]["matches"][0].contains("headers"));
  EXPECT_EQ((*both)["spec"]["rules"][1]["filters"][0]["type"], "RequestMirror");
  auto clean = gw::removeManagedRules(*both, split(), split().managedRoutes);
  EXPECT_EQ((*clean)["spec"]["rules"],
            (*gw::setWeight(httpRoute(), RouteKind::kHttp, split(), {}, 50, {}))["spec"]["rules"]);
  RouteMatch bad;
  bad.method = StringMatch{"", "G", ""};
  auto rejected = gw::setMirrorRoute(*w, RouteKind::kHttp, split(), {"mirror", {bad}, {}});
  EXPECT_FALSE(rejected.ok());
}

/// In-memory objects keyed by (plural, ns, name); enforces resourceVersion; injects conflicts.
class MemClient : public trafficrouting::testing::RouterTestClient {
 public:
  Result<json> get(const kube::Resource& r, const std::string& ns,
                   const std::string& name) override {
    calls.push_back("get " + r.resource + "/" + r.version + " " + ns + "/" + name);
    auto it = objects.find({r.resource, ns, name});
    if (it == objects.end()) return Status(Code::kNotFound, name + " not found");
    return it->second;
  }
  Result<json> update(const kube::Resource& r, const std::string& ns, const json& obj) override {
    std::string name = obj["metadata"]["name"];
    calls.push_back("update " + r.resource + " " + ns + "/" + name);
    auto it = objects.find({r.resource, ns, name});
    if (it == objects.end()) return Status(Code::kNotFound, name + " not found");
    int stored = std::stoi(it->second["metadata"]["resourceVersion"].get<std::string>());
    if (conflicts_to_inject > 0) {
      --conflicts_to_inject;
      it->second["metadata"]["resourceVersion"] = std::to_string(++stored);
    }
    if (obj["metadata"]["resourceVersion"] != std::to_string(stored)) {
      return Status(Code::kConflict, "the object has been modified").withHttpStatus(409);
    }
    it->second = obj;
    it->second["metadata"]["resourceVersion"] = std::to_string(stored + 1);
    return it->second;
  }
};

json rolloutWithPlugin(const std::string& plugin_config) {
  return json::parse(R"({"metadata": {"name": "web", "namespace": "ns"},
    "spec": {"strategy": {"canary": {"canaryService": "web-canary", "stableService": "web-stable",
      "trafficRouting": {"managedRoutes": [{"name": "canary-header"}],
        "plugins": {"argoproj-labs/gatewayAPI": )" +
                     plugin_config + R"(}},
      "steps": [{"setHeaderRoute": {"name": "canary-header"}}]}}}})");
}

Result<std::vector<std::unique_ptr<TrafficRouter>>> routersFor(MemClient& client,
                                                               const json& rollout,
                                                               std::vector<std::string>* events) {
  RouterRegistry registry;
  registerGatewayApiRouter(registry, client);
  auto ctx = routerContextFromRollout(rollout, "v1beta1");
  if (!ctx.ok()) return ctx.status();
  ctx->recordEvent = [events](bool, const std::string& reason, const std::string& message) {
    if (events) events->push_back(reason + ": " + message);
  };
  return registry.create(rollout["spec"]["strategy"]["canary"]["trafficRouting"], *ctx);
}

TEST(GatewayApiRouter, WeightsHeaderRouteAndCleanupThroughTheRegistry) {
  MemClient client;
  client.put("httproutes", httpRoute());
  std::vector<std::string> events;
  auto routers = routersFor(client, rolloutWithPlugin(R"({"httpRoute": "web"})"), &events);
  ASSERT_TRUE(routers.ok()) << routers.status().toString();
  ASSERT_EQ(routers->size(), 1u);
  TrafficRouter& r = *(*routers)[0];
  EXPECT_EQ(r.type(), "GatewayAPI");

  ASSERT_TRUE(r.setHeaderRoute(header("1")).isOk());
  ASSERT_TRUE(r.setWeight(20, {}).isOk());
  EXPECT_EQ(client.count("update"), 2);
  ASSERT_TRUE(r.setWeight(20, {}).isOk());  // idempotent: no write
  ASSERT_TRUE(r.setHeaderRoute(header("1")).isOk());
  EXPECT_EQ(client.count("update"), 2);
  EXPECT_EQ(client.calls.front(), "get httproutes/v1 ns/web");
  EXPECT_EQ(*r.verifyWeight(20, {}), std::optional<bool>(true));
  EXPECT_EQ(*r.verifyWeight(30, {}), std::optional<bool>(false));
  const json& live = client.at("httproutes", "ns", "web");
  EXPECT_EQ(weightsOf(live, 1), json::parse(R"({"web-stable": 80, "web-canary": 20})"));
  EXPECT_EQ(live["metadata"]["labels"][gw::kDefaultInProgressLabelKey], "in-progress");

  client.conflicts_to_inject = 1;  // a write in between: re-read and retry once
  ASSERT_TRUE(r.setWeight(0, {}).isOk());
  ASSERT_TRUE(r.removeManagedRoutes().isOk());
  json expected = httpRoute();
  EXPECT_EQ(client.at("httproutes", "ns", "web")["spec"], expected["spec"]);
  EXPECT_FALSE(client.at("httproutes", "ns", "web")["metadata"].contains("labels"));
  EXPECT_FALSE(client.at("httproutes", "ns", "web")["metadata"].contains("annotations"));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front(),
            "UpdatedGatewayAPIRoute: HTTPRoute `web` set headerRoute 'canary-header'");
}

TEST(GatewayApiRouter, SyncManagedRoutesIsTheDesiredSetAndIdempotent) {
  MemClient client;
  client.put("httproutes", httpRoute());
  json rollout = rolloutWithPlugin(R"({"httpRoute": "web"})");
  rollout["spec"]["strategy"]["canary"]["trafficRouting"]["managedRoutes"] =
      json::parse(R"([{"name": "canary-header"}, {"name": "mirror"}])");
  auto routers = routersFor(client, rollout, nullptr);
  ASSERT_TRUE(routers.ok()) << routers.status().toString();
  TrafficRouter& r = *(*routers)[0];
  SetMirrorRoute mirror{"mirror", {RouteMatch{StringMatch{"GET", "", ""}, std::nullopt, {}}}, 50};
  ASSERT_TRUE(r.setWeight(20, {}).isOk());
  ASSERT_TRUE(r.syncManagedRoutes({mirror, header("1")}).isOk());
  const int writes = client.count("update");
  ASSERT_TRUE(r.syncManagedRoutes({mirror, header("1")}).isOk());
  EXPECT_EQ(client.count("update"), writes);  // already so: no write
  const json& live = client.at("httproutes", "ns", "web");
  ASSERT_EQ(live["spec"]["rules"].size(), 4u);
  EXPECT_EQ(live["spec"]["rules"][0].value("name", ""), "canary-header");  // managedRoutes order
  EXPECT_EQ(live["spec"]["rules"][1].value("name", ""), "mirror");
  // The mirror rule follows later weights, and the next sync keeps them.
  ASSERT_TRUE(r.setWeight(40, {}).isOk());
  const int weighted = client.count("update");
  ASSERT_TRUE(r.syncManagedRoutes({mirror, header("1")}).isOk());
  EXPECT_EQ(client.count("update"), weighted);
  EXPECT_EQ(weightsOf(client.at("httproutes", "ns", "web"), 1),
            json::parse(R"({"web-stable": 60, "web-canary": 40})"));
  ASSERT_TRUE(r.syncManagedRoutes({header("1")}).isOk());  // the mirror step was removed
  EXPECT_EQ(client.at("httproutes", "ns", "web")["spec"]["rules"].size(), 3u);
  ASSERT_TRUE(r.syncManagedRoutes({}).isOk());
  ASSERT_TRUE(r.setWeight(0, {}).isOk());
  EXPECT_EQ(client.at("httproutes", "ns", "web")["spec"], httpRoute()["spec"]);
}

TEST(GatewayApiRouter, RouteListsNamespaceAndMissingRoutes) {
  MemClient client;
  json a = httpRoute(), b = httpRoute(), g = httpRoute();
  a["metadata"] = {{"name", "a"}, {"namespace", "edge"}};
  b["metadata"] = {{"name", "b"}, {"namespace", "edge"}};
  g["metadata"] = {{"name", "g"}, {"namespace", "edge"}};
  client.put("httproutes", a);
  client.put("httproutes", b);
  client.put("grpcroutes", g);
  auto routers = routersFor(client, rolloutWithPlugin(R"({"namespace": "edge",
      "httpRoutes": [{"name": "a", "useHeaderRoutes": true}, {"name": "b"}],
      "grpcRoutes": [{"name": "g"}]})"),
                            nullptr);
  ASSERT_TRUE(routers.ok()) << routers.status().toString();
  TrafficRouter& r = *(*routers)[0];
  ASSERT_TRUE(r.setWeight(40, {}).isOk());
  ASSERT_TRUE(r.setHeaderRoute(header("1")).isOk());
  EXPECT_EQ(client.at("httproutes", "edge", "a")["spec"]["rules"].size(), 3u);
  EXPECT_EQ(client.at("httproutes", "edge", "b")["spec"]["rules"].size(), 2u);  // no header use
  EXPECT_EQ(weightsOf(client.at("grpcroutes", "edge", "g"), 0),
            json::parse(R"({"web-stable": 60, "web-canary": 40})"));
  // grpcRoutes[] without useHeaderRoutes: weighted, never read for the header route.
  EXPECT_EQ(client.count("get grpcroutes/v1 edge/g"), 1);
  EXPECT_EQ(client.at("grpcroutes", "edge", "g")["spec"]["rules"].size(), 2u);

  client.objects.erase({"httproutes", "edge", "b"});
  Status missing = r.setWeight(50, {});
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_NE(missing.message().find("HTTPRoute `b`"), std::string::npos);
  EXPECT_TRUE(r.removeManagedRoutes().isOk());  // a missing route has nothing to clean

  auto unknown = routersFor(client, json::parse(R"({"metadata": {"name": "x"}, "spec":
      {"strategy": {"canary": {"canaryService": "c", "stableService": "s", "trafficRouting":
      {"plugins": {"example/other": {}}}}}}})"),
                            nullptr);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kUnsupported);
  EXPECT_EQ(unknown.status().field(),
            "spec.strategy.canary.trafficRouting.plugins[\"example/other\"]");
}

}  // namespace
}  // namespace vane::trafficrouting::gatewayapi_test
