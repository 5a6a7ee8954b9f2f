#include "apiserver/faults.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "apiserver/errors.h"
#include "base/duration.h"
#include "base/log.h"

namespace vane::apiserver {

namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kFaultVerbs = {
    "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*"};

struct KindName {
  FaultKind kind;
  const char* name;
};
constexpr KindName kKinds[] = {
    {FaultKind::kConflict, "conflict"},
    {FaultKind::kTooManyRequests, "tooManyRequests"},
    {FaultKind::kInternalError, "internalError"},
    {FaultKind::kServiceUnavailable, "serviceUnavailable"},
    {FaultKind::kLatency, "latency"},
    {FaultKind::kGone, "gone"},
    {FaultKind::kWatchClose, "watchClose"},
    {FaultKind::kWatchGone, "watchGone"},
};

Status invalid(const std::string& field, const std::string& why) {
  return Status(Code::kInvalid, "faults: " + field + ": " + why, field);
}

// A scalar or a list of scalars, as a list.
Result<std::vector<std::string>> stringList(const YAML::Node& n, const std::string& field) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) return invalid(field + "[" + std::to_string(i) + "]", "not a string");
      out.push_back(n[i].Scalar());
    }
  } else {
    return invalid(field, "expected a string or a list of strings");
  }
  if (out.empty()) return invalid(field, "empty list");
  return out;
}

Result<uint64_t> count(const YAML::Node& n, const std::string& field) {
  if (!n.IsScalar()) return invalid(field, "expected a non-negative integer");
  const std::string& s = n.Scalar();
  if (s.empty() || !std::all_of(s.begin(), s.end(), ::isdigit) || s.size() > 18) {
    return invalid(field, "expected a non-negative integer, got \"" + s + "\"");
  }
  return std::stoull(s);
}

// "250ms", "2s", or a bare number of seconds.
Result<std::chrono::milliseconds> duration(const YAML::Node& n, const std::string& field) {
  if (!n.IsScalar()) return invalid(field, "expected a duration such as 200ms or 2s");
  auto d = base::parseDuration(n.Scalar());
  if (!d.ok()) return invalid(field, d.status().message());
  if (d->count() < 0) return invalid(field, "must not be negative");
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

Result<FaultRule> parseRule(const YAML::Node& n, const std::string& path) {
  if (!n.IsMap()) return invalid(path, "expected a mapping");
  static const std::vector<std::string> kKeys = {
      "verbs",   "verb",        "resources",    "resource", "rate",
      "nth",     "every",       "limit",        "fault",    "retryAfterSeconds",
      "latency", "afterEvents", "afterSeconds", "userAgent"};
  for (const auto& kv : n) {
    std::string key = kv.first.Scalar();
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      return invalid(path + "." + key, "unknown field");
    }
  }
  FaultRule r;
  for (const char* k : {"verbs", "verb"}) {
    if (!n[k]) continue;
    auto v = stringList(n[k], path + "." + k);
    if (!v.ok()) return v.status();
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (std::find(kFaultVerbs.begin(), kFaultVerbs.end(), (*v)[i]) == kFaultVerbs.end()) {
        return invalid(path + "." + k + "[" + std::to_string(i) + "]",
                       "unknown verb \"" + (*v)[i] +
                           "\" (get, list, watch, create, update, patch, delete, "
                           "deletecollection or *)");
      }
    }
    r.verbs = *v;
  }
  for (const char* k : {"resources", "resource"}) {
    if (!n[k]) continue;
    auto v = stringList(n[k], path + "." + k);
    if (!v.ok()) return v.status();
    for (std::size_t i = 0; i < v->size(); ++i) {
      const std::string& s = (*v)[i];
      if (s.empty() || s.front() == '/' || s.back() == '/' ||
          std::count(s.begin(), s.end(), '/') > 1) {
        return invalid(path + "." + k + "[" + std::to_string(i) + "]",
                       "expected a plural resource, optionally with a subresource "
                       "(rollouts, rollouts/status), or *");
      }
    }
    r.resources = *v;
  }
  if (!n["fault"]) return invalid(path + ".fault", "required");
  {
    const std::string f = n["fault"].IsScalar() ? n["fault"].Scalar() : "";
    auto it = std::find_if(std::begin(kKinds), std::end(kKinds),
                           [&](const KindName& k) { return f == k.name; });
    if (it == std::end(kKinds)) {
      return invalid(path + ".fault",
                     "unknown fault \"" + f +
                         "\" (conflict, tooManyRequests, internalError, serviceUnavailable, "
                         "latency, gone, watchClose, watchGone)");
    }
    r.fault = it->kind;
  }
  if (n["rate"]) {
    double rate = -1;
    if (!n["rate"].IsScalar() || !YAML::convert<double>::decode(n["rate"], rate) || rate < 0 ||
        rate > 1) {
      return invalid(path + ".rate", "expected a number from 0 to 1");
    }
    r.rate = rate;
  }
  struct CountField {
    const char* key;
    uint64_t* out;
  };
  for (auto [key, out] :
       {CountField{"nth", &r.nth}, CountField{"every", &r.every}, CountField{"limit", &r.limit},
        CountField{"afterEvents", &r.after_events}}) {
    if (!n[key]) continue;
    auto v = count(n[key], path + "." + key);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  if (n["retryAfterSeconds"]) {
    auto v = count(n["retryAfterSeconds"], path + ".retryAfterSeconds");
    if (!v.ok()) return v.status();
    r.retry_after_seconds = static_cast<int64_t>(*v);
  }
  if (n["userAgent"]) {
    if (!n["userAgent"].IsScalar() || n["userAgent"].Scalar().empty()) {
      return invalid(path + ".userAgent", "expected a non-empty string (a User-Agent prefix)");
    }
    r.user_agent = n["userAgent"].Scalar();
  }
  if (n["latency"]) {
    auto d = duration(n["latency"], path + ".latency");
    if (!d.ok()) return d.status();
    r.latency = *d;
  }
  if (n["afterSeconds"]) {
    auto d = duration(n["afterSeconds"], path + ".afterSeconds");
    if (!d.ok()) return d.status();
    r.after_time = *d;
  }
  if (r.rate == 0 && r.nth == 0 && r.every == 0) {
    return invalid(path, "needs rate, nth or every (when the fault fires)");
  }
  if (r.fault == FaultKind::kLatency && r.latency.count() == 0) {
    return invalid(path + ".latency", "required by fault latency (e.g. 100ms)");
  }
  bool watch_fault = r.fault == FaultKind::kWatchClose || r.fault == FaultKind::kWatchGone;
  if (watch_fault && (r.verbs.size() != 1 || r.verbs[0] != "watch")) {
    return invalid(path + ".verbs", std::string("fault ") + faultKindName(r.fault) +
                                        " applies to watch requests only: verbs: [watch]");
  }
  if (r.fault == FaultKind::kWatchClose && r.after_events == 0 && r.after_time.count() == 0) {
    return invalid(path + ".afterEvents", "watchClose needs afterEvents or afterSeconds");
  }
  return r;
}

std::string labelValue(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

const char* faultKindName(FaultKind k) {
  for (const auto& kn : kKinds) {
    if (kn.kind == k) return kn.name;
  }
  return "unknown";
}

Result<FaultConfig> parseFaultConfig(const std::string& yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return Status(Code::kInvalid, std::string("faults: not YAML: ") + e.what());
  }
  if (!root.IsMap()) return invalid("(top level)", "expected a mapping with seed and rules");
  FaultConfig config;
  for (const auto& kv : root) {
    std::string key = kv.first.Scalar();
    if (key != "seed" && key != "rules") return invalid(key, "unknown field (seed, rules)");
  }
  if (root["seed"]) {
    auto s = count(root["seed"], "seed");
    if (!s.ok()) return s.status();
    config.seed = *s;
  }
  if (!root["rules"]) return invalid("rules", "required");
  if (!root["rules"].IsSequence()) return invalid("rules", "expected a list of rules");
  for (std::size_t i = 0; i < root["rules"].size(); ++i) {
    auto r = parseRule(root["rules"][i], "rules[" + std::to_string(i) + "]");
    if (!r.ok()) return r.status();
    config.rules.push_back(std::move(*r));
  }
  return config;
}

bool faultRuleMatches(const FaultRule& rule, const FaultRequest& req) {
  auto any = [](const std::vector<std::string>& v, const std::string& s) {
    return v.empty() || std::find(v.begin(), v.end(), "*") != v.end() ||
           std::find(v.begin(), v.end(), s) != v.end();
  };
  if (!any(rule.verbs, req.verb)) return false;
  if (req.user_agent.rfind(rule.user_agent, 0) != 0) return false;
  std::string resource = req.sub.empty() ? req.resource : req.resource + "/" + req.sub;
  return any(rule.resources, resource);
}

http::Response tooManyRequestsResponse(int64_t retry_after_seconds) {
  http::Response r =
      statusResponse(429, "TooManyRequests", "Too many requests, please try again later.",
                     {{"retryAfterSeconds", retry_after_seconds}});
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

http::Response internalErrorResponse(const std::string& cause) {
  return statusResponse(500, "InternalError", "Internal error occurred: " + cause,
                        {{"causes", {{{"message", cause}}}}});
}

http::Response serviceUnavailableResponse() {
  return statusResponse(503, "ServiceUnavailable",
                        "the server is currently unable to handle the request");
}

http::Response expiredResponse() {
  return statusResponse(410, "Expired",
                        "The provided continue parameter is too old to display a consistent list "
                        "result. You can start a new list without the continue parameter.");
}

// Named (not anonymous): FaultInjector::Impl holds these, and a member of an anonymous type
// in a class with external linkage is -Wsubobject-linkage.
namespace faults_detail {

const char kExpiredWatchMessage[] = "too old resource version (injected fault)";

// Closes a watch as planned. write() counts the events; the injector's timer thread ends the
// stream after its time.
class FaultyWriter : public http::StreamWriter {
 public:
  FaultyWriter(std::shared_ptr<http::StreamWriter> inner, WatchFault fault)
      : inner_(std::move(inner)), fault_(fault) {}
  bool write(std::string chunk) override {
    std::lock_guard lock(mu_);
    if (ended_) return false;
    bool ok = inner_->write(std::move(chunk));
    if (fault_.after_events > 0 && ++events_ >= fault_.after_events) endLocked();
    return ok;
  }
  void close() override {
    std::lock_guard lock(mu_);
    ended_ = true;
    inner_->close();
  }
  bool isOpen() const override {
    std::lock_guard lock(mu_);
    return !ended_ && inner_->isOpen();
  }
  void end() {
    std::lock_guard lock(mu_);
    endLocked();
  }

 private:
  void endLocked() {
    if (ended_) return;
    ended_ = true;
    if (fault_.gone) {
      json line = {{"type", "ERROR"}, {"object", statusBody(410, "Expired", kExpiredWatchMessage)}};
      inner_->write(line.dump() + "\n");
    }
    inner_->close();
  }

  mutable std::mutex mu_;
  std::shared_ptr<http::StreamWriter> inner_;
  WatchFault fault_;
  uint64_t events_ = 0;
  bool ended_ = false;
};

}  // namespace faults_detail
using faults_detail::FaultyWriter;
using faults_detail::kExpiredWatchMessage;

struct FaultInjector::Impl {
  FaultConfig config;
  std::mutex mu;
  std::mt19937_64 rng;
  std::vector<uint64_t> matches;   // per rule
  std::vector<uint64_t> injected;  // per rule
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> counts;

  std::mutex timer_mu;
  std::condition_variable timer_cv;
  std::vector<std::pair<Clock::time_point, std::weak_ptr<FaultyWriter>>> timers;
  bool stopping = false;
  std::thread timer_thread;

  void timerLoop() {
    std::unique_lock lock(timer_mu);
    while (!stopping) {
      timer_cv.wait_for(lock, std::chrono::milliseconds(50));
      auto now = Clock::now();
      std::vector<std::shared_ptr<FaultyWriter>> due;
      std::erase_if(timers, [&](auto& t) {
        if (t.first > now) return t.second.expired();
        if (auto w = t.second.lock()) due.push_back(w);
        return true;
      });
      lock.unlock();
      for (auto& w : due) w->end();
      lock.lock();
    }
  }
};

FaultInjector::FaultInjector(FaultConfig config, std::optional<uint64_t> seed_override)
    : seed_(seed_override.value_or(config.seed.value_or(1))), impl_(std::make_unique<Impl>()) {
  impl_->rng.seed(seed_);
  impl_->matches.assign(config.rules.size(), 0);
  impl_->injected.assign(config.rules.size(), 0);
  impl_->config = std::move(config);
  impl_->timer_thread = std::thread([this] { impl_->timerLoop(); });
}

FaultInjector::~FaultInjector() {
  {
    std::lock_guard lock(impl_->timer_mu);
    impl_->stopping = true;
  }
  impl_->timer_cv.notify_all();
  impl_->timer_thread.join();
}

FaultDecision FaultInjector::decide(const FaultRequest& req) {
  FaultDecision d;
  std::lock_guard lock(impl_->mu);
  const auto& rules = impl_->config.rules;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const FaultRule& rule = rules[i];
    if (!faultRuleMatches(rule, req)) continue;
    uint64_t n = ++impl_->matches[i];
    // The generator advances for every matching rate rule, fired or not, so a replay with the
    // same seed and request order draws the same numbers.
    bool fire =
        rule.rate > 0 && std::uniform_real_distribution<double>(0, 1)(impl_->rng) < rule.rate;
    fire = fire || (rule.nth > 0 && n == rule.nth) || (rule.every > 0 && n % rule.every == 0);
    if (!fire || (rule.limit > 0 && impl_->injected[i] >= rule.limit)) continue;
    bool is_latency = rule.fault == FaultKind::kLatency;
    bool is_watch = rule.fault == FaultKind::kWatchClose || rule.fault == FaultKind::kWatchGone;
    if (!is_latency && (d.response || d.watch)) continue;  // one ending per request
    ++impl_->injected[i];
    std::string resource = req.sub.empty() ? req.resource : req.resource + "/" + req.sub;
    ++impl_->counts[{faultKindName(rule.fault), req.verb, resource}];
    log::debug("injected fault", {{"fault", faultKindName(rule.fault)},
                                  {"rule", static_cast<int64_t>(i)},
                                  {"verb", req.verb},
                                  {"resource", resource},
                                  {"namespace", req.ns},
                                  {"name", req.name},
                                  {"match", static_cast<int64_t>(n)}});
    if (is_latency) {
      d.latency += rule.latency;
    } else if (is_watch) {
      d.watch = WatchFault{rule.fault == FaultKind::kWatchGone, rule.after_events, rule.after_time};
    } else {
      switch (rule.fault) {
        case FaultKind::kConflict: {
          std::string qualified = req.group.empty() ? req.resource : req.resource + "." + req.group;
          json details = {{"name", req.name}, {"kind", req.resource}};
          if (!req.group.empty()) details["group"] = req.group;
          d.response =
              statusResponse(409, "Conflict",
                             "Operation cannot be fulfilled on " + qualified + " \"" + req.name +
                                 "\": the object has been modified; please apply your "
                                 "changes to the latest version and try again",
                             details);
          break;
        }
        case FaultKind::kTooManyRequests:
          d.response = tooManyRequestsResponse(rule.retry_after_seconds);
          break;
        case FaultKind::kInternalError:
          d.response = internalErrorResponse("injected fault");
          break;
        case FaultKind::kServiceUnavailable:
          d.response = serviceUnavailableResponse();
          break;
        case FaultKind::kGone:
          d.response = expiredResponse();
          break;
        default:
          break;
      }
    }
  }
  return d;
}

FaultDecision FaultInjector::apply(const FaultRequest& req) {
  FaultDecision d = decide(req);
  if (d.latency.count() > 0) std::this_thread::sleep_for(d.latency);
  return d;
}

void FaultInjector::wrapWatch(const WatchFault& fault, http::Response& response) {
  if (!response.stream) return;
  auto inner = std::move(response.stream);
  response.stream = [this, fault, inner](std::shared_ptr<http::StreamWriter> writer) {
    auto faulty = std::make_shared<FaultyWriter>(std::move(writer), fault);
    if (fault.after_events == 0 && fault.after_time.count() == 0) {
      faulty->end();  // at once, as kube-apiserver answers a too-old resourceVersion
    } else if (fault.after_time.count() > 0) {
      std::lock_guard lock(impl_->timer_mu);
      impl_->timers.emplace_back(Clock::now() + fault.after_time, faulty);
    }
    inner(faulty);
  };
}

std::string FaultInjector::renderMetrics() const {
  std::ostringstream out;
  out << "# HELP vane_apiserver_injected_faults_total Faults injected by --faults, by fault, verb "
         "and resource.\n# TYPE vane_apiserver_injected_faults_total counter\n";
  std::lock_guard lock(impl_->mu);
  for (const auto& [key, n] : impl_->counts) {
    const auto& [fault, verb, resource] = key;
    out << "vane_apiserver_injected_faults_total{fault=\"" << labelValue(fault) << "\",verb=\""
        << labelValue(verb) << "\",resource=\"" << labelValue(resource) << "\"} " << n << "\n";
  }
  return out.str();
}

}  // namespace vane::apiserver
