// The informer against the real vane-apiserver, including a SIGKILL and restart of the server
// mid-watch: the informer must recover and end with exactly the server's state.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>

#include "kube/client.h"
#include "kube/informer.h"
#include "support/process.h"

namespace vane::kube {
namespace {

using namespace std::chrono_literals;
using vane::testing::ApiServer;
using vane::testing::waitFor;

json configMap(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"data", {{"k", value}}}};
}

// name -> resourceVersion, from the server's list or the informer's cache.
using Snapshot = std::map<std::string, std::string>;

Snapshot serverState(Client& client) {
  Snapshot s;
  auto list = client.list(resources::kConfigMaps, "default");
  if (!list.ok()) return {{"<error>", list.status().toString()}};
  for (const auto& item : (*list)["items"]) {
    s[item["metadata"]["name"]] = item["metadata"]["resourceVersion"];
  }
  return s;
}

Snapshot cacheState(const Informer& informer) {
  Snapshot s;
  for (const auto& obj : informer.list("default")) {
    s[(*obj)["metadata"]["name"]] = (*obj)["metadata"]["resourceVersion"];
  }
  return s;
}

// What the handlers told us, replayed into a map: must equal the cache.
struct HandlerView {
  std::mutex mu;
  Snapshot state;
  EventHandlers handlers() {
    auto put = [this](const ObjectPtr& o) {
      std::lock_guard l(mu);
      state[(*o)["metadata"]["name"]] = (*o)["metadata"]["resourceVersion"];
    };
    return {put, [put](const ObjectPtr&, const ObjectPtr& n) { put(n); },
            [this](const ObjectPtr& o) {
              std::lock_guard l(mu);
              state.erase((*o)["metadata"]["name"]);
            }};
  }
  Snapshot get() {
    std::lock_guard l(mu);
    return state;
  }
};

TEST(KubeInformerIT, RecoversFromServerKillAndMissesNothing) {
  auto server = ApiServer::start();
  ASSERT_TRUE(server);
  auto cfg = loadKubeconfig(server->kubeconfig());
  ASSERT_TRUE(cfg.ok());
  cfg->qps = 0;
  auto client = std::move(Client::create(*cfg)).value();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        client->create(resources::kConfigMaps, "default", configMap("cm" + std::to_string(i), "0"))
            .ok());
  }
  InformerOptions opts;
  opts.namespace_ = "default";
  auto informer = Informer::create(*client, resources::kConfigMaps, opts);
  HandlerView view;
  informer->addHandlers(view.handlers());
  informer->start();
  ASSERT_TRUE(informer->waitForSync(10s));
  EXPECT_EQ(cacheState(*informer), serverState(*client));

  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client
                    ->patch(resources::kConfigMaps, "default", "cm" + std::to_string(i),
                            PatchType::kMerge, {{"data", {{"k", "1"}}}})
                    .ok());
  }
  ASSERT_TRUE(waitFor([&] { return cacheState(*informer) == serverState(*client); }, 10s));

  server->kill9();
  ASSERT_TRUE(server->restart());
  // Changes after the restart: updates, deletes and creates.
  for (int i = 5; i < 10; ++i) {
    ASSERT_TRUE(client
                    ->patch(resources::kConfigMaps, "default", "cm" + std::to_string(i),
                            PatchType::kMerge, {{"data", {{"k", "2"}}}})
                    .ok());
  }
  for (int i = 10; i < 13; ++i) {
    ASSERT_TRUE(client->remove(resources::kConfigMaps, "default", "cm" + std::to_string(i)).isOk());
  }
  ASSERT_TRUE(client->create(resources::kConfigMaps, "default", configMap("after", "3")).ok());
  Snapshot expected = serverState(*client);
  ASSERT_EQ(expected.size(), 18u);
  ASSERT_TRUE(waitFor([&] { return cacheState(*informer) == expected; }, 60s))
      << "cache has " << cacheState(*informer).size() << " objects";
  EXPECT_EQ(view.get(), expected) << "handlers missed an update";
  EXPECT_EQ((*informer->get("default", "cm7"))["data"]["k"], "2");
  informer->stop();
}

// Writes the informer does not see (another namespace) move the server's RV past the informer's;
// the restarted server keeps no history, so the re-watch gets 410 and the informer relists.
TEST(KubeInformerIT, RelistsOnGoneAfterRestart) {
  auto server = ApiServer::start();
  ASSERT_TRUE(server);
  auto cfg = loadKubeconfig(server->kubeconfig());
  ASSERT_TRUE(cfg.ok());
  auto client = std::move(Client::create(*cfg)).value();
  std::atomic<int> lists{0};
  client->setRequestObserver([&](const std::string& verb, const std::string& res, int code) {
    if (verb == "list" && res == "configmaps" && code == 200) lists++;
  });
  ASSERT_TRUE(
      client
          ->create(
              resources::kNamespaces, "",
              {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "elsewhere"}}}})
          .ok());
  ASSERT_TRUE(client->create(resources::kConfigMaps, "default", configMap("seen", "1")).ok());
  InformerOptions opts;
  opts.namespace_ = "default";
  auto informer = Informer::create(*client, resources::kConfigMaps, opts);
  informer->start();
  ASSERT_TRUE(informer->waitForSync(10s));
  EXPECT_EQ(lists.load(), 1);
  for (int i = 0; i < 3; ++i) {
    json cm = configMap("unseen" + std::to_string(i), "1");
    cm["metadata"]["namespace"] = "elsewhere";
    ASSERT_TRUE(client->create(resources::kConfigMaps, "elsewhere", cm).ok());
  }
  server->kill9();
  ASSERT_TRUE(server->restart());
  ASSERT_TRUE(client->create(resources::kConfigMaps, "default", configMap("later", "1")).ok());
  Snapshot expected = serverState(*client);
  ASSERT_TRUE(waitFor([&] { return cacheState(*informer) == expected; }, 60s));
  EXPECT_GE(lists.load(), 2) << "the 410 should have caused a relist";
  informer->stop();
}

TEST(KubeInformerIT, LabelSelectorAndOwnerIndex) {
  auto server = ApiServer::start();
  ASSERT_TRUE(server);
  auto client = std::move(Client::create(*loadKubeconfig(server->kubeconfig()))).value();
  // A real owner: the server's garbage collector deletes objects whose owner does not exist.
  auto parent = client->create(resources::kConfigMaps, "default", configMap("parent", "1"));
  ASSERT_TRUE(parent.ok());
  std::string uid = (*parent)["metadata"]["uid"];
  json owned = configMap("owned", "1");
  owned["metadata"]["labels"] = {{"team", "a"}};
  owned["metadata"]["ownerReferences"] = {{{"apiVersion", "v1"},
                                           {"kind", "ConfigMap"},
                                           {"name", "parent"},
                                           {"uid", uid},
                                           {"controller", true}}};
  ASSERT_TRUE(client->create(resources::kConfigMaps, "default", owned).ok());
  ASSERT_TRUE(client->create(resources::kConfigMaps, "default", configMap("other", "1")).ok());
  InformerOptions opts;
  opts.label_selector = "team=a";
  auto informer = Informer::create(*client, resources::kConfigMaps, opts);
  informer->start();
  ASSERT_TRUE(informer->waitForSync(10s));
  EXPECT_EQ(informer->size(), 1u);
  ASSERT_EQ(informer->byIndex(kIndexOwner, uid).size(), 1u);
  EXPECT_EQ(informer->get("default", "other"), nullptr);
  informer->stop();
}

}  // namespace
}  // namespace vane::kube
