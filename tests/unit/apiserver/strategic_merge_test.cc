#include "apiserver/strategic_merge.h"

#include <gtest/gtest.h>

namespace vane::apiserver {
namespace {

using json = nlohmann::json;

json deployment() {
  return json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "d", "labels": {"app": "d", "tier": "web"}, "finalizers": ["a", "b"],
                 "ownerReferences": [{"uid": "u1", "name": "x"}, {"uid": "u2", "name": "y"}]},
    "spec": {"replicas": 1,
      "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
      "template": {"metadata": {"labels": {"app": "d"}},
        "spec": {"containers": [
          {"name": "web", "image": "nginx:1", "args": ["a", "b"],
           "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "1"}],
           "ports": [{"containerPort": 80, "protocol": "TCP"}]},
          {"name": "sidecar", "image": "envoy:1"}],
          "tolerations": [{"key": "k1"}, {"key": "k2"}]}}}
  })");
}

json patchWith(const json& original, const std::string& patch,
               const std::string& kind = "Deployment", const std::string& api = "apps/v1") {
  auto r = strategicMergePatch(original, json::parse(patch), api, kind);
  EXPECT_TRUE(r.ok()) << r.status().toString();
  return r.ok() ? *r : json();
}

TEST(StrategicMergeTest, KubectlApplyPatchFromSpec) {
  // The patch kubectl 1.32 sends for an apply changing replicas, strategy and one env var.
  json out = patchWith(deployment(), R"({"spec":{"replicas":3,"strategy":{"$retainKeys":["type"],
      "type":"Recreate"},"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},
      {"name":"sidecar"}],"containers":[{"$setElementOrder/env":[{"name":"A"},{"name":"B"}],
      "env":[{"name":"A","value":"2"}],"name":"web"}]}}}})");
  EXPECT_EQ(out["spec"]["replicas"], 3);
  EXPECT_EQ(out["spec"]["strategy"], json({{"type", "Recreate"}}));  // rollingUpdate dropped
  const json& c = out["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0]["name"], "web");
  EXPECT_EQ(c[0]["image"], "nginx:1");
  EXPECT_EQ(c[0]["env"], json::parse(R"([{"name":"A","value":"2"},{"name":"B","value":"1"}])"));
  EXPECT_FALSE(c[0].contains("$setElementOrder/env"));
  EXPECT_EQ(c[1]["name"], "sidecar");
  EXPECT_FALSE(out["spec"]["template"]["spec"].contains("$setElementOrder/containers"));
}

TEST(StrategicMergeTest, SetImageMergesContainerByName) {
  json out = patchWith(
      deployment(),
      R"({"spec":{"template":{"spec":{"containers":[{"image":"envoy:2","name":"sidecar"}]}}}})");
  const json& c = out["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0]["image"], "nginx:1");
  EXPECT_EQ(c[1]["image"], "envoy:2");
}

TEST(StrategicMergeTest, NewElementAndSetElementOrder) {
  json out = patchWith(deployment(), R"({"spec":{"template":{"spec":{
      "$setElementOrder/containers":[{"name":"init"},{"name":"web"},{"name":"sidecar"}],
      "containers":[{"name":"init","image":"busybox"}]}}}})");
  const json& c = out["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0]["name"], "init");
  EXPECT_EQ(c[1]["name"], "web");
  EXPECT_EQ(c[2]["name"], "sidecar");
}

TEST(StrategicMergeTest, NewElementsAppendWithoutOrderDirective) {
  // kube-acceptance.sh deploy-smp-merged: `kubectl patch` adding env B to [A] reads "A B".
  json out = patchWith(deployment(), R"({"spec":{"template":{"spec":{"containers":[{"name":"web",
      "env":[{"name":"C","value":"3"}]},{"name":"extra","image":"x"}]}}}})");
  const json& c = out["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0]["name"], "web");
  EXPECT_EQ(c[1]["name"], "sidecar");
  EXPECT_EQ(c[2]["name"], "extra");
  ASSERT_EQ(c[0]["env"].size(), 3u);
  EXPECT_EQ(c[0]["env"][0]["name"], "A");
  EXPECT_EQ(c[0]["env"][2]["name"], "C");
}

TEST(StrategicMergeTest, AtomicListsAreReplaced) {
  json out = patchWith(deployment(), R"({"spec":{"template":{"spec":{"tolerations":[{"key":"k3"}],
      "containers":[{"name":"web","args":["c"]}]}}}})");
  EXPECT_EQ(out["spec"]["template"]["spec"]["tolerations"], json::parse(R"([{"key":"k3"}])"));
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"][0]["args"], json({"c"}));
}

TEST(StrategicMergeTest, NullDeletesAndLabels) {
  json out = patchWith(deployment(), R"({"metadata":{"labels":{"tier":null,"new":"x"}},
      "spec":{"template":{"spec":{"containers":[{"name":"web","ports":null}]}}}})");
  EXPECT_EQ(out["metadata"]["labels"], json({{"app", "d"}, {"new", "x"}}));
  EXPECT_FALSE(out["spec"]["template"]["spec"]["containers"][0].contains("ports"));
}

TEST(StrategicMergeTest, PatchDeleteElementAndDeleteFromPrimitiveList) {
  json out = patchWith(deployment(), R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],
      "ownerReferences":[{"$patch":"delete","uid":"u1"}]},
      "spec":{"template":{"spec":{"containers":[{"name":"web",
      "env":[{"$patch":"delete","name":"B"}]}]}}}})");
  EXPECT_EQ(out["metadata"]["finalizers"], json({"b"}));
  EXPECT_EQ(out["metadata"]["ownerReferences"], json::parse(R"([{"uid":"u2","name":"y"}])"));
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"][0]["env"],
            json::parse(R"([{"name":"A","value":"1"}])"));
}

TEST(StrategicMergeTest, FinalizersSetMergeAndOwnerReferencesByUid) {
  json out = patchWith(deployment(), R"({"metadata":{"finalizers":["c","a"],
      "ownerReferences":[{"uid":"u2","name":"z"},{"uid":"u3","name":"w"}]}})");
  EXPECT_EQ(out["metadata"]["finalizers"].size(), 3u);
  const json& o = out["metadata"]["ownerReferences"];
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0]["uid"], "u1");
  EXPECT_EQ(o[1], json({{"uid", "u2"}, {"name", "z"}}));
  EXPECT_EQ(o[2]["uid"], "u3");
}

TEST(StrategicMergeTest, PrimitiveSetElementOrder) {
  // kubectl apply on finalizers [a, b] -> [c, b, a]: a set-merge list with an order directive.
  json out = patchWith(deployment(), R"({"metadata":{"$setElementOrder/finalizers":["c","b","a"],
      "finalizers":["c"]}})");
  EXPECT_EQ(out["metadata"]["finalizers"], json({"c", "b", "a"}));
}

TEST(StrategicMergeTest, PatchReplaceListAndMap) {
  json out = patchWith(deployment(), R"({"spec":{"template":{"spec":{"containers":[
      {"$patch":"replace"},{"name":"only","image":"x"}]}},
      "strategy":{"$patch":"replace","type":"Recreate"}}})");
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"],
            json::parse(R"([{"name":"only","image":"x"}])"));
  EXPECT_EQ(out["spec"]["strategy"], json({{"type", "Recreate"}}));
}

TEST(StrategicMergeTest, ServicePortsMergeByPort) {
  json svc = json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},
      "spec":{"type":"ClusterIP","clusterIP":"10.0.0.1","selector":{"app":"a"},
      "ports":[{"name":"http","port":80,"targetPort":8080},{"name":"m","port":9090}]}})");
  json out = patchWith(svc, R"({"spec":{"$setElementOrder/ports":[{"port":80},{"port":9090}],
      "ports":[{"port":80,"targetPort":"web"}],"selector":{"app":"b"}}})",
                       "Service", "v1");
  EXPECT_EQ(out["spec"]["ports"][0],
            json::parse(R"({"name":"http","port":80,"targetPort":"web"})"));
  EXPECT_EQ(out["spec"]["ports"][1]["port"], 9090);
  EXPECT_EQ(out["spec"]["selector"], json({{"app", "b"}}));
  EXPECT_EQ(out["spec"]["clusterIP"], "10.0.0.1");
}

TEST(StrategicMergeTest, PodStatusConditionsByType) {
  json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
      "status":{"conditions":[{"type":"Ready","status":"False"},{"type":"Initialized","status":"True"}]}})");
  json out = patchWith(pod, R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})",
                       "Pod", "v1");
  EXPECT_EQ(out["status"]["conditions"][0], json({{"type", "Ready"}, {"status", "True"}}));
  EXPECT_EQ(out["status"]["conditions"][1]["type"], "Initialized");
}

TEST(StrategicMergeTest, PlainKindsMergeMaps) {
  json cm = json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c",
      "annotations":{"a":"1"}},"data":{"x":"1","y":"2"}})");
  json out = patchWith(cm, R"({"data":{"x":null,"z":"3"},"metadata":{"annotations":{"b":"2"}}})",
                       "ConfigMap", "v1");
  EXPECT_EQ(out["data"], json({{"y", "2"}, {"z", "3"}}));
  EXPECT_EQ(out["metadata"]["annotations"], json({{"a", "1"}, {"b", "2"}}));
  json lease = patchWith(json::parse(R"({"spec":{"holderIdentity":"a"}})"),
                         R"({"spec":{"holderIdentity":"b","leaseDurationSeconds":15}})", "Lease",
                         "coordination.k8s.io/v1");
  EXPECT_EQ(lease["spec"]["holderIdentity"], "b");
}

TEST(StrategicMergeTest, NewValuesAreStrippedOfDirectives) {
  json out = patchWith(json::parse(R"({"metadata":{"name":"d"}})"),
                       R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"}],
                   "containers":[{"name":"a","env":[{"name":"X","value":null}]}]}}}})");
  const json& spec = out["spec"]["template"]["spec"];
  EXPECT_FALSE(spec.contains("$setElementOrder/containers"));
  EXPECT_EQ(spec["containers"][0]["env"][0], json({{"name", "X"}}));
}

// Built iteratively and only moved: nlohmann's copy constructor recurses.
json deepObject(int depth) {
  json root = json::object();
  json* cur = &root;
  for (int i = 0; i < depth; ++i) cur = &((*cur)["a"] = json::object());
  return root;
}

TEST(StrategicMergeTest, DeepNestingIsRejectedNotACrash) {
  auto r = strategicMergePatch(json::object(), deepObject(20000), "v1", "ConfigMap");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBadRequest);
  // The same depth below a replace directive and inside a keyed list element.
  json replace = json::object();
  replace["$patch"] = "replace";
  replace["a"] = deepObject(20000);
  EXPECT_EQ(strategicMergePatch(json::object(), replace, "v1", "ConfigMap").status().code(),
            Code::kBadRequest);
  json container = {{"name", "c"}};
  container["x"] = deepObject(20000);
  json list = json::object();
  list["spec"]["containers"] = json::array();
  list["spec"]["containers"].push_back(std::move(container));
  EXPECT_EQ(strategicMergePatch(json::object(), list, "v1", "Pod").status().code(),
            Code::kBadRequest);
}

TEST(StrategicMergeTest, Errors) {
  auto missing_key = strategicMergePatch(
      deployment(), json::parse(R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})"),
      "apps/v1", "Deployment");
  ASSERT_FALSE(missing_key.ok());
  EXPECT_EQ(missing_key.status().code(), Code::kBadRequest);
  auto bad_directive = strategicMergePatch(deployment(), json::parse(R"({"$patch":"explode"})"),
                                           "apps/v1", "Deployment");
  EXPECT_EQ(bad_directive.status().code(), Code::kBadRequest);
  auto not_object = strategicMergePatch(deployment(), json::array(), "apps/v1", "Deployment");
  EXPECT_EQ(not_object.status().code(), Code::kBadRequest);
  auto cr = strategicMergePatch(json::object(), json::object(), "argoproj.io/v1alpha1", "Rollout");
  EXPECT_EQ(cr.status().code(), Code::kUnsupported);
  EXPECT_FALSE(supportsStrategicMerge("argoproj.io/v1alpha1", "Rollout"));
  EXPECT_TRUE(supportsStrategicMerge("apps/v1", "ReplicaSet"));
}

}  // namespace
}  // namespace vane::apiserver
