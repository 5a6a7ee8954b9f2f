// The RBAC authoriser, the token file and the request attributes of vane-apiserver.
#include "apiserver/rbac.h"

#include <gtest/gtest.h>

#include "apiserver/auth_reviews.h"

namespace vane::apiserver {
namespace {

using json = nlohmann::json;

class RbacTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Store::open({}).value(); }

  void put(const std::string& plural, const std::string& ns, const std::string& yamlish) {
    json obj = json::parse(yamlish);
    std::string name = obj["metadata"]["name"];
    if (!ns.empty()) obj["metadata"]["namespace"] = ns;
    ASSERT_TRUE(store_->create({"rbac.authorization.k8s.io/" + plural, ns, name}, obj).ok());
  }

  RequestAttributes res(const std::string& verb, const std::string& group,
                        const std::string& resource, const std::string& ns,
                        const std::string& subresource = "", const std::string& name = "") {
    RequestAttributes a;
    a.resource_request = true;
    a.verb = verb;
    a.api_group = group;
    a.resource = resource;
    a.namespace_ = ns;
    a.subresource = subresource;
    a.name = name;
    return a;
  }

  std::unique_ptr<Store> store_;
};

const UserInfo kAlice{"alice", "1", {"release", "system:authenticated"}};
const UserInfo kBob{"bob", "2", {"system:authenticated"}};
const UserInfo kRoot{"root", "0", {"system:masters"}};
const UserInfo kDashboard{"system:serviceaccount:vane:dashboard", "3", {}};

TEST_F(RbacTest, RoleBindingGrantsOnlyItsNamespaceVerbsAndResources) {
  put("roles", "prod",
      R"({"metadata":{"name":"promoter"},"rules":[{"apiGroups":["argoproj.io"],
          "resources":["rollouts","rollouts/status"],"verbs":["get","list","patch"]}]})");
  put("rolebindings", "prod",
      R"({"metadata":{"name":"release-promoter"},"roleRef":{"kind":"Role","name":"promoter"},
          "subjects":[{"kind":"Group","name":"release"}]})");
  RbacAuthorizer authz(*store_);
  EXPECT_TRUE(authz.allowed(kAlice, res("patch", "argoproj.io", "rollouts", "prod", "status")));
  EXPECT_TRUE(authz.allowed(kAlice, res("patch", "argoproj.io", "rollouts", "prod")));
  EXPECT_FALSE(authz.allowed(kAlice, res("delete", "argoproj.io", "rollouts", "prod")));
  EXPECT_FALSE(authz.allowed(kAlice, res("patch", "argoproj.io", "rollouts", "dev")));
  EXPECT_FALSE(authz.allowed(kAlice, res("patch", "argoproj.io", "rollouts", "prod", "scale")));
  EXPECT_FALSE(authz.allowed(kAlice, res("get", "", "pods", "prod")));
  EXPECT_FALSE(authz.allowed(kBob, res("get", "argoproj.io", "rollouts", "prod")));
  EXPECT_TRUE(authz.allowed(kRoot, res("delete", "", "namespaces", "", "", "prod")));
}

TEST_F(RbacTest, ClusterRoleBindingsAndClusterRolesInRoleBindings) {
  put("clusterroles", "",
      R"({"metadata":{"name":"viewer"},"rules":[{"apiGroups":["*"],"resources":["*"],
          "verbs":["get","list","watch"]}]})");
  put("clusterrolebindings", "",
      R"({"metadata":{"name":"bob-views"},"roleRef":{"kind":"ClusterRole","name":"viewer"},
          "subjects":[{"kind":"User","name":"bob"}]})");
  put("clusterroles", "",
      R"({"metadata":{"name":"reviewer"},"rules":[{"apiGroups":["authorization.k8s.io"],
          "resources":["subjectaccessreviews"],"verbs":["create"]},
          {"apiGroups":["argoproj.io"],"resources":["rollouts"],"resourceNames":["web"],
           "verbs":["patch"]}]})");
  put("rolebindings", "vane",
      R"({"metadata":{"name":"dash"},"roleRef":{"kind":"ClusterRole","name":"reviewer"},
          "subjects":[{"kind":"ServiceAccount","name":"dashboard"}]})");
  RbacAuthorizer authz(*store_);
  EXPECT_TRUE(authz.allowed(kBob, res("list", "argoproj.io", "rollouts", "")));
  EXPECT_TRUE(authz.allowed(kBob, res("watch", "", "pods", "dev")));
  EXPECT_FALSE(authz.allowed(kBob, res("patch", "argoproj.io", "rollouts", "dev")));
  // A ClusterRole bound by a RoleBinding grants only in that namespace; resourceNames narrow it.
  EXPECT_TRUE(
      authz.allowed(kDashboard, res("patch", "argoproj.io", "rollouts", "vane", "", "web")));
  EXPECT_FALSE(
      authz.allowed(kDashboard, res("patch", "argoproj.io", "rollouts", "vane", "", "api")));
  EXPECT_FALSE(
      authz.allowed(kDashboard, res("patch", "argoproj.io", "rollouts", "prod", "", "web")));
  EXPECT_FALSE(
      authz.allowed(kDashboard, res("create", "authorization.k8s.io", "subjectaccessreviews", "")));
}

TEST_F(RbacTest, DiscoveryIsOpenToAuthenticatedUsers) {
  RbacAuthorizer authz(*store_);
  RequestAttributes a;
  a.verb = "get";
  a.path = "/apis";
  EXPECT_TRUE(authz.allowed(kBob, a));
  a.path = "/metrics";
  EXPECT_FALSE(authz.allowed(kBob, a));
}

TEST(RequestAttributes, FromPaths) {
  http::Request r;
  r.method = "PATCH";
  r.path = "/apis/argoproj.io/v1alpha1/namespaces/prod/rollouts/web/status";
  RequestAttributes a = requestAttributes(r);
  EXPECT_TRUE(a.resource_request);
  EXPECT_EQ(a.verb, "patch");
  EXPECT_EQ(a.api_group, "argoproj.io");
  EXPECT_EQ(a.resource, "rollouts");
  EXPECT_EQ(a.subresource, "status");
  EXPECT_EQ(a.namespace_, "prod");
  EXPECT_EQ(a.name, "web");
  EXPECT_EQ(forbiddenReason(kBob, a),
            "User \"bob\" cannot patch resource \"rollouts/status\" in API group \"argoproj.io\" "
            "in the namespace \"prod\"");

  r.method = "GET";
  r.path = "/api/v1/pods";
  r.query = {{"watch", "true"}};
  a = requestAttributes(r);
  EXPECT_EQ(a.verb, "watch");
  EXPECT_EQ(a.resource, "pods");
  EXPECT_EQ(a.namespace_, "");

  r.query.clear();
  r.path = "/api/v1/namespaces/prod";
  a = requestAttributes(r);
  EXPECT_EQ(a.verb, "get");
  EXPECT_EQ(a.resource, "namespaces");
  EXPECT_EQ(a.name, "prod");

  r.path = "/apis/argoproj.io/v1alpha1";
  a = requestAttributes(r);
  EXPECT_FALSE(a.resource_request);
  EXPECT_EQ(a.path, "/apis/argoproj.io/v1alpha1");

  r.method = "DELETE";
  r.path = "/api/v1/namespaces/prod/pods";
  EXPECT_EQ(requestAttributes(r).verb, "deletecollection");
}

TEST(TokenFile, CsvWithGroupsAndTheOldSingleToken) {
  auto users = parseTokenFile("t1,alice,1,\"release,dev\"\nt2,bob,2\n\n");
  ASSERT_TRUE(users.ok()) << users.status().toString();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ(users->at("t1").name, "alice");
  EXPECT_EQ(users->at("t1").groups, (std::vector<std::string>{"release", "dev"}));
  EXPECT_TRUE(users->at("t2").groups.empty());

  auto old = parseTokenFile("s3cr3t\n");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->at("s3cr3t").groups, std::vector<std::string>{"system:masters"});

  auto bad = parseTokenFile("t1,alice,1\nt2\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "line 2");
  EXPECT_FALSE(parseTokenFile("t1,a,1\nt1,b,2\n").ok());
}

TEST_F(RbacTest, ReviewsAnswerForTheTokenFileAndTheRoles) {
  put("clusterroles", "",
      R"({"metadata":{"name":"viewer"},"rules":[{"apiGroups":["argoproj.io"],
          "resources":["rollouts"],"verbs":["list"]}]})");
  put("clusterrolebindings", "",
      R"({"metadata":{"name":"bob-views"},"roleRef":{"kind":"ClusterRole","name":"viewer"},
          "subjects":[{"kind":"User","name":"bob"}]})");
  Auth auth(*store_, {{"root-token", kRoot}, {"bob-token", UserInfo{"bob", "2", {}}}}, true);
  http::Request tr;
  tr.method = "POST";
  tr.path = "/apis/authentication.k8s.io/v1/tokenreviews";
  tr.body = R"({"spec":{"token":"bob-token"}})";
  auto r = auth.serveReviews(tr);
  ASSERT_TRUE(r);
  json body = json::parse(r->body);
  EXPECT_TRUE(body["status"]["authenticated"].get<bool>());
  EXPECT_EQ(body["status"]["user"]["username"], "bob");
  tr.body = R"({"spec":{"token":"nope"}})";
  EXPECT_FALSE(json::parse(auth.serveReviews(tr)->body)["status"]["authenticated"].get<bool>());

  http::Request sar;
  sar.method = "POST";
  sar.path = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
  sar.body = R"({"spec":{"user":"bob","groups":["system:authenticated"],"resourceAttributes":
      {"namespace":"prod","verb":"list","group":"argoproj.io","resource":"rollouts"}}})";
  EXPECT_TRUE(json::parse(auth.serveReviews(sar)->body)["status"]["allowed"].get<bool>());
  sar.body = R"({"spec":{"user":"bob","resourceAttributes":{"namespace":"prod","verb":"patch",
      "group":"argoproj.io","resource":"rollouts","subresource":"status"}}})";
  json denied = json::parse(auth.serveReviews(sar)->body);
  EXPECT_FALSE(denied["status"]["allowed"].get<bool>());
  EXPECT_NE(denied["status"]["reason"].get<std::string>().find("cannot patch"), std::string::npos);

  // Requests: no token 401, bob's patch 403, root anything.
  http::Request patch;
  patch.method = "PATCH";
  patch.path = "/apis/argoproj.io/v1alpha1/namespaces/prod/rollouts/web";
  EXPECT_EQ(auth.check(patch)->status, 401);
  patch.headers = {{"Authorization", "Bearer bob-token"}};
  auto refused = auth.check(patch);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(refused->body.find("rollouts.argoproj.io \\\"web\\\" is forbidden"), std::string::npos)
      << refused->body;
  patch.headers = {{"Authorization", "Bearer root-token"}};
  EXPECT_FALSE(auth.check(patch));
}

}  // namespace
}  // namespace vane::apiserver
