// The informer against a small in-test API (vane::http::Server) whose watch history can be
// compacted and whose streams can be cut, to force re-watches and 410 relists deterministically.
// The real vane-apiserver is exercised in tests/integration/kube_informer_test.cc.
#include "kube/informer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "kube/http.h"

namespace vane::kube {
namespace {

using namespace std::chrono_literals;

bool waitUntil(const std::function<bool()>& fn, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!fn()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class FakeApi {
 public:
  FakeApi() {
    auto s = http::Server::start({}, [this](const http::Request& r) { return handle(r); });
    server_ = std::move(*s);
  }
  ~FakeApi() { server_->stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  void put(const std::string& ns, const std::string& name, json labels = json::object(),
           std::string owner_uid = "") {
    std::lock_guard lock(mu_);
    json obj = {{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata",
                 {{"name", name},
                  {"namespace", ns},
                  {"labels", labels},
                  {"resourceVersion", std::to_string(++rv_)}}},
                {"data", {{"k", "v"}}}};
    if (!owner_uid.empty()) {
      obj["metadata"]["ownerReferences"] = {{{"uid", owner_uid}, {"controller", true}}};
    }
    std::string type = objects_.count(ns + "/" + name) ? "MODIFIED" : "ADDED";
    objects_[ns + "/" + name] = obj;
    emit(type, obj);
  }
  void remove(const std::string& ns, const std::string& name) {
    std::lock_guard lock(mu_);
    json obj = objects_.at(ns + "/" + name);
    objects_.erase(ns + "/" + name);
    obj["metadata"]["resourceVersion"] = std::to_string(++rv_);
    emit("DELETED", obj);
  }
  // Forget the history: a watch from any older RV now gets 410.
  void compact() {
    std::lock_guard lock(mu_);
    oldest_ = rv_;
    history_.clear();
  }
  void cutWatches() {
    std::lock_guard lock(mu_);
    for (auto& w : writers_) w->close();
    writers_.clear();
  }
  void pauseWatches(bool paused) {
    std::lock_guard lock(mu_);
    paused_ = paused;
  }
  int lists() {
    std::lock_guard lock(mu_);
    return lists_;
  }
  std::vector<std::string> accepts() {
    std::lock_guard lock(mu_);
    return accepts_;
  }
  int gones() {
    std::lock_guard lock(mu_);
    return gones_;
  }

 private:
  void emit(const std::string& type, const json& obj) {
    std::string line = json{{"type", type}, {"object", obj}}.dump() + "\n";
    history_.push_back({rv_, line});
    for (auto& w : writers_) w->write(line);
  }
  http::Response handle(const http::Request& r) {
    std::lock_guard lock(mu_);
    accepts_.push_back(r.header("Accept").value_or(""));
    if (r.param("watch") != "true") {
      ++lists_;
      json items = json::array();
      for (const auto& [k, v] : objects_) items.push_back(v);
      return http::Response::json(200,
                                  json{{"kind", "ConfigMapList"},
                                       {"apiVersion", "v1"},
                                       {"metadata", {{"resourceVersion", std::to_string(rv_)}}},
                                       {"items", items}}
                                      .dump());
    }
    if (paused_) return http::Response::json(503, R"({"kind":"Status","code":503})");
    int64_t from = std::stoll(r.param("resourceVersion").value_or("0"));
    http::Response resp;
    // The stream callback runs on the server's thread after handle() returned: take the lock
    // there, so the backlog and the registration see the same history.
    resp.stream = [this, from](std::shared_ptr<http::StreamWriter> w) {
      std::lock_guard lock(mu_);
      if (from < oldest_) {
        ++gones_;
        w->write(R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})"
                 "\n");
        w->close();
        return;
      }
      for (const auto& [rv, line] : history_) {
        if (rv > from) w->write(line);
      }
      writers_.push_back(w);
    };
    return resp;
  }

  std::recursive_mutex mu_;
  std::unique_ptr<http::Server> server_;
  std::map<std::string, json> objects_;
  std::vector<std::pair<int64_t, std::string>> history_;
  std::vector<std::shared_ptr<http::StreamWriter>> writers_;
  int64_t rv_ = 1, oldest_ = 0;
  int lists_ = 0, gones_ = 0;
  std::vector<std::string> accepts_;  // the Accept header of every request
  bool paused_ = false;
};

struct Counts {
  std::mutex mu;
  std::set<std::string> live;
  int adds = 0, updates = 0, deletes = 0;
  EventHandlers handlers() {
    auto key = [](const ObjectPtr& o) { return (*o)["metadata"]["name"].get<std::string>(); };
    return {[this, key](const ObjectPtr& o) {
              std::lock_guard l(mu);
              ++adds;
              live.insert(key(o));
            },
            [this](const ObjectPtr&, const ObjectPtr&) {
              std::lock_guard l(mu);
              ++updates;
            },
            [this, key](const ObjectPtr& o) {
              std::lock_guard l(mu);
              ++deletes;
              live.erase(key(o));
            }};
  }
  std::set<std::string> snapshot() {
    std::lock_guard l(mu);
    return live;
  }
};

std::unique_ptr<Client> clientFor(const FakeApi& api) {
  RestConfig cfg;
  cfg.server = api.url();
  cfg.qps = 0;
  return std::move(Client::create(cfg)).value();
}

TEST(InformerTest, ListWatchIndexesAndHandlers) {
  FakeApi api;
  api.put("a", "one", {{"app", "x"}}, "owner-1");
  auto client = clientFor(api);
  InformerOptions opts;
  opts.transform = [](json& o) { o["metadata"].erase("labels"); };
  auto inf = Informer::create(*client, resources::kConfigMaps, opts);
  inf->addIndex("first-letter", [](const json& o) {
    return std::vector<std::string>{o["metadata"]["name"].get<std::string>().substr(0, 1)};
  });
  Counts counts;
  inf->addHandlers(counts.handlers());
  inf->start();
  ASSERT_TRUE(inf->waitForSync(5s));
  ASSERT_TRUE(inf->get("a", "one"));
  EXPECT_FALSE(inf->get("a", "one")->at("metadata").contains("labels")) << "transform applied";
  api.put("b", "two", {}, "owner-1");
  api.put("b", "three");
  ASSERT_TRUE(waitUntil([&] { return inf->size() == 3; }));
  EXPECT_EQ(inf->list("b").size(), 2u);
  EXPECT_EQ(inf->byIndex(kIndexOwner, "owner-1").size(), 2u);
  EXPECT_EQ(inf->byIndex("first-letter", "t").size(), 2u);
  api.put("b", "two");  // drops the owner
  api.remove("b", "three");
  ASSERT_TRUE(waitUntil([&] { return inf->size() == 2; }));
  ASSERT_TRUE(waitUntil([&] { return inf->byIndex(kIndexOwner, "owner-1").size() == 1; }));
  EXPECT_EQ(counts.snapshot(), (std::set<std::string>{"one", "two"}));
  // Handlers added late get the cache replayed as adds.
  Counts late;
  inf->addHandlers(late.handlers());
  EXPECT_EQ(late.snapshot(), (std::set<std::string>{"one", "two"}));
  inf->stop();
}

// The typed view: decoded once as an object enters the cache; the cache itself keeps JSON text
// (store_encoded) and, metadata_only, nothing but the metadata, whether or not the server honours
// the PartialObjectMetadata media type it is asked for (this one does not).
struct Labelled {
  std::string name;
  std::size_t labels = 0;
};

TEST(InformerTest, TypedEncodedMetadataOnly) {
  FakeApi api;
  api.put("a", "one", {{"app", "x"}}, "owner-1");
  auto client = clientFor(api);
  InformerOptions opts;
  opts.store_encoded = true;
  opts.metadata_only = true;
  std::atomic<int> decoded{0};
  setDecoder<Labelled>(opts, [&](const json& o) -> std::shared_ptr<const Labelled> {
    ++decoded;
    if (o["metadata"]["name"] == "bad") return nullptr;
    return std::make_shared<const Labelled>(
        Labelled{o["metadata"]["name"], o["metadata"].value("labels", json::object()).size()});
  });
  auto inf = Informer::create(*client, resources::kConfigMaps, opts);
  inf->start();
  ASSERT_TRUE(inf->waitForSync(5s));
  TypedInformer<Labelled> typed(*inf);
  ASSERT_TRUE(typed.get("a", "one"));
  EXPECT_EQ(typed.get("a", "one")->labels, 1u);
  EXPECT_EQ(decoded.load(), 1);
  // Reads of the typed view decode nothing.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(typed.byIndex(kIndexOwner, "owner-1").size(), 1u);
  EXPECT_EQ(decoded.load(), 1);
  // The JSON reads parse the stored text: metadata only.
  ObjectPtr one = inf->get("a", "one");
  ASSERT_TRUE(one);
  EXPECT_EQ((*one)["metadata"]["labels"]["app"], "x");
  EXPECT_FALSE(one->contains("data")) << one->dump();
  // Replacing and removing keep the indexes right without decoding the stored object again.
  api.put("a", "one", {{"app", "x"}, {"tier", "web"}});  // drops the owner
  api.put("a", "bad", json::object(), "owner-1");
  ASSERT_TRUE(waitUntil([&] { return inf->size() == 2; }));
  ASSERT_TRUE(waitUntil([&] { return typed.get("a", "one")->labels == 2; }));
  EXPECT_TRUE(typed.byIndex(kIndexOwner, "owner-1").empty()) << "bad has no typed view";
  EXPECT_EQ(inf->byIndex(kIndexOwner, "owner-1").size(), 1u);
  EXPECT_EQ(typed.list().size(), 1u);
  api.remove("a", "one");
  ASSERT_TRUE(waitUntil([&] { return inf->size() == 1; }));
  EXPECT_EQ(typed.get("a", "one"), nullptr);
  EXPECT_EQ(inf->list("a").size(), 1u);
  const auto accepts = api.accepts();
  ASSERT_GE(accepts.size(), 2u);
  EXPECT_EQ(accepts[0],
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json");
  EXPECT_EQ(accepts[1],
            "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json");
  inf->stop();
}

TEST(InformerTest, RewatchesFromLastRvAndRelistsOnGone) {
  FakeApi api;
  api.put("a", "one");
  auto client = clientFor(api);
  auto inf = Informer::create(*client, resources::kConfigMaps);
  Counts counts;
  inf->addHandlers(counts.handlers());
  inf->start();
  ASSERT_TRUE(inf->waitForSync(5s));
  EXPECT_EQ(api.lists(), 1);

  // A cut stream resumes from the last RV without a relist and without losing events.
  api.cutWatches();
  api.put("a", "two");
  ASSERT_TRUE(waitUntil([&] { return inf->get("a", "two") != nullptr; }));
  EXPECT_EQ(api.lists(), 1);

  // Changes while disconnected, then history compacted: 410, relist, and the deletion is seen.
  api.pauseWatches(true);
  api.cutWatches();
  api.remove("a", "one");
  api.put("a", "three");
  api.compact();
  api.pauseWatches(false);
  ASSERT_TRUE(waitUntil(
      [&] {
        return counts.snapshot() == std::set<std::string>{"two", "three"};
      },
      20s));
  EXPECT_GE(api.gones(), 1);
  EXPECT_GE(api.lists(), 2);
  EXPECT_EQ(inf->size(), 2u);
  inf->stop();
}

TEST(InformerTest, StripManagedFieldsKeepsEverythingElse) {
  json obj = {{"metadata",
               {{"name", "web"},
                {"managedFields", json::array({{{"manager", "kubectl"}}})},
                {"annotations",
                 {{"kubectl.kubernetes.io/last-applied-configuration", "{\"spec\":{}}"},
                  {"rollout.argoproj.io/revision", "3"}}}}},
              {"spec", {{"replicas", 2}}}};
  stripManagedFields(obj);
  EXPECT_EQ(obj,
            (json{{"metadata",
                   {{"name", "web"}, {"annotations", {{"rollout.argoproj.io/revision", "3"}}}}},
                  {"spec", {{"replicas", 2}}}}));
  json odd = {{"metadata", "not an object"}};
  stripManagedFields(odd);  // left alone
  EXPECT_EQ(odd["metadata"], "not an object");
  json no_annotations = {{"metadata", {{"name", "x"}, {"annotations", nullptr}}}};
  stripManagedFields(no_annotations);
  EXPECT_TRUE(no_annotations["metadata"]["annotations"].is_null());
}

TEST(InformerTest, ResyncRedeliversCachedObjects) {
  FakeApi api;
  api.put("a", "one");
  auto client = clientFor(api);
  InformerOptions opts;
  opts.resync = 1s;
  auto inf = Informer::create(*client, resources::kConfigMaps, opts);
  Counts counts;
  inf->addHandlers(counts.handlers());
  inf->start();
  ASSERT_TRUE(waitUntil([&] {
    std::lock_guard l(counts.mu);
    return counts.updates >= 1;
  }));
  inf->stop();
}

}  // namespace
}  // namespace vane::kube
