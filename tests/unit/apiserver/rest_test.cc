// The REST layer driven in-process (no sockets): patches, server-side apply, conflicts,
// generation, status subresource, selectors, garbage collection and namespace deletion.
#include "apiserver/rest.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "apiserver/controllers.h"
#include "apiserver/managed_fields.h"
#include "apiserver/objects.h"

namespace vane::apiserver {
namespace {

const char kCrd[] = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
 "metadata":{"name":"widgets.example.com"},
 "spec":{"group":"example.com","scope":"Namespaced",
  "names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},
  "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
   "schema":{"openAPIV3Schema":{"type":"object","properties":{
     "spec":{"type":"object","properties":{"size":{"type":"integer"}}},
     "status":{"type":"object","properties":{"phase":{"type":"string"}}}}}}}]}})";

class RestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Store::open({}).value();
    watch_ = store_
                 ->watch("apiextensions.k8s.io/customresourcedefinitions", "", 0,
                         [this](const StoreEvent& ev) { registry_.onCrdEvent(ev); })
                 .value();
    rest_ = std::make_unique<Rest>(*store_, registry_);
    for (const char* ns : {"default", "team"}) {
      ASSERT_TRUE(store_
                      ->create({"core/namespaces", "", ns},
                               {{"metadata", {{"name", ns}, {"uid", std::string("uid-") + ns}}}})
                      .ok());
    }
    ASSERT_EQ(call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", kCrd).status,
              201);
  }

  http::Response call(const std::string& method, const std::string& target,
                      const std::string& body = "",
                      const std::string& content_type = "application/json",
                      const std::string& accept = "") {
    http::Request req;
    req.method = method;
    req.target = target;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::string qs = target.substr(q + 1);
      std::size_t p = 0;
      while (p <= qs.size()) {
        auto amp = qs.find('&', p);
        std::string kv = qs.substr(p, amp == std::string::npos ? std::string::npos : amp - p);
        auto eq = kv.find('=');
        req.query.emplace_back(http::urlDecode(kv.substr(0, eq)),
                               eq == std::string::npos ? "" : http::urlDecode(kv.substr(eq + 1)));
        p = amp == std::string::npos ? qs.size() + 1 : amp + 1;
      }
    }
    req.headers = {{"Content-Type", content_type}, {"User-Agent", "unit/1.0"}};
    if (!accept.empty()) req.headers.emplace_back("Accept", accept);
    req.body = body;
    auto r = rest_->handle(req);
    EXPECT_TRUE(r.has_value());
    return r.value_or(http::Response{});
  }
  json callJson(const std::string& method, const std::string& target, const std::string& body = "",
                const std::string& ct = "application/json", int want = 200) {
    auto r = call(method, target, body, ct);
    EXPECT_EQ(r.status, want) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  std::unique_ptr<Store> store_;
  Registry registry_;
  std::unique_ptr<StoreWatch> watch_;
  std::unique_ptr<Rest> rest_;
};

const char kWidgets[] = "/apis/example.com/v1/namespaces/default/widgets";

TEST_F(RestTest, MergeAndJsonPatchBumpGenerationAndNoOpKeepsResourceVersion) {
  json w = callJson("POST", kWidgets, R"({"metadata":{"name":"w"},"spec":{"size":1}})",
                    "application/json", 201);
  EXPECT_EQ(w["metadata"]["generation"], 1);
  json m = callJson("PATCH", std::string(kWidgets) + "/w", R"({"spec":{"size":2}})",
                    "application/merge-patch+json");
  EXPECT_EQ(m["metadata"]["generation"], 2);
  json j = callJson("PATCH", std::string(kWidgets) + "/w",
                    R"([{"op":"replace","path":"/spec/size","value":3}])",
                    "application/json-patch+json");
  EXPECT_EQ(j["spec"]["size"], 3);
  json same = callJson("PATCH", std::string(kWidgets) + "/w", R"({"spec":{"size":3}})",
                       "application/merge-patch+json");
  EXPECT_EQ(same["metadata"]["resourceVersion"], j["metadata"]["resourceVersion"]);
  auto bad =
      call("PATCH", std::string(kWidgets) + "/w",
           R"([{"op":"replace","path":"/spec/nope/x","value":1}])", "application/json-patch+json");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(
      call("PATCH", std::string(kWidgets) + "/w", "{}", "application/strategic-merge-patch+json")
          .status,
      415);
  EXPECT_EQ(call("PATCH", std::string(kWidgets) + "/w", "{not json", "application/merge-patch+json")
                .status,
            400);
}

TEST_F(RestTest, StatusSubresourceOnlyChangesStatusAndMainEndpointIgnoresIt) {
  callJson("POST", kWidgets,
           R"({"metadata":{"name":"w"},"spec":{"size":1},"status":{"phase":"x"}})",
           "application/json", 201);
  json s =
      callJson("PATCH", std::string(kWidgets) + "/w/status",
               R"({"status":{"phase":"Ready"},"spec":{"size":9}})", "application/merge-patch+json");
  EXPECT_EQ(s["status"]["phase"], "Ready");
  EXPECT_EQ(s["spec"]["size"], 1);
  EXPECT_EQ(s["metadata"]["generation"], 1);
  json main = callJson("PATCH", std::string(kWidgets) + "/w", R"({"status":{"phase":"Bogus"}})",
                       "application/merge-patch+json");
  EXPECT_EQ(main["status"]["phase"], "Ready");
  EXPECT_EQ(main["metadata"]["resourceVersion"], s["metadata"]["resourceVersion"]);
}

TEST_F(RestTest, StalePutConflictsAndSchemaErrorsAre422) {
  json w = callJson("POST", kWidgets, R"({"metadata":{"name":"w"},"spec":{"size":1}})",
                    "application/json", 201);
  json stale = w;
  stale["metadata"]["resourceVersion"] = "1";
  auto r = call("PUT", std::string(kWidgets) + "/w", stale.dump());
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("the object has been modified"), std::string::npos);
  auto inv = call("PATCH", std::string(kWidgets) + "/w", R"({"spec":{"size":"x"}})",
                  "application/merge-patch+json");
  EXPECT_EQ(inv.status, 422);
  EXPECT_NE(inv.body.find("spec.size"), std::string::npos);
  EXPECT_EQ(call("POST", kWidgets, "{\"oops", "application/json").status, 400);
  EXPECT_EQ(call("GET", std::string(kWidgets) + "/nope").status, 404);
}

TEST_F(RestTest, ServerSideApplyConflictsWithAnotherManagerUnlessForced) {
  const std::string url = std::string(kWidgets) + "/w?fieldManager=";
  auto created = call("PATCH", url + "applier", R"({"metadata":{"name":"w"},"spec":{"size":1}})",
                      "application/apply-patch+yaml");
  EXPECT_EQ(created.status, 201) << created.body;
  callJson("PATCH", std::string(kWidgets) + "/w?fieldManager=editor", R"({"spec":{"size":2}})",
           "application/merge-patch+json");
  auto conflict = call("PATCH", url + "applier", R"({"metadata":{"name":"w"},"spec":{"size":1}})",
                       "application/apply-patch+yaml");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_NE(
      conflict.body.find(
          R"(Apply failed with 1 conflict: conflict with \"editor\" using example.com/v1: .spec.size)"),
      std::string::npos)
      << conflict.body;
  json forced =
      callJson("PATCH", url + "applier&force=true",
               R"({"metadata":{"name":"w"},"spec":{"size":1}})", "application/apply-patch+yaml");
  EXPECT_EQ(forced["spec"]["size"], 1);
  bool applier_owns = false;
  for (const auto& e : forced["metadata"]["managedFields"]) {
    if (e["manager"] == "applier") {
      EXPECT_EQ(e["operation"], "Apply");
      applier_owns = fromFieldsV1(e["fieldsV1"]).count("/spec/size") > 0;
    }
    if (e["manager"] == "editor") {
      EXPECT_EQ(fromFieldsV1(e["fieldsV1"]).count("/spec/size"), 0u);
    }
  }
  EXPECT_TRUE(applier_owns);
}

// client-go's metadata informers (k8s.io/client-go/metadata) ask for PartialObjectMetadataList on
// a list and PartialObjectMetadata on a get or watch, plain JSON after them as the fallback.
TEST_F(RestTest, PartialObjectMetadataListAndGet) {
  json body = {{"metadata", {{"name", "a"}, {"labels", {{"tier", "web"}}}}},
               {"data", {{"k", "v"}}}};
  callJson("POST", "/api/v1/namespaces/default/configmaps", body.dump(), "application/json", 201);
  const std::string list_type = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
  auto list = call("GET", "/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dweb", "",
                   "application/json", list_type + ",application/json");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(http::findHeader(list.headers, "Content-Type").value_or(""), list_type);
  json l = json::parse(list.body);
  EXPECT_EQ(l["kind"], "PartialObjectMetadataList");
  EXPECT_EQ(l["apiVersion"], "meta.k8s.io/v1");
  EXPECT_TRUE(l["metadata"].contains("resourceVersion"));
  ASSERT_EQ(l["items"].size(), 1u);
  EXPECT_EQ(l["items"][0]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(l["items"][0]["metadata"]["labels"]["tier"], "web");
  EXPECT_FALSE(l["items"][0].contains("data"));
  auto one = call("GET", "/api/v1/namespaces/default/configmaps/a", "", "application/json",
                  "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1");
  ASSERT_EQ(one.status, 200) << one.body;
  json o = json::parse(one.body);
  EXPECT_EQ(o["kind"], "PartialObjectMetadata");
  EXPECT_EQ(o["metadata"]["name"], "a");
  EXPECT_FALSE(o.contains("data"));
  // Without the media type: the whole object.
  EXPECT_EQ(callJson("GET", "/api/v1/namespaces/default/configmaps/a")["data"]["k"], "v");
}

TEST_F(RestTest, ListSelectorsAndPaging) {
  for (const char* n : {"a", "b", "c"}) {
    json body = {
        {"metadata", {{"name", n}, {"labels", {{"tier", n == std::string("b") ? "db" : "web"}}}}},
        {"data", {{"k", "v"}}}};
    callJson("POST", "/api/v1/namespaces/default/configmaps", body.dump(), "application/json", 201);
  }
  json web = callJson("GET", "/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dweb");
  EXPECT_EQ(web["items"].size(), 2u);
  json notin = callJson("GET", "/api/v1/configmaps?labelSelector=tier%20notin%20(web)");
  EXPECT_EQ(notin["items"].size(), 1u);
  json byname =
      callJson("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dc");
  EXPECT_EQ(byname["items"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=foo%3Dbar").status,
            400);
  json page1 = callJson("GET", "/api/v1/namespaces/default/configmaps?limit=2");
  ASSERT_EQ(page1["items"].size(), 2u);
  EXPECT_EQ(page1["metadata"]["remainingItemCount"], 1);
  std::string cont = page1["metadata"]["continue"];
  json page2 = callJson(
      "GET", "/api/v1/namespaces/default/configmaps?limit=2&continue=" + http::urlEncode(cont));
  ASSERT_EQ(page2["items"].size(), 1u);
  EXPECT_EQ(page2["items"][0]["metadata"]["name"], "c");
}

TEST_F(RestTest, CreateRulesNamespaceMissingGenerateNameAndBadName) {
  EXPECT_EQ(
      call("POST", "/api/v1/namespaces/nope/configmaps", R"({"metadata":{"name":"x"}})").status,
      404);
  json g = callJson("POST", "/api/v1/namespaces/default/configmaps",
                    R"({"metadata":{"generateName":"cfg-"}})", "application/json", 201);
  EXPECT_EQ(g["metadata"]["name"].get<std::string>().size(), 9u);
  EXPECT_EQ(
      call("POST", "/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"Bad_Name"}})")
          .status,
      422);
  json sec =
      callJson("POST", "/api/v1/namespaces/default/secrets",
               R"({"metadata":{"name":"s"},"stringData":{"p":"x"}})", "application/json", 201);
  EXPECT_EQ(sec["type"], "Opaque");
  EXPECT_EQ(sec["data"]["p"], "eA==");
}

TEST_F(RestTest, FinalizersHoldDeletionAndGarbageCollectorRemovesOrphans) {
  Controllers controllers(*store_, registry_);
  json owner = callJson("POST", "/api/v1/namespaces/default/configmaps",
                        R"({"metadata":{"name":"owner","finalizers":["example.com/hold"]}})",
                        "application/json", 201);
  json dep = {{"metadata",
               {{"name", "dep"},
                {"ownerReferences",
                 {{{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"name", "owner"},
                   {"uid", owner["metadata"]["uid"]}}}}}}};
  callJson("POST", "/api/v1/namespaces/default/configmaps", dep.dump(), "application/json", 201);
  json deleting = callJson("DELETE", "/api/v1/namespaces/default/configmaps/owner",
                           R"({"propagationPolicy":"Background"})");
  EXPECT_TRUE(deleting["metadata"].contains("deletionTimestamp"));
  controllers.pass();
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/configmaps/dep").status,
            200);  // owner still there
  callJson("PATCH", "/api/v1/namespaces/default/configmaps/owner",
           R"([{"op":"remove","path":"/metadata/finalizers"}])", "application/json-patch+json");
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/configmaps/owner").status, 404);
  while (controllers.pass() > 0) {
  }
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/configmaps/dep").status, 404);
}

TEST_F(RestTest, NamespaceDeletionEmptiesTheNamespaceAndDefaultIsImmortal) {
  Controllers controllers(*store_, registry_);
  callJson("POST", "/api/v1/namespaces/team/configmaps", R"({"metadata":{"name":"c"}})",
           "application/json", 201);
  json ns = callJson("DELETE", "/api/v1/namespaces/team");
  EXPECT_EQ(ns["status"]["phase"], "Terminating");
  EXPECT_EQ(
      call("POST", "/api/v1/namespaces/team/configmaps", R"({"metadata":{"name":"d"}})").status,
      403);
  while (controllers.pass() > 0) {
  }
  EXPECT_EQ(call("GET", "/api/v1/namespaces/team").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/namespaces/default").status, 403);
}

TEST_F(RestTest, RunningCollectorSeesOwnerDeletionAmongStatusWrites) {
  // The collector's loop skips writes that cannot change its decisions (here: the dependent's
  // data); the owner's deletion must still wake it.
  Controllers controllers(*store_, registry_);
  ASSERT_TRUE(controllers.start().isOk());
  json owner = callJson("POST", "/api/v1/namespaces/default/configmaps",
                        R"({"metadata":{"name":"gc-owner"}})", "application/json", 201);
  json dep = {{"metadata",
               {{"name", "gc-dep"},
                {"ownerReferences",
                 {{{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"name", "gc-owner"},
                   {"uid", owner["metadata"]["uid"]}}}}}}};
  callJson("POST", "/api/v1/namespaces/default/configmaps", dep.dump(), "application/json", 201);
  for (int i = 0; i < 20; ++i) {
    callJson("PATCH", "/api/v1/namespaces/default/configmaps/gc-dep",
             json{{"data", {{"n", std::to_string(i)}}}}.dump(), "application/merge-patch+json");
  }
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/configmaps/gc-dep").status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/namespaces/default/configmaps/gc-owner").status, 200);
  int status = 200;
  for (int i = 0; i < 1000 && status != 404; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    status = call("GET", "/api/v1/namespaces/default/configmaps/gc-dep").status;
  }
  EXPECT_EQ(status, 404);
  controllers.stop();
}

TEST_F(RestTest, UnknownPathsAndSubresourcesAre404) {
  EXPECT_EQ(call("GET", "/apis/nope.io/v1/things").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/configmaps/x/status").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/configmaps/x/y/z/w").status, 404);
}

}  // namespace
}  // namespace vane::apiserver
