#include "controller/alert_hook.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <mutex>

#include "kube/informer.h"

namespace vane::controller {
namespace {

using nlohmann::json;

// Records the patches the hook sends and can inject a failure: no Kubernetes behaviour is faked.
class RecordingClient : public kube::Client {
 public:
  struct Patch {
    std::string ns, name, subresource;
    json body;
  };
  std::vector<Patch> patches;
  Status fail_with;  // returned by patch() when not ok

  const kube::RestConfig& config() const override { return config_; }
  Result<json> get(const kube::Resource&, const std::string&, const std::string&) override {
    return Status(Code::kInternal, "unused");
  }
  Result<json> list(const kube::Resource&, const std::string&, const kube::ListOptions&) override {
    return Status(Code::kInternal, "unused");
  }
  Result<json> create(const kube::Resource&, const std::string&, const json&) override {
    return Status(Code::kInternal, "unused");
  }
  Result<json> update(const kube::Resource&, const std::string&, const json&) override {
    return Status(Code::kInternal, "unused");
  }
  Result<json> updateStatus(const kube::Resource&, const std::string&, const json&) override {
    return Status(Code::kInternal, "unused");
  }
  Result<json> patch(const kube::Resource&, const std::string& ns, const std::string& name,
                     kube::PatchType, const json& body, const std::string& sub,
                     const std::string&) override {
    if (!fail_with.isOk()) return fail_with;
    patches.push_back({ns, name, sub, body});
    return json::object();
  }
  Status remove(const kube::Resource&, const std::string&, const std::string&,
                const kube::DeleteOptions&) override {
    return Status(Code::kInternal, "unused");
  }
  Result<std::unique_ptr<kube::WatchStream>> watch(const kube::Resource&, const std::string&,
                                                   const kube::ListOptions&) override {
    return Status(Code::kInternal, "unused");
  }
  Result<json> raw(const std::string&, const std::string&, const json&) override {
    return Status(Code::kInternal, "unused");
  }
  void setRequestObserver(kube::RequestObserver) override {}

 private:
  kube::RestConfig config_;
};

std::shared_ptr<const json> rollout(const std::string& ns, const std::string& name,
                                    const std::string& current, const std::string& stable,
                                    const std::string& abort_on_alert = "") {
  json r = {{"metadata", {{"name", name}, {"namespace", ns}}},
            {"status", {{"currentPodHash", current}, {"stableRS", stable}}}};
  if (!abort_on_alert.empty()) {
    r["metadata"]["annotations"][kAbortOnAlertAnnotation] = abort_on_alert;
  }
  return std::make_shared<const json>(std::move(r));
}

std::string payload(const std::string& status, const json& labels,
                    const std::string& fingerprint = "6b0c1f2a3d4e5f60") {
  json alert = {{"status", status},
                {"labels", labels},
                {"annotations", {{"summary", "5xx ratio above 5% on checkout canary"}}},
                {"startsAt", "2026-11-24T18:00:00.123Z"},
                {"endsAt", "0001-01-01T00:00:00Z"},
                {"fingerprint", fingerprint}};
  json p = {{"receiver", "vane-abort"}, {"status", status},    {"alerts", json::array({alert})},
            {"version", "4"},           {"groupKey", "{}:{}"}, {"truncatedAlerts", 0}};
  return p.dump() + "\n";
}

http::Request post(std::string body, std::string token = "s3cret") {
  http::Request r;
  r.method = "POST";
  r.path = "/hooks/alertmanager";
  r.body = std::move(body);
  if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
  return r;
}

TEST(AlertPayload, ParsesVersion4) {
  auto p = parseAlertmanagerPayload(
      payload("firing", {{"alertname", "CanaryHighErrorRate"}, {"rollout", "checkout"}}));
  ASSERT_TRUE(p.ok()) << p.status().toString();
  ASSERT_EQ(p->alerts.size(), 1u);
  EXPECT_EQ(p->alerts[0].labels.at("rollout"), "checkout");
  EXPECT_EQ(p->alerts[0].fingerprint, "6b0c1f2a3d4e5f60");
}

TEST(AlertPayload, RejectsMalformedWithFieldPath) {
  EXPECT_EQ(parseAlertmanagerPayload("{").status().code(), Code::kBadRequest);
  EXPECT_EQ(parseAlertmanagerPayload("[]").status().code(), Code::kBadRequest);
  auto v3 = parseAlertmanagerPayload(R"({"version":"3","alerts":[]})");
  EXPECT_EQ(v3.status().field(), "version");
  auto bad_labels = parseAlertmanagerPayload(
      R"({"version":"4","alerts":[{"status":"firing","labels":{"a":1}}]})");
  EXPECT_EQ(bad_labels.status().field(), "alerts[0].labels.a");
  auto bad_status = parseAlertmanagerPayload(R"({"version":"4","alerts":[{"status":"burning"}]})");
  EXPECT_EQ(bad_status.status().field(), "alerts[0].status");
}

TEST(LabelMatchers, AllOperators) {
  auto m =
      parseLabelMatchers(R"(alertname=HighErrorRate, service!="cart", env=~prod|stage, x!~a.*)");
  ASSERT_TRUE(m.ok()) << m.status().toString();
  ASSERT_EQ(m->size(), 4u);
  std::map<std::string, std::string> labels = {
      {"alertname", "HighErrorRate"}, {"service", "checkout"}, {"env", "prod"}, {"x", "b"}};
  for (const auto& matcher : *m) EXPECT_TRUE(matcher.matches(labels)) << matcher.name;
  labels["env"] = "production";  // regex is anchored, as in Alertmanager
  EXPECT_FALSE((*m)[2].matches(labels));
  EXPECT_FALSE(parseLabelMatchers("=x").ok());
  EXPECT_FALSE(parseLabelMatchers("  ,  ").ok());
}

TEST(SelectAbortTargets, ByLabelsOnlyMidUpdate) {
  std::vector<std::shared_ptr<const json>> ros = {
      rollout("shop", "checkout", "abc", "def"),  // mid-update
      rollout("shop", "cart", "abc", "abc"),      // healthy
      rollout("other", "checkout", "x", "y"),     // other namespace
  };
  Alert a;
  a.status = "firing";
  a.labels = {{"alertname", "X"}, {"rollout", "checkout"}, {"namespace", "shop"}};
  auto t = selectAbortTargets(a, ros, {});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].namespace_, "shop");
  a.labels = {{"alertname", "X"}, {"rollout", "cart"}, {"namespace", "shop"}};
  EXPECT_TRUE(selectAbortTargets(a, ros, {}).empty()) << "a Healthy rollout is left alone";
  a.status = "resolved";
  a.labels = {{"alertname", "X"}, {"rollout", "checkout"}, {"namespace", "shop"}};
  EXPECT_TRUE(selectAbortTargets(a, ros, {}).empty()) << "resolved never aborts";
}

TEST(SelectAbortTargets, ByAnnotationMatchersAndCustomLabelNames) {
  std::vector<std::shared_ptr<const json>> ros = {
      rollout("shop", "checkout", "a", "b", "alertname=HighErrorRate,service=checkout")};
  Alert a;
  a.status = "firing";
  a.labels = {{"alertname", "HighErrorRate"}, {"service", "checkout"}};
  EXPECT_EQ(selectAbortTargets(a, ros, {}).size(), 1u);
  a.labels["service"] = "cart";
  EXPECT_TRUE(selectAbortTargets(a, ros, {}).empty());
  AlertHookOptions opts;
  opts.rollout_label = "app";
  opts.namespace_label = "ns";
  a.labels = {{"alertname", "Other"}, {"app", "checkout"}, {"ns", "shop"}};
  EXPECT_EQ(selectAbortTargets(a, ros, opts).size(), 1u);
}

// Serves a fixed list of Rollouts and watches that deliver nothing: an informer synced from it.
class RolloutListApi {
 public:
  explicit RolloutListApi(std::vector<json> items) : items_(std::move(items)) {
    server_ = std::move(http::Server::start({}, [this](const http::Request& r) {
                if (r.param("watch") == "true") {
                  http::Response resp;
                  resp.stream = [this](std::shared_ptr<http::StreamWriter> w) {
                    std::lock_guard l(mu_);
                    watches_.push_back(std::move(w));
                  };
                  return resp;
                }
                return http::Response::json(200, json{{"kind", "RolloutList"},
                                                      {"metadata", {{"resourceVersion", "1"}}},
                                                      {"items", items_}}
                                                     .dump());
              })).value();
  }
  ~RolloutListApi() {
    {
      std::lock_guard l(mu_);
      for (auto& w : watches_) w->close();
    }
    server_->stop();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

 private:
  std::vector<json> items_;
  std::mutex mu_;
  std::vector<std::shared_ptr<http::StreamWriter>> watches_;
  std::unique_ptr<http::Server> server_;
};

// The hook's candidates come from the cache's indexes (by name, and the annotated ones), not
// from a scan; what they select is the same as a scan would.
TEST(AlertCandidates, FromIndexesNotAScan) {
  std::vector<json> items;
  for (int i = 0; i < 50; ++i)
    items.push_back(*rollout("shop", "svc" + std::to_string(i), "a", "b"));
  items.push_back(*rollout("other", "svc7", "a", "b"));
  items.push_back(*rollout("shop", "watcher", "a", "b", "alertname=HighErrorRate"));
  RolloutListApi api(items);
  kube::RestConfig cfg;
  cfg.server = api.url();
  cfg.qps = 0;
  auto client = std::move(kube::Client::create(cfg)).value();
  kube::InformerOptions opts;
  opts.store_encoded = true;
  auto informer = kube::Informer::create(*client, kube::resources::kRollouts, opts);
  addAlertHookIndexes(*informer);
  informer->start();
  ASSERT_TRUE(informer->waitForSync(std::chrono::seconds(10)));
  auto names = [](const std::vector<std::shared_ptr<const json>>& ros) {
    std::set<std::string> out;
    for (const auto& ro : ros) {
      out.insert((*ro)["metadata"]["namespace"].get<std::string>() + "/" +
                 (*ro)["metadata"]["name"].get<std::string>());
    }
    return out;
  };
  Alert a;
  a.status = "firing";
  a.labels = {{"alertname", "Other"}, {"rollout", "svc7"}, {"namespace", "shop"}};
  AlertHookOptions opts_hook;
  EXPECT_EQ(names(alertCandidates(*informer, a, opts_hook)),
            (std::set<std::string>{"shop/svc7", "shop/watcher"}));
  a.labels.erase("namespace");
  EXPECT_EQ(names(alertCandidates(*informer, a, opts_hook)),
            (std::set<std::string>{"shop/svc7", "other/svc7", "shop/watcher"}));
  auto targets = selectAbortTargets(a, alertCandidates(*informer, a, opts_hook), opts_hook);
  EXPECT_EQ(targets.size(), 2u) << "svc7 in both namespaces; the watcher's matcher fails";
  a.labels = {{"alertname", "HighErrorRate"}};
  targets = selectAbortTargets(a, alertCandidates(*informer, a, opts_hook), opts_hook);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].name, "watcher");
  a.status = "resolved";
  EXPECT_TRUE(alertCandidates(*informer, a, opts_hook).empty());
  informer->stop();
}

TEST(AlertHook, AuthSizeAndPayloadErrorsChangeNothing) {
  RecordingClient client;
  prometheus::Registry registry;
  auto ros = std::vector<std::shared_ptr<const json>>{rollout("shop", "checkout", "a", "b")};
  AlertHook hook(
      client, [&](const Alert&) { return ros; }, {"s3cret"}, &registry);
  std::string body =
      payload("firing", {{"alertname", "X"}, {"rollout", "checkout"}, {"namespace", "shop"}});
  EXPECT_EQ(hook.handle(post(body, "")).status, 401);
  EXPECT_EQ(hook.handle(post(body, "wrong!")).status, 401);
  EXPECT_EQ(hook.handle(post(std::string(kAlertHookMaxBody + 1, ' '))).status, 413);
  EXPECT_EQ(hook.handle(post("{not json")).status, 400);
  http::Request get = post(body);
  get.method = "GET";
  EXPECT_EQ(hook.handle(get).status, 405);
  EXPECT_TRUE(client.patches.empty());
  EXPECT_FALSE(registry.Collect().empty());
}

TEST(AlertHook, AbortsOnceAndNamesTheAlert) {
  RecordingClient client;
  auto ros = std::vector<std::shared_ptr<const json>>{rollout("shop", "checkout", "a", "b")};
  AlertHook hook(client, [&](const Alert&) { return ros; }, {"s3cret"});
  std::string body = payload(
      "firing",
      {{"alertname", "CanaryHighErrorRate"}, {"rollout", "checkout"}, {"namespace", "shop"}});
  auto res = hook.handle(post(body));
  EXPECT_EQ(res.status, 200) << res.body;
  ASSERT_EQ(client.patches.size(), 2u);
  EXPECT_EQ(client.patches[0].subresource, "");
  std::string reason = client.patches[0].body["metadata"]["annotations"][kAbortReasonAnnotation];
  EXPECT_EQ(
      reason,
      "alert CanaryHighErrorRate firing {namespace=shop, rollout=checkout}: 5xx ratio above 5% "
      "on checkout canary");
  EXPECT_EQ(client.patches[1].subresource, "status");
  EXPECT_EQ(client.patches[1].body, json::parse(R"({"status":{"abort":true}})"));
  // The same notification again (Alertmanager's repeat) does nothing more.
  EXPECT_EQ(hook.handle(post(body)).status, 200);
  EXPECT_EQ(client.patches.size(), 2u);
}

TEST(AlertHook, FailedWriteAnswers500SoAlertmanagerRetries) {
  RecordingClient client;
  client.fail_with = Status(Code::kUnavailable, "connection refused");
  auto ros = std::vector<std::shared_ptr<const json>>{rollout("shop", "checkout", "a", "b")};
  AlertHook hook(client, [&](const Alert&) { return ros; }, {"s3cret"});
  std::string body =
      payload("firing", {{"alertname", "X"}, {"rollout", "checkout"}, {"namespace", "shop"}});
  EXPECT_EQ(hook.handle(post(body)).status, 500);
  client.fail_with = Status::ok();
  EXPECT_EQ(hook.handle(post(body)).status, 200) << "the retry goes through";
  EXPECT_EQ(client.patches.size(), 2u);
}

}  // namespace
}  // namespace vane::controller
