// The --faults rules: YAML parsing (errors name the field), the matcher, firing by nth/every/rate
// with a seed, limits, and the watch stream endings.
#include "apiserver/faults.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vane::apiserver {
namespace {

using nlohmann::json;

FaultRequest request(std::string verb, std::string resource, std::string sub = "") {
  return {std::move(verb), std::move(resource), std::move(sub), "default",
          "web",           "argoproj.io",       "Rollout"};
}

std::string errorOf(const std::string& yaml) {
  auto r = parseFaultConfig(yaml);
  if (r.ok()) return "(parsed)";
  return r.status().message() + " | field=" + r.status().field();
}

TEST(FaultConfig, ParsesEveryField) {
  auto c = parseFaultConfig(R"(
seed: 7
rules:
- verbs: [update, patch]
  resources: [rollouts/status, replicasets]
  rate: 0.25
  fault: conflict
- verb: list
  resource: "*"
  nth: 3
  every: 4
  limit: 2
  fault: tooManyRequests
  retryAfterSeconds: 2
- verbs: ["*"]
  every: 1
  fault: latency
  latency: 150ms
  userAgent: vane-controller
- verbs: [watch]
  resources: [rollouts]
  every: 2
  fault: watchGone
  afterEvents: 5
  afterSeconds: 2
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->seed, 7u);
  ASSERT_EQ(c->rules.size(), 4u);
  EXPECT_EQ(c->rules[0].verbs, (std::vector<std::string>{"update", "patch"}));
  EXPECT_EQ(c->rules[0].resources, (std::vector<std::string>{"rollouts/status", "replicasets"}));
  EXPECT_DOUBLE_EQ(c->rules[0].rate, 0.25);
  EXPECT_EQ(c->rules[0].fault, FaultKind::kConflict);
  EXPECT_EQ(c->rules[1].verbs, (std::vector<std::string>{"list"}));
  EXPECT_EQ(c->rules[1].nth, 3u);
  EXPECT_EQ(c->rules[1].every, 4u);
  EXPECT_EQ(c->rules[1].limit, 2u);
  EXPECT_EQ(c->rules[1].retry_after_seconds, 2);
  EXPECT_EQ(c->rules[2].latency, std::chrono::milliseconds(150));
  EXPECT_EQ(c->rules[2].user_agent, "vane-controller");
  EXPECT_EQ(c->rules[3].fault, FaultKind::kWatchGone);
  EXPECT_EQ(c->rules[3].after_events, 5u);
  EXPECT_EQ(c->rules[3].after_time, std::chrono::seconds(2));
}

TEST(FaultConfig, ErrorsNameTheField) {
  EXPECT_EQ(errorOf("rules:\n- fault: conflict\n  rate: 1.5\n"),
            "faults: rules[0].rate: expected a number from 0 to 1 | field=rules[0].rate");
  EXPECT_EQ(errorOf("rules:\n- every: 1\n  fault: explode\n").substr(0, 45),
            "faults: rules[0].fault: unknown fault \"explod");
  EXPECT_EQ(errorOf("rules:\n- rate: 0.5\n"),
            "faults: rules[0].fault: required | field=rules[0].fault");
  EXPECT_EQ(errorOf("rules:\n- fault: conflict\n"),
            "faults: rules[0]: needs rate, nth or every (when the fault fires) | field=rules[0]");
  EXPECT_EQ(
      errorOf("rules:\n- fault: conflict\n  nth: 1\n- fault: conflict\n  nth: x\n"),
      "faults: rules[1].nth: expected a non-negative integer, got \"x\" | field=rules[1].nth");
  EXPECT_EQ(errorOf("rules:\n- fault: conflict\n  every: 1\n  verbs: [get, poke]\n").substr(0, 51),
            "faults: rules[0].verbs[1]: unknown verb \"poke\" (get");
  EXPECT_EQ(errorOf("rules:\n- fault: conflict\n  every: 1\n  colour: red\n"),
            "faults: rules[0].colour: unknown field | field=rules[0].colour");
  EXPECT_EQ(errorOf("rules:\n- fault: latency\n  every: 1\n"),
            "faults: rules[0].latency: required by fault latency (e.g. 100ms) | "
            "field=rules[0].latency");
  EXPECT_EQ(errorOf("rules:\n- fault: latency\n  every: 1\n  latency: 5parsecs\n").substr(0, 34),
            "faults: rules[0].latency: unknown ");
  EXPECT_EQ(errorOf("rules:\n- fault: watchClose\n  every: 1\n  afterEvents: 2\n"),
            "faults: rules[0].verbs: fault watchClose applies to watch requests only: verbs: "
            "[watch] | field=rules[0].verbs");
  EXPECT_EQ(errorOf("rules:\n- fault: watchClose\n  verbs: [watch]\n  every: 1\n"),
            "faults: rules[0].afterEvents: watchClose needs afterEvents or afterSeconds | "
            "field=rules[0].afterEvents");
  EXPECT_EQ(
      errorOf("rules:\n- fault: conflict\n  every: 1\n  resources: [/status]\n").substr(0, 39),
      "faults: rules[0].resources[0]: expected");
  EXPECT_EQ(errorOf("seed: -1\nrules: []\n").substr(0, 49),
            "faults: seed: expected a non-negative integer, go");
  EXPECT_EQ(errorOf("seed: 1\n"), "faults: rules: required | field=rules");
  EXPECT_EQ(errorOf("rules: {a: 1}\n"), "faults: rules: expected a list of rules | field=rules");
  EXPECT_EQ(errorOf("[1, 2").substr(0, 20), "faults: not YAML: ya");
}

TEST(FaultMatcher, VerbsAndResourcesWithSubresources) {
  FaultRule r;
  EXPECT_TRUE(faultRuleMatches(r, request("get", "pods")));  // no filters: everything
  r.verbs = {"update", "patch"};
  r.resources = {"rollouts/status"};
  EXPECT_TRUE(faultRuleMatches(r, request("update", "rollouts", "status")));
  EXPECT_TRUE(faultRuleMatches(r, request("patch", "rollouts", "status")));
  EXPECT_FALSE(faultRuleMatches(r, request("update", "rollouts")));  // main resource: not status
  EXPECT_FALSE(faultRuleMatches(r, request("get", "rollouts", "status")));
  r.resources = {"rollouts"};
  EXPECT_FALSE(faultRuleMatches(r, request("update", "rollouts", "status")));
  EXPECT_TRUE(faultRuleMatches(r, request("update", "rollouts")));
  r.resources = {"*"};
  r.verbs = {"*"};
  EXPECT_TRUE(faultRuleMatches(r, request("watch", "replicasets")));
  r.user_agent = "vane-controller";
  EXPECT_FALSE(faultRuleMatches(r, request("watch", "replicasets")));  // kubectl's or no agent
  FaultRequest from_controller = request("watch", "replicasets");
  from_controller.user_agent = "vane-controller/0.1";
  EXPECT_TRUE(faultRuleMatches(r, from_controller));
}

FaultConfig config(const std::string& yaml) {
  auto c = parseFaultConfig(yaml);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : FaultConfig{};
}

TEST(FaultInjector, NthEveryAndLimit) {
  FaultInjector f(config("rules:\n- verbs: [get]\n  nth: 2\n  every: 5\n  limit: 2\n"
                         "  fault: serviceUnavailable\n"),
                  std::nullopt);
  std::vector<int> fired;
  for (int i = 1; i <= 12; ++i) {
    if (f.decide(request("get", "rollouts")).response) fired.push_back(i);
    EXPECT_FALSE(f.decide(request("list", "rollouts")).response);  // not counted: no match
  }
  EXPECT_EQ(fired, (std::vector<int>{2, 5}));  // 10 would be the third: over the limit
  EXPECT_NE(f.renderMetrics().find("vane_apiserver_injected_faults_total{fault=\""
                                   "serviceUnavailable\",verb=\"get\",resource=\"rollouts\"} 2"),
            std::string::npos)
      << f.renderMetrics();
}

std::vector<int> firedAt(uint64_t seed) {
  FaultInjector f(config("seed: 3\nrules:\n- rate: 0.3\n  fault: internalError\n"), seed);
  std::vector<int> fired;
  for (int i = 0; i < 200; ++i) {
    if (f.decide(request("update", "rollouts")).response) fired.push_back(i);
  }
  return fired;
}

TEST(FaultInjector, RateIsSeededSoARunReplays) {
  auto a = firedAt(11), b = firedAt(11), c = firedAt(12);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_GT(a.size(), 30u);  // about 60 of 200
  EXPECT_LT(a.size(), 100u);
  FaultInjector from_file(config("seed: 11\nrules:\n- rate: 0.3\n  fault: internalError\n"),
                          std::nullopt);
  EXPECT_EQ(from_file.seed(), 11u);
}

TEST(FaultInjector, StatusBodiesAsKubeApiserver) {
  FaultInjector f(config(R"(rules:
- {verbs: [update], every: 1, fault: conflict}
- {verbs: [list], every: 1, fault: tooManyRequests, retryAfterSeconds: 3}
- {verbs: [get], every: 1, fault: internalError}
- {verbs: [create], every: 1, fault: serviceUnavailable}
- {verbs: [delete], every: 1, fault: gone}
- {verbs: ["*"], every: 1, fault: latency, latency: 1ms}
)"),
                  std::nullopt);
  auto body = [&](const std::string& verb, int code) {
    auto d = f.decide(request(verb, "rollouts"));
    EXPECT_EQ(d.latency, std::chrono::milliseconds(1)) << verb;
    EXPECT_TRUE(d.response) << verb;
    if (!d.response) return json();
    EXPECT_EQ(d.response->status, code);
    return json::parse(d.response->body);
  };
  json c = body("update", 409);
  EXPECT_EQ(c["reason"], "Conflict");
  EXPECT_EQ(c["message"],
            "Operation cannot be fulfilled on rollouts.argoproj.io \"web\": the object has been "
            "modified; please apply your changes to the latest version and try again");
  EXPECT_EQ(c["details"], (json{{"name", "web"}, {"group", "argoproj.io"}, {"kind", "rollouts"}}));
  auto d = f.decide(request("list", "rollouts"));
  ASSERT_TRUE(d.response);
  EXPECT_EQ(d.response->status, 429);
  EXPECT_EQ(http::findHeader(d.response->headers, "Retry-After"), "3");
  EXPECT_EQ(json::parse(d.response->body)["details"]["retryAfterSeconds"], 3);
  EXPECT_EQ(json::parse(d.response->body)["reason"], "TooManyRequests");
  EXPECT_EQ(body("get", 500)["reason"], "InternalError");
  EXPECT_EQ(body("create", 503)["reason"], "ServiceUnavailable");
  json g = body("delete", 410);
  EXPECT_EQ(g["reason"], "Expired");
  EXPECT_EQ(g["kind"], "Status");
  EXPECT_EQ(g["status"], "Failure");
}

class RecordingWriter : public http::StreamWriter {
 public:
  bool write(std::string chunk) override {
    if (closed) return false;
    lines.push_back(std::move(chunk));
    return true;
  }
  void close() override { closed = true; }
  bool isOpen() const override { return !closed; }
  std::vector<std::string> lines;
  bool closed = false;
};

// A watch stream that writes n events, then reports whether its writer was still open.
http::Response eventStream(int n, bool* open_after) {
  http::Response r;
  r.stream = [n, open_after](std::shared_ptr<http::StreamWriter> w) {
    for (int i = 0; i < n; ++i) w->write("{\"type\":\"ADDED\"}\n");
    *open_after = w->isOpen();
  };
  return r;
}

TEST(FaultInjector, WatchClosedAfterEvents) {
  FaultInjector f(
      config("rules:\n- {verbs: [watch], every: 1, fault: watchClose, afterEvents: 3}\n"),
      std::nullopt);
  auto d = f.decide(request("watch", "rollouts"));
  ASSERT_TRUE(d.watch);
  EXPECT_FALSE(d.response);
  bool open = true;
  http::Response r = eventStream(5, &open);
  f.wrapWatch(*d.watch, r);
  auto w = std::make_shared<RecordingWriter>();
  r.stream(w);
  EXPECT_EQ(w->lines.size(), 3u);
  EXPECT_TRUE(w->closed);
  EXPECT_FALSE(open);
}

TEST(FaultInjector, WatchGoneSendsAnExpiredErrorEvent) {
  FaultInjector f(config("rules:\n- {verbs: [watch], nth: 1, fault: watchGone, afterEvents: 2}\n"
                         "- {verbs: [watch], nth: 2, fault: watchGone}\n"),
                  std::nullopt);
  bool open = true;
  auto d = f.decide(request("watch", "rollouts"));
  ASSERT_TRUE(d.watch);
  http::Response r = eventStream(4, &open);
  f.wrapWatch(*d.watch, r);
  auto w = std::make_shared<RecordingWriter>();
  r.stream(w);
  ASSERT_EQ(w->lines.size(), 3u);
  json err = json::parse(w->lines[2]);
  EXPECT_EQ(err["type"], "ERROR");
  EXPECT_EQ(err["object"]["code"], 410);
  EXPECT_EQ(err["object"]["reason"], "Expired");
  EXPECT_TRUE(w->closed);
  // The second watch: the ERROR at once, before any event (a too-old resourceVersion).
  d = f.decide(request("watch", "rollouts"));
  ASSERT_TRUE(d.watch);
  r = eventStream(4, &open);
  f.wrapWatch(*d.watch, r);
  w = std::make_shared<RecordingWriter>();
  r.stream(w);
  ASSERT_EQ(w->lines.size(), 1u);
  EXPECT_EQ(json::parse(w->lines[0])["object"]["code"], 410);
  // The third: no rule fires.
  EXPECT_FALSE(f.decide(request("watch", "rollouts")).watch);
}

TEST(FaultInjector, WatchClosedAfterTime) {
  FaultInjector f(
      config("rules:\n- {verbs: [watch], every: 1, fault: watchClose, afterSeconds: 50ms}\n"),
      std::nullopt);
  auto d = f.decide(request("watch", "rollouts"));
  ASSERT_TRUE(d.watch);
  http::Response r;
  std::shared_ptr<http::StreamWriter> kept;
  r.stream = [&kept](std::shared_ptr<http::StreamWriter> w) { kept = w; };
  f.wrapWatch(*d.watch, r);
  auto w = std::make_shared<RecordingWriter>();
  r.stream(w);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->isOpen());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!w->closed && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(w->closed);
  EXPECT_FALSE(kept->isOpen());
}

}  // namespace
}  // namespace vane::apiserver
