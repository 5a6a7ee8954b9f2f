// The reconcilers' stale-cache guard (Argo's resourceversion tracker): after the controller wrote
// a Rollout (or an Experiment), a reconcile whose informer cache still holds an older version
// plans nothing and asks for a requeue after 100 ms (Argo StaleCacheRequeueDelay) instead of
// holding the worker. The API is a small in-test server whose watches deliver nothing, so the
// cache stays stale for certain.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "controller/experiment.h"
#include "controller/reconciler.h"
#include "kube/http.h"
#include "kube/informer.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Lists (the one Rollout and the one Experiment at resourceVersion 5, nothing else), silent
// watches, and writes answered with rising resourceVersions; every write's method and path is
// recorded.
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
  /// Every status write of a Rollout is answered 409 Conflict from now on.
  void conflictStatusWrites() {
    std::lock_guard lock(mu_);
    conflict_status_ = true;
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
  static json experiment() {
    json pod = {{"metadata", {{"labels", {{"app", "web"}}}}},
                {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "v1"}}})}}}};
    return {{"apiVersion", "argoproj.io/v1alpha1"},
            {"kind", "Experiment"},
            {"metadata",
             {{"name", "ex"},
              {"namespace", "default"},
              {"uid", "uid-ex"},
              {"generation", 1},
              {"resourceVersion", "5"}}},
            {"spec",
             {{"templates", json::array({{{"name", "baseline"},
                                          {"replicas", 1},
                                          {"selector", {{"matchLabels", {{"app", "web"}}}}},
                                          {"template", pod}}})}}}};
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
    if (r.method == "GET" && r.path.size() > 13 &&
        r.path.compare(r.path.size() - 13, 13, "/rollouts/web") == 0) {
      return http::Response::json(200, rollout().dump());
    }
    if (r.method == "GET") {
      json items = json::array();
      if (r.path.find("/rollouts") != std::string::npos) items.push_back(rollout());
      if (r.path.find("/experiments") != std::string::npos) items.push_back(experiment());
      return http::Response::json(200,
                                  json{{"kind", "List"},
                                       {"apiVersion", "v1"},
                                       {"metadata", {{"resourceVersion", std::to_string(rv_)}}},
                                       {"items", items}}
                                      .dump());
    }
    writes_.push_back(r.method + " " + r.path);
    if (conflict_status_ && r.path.find("/rollouts/web/status") != std::string::npos) {
      return http::Response::json(
          409, json{{"kind", "Status"},
                    {"apiVersion", "v1"},
                    {"status", "Failure"},
                    {"reason", "Conflict"},
                    {"code", 409},
                    {"message",
                     "Operation cannot be fulfilled on rollouts.argoproj.io \"web\": "
                     "the object has been modified"}}
                   .dump());
    }
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
  bool conflict_status_ = false;
};

// A client of the StaleCacheApi and informers synced from it (stopped at the end).
class ReconcilerStaleCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kube::RestConfig cfg;
    cfg.server = api_.url();
    cfg.qps = 0;
    client_ = std::move(kube::Client::create(cfg)).value();
  }
  void TearDown() override {
    for (auto& inf : informers_) inf->stop();
  }
  kube::Informer* synced(const kube::Resource& resource, kube::InformerOptions opts = {}) {
    informers_.push_back(kube::Informer::create(*client_, resource, std::move(opts)));
    kube::Informer* inf = informers_.back().get();
    inf->start();
    EXPECT_TRUE(inf->waitForSync(10s)) << resource.resource;
    return inf;
  }
  /// A reconcile from a cache older than the last write: a requeue after 100 ms, no write.
  void expectStaleRequeue(const ReconcileResult& r, const std::vector<std::string>& written) {
    EXPECT_TRUE(r.status.isOk()) << r.status.toString();
    EXPECT_EQ(r.requeueAfter, std::optional(kStaleCacheRequeueDelay));
    EXPECT_EQ(api_.writes(), written) << "a reconcile from a stale cache must write nothing";
  }

  StaleCacheApi api_;
  std::unique_ptr<kube::Client> client_;
  std::vector<std::unique_ptr<kube::Informer>> informers_;

  void rolloutRequeuesFromAStaleCache(bool typed);
};

// With the controller's typed caches (decoded once, kept as JSON text) and with plain ones (the
// reconciler decodes what it reads).
TEST_F(ReconcilerStaleCacheTest, RequeuesAfter100msWithoutPlanningFromAStaleCache) {
  rolloutRequeuesFromAStaleCache(true);
}
TEST_F(ReconcilerStaleCacheTest, RequeuesFromAStaleUntypedCache) {
  rolloutRequeuesFromAStaleCache(false);
}

void ReconcilerStaleCacheTest::rolloutRequeuesFromAStaleCache(bool typed) {
  auto opts = [typed](kube::InformerOptions (*make)(kube::InformerOptions)) {
    return typed ? make({}) : kube::InformerOptions{};
  };
  ReconcilerDeps deps;
  deps.client = client_.get();
  deps.rollouts = synced(kube::resources::kRollouts, opts(rolloutCacheOptions));
  deps.replicaSets = synced(kube::resources::kReplicaSets, opts(replicaSetCacheOptions));
  deps.services = synced(kube::resources::kServices, opts(serviceCacheOptions));
  deps.clock = [] { return int64_t{1800000000}; };
  const kube::Informer& rollouts = *deps.rollouts;
  Reconciler reconciler(std::move(deps));

  // First reconcile: the cache is current; it creates the ReplicaSet and writes the status.
  ReconcileResult first = reconciler.reconcile("default/web");
  ASSERT_TRUE(first.status.isOk()) << first.status.toString();
  const std::vector<std::string> written = api_.writes();
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(written.back(),
            "PUT /apis/argoproj.io/v1alpha1/namespaces/default/rollouts/web/status");

  // The watch never delivered that write: the cache still holds resourceVersion 5.
  ASSERT_EQ((*rollouts.get("default", "web"))["metadata"]["resourceVersion"], "5");
  expectStaleRequeue(reconciler.reconcile("default/web"), written);
  EXPECT_EQ(kStaleCacheRequeueDelay, 100ms);
}

// A status write that meets 409 on every re-read and re-plan ends in an error, so that the key is
// requeued with backoff; success here would drop the write until another event came.
TEST_F(ReconcilerStaleCacheTest, StatusWriteConflictingEveryTimeIsAnError) {
  api_.conflictStatusWrites();
  ReconcilerDeps deps;
  deps.client = client_.get();
  deps.rollouts = synced(kube::resources::kRollouts);
  deps.replicaSets = synced(kube::resources::kReplicaSets);
  deps.services = synced(kube::resources::kServices);
  deps.clock = [] { return int64_t{1800000000}; };
  Reconciler reconciler(std::move(deps));
  ReconcileResult r = reconciler.reconcile("default/web");
  EXPECT_EQ(r.status.code(), Code::kConflict) << r.status.toString();
  int status_writes = 0;
  for (const auto& w : api_.writes()) {
    if (w == "PUT /apis/argoproj.io/v1alpha1/namespaces/default/rollouts/web/status") {
      ++status_writes;
    }
  }
  EXPECT_EQ(status_writes, 3);
}

// The Experiment loop has the same guard: without it the second reconcile would create the
// template's ReplicaSet again and write the status from the stale copy.
TEST_F(ReconcilerStaleCacheTest, ExperimentRequeuesAfter100msWithoutPlanningFromAStaleCache) {
  ExperimentReconcilerDeps deps;
  deps.client = client_.get();
  deps.experiments = synced(kube::resources::kExperiments);
  deps.replicaSets = synced(kube::resources::kReplicaSets);
  deps.analysisRuns = synced(kube::resources::kAnalysisRuns);
  deps.clock = [] { return int64_t{1800000000}; };
  const kube::Informer& experiments = *deps.experiments;
  ExperimentReconciler reconciler(std::move(deps));

  // First reconcile: the cache is current; it creates the ReplicaSet and writes the status.
  ReconcileResult first = reconciler.reconcile("default/ex");
  ASSERT_TRUE(first.status.isOk()) << first.status.toString();
  const std::vector<std::string> written = api_.writes();
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written.front(), "POST /apis/apps/v1/namespaces/default/replicasets");
  EXPECT_EQ(written.back(),
            "PUT /apis/argoproj.io/v1alpha1/namespaces/default/experiments/ex/status");

  ASSERT_EQ((*experiments.get("default", "ex"))["metadata"]["resourceVersion"], "5");
  expectStaleRequeue(reconciler.reconcile("default/ex"), written);
}

}  // namespace
}  // namespace vane::controller
