// EventRecorder against a recording vane::http::Server: naming, aggregation by PATCH, the
// per-object rate limit, and that callers never wait for the server.
#include "kube/events.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <regex>

#include "kube/http.h"

namespace vane::kube {
namespace {

using namespace std::chrono_literals;

struct EventServer {
  std::mutex mu;
  std::condition_variable cv;
  bool open = true;  // while false, requests wait: the server is "slow"
  std::vector<http::Request> requests;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<Client> client;
  EventServer() {
    server = std::move(http::Server::start({}, [this](const http::Request& r) {
               std::unique_lock lock(mu);
               cv.wait(lock, [&] { return open; });
               requests.push_back(r);
               return http::Response::json(r.method == "POST" ? 201 : 200, r.body);
             })).value();
    RestConfig cfg;
    cfg.server = "http://127.0.0.1:" + std::to_string(server->port());
    client = std::move(Client::create(cfg)).value();
  }
  void setOpen(bool o) {
    std::lock_guard lock(mu);
    open = o;
    cv.notify_all();
  }
  std::vector<http::Request> all() {
    std::lock_guard lock(mu);
    return requests;
  }
};

json rollout() {
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Rollout"},
          {"metadata",
           {{"name", "demo"}, {"namespace", "ns"}, {"uid", "u-1"}, {"resourceVersion", "9"}}}};
}

TEST(EventRecorderTest, CreatesThenPatchesRepeats) {
  EventServer api;
  EventRecorderOptions opts;
  opts.component = "vane-test";
  opts.host = "node-1";
  auto rec = EventRecorder::create(*api.client, opts);
  ASSERT_TRUE(rec->event(rollout(), kEventTypeNormal, "RolloutUpdated", "updated to revision 2"));
  ASSERT_TRUE(rec->event(rollout(), kEventTypeNormal, "RolloutUpdated", "updated to revision 2"));
  ASSERT_TRUE(rec->event(rollout(), kEventTypeNormal, "RolloutUpdated", "updated to revision 2"));
  ASSERT_TRUE(rec->event(rollout(), kEventTypeWarning, "RolloutAborted", "aborted"));
  ASSERT_TRUE(rec->flush(10s));
  auto reqs = api.all();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/api/v1/namespaces/ns/events");
  json ev = json::parse(reqs[0].body);
  EXPECT_TRUE(
      std::regex_match(ev["metadata"]["name"].get<std::string>(), std::regex("demo\\.[0-9a-f]+")));
  EXPECT_EQ(ev["involvedObject"]["uid"], "u-1");
  EXPECT_EQ(ev["involvedObject"]["kind"], "Rollout");
  EXPECT_EQ(ev["involvedObject"]["namespace"], "ns");
  EXPECT_EQ(ev["source"]["component"], "vane-test");
  EXPECT_EQ(ev["source"]["host"], "node-1");
  EXPECT_EQ(ev["type"], "Normal");
  EXPECT_EQ(ev["count"], 1);
  EXPECT_EQ(reqs[1].method, "PATCH");
  EXPECT_EQ(reqs[1].path,
            "/api/v1/namespaces/ns/events/" + ev["metadata"]["name"].get<std::string>());
  EXPECT_EQ(json::parse(reqs[1].body)["count"], 2);
  EXPECT_EQ(json::parse(reqs[2].body)["count"], 3);
  EXPECT_EQ(reqs[3].method, "POST");
  EXPECT_EQ(json::parse(reqs[3].body)["type"], "Warning");
  rec->stop();
}

TEST(EventRecorderTest, CallersDoNotWaitForTheServer) {
  EventServer api;
  api.setOpen(false);  // every request blocks until the test opens the server
  auto rec = EventRecorder::create(*api.client, {});
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(rec->event(rollout(), kEventTypeNormal, "Reason" + std::to_string(i), "m"));
  }
  EXPECT_TRUE(api.all().empty());  // reached only because event() did not block
  api.setOpen(true);
  ASSERT_TRUE(rec->flush(10s));
  EXPECT_EQ(api.all().size(), 5u);
}

TEST(EventRecorderTest, PerObjectRateLimitDropsBeyondBurst) {
  EventServer api;
  EventRecorderOptions opts;
  opts.burst = 3;
  opts.refill_every = std::chrono::seconds(3600);
  auto rec = EventRecorder::create(*api.client, opts);
  int accepted = 0;
  for (int i = 0; i < 10; ++i)
    accepted += rec->event(rollout(), kEventTypeNormal, "R", std::to_string(i));
  EXPECT_EQ(accepted, 3);
  json other = rollout();
  other["metadata"]["name"] = "other";
  other["metadata"]["uid"] = "u-2";
  EXPECT_TRUE(rec->event(other, kEventTypeNormal, "R", "m")) << "the limit is per object";
  ASSERT_TRUE(rec->flush(10s));
  EXPECT_EQ(api.all().size(), 4u);
}

}  // namespace
}  // namespace vane::kube
