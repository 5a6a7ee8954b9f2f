// The REST client and the event recorder against the real vane-apiserver: every verb, the typed
// errors the server produces, optimistic concurrency, watch resume and 410, HTTPS with a token.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "kube/client.h"
#include "kube/events.h"
#include "support/process.h"

namespace vane::kube {
namespace {

using namespace std::chrono_literals;
using vane::testing::ApiServer;
using vane::testing::waitFor;

std::unique_ptr<Client> connect(const ApiServer& server) {
  auto cfg = loadKubeconfig(server.kubeconfig());
  EXPECT_TRUE(cfg.ok()) << cfg.status().toString();
  if (!cfg.ok()) return nullptr;
  auto client = Client::create(*cfg);
  EXPECT_TRUE(client.ok()) << client.status().toString();
  return client.ok() ? std::move(*client) : nullptr;
}

json configMap(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "demo"}}}}},
          {"data", {{"k", value}}}};
}

class KubeClientIT : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = ApiServer::start().release(); }
  static void TearDownTestSuite() { delete server_; }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    client_ = connect(*server_);
    ASSERT_TRUE(client_);
  }
  static ApiServer* server_;
  std::unique_ptr<Client> client_;
};
ApiServer* KubeClientIT::server_ = nullptr;

TEST_F(KubeClientIT, EveryVerb) {
  auto created = client_->create(resources::kConfigMaps, "default", configMap("verbs", "1"));
  ASSERT_TRUE(created.ok()) << created.status().toString();
  EXPECT_FALSE((*created)["metadata"].value("uid", "").empty());

  auto got = client_->get(resources::kConfigMaps, "default", "verbs");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["data"]["k"], "1");

  json changed = *got;
  changed["data"]["k"] = "2";
  auto updated = client_->update(resources::kConfigMaps, "default", changed);
  ASSERT_TRUE(updated.ok()) << updated.status().toString();
  EXPECT_EQ((*updated)["data"]["k"], "2");

  auto merged = client_->patch(resources::kConfigMaps, "default", "verbs", PatchType::kMerge,
                               {{"data", {{"m", "merge"}}}});
  ASSERT_TRUE(merged.ok()) << merged.status().toString();
  EXPECT_EQ((*merged)["data"]["m"], "merge");
  auto jsonp =
      client_->patch(resources::kConfigMaps, "default", "verbs", PatchType::kJson,
                     json::array({{{"op", "replace"}, {"path", "/data/k"}, {"value", "3"}}}));
  ASSERT_TRUE(jsonp.ok()) << jsonp.status().toString();
  EXPECT_EQ((*jsonp)["data"]["k"], "3");
  auto smp = client_->patch(resources::kConfigMaps, "default", "verbs", PatchType::kStrategicMerge,
                            {{"data", {{"s", "smp"}}}});
  ASSERT_TRUE(smp.ok()) << smp.status().toString();
  EXPECT_EQ((*smp)["data"]["s"], "smp");

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        client_
            ->create(resources::kConfigMaps, "default", configMap("page-" + std::to_string(i), "p"))
            .ok());
  }
  ListOptions lo;
  lo.label_selector = "app=demo";
  lo.limit = 2;
  std::set<std::string> names;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = client_->list(resources::kConfigMaps, "default", lo);
    ASSERT_TRUE(page.ok()) << page.status().toString();
    EXPECT_LE((*page)["items"].size(), 2u);
    for (const auto& item : (*page)["items"]) names.insert(item["metadata"]["name"]);
    lo.continue_token = (*page)["metadata"].value("continue", "");
    if (lo.continue_token.empty()) break;
  }
  EXPECT_TRUE(names.count("verbs") && names.count("page-0") && names.count("page-2"));
  ListOptions by_field;
  by_field.field_selector = "metadata.name=page-1";
  auto one = client_->list(resources::kConfigMaps, "", by_field);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ((*one)["items"].size(), 1u);

  ASSERT_TRUE(client_->remove(resources::kConfigMaps, "default", "verbs").isOk());
  EXPECT_EQ(client_->get(resources::kConfigMaps, "default", "verbs").status().code(),
            Code::kNotFound);
  auto version = client_->raw("GET", "/version");
  ASSERT_TRUE(version.ok());
  EXPECT_TRUE((*version).contains("gitVersion"));
}

TEST_F(KubeClientIT, TypedErrors) {
  Status missing = client_->get(resources::kConfigMaps, "default", "nope").status();
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_EQ(missing.message(), "configmaps \"nope\" not found");

  ASSERT_TRUE(client_->create(resources::kConfigMaps, "default", configMap("dup", "1")).ok());
  EXPECT_EQ(
      client_->create(resources::kConfigMaps, "default", configMap("dup", "1")).status().code(),
      Code::kAlreadyExists);

  Status invalid =
      client_->create(resources::kConfigMaps, "default", configMap("Not_A_Name", "1")).status();
  EXPECT_EQ(invalid.code(), Code::kInvalid);
  EXPECT_EQ(invalid.field(), "metadata.name");

  Status forbidden = client_->remove(resources::kNamespaces, "", "default");
  EXPECT_EQ(forbidden.code(), Code::kForbidden) << forbidden.toString();

  json in_ghost = configMap("x", "1");
  in_ghost["metadata"]["namespace"] = "ghost";
  Status no_ns = client_->create(resources::kConfigMaps, "ghost", in_ghost).status();
  EXPECT_EQ(no_ns.code(), Code::kNotFound) << no_ns.toString();
  json elsewhere = configMap("y", "1");  // body says default, URL says ghost
  EXPECT_EQ(client_->create(resources::kConfigMaps, "ghost", elsewhere).status().code(),
            Code::kBadRequest);
}

TEST_F(KubeClientIT, StaleWriteConflicts) {
  auto v1 = client_->create(resources::kConfigMaps, "default", configMap("cas", "1"));
  ASSERT_TRUE(v1.ok());
  json a = *v1, b = *v1;
  a["data"]["k"] = "a";
  b["data"]["k"] = "b";
  ASSERT_TRUE(client_->update(resources::kConfigMaps, "default", a).ok());
  Status stale = client_->update(resources::kConfigMaps, "default", b).status();
  EXPECT_EQ(stale.code(), Code::kConflict) << stale.toString();
  EXPECT_FALSE(stale.retryable());
  DeleteOptions pre;
  pre.precondition_resource_version = (*v1)["metadata"]["resourceVersion"];
  EXPECT_EQ(client_->remove(resources::kConfigMaps, "default", "cas", pre).code(), Code::kConflict);
}

TEST_F(KubeClientIT, WatchResumesFromResourceVersion) {
  auto list = client_->list(resources::kConfigMaps, "default");
  ASSERT_TRUE(list.ok());
  std::string rv = (*list)["metadata"]["resourceVersion"];
  ASSERT_TRUE(client_->create(resources::kConfigMaps, "default", configMap("w1", "1")).ok());
  ASSERT_TRUE(client_
                  ->patch(resources::kConfigMaps, "default", "w1", PatchType::kMerge,
                          {{"data", {{"k", "2"}}}})
                  .ok());
  ASSERT_TRUE(client_->remove(resources::kConfigMaps, "default", "w1").isOk());
  ListOptions lo;
  lo.resource_version = rv;
  lo.timeout_seconds = 5;
  auto watch = client_->watch(resources::kConfigMaps, "default", lo);
  ASSERT_TRUE(watch.ok()) << watch.status().toString();
  std::vector<std::string> seen;
  while (seen.size() < 3) {
    auto e = (*watch)->next();
    ASSERT_TRUE(e.has_value()) << (*watch)->error().toString();
    if (e->type == "BOOKMARK") continue;
    ASSERT_EQ(e->object["metadata"]["name"], "w1");
    seen.push_back(e->type);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"}));
  // cancel() unblocks a waiting next() from another thread.
  std::thread canceller([&] { (*watch)->cancel(); });
  while ((*watch)->next()) {
  }
  canceller.join();
}

TEST_F(KubeClientIT, EventsAreCreatedThenAggregated) {
  auto owner = client_->create(resources::kConfigMaps, "default", configMap("evented", "1"));
  ASSERT_TRUE(owner.ok());
  auto recorder = EventRecorder::create(*client_, {});
  EXPECT_TRUE(recorder->event(*owner, kEventTypeNormal, "Synced", "first"));
  EXPECT_TRUE(recorder->event(*owner, kEventTypeNormal, "Synced", "first"));
  EXPECT_TRUE(recorder->event(*owner, kEventTypeWarning, "Failed", "other"));
  ASSERT_TRUE(recorder->flush(10s));
  ListOptions lo;
  lo.field_selector = "involvedObject.name=evented";
  auto events = client_->list(resources::kEvents, "default", lo);
  ASSERT_TRUE(events.ok()) << events.status().toString();
  ASSERT_EQ((*events)["items"].size(), 2u);
  std::map<std::string, json> by_reason;
  for (const auto& e : (*events)["items"]) by_reason[e["reason"]] = e;
  EXPECT_EQ(by_reason["Synced"]["count"], 2);
  EXPECT_EQ(by_reason["Synced"]["type"], "Normal");
  EXPECT_EQ(by_reason["Synced"]["involvedObject"]["uid"], (*owner)["metadata"]["uid"]);
  EXPECT_EQ(by_reason["Synced"]["source"]["component"], "vane-controller");
  EXPECT_EQ(by_reason["Failed"]["count"], 1);
  EXPECT_EQ(by_reason["Failed"]["type"], "Warning");
  std::string name = by_reason["Synced"]["metadata"]["name"];
  EXPECT_EQ(name.rfind("evented.", 0), 0u) << name;
  recorder->stop();
}

// A restarted server keeps no watch history: a watch from an old RV gets 410 Gone.
TEST(KubeClientRestartIT, WatchFromCompactedRvIsGone) {
  auto server = ApiServer::start();
  ASSERT_TRUE(server);
  auto client = connect(*server);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        client->create(resources::kConfigMaps, "default", configMap("g" + std::to_string(i), "1"))
            .ok());
  }
  ASSERT_TRUE(server->restart());
  ListOptions lo;
  lo.resource_version = "1";
  auto watch = client->watch(resources::kConfigMaps, "default", lo);
  if (watch.ok()) {
    auto e = (*watch)->next();
    ASSERT_TRUE(e.has_value()) << (*watch)->error().toString();
    EXPECT_EQ(e->type, "ERROR");
    EXPECT_EQ(e->object.value("code", 0), 410);
  } else {
    EXPECT_EQ(watch.status().code(), Code::kGone);
  }
}

TEST(KubeClientTlsIT, HttpsWithTokenAuth) {
  ApiServer::Options opts;
  opts.tls = true;
  opts.token = "s3cret-token";
  auto server = ApiServer::start(opts);
  ASSERT_TRUE(server);
  auto cfg = loadKubeconfig(server->kubeconfig());
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->server.rfind("https://", 0), 0u);
  auto client = Client::create(*cfg);
  ASSERT_TRUE(client.ok()) << client.status().toString();
  auto created = (*client)->create(resources::kConfigMaps, "default", configMap("tls", "1"));
  ASSERT_TRUE(created.ok()) << created.status().toString();

  RestConfig no_token = *cfg;
  no_token.token.clear();
  no_token.token_file.clear();
  auto anonymous = Client::create(no_token);
  EXPECT_EQ((*anonymous)->get(resources::kConfigMaps, "default", "tls").status().code(),
            Code::kUnauthorized);

  RestConfig wrong_ca = *cfg;
  wrong_ca.ca_file.clear();
  wrong_ca.ca_pem.clear();  // system roots do not know the server's self-made CA
  auto untrusted = Client::create(wrong_ca);
  auto r = (*untrusted)->get(resources::kConfigMaps, "default", "tls");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace vane::kube
