// The REST client against a tiny vane::http::Server that records requests and injects faults
// (429 with Retry-After, 503, a rotating token file). The real API server is exercised in
// tests/integration/kube_client_test.cc.
#include "kube/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "kube/client_internal.h"
#include "kube/http.h"

namespace vane::kube {
namespace {

using namespace std::chrono_literals;

struct Recorder {
  std::mutex mu;
  std::vector<http::Request> requests;
  std::function<http::Response(const http::Request&, int)> respond;  // n: index of the request
  http::Response operator()(const http::Request& r) {
    int n;
    {
      std::lock_guard lock(mu);
      requests.push_back(r);
      n = static_cast<int>(requests.size()) - 1;
    }
    return respond(r, n);
  }
  std::vector<http::Request> all() {
    std::lock_guard lock(mu);
    return requests;
  }
};

class ClientTest : public ::testing::Test {
 protected:
  void start(std::function<http::Response(const http::Request&, int)> respond,
             RestConfig cfg = {}) {
    recorder_.respond = std::move(respond);
    auto server = http::Server::start({}, [this](const http::Request& r) { return recorder_(r); });
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
    cfg.server = "http://127.0.0.1:" + std::to_string(server_->port()) + "/";
    auto client = Client::create(cfg);
    ASSERT_TRUE(client.ok()) << client.status().toString();
    client_ = std::move(*client);
  }
  Recorder recorder_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<Client> client_;
};

http::Response status(int code, const std::string& reason, const std::string& message,
                      json details = json::object()) {
  json body = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
               {"status", "Failure"}, {"message", message}, {"reason", reason},
               {"details", details},  {"code", code}};
  return http::Response::json(code, body.dump());
}

TEST_F(ClientTest, BuildsUrlsQueriesAndBodies) {
  start([](const http::Request& r, int) {
    if (r.method == "DELETE") return http::Response::json(200, R"({"kind":"Status"})");
    return http::Response::json(r.method == "POST" ? 201 : 200, R"({"metadata":{"name":"x"}})");
  });
  ListOptions lo;
  lo.label_selector = "app in (a,b),tier!=db";
  lo.field_selector = "metadata.name=x";
  lo.limit = 5;
  lo.continue_token = "tok";
  ASSERT_TRUE(client_->list(resources::kRollouts, "ns1", lo).ok());
  ASSERT_TRUE(client_->get(resources::kNamespaces, "", "ns1").ok());
  ASSERT_TRUE(client_->list(resources::kPods, "", {}).ok());
  json obj = {{"metadata", {{"name", "r1"}, {"namespace", "ns2"}}}};
  ASSERT_TRUE(client_->create(resources::kRollouts, "", obj).ok());
  ASSERT_TRUE(client_->updateStatus(resources::kRollouts, "", obj).ok());
  ASSERT_TRUE(client_
                  ->patch(resources::kRollouts, "ns2", "r1", PatchType::kMerge,
                          {{"spec", {{"paused", true}}}}, "", "mgr")
                  .ok());
  DeleteOptions del;
  del.propagation_policy = "Foreground";
  del.precondition_resource_version = "7";
  ASSERT_TRUE(client_->remove(resources::kReplicaSets, "ns2", "rs1", del).ok());
  ASSERT_TRUE(client_->get(resources::virtualServices("v1"), "ns", "vs").ok());

  auto reqs = recorder_.all();
  ASSERT_EQ(reqs.size(), 8u);
  EXPECT_EQ(reqs[0].path, "/apis/argoproj.io/v1alpha1/namespaces/ns1/rollouts");
  EXPECT_EQ(reqs[0].param("labelSelector"), "app in (a,b),tier!=db");
  EXPECT_EQ(reqs[0].param("fieldSelector"), "metadata.name=x");
  EXPECT_EQ(reqs[0].param("limit"), "5");
  EXPECT_EQ(reqs[0].param("continue"), "tok");
  EXPECT_EQ(reqs[1].path, "/api/v1/namespaces/ns1");
  EXPECT_EQ(reqs[2].path, "/api/v1/pods");
  EXPECT_EQ(reqs[3].method, "POST");
  EXPECT_EQ(reqs[3].path, "/apis/argoproj.io/v1alpha1/namespaces/ns2/rollouts");
  EXPECT_EQ(json::parse(reqs[3].body), obj);
  EXPECT_EQ(reqs[3].header("Content-Type"), "application/json");
  EXPECT_EQ(reqs[4].method, "PUT");
  EXPECT_EQ(reqs[4].path, "/apis/argoproj.io/v1alpha1/namespaces/ns2/rollouts/r1/status");
  EXPECT_EQ(reqs[5].method, "PATCH");
  EXPECT_EQ(reqs[5].header("Content-Type"), "application/merge-patch+json");
  EXPECT_EQ(reqs[5].param("fieldManager"), "mgr");
  EXPECT_EQ(reqs[6].method, "DELETE");
  EXPECT_EQ(reqs[6].path, "/apis/apps/v1/namespaces/ns2/replicasets/rs1");
  json del_body = json::parse(reqs[6].body);
  EXPECT_EQ(del_body["propagationPolicy"], "Foreground");
  EXPECT_EQ(del_body["preconditions"]["resourceVersion"], "7");
  EXPECT_EQ(reqs[7].path, "/apis/networking.istio.io/v1/namespaces/ns/virtualservices/vs");
}

TEST_F(ClientTest, TypedErrorsFromStatusBodies) {
  start([](const http::Request& r, int) {
    if (r.path.ends_with("/missing"))
      return status(404, "NotFound", "rollouts \"missing\" not found");
    if (r.path.ends_with("/exists")) return status(409, "AlreadyExists", "already exists");
    if (r.path.ends_with("/stale")) return status(409, "Conflict", "the object has been modified");
    if (r.path.ends_with("/invalid")) {
      return status(422, "Invalid", "Rollout \"x\" is invalid",
                    {{"causes",
                      {{{"reason", "FieldValueInvalid"},
                        {"message", "Invalid value: -1"},
                        {"field", "spec.replicas"}}}}});
    }
    if (r.path.ends_with("/denied")) return status(403, "Forbidden", "forbidden");
    if (r.path.ends_with("/who")) return http::Response::text(401, "Unauthorized");
    return http::Response::text(404, "404 page not found");
  });
  auto code = [&](const std::string& name) {
    return client_->update(resources::kRollouts, "ns", {{"metadata", {{"name", name}}}}).status();
  };
  EXPECT_EQ(code("missing").code(), Code::kNotFound);
  EXPECT_EQ(code("missing").message(), "rollouts \"missing\" not found");
  EXPECT_EQ(code("exists").code(), Code::kAlreadyExists);
  EXPECT_EQ(code("stale").code(), Code::kConflict);
  Status invalid = code("invalid");
  EXPECT_EQ(invalid.code(), Code::kInvalid);
  EXPECT_EQ(invalid.field(), "spec.replicas");
  EXPECT_EQ(invalid.message(), "Invalid value: -1");
  EXPECT_EQ(invalid.httpStatus(), 422);
  EXPECT_EQ(code("denied").code(), Code::kForbidden);
  EXPECT_EQ(code("who").code(), Code::kUnauthorized);
  EXPECT_EQ(code("other").code(), Code::kNotFound);
}

TEST_F(ClientTest, GetRetriesTooManyRequestsHonouringRetryAfter) {
  start([](const http::Request&, int n) {
    if (n == 0) {
      auto r = status(429, "TooManyRequests", "slow down", {{"retryAfterSeconds", 1}});
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    if (n == 1) return status(503, "ServiceUnavailable", "busy");
    return http::Response::json(200, R"({"metadata":{"name":"x"}})");
  });
  auto start_time = std::chrono::steady_clock::now();
  auto got = client_->get(resources::kRollouts, "ns", "x");
  ASSERT_TRUE(got.ok()) << got.status().toString();
  EXPECT_EQ((*got)["metadata"]["name"], "x");
  EXPECT_EQ(recorder_.all().size(), 3u);
  // Retry-After: 1 means the second request came no sooner than a second after the first.
  EXPECT_GE(std::chrono::steady_clock::now() - start_time, 1s);
}

TEST_F(ClientTest, WritesAreNotRetried) {
  start([](const http::Request&, int) {
    auto r = status(429, "TooManyRequests", "slow down");
    r.headers.emplace_back("Retry-After", "3");
    return r;
  });
  auto created = client_->create(resources::kRollouts, "ns", {{"metadata", {{"name", "x"}}}});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), Code::kTooManyRequests);
  ASSERT_TRUE(created.status().retryAfter().has_value());
  EXPECT_EQ(*created.status().retryAfter(), 3s);
  EXPECT_EQ(recorder_.all().size(), 1u);
}

TEST_F(ClientTest, BearerTokenFileIsReReadWhenItChanges) {
  auto dir = std::filesystem::temp_directory_path() / ("vane-token-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string token_file = (dir / "token").string();
  std::ofstream(token_file) << "first\n";
  RestConfig cfg;
  cfg.token = "first";
  cfg.token_file = token_file;
  start([](const http::Request&, int) { return http::Response::json(200, "{}"); }, cfg);
  ASSERT_TRUE(client_->get(resources::kPods, "ns", "p").ok());
  std::ofstream(token_file + ".new") << "second\n";
  std::filesystem::rename(token_file + ".new", token_file);  // atomic swap, like kubelet
  ASSERT_TRUE(client_->get(resources::kPods, "ns", "p").ok());
  auto reqs = recorder_.all();
  EXPECT_EQ(reqs[0].header("Authorization"), "Bearer first");
  EXPECT_EQ(reqs[1].header("Authorization"), "Bearer second");
  std::filesystem::remove_all(dir);
}

TEST_F(ClientTest, BasicAuthAndObserver) {
  RestConfig cfg;
  cfg.username = "admin";
  cfg.password = "secret";
  start([](const http::Request&, int) { return http::Response::json(404, "{}"); }, cfg);
  std::vector<std::string> seen;
  client_->setRequestObserver([&](const std::string& verb, const std::string& res, int code) {
    seen.push_back(verb + " " + res + " " + std::to_string(code));
  });
  EXPECT_EQ(client_->get(resources::kPods, "ns", "p").status().code(), Code::kNotFound);
  EXPECT_EQ(recorder_.all()[0].header("Authorization"), "Basic YWRtaW46c2VjcmV0");
  EXPECT_EQ(seen, std::vector<std::string>{"get pods 404"});
}

TEST_F(ClientTest, WatchDecodesEventsAcrossChunks) {
  start([](const http::Request& r, int) {
    if (r.param("watch") != "true") return http::Response::json(400, "{}");
    http::Response resp;
    resp.stream = [](std::shared_ptr<http::StreamWriter> w) {
      std::thread([w] {
        w->write(R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})"
                 "\n{\"type\":\"MODI");
        w->write(R"(FIED","object":{"metadata":{"name":"a","resourceVersion":"6"}}})"
                 "\n");
        w->write(R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})"
                 "\n");
        w->close();
      }).detach();
    };
    return resp;
  });
  ListOptions lo;
  lo.resource_version = "4";
  lo.timeout_seconds = 30;
  auto watch = client_->watch(resources::kRollouts, "ns", lo);
  ASSERT_TRUE(watch.ok()) << watch.status().toString();
  std::vector<std::string> types;
  while (auto e = (*watch)->next()) types.push_back(e->type);
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED", "ERROR"}));
  auto req = recorder_.all().at(0);
  EXPECT_EQ(req.param("resourceVersion"), "4");
  EXPECT_EQ(req.param("timeoutSeconds"), "30");
  EXPECT_EQ(req.param("allowWatchBookmarks"), "true");
}

TEST(ClientErrorsTest, NonStatusBodiesAndRetryAfterHeader) {
  Status s = statusFromResponse(500, {}, "boom");
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), "boom");
  Status t = statusFromResponse(429, {{"retry-after", "7"}}, "");
  EXPECT_EQ(t.code(), Code::kTooManyRequests);
  EXPECT_EQ(t.retryAfter(), std::chrono::seconds(7));
  EXPECT_EQ(statusFromResponse(504, {}, "").code(), Code::kTimeout);
  EXPECT_EQ(statusFromResponse(410, {}, "").code(), Code::kGone);
  EXPECT_EQ(statusFromResponse(415, {}, "").code(), Code::kUnsupported);
}

TEST(WatchDecodeTest, MalformedLineStops) {
  std::string buffer = "{\"type\":\"ADDED\",\"object\":{}}\nnot json\n";
  std::vector<WatchEvent> out;
  Status s;
  EXPECT_FALSE(decodeWatchLines(buffer, out, s));
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(s.code(), Code::kInternal);
}

}  // namespace
}  // namespace vane::kube
