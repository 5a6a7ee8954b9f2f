// The reconciler's stale-cache guard (Argo's resourceversion tracker): after the controller wrote
// a Rollout, a reconcile whose informer cache still holds an older version plans nothing and asks
// for a requeue after 100 ms (Argo StaleCacheRequeueDelay) instead of holding the worker. The API
// is a small in-test server whose watches deliver nothing, so the cache stays stale for certain.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "controller/reconciler.h"
#include "kube/http.h"
#include "kube/informer.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Lists (the one Rollout at resourceVersion 5, nothing else), silent watches, and writes answered
// with rising resourceVersions; every write's method and path is recorded.
class StaleCacheApi {
 public:
  StaleCacheApi() {
    auto s = http::Server::start({}, [this](const http::Request& r) { return handle(r); });
    server_ = std::move(*s);
  }
  ~StaleCacheApi() {
    {
      std::lock_guard lock(mu_);
      for (auto& w : watches_) w->close();
    }
    server_->stop();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::vector<std::string> writes() {
    std::lock_guard lock(mu_);
    return writes_;
  }
  static json rollout() {
    return {{"apiVersion", "argoproj.io/v1alpha1"},
            {"kind", "Rollout"},
            {"metadata",
             {{"name", "web"},
              {"namespace", "default"},
              {"uid", "uid-web"},
              {"generation", 1},
              {"resourceVersion", "5"}}},
            {"spec",
             {{"replicas", 1},
              {"selector", {{"matchLabels", {{"app", "web"}}}}},
              {"template",
               {{"metadata", {{"labels", {{"app", "web"}}}}},
                {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "v1"}}})}}}}},
              {"strategy", {{"canary", {{"steps", json::array()}}}}}}}};
  }

 private:
  http::Response handle(const http::Request& r) {
    std::lock_guard lock(mu_);
    if (r.method == "GET" && r.param("watch") == "true") {
      http::Response resp;
      resp.stream = [this](std::shared_ptr<http::StreamWriter> w) {
        std::lock_guard l(mu_);
        watches_.push_back(std::move(w));
      };
      return resp;
    }
    if (r.method == "GET") {
      json items = json::array();
      if (r.path.find("/rollouts") != std::string::npos) items.push_back(rollout());
      return http::Response::json(200,
                                  json{{"kind", "List"},
                                       {"apiVersion", "v1"},
                                       {"metadata", {{"resourceVersion", std::to_string(rv_)}}},
                                       {"items", items}}
                                      .dump());
    }
    writes_.push_back(r.method + " " + r.path);
    json body = json::parse(r.body, nullptr, false);
    if (!body.is_object()) body = json::object();
    body["metadata"]["resourceVersion"] = std::to_string(++rv_);
    return http::Response::json(r.method == "POST" ? 201 : 200, body.dump());
  }

  std::mutex mu_;
  std::unique_ptr<http::Server> server_;
  std::vector<std::shared_ptr<http::StreamWriter>> watches_;
  std::vector<std::string> writes_;
  int64_t rv_ = 8;  // the first write answers 9, newer than the cached 5
};

TEST(ReconcilerStaleCacheTest, RequeuesAfter100msWithoutPlanningFromAStaleCache) {
  StaleCacheApi api;
  kube::RestConfig cfg;
  cfg.server = api.url();
  cfg.qps = 0;
  auto client = std::move(kube::Client::create(cfg)).value();
  auto rollouts = kube::Informer::create(*client, kube::resources::kRollouts);
  auto replica_sets = kube::Informer::create(*client, kube::resources::kReplicaSets);
  auto services = kube::Informer::create(*client, kube::resources::kServices);
  for (auto* inf : {rollouts.get(), replica_sets.get(), services.get()}) {
    inf->start();
    ASSERT_TRUE(inf->waitForSync(10s)) << inf->resource().resource;
  }
  ReconcilerDeps deps;
  deps.client = client.get();
  deps.rollouts = rollouts.get();
  deps.replicaSets = replica_sets.get();
  deps.services = services.get();
  deps.clock = [] { return int64_t{1800000000}; };
  Reconciler reconciler(std::move(deps));

  // First reconcile: the cache is current; it creates the ReplicaSet and writes the status.
  ReconcileResult first = reconciler.reconcile("default/web");
  ASSERT_TRUE(first.status.isOk()) << first.status.toString();
  const std::vector<std::string> written = api.writes();
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(written.back(),
            "PUT /apis/argoproj.io/v1alpha1/namespaces/default/rollouts/web/status");

  // The watch never delivered that write: the cache still holds resourceVersion 5.
  ASSERT_EQ((*rollouts->get("default", "web"))["metadata"]["resourceVersion"], "5");
  ReconcileResult second = reconciler.reconcile("default/web");
  EXPECT_TRUE(second.status.isOk()) << second.status.toString();
  ASSERT_TRUE(second.requeueAfter.has_value());
  EXPECT_EQ(*second.requeueAfter, kStaleCacheRequeueDelay);
  EXPECT_EQ(kStaleCacheRequeueDelay, 100ms);
  EXPECT_EQ(api.writes(), written) << "a reconcile from a stale cache must write nothing";

  for (auto* inf : {rollouts.get(), replica_sets.get(), services.get()}) inf->stop();
}

}  // namespace
}  // namespace vane::controller
