#include "notifications/argo_notifier.h"

#include <algorithm>
#include <set>

#include "base/log.h"
#include "notifications/gotemplate.h"
#include "notifications/smtp.h"

namespace vane::notifications {

using Clock = std::chrono::steady_clock;

ArgoNotifier::ArgoNotifier(ConfigSource configs, ArgoNotifierOptions options, LogSink log)
    : configs_(std::move(configs)), options_(options), log_(std::move(log)) {
  mail_ = [timeout = options_.request_timeout](const EmailMessage& m) {
    return sendMail(m, timeout);
  };
  if (auto c = http::Client::create({}); c) client_ = std::move(*c);
  http::ClientOptions insecure;
  insecure.tls.insecure_skip_verify = true;
  if (auto c = http::Client::create(insecure); c) insecure_client_ = std::move(*c);
  worker_ = std::thread([this] { run(); });
}

ArgoNotifier::~ArgoNotifier() { stop(); }

void ArgoNotifier::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void ArgoNotifier::log(const std::string& level, const std::string& message) const {
  if (log_) {
    log_(level, message);
  } else {
    auto l = vane::log::parseLevel(level);
    vane::log::write(l ? *l : vane::log::Level::kInfo, message, {{"component", "notifications"}});
  }
}

ArgoNotifier::Counts ArgoNotifier::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

void ArgoNotifier::notify(const json& object, const std::string& reason, const std::string& message,
                          const std::string& type) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  if (events_.size() >= options_.max_queue) {
    ++counts_.dropped;
    return;
  }
  events_.push_back({object, reason, message, type});
  cv_.notify_all();
}

bool ArgoNotifier::drain(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return events_.empty() && jobs_.empty() && !busy_; });
}

bool ArgoNotifier::seen(const std::string& key) {
  const auto now = Clock::now();
  for (auto it = recent_.begin(); it != recent_.end();) {
    it = now - it->second > options_.dedup_window ? recent_.erase(it) : std::next(it);
  }
  auto [it, inserted] = recent_.emplace(key, now);
  return !inserted;
}

void ArgoNotifier::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (!events_.empty()) {
      Event e = std::move(events_.front());
      events_.pop_front();
      busy_ = true;
      lock.unlock();
      process(e);
      lock.lock();
      busy_ = false;
      cv_.notify_all();
      continue;
    }
    auto next = std::min_element(jobs_.begin(), jobs_.end(),
                                 [](const Job& a, const Job& b) { return a.due < b.due; });
    if (next == jobs_.end()) {
      cv_.wait(lock, [&] { return stopping_ || !events_.empty() || !jobs_.empty(); });
      continue;
    }
    if (next->due > Clock::now()) {
      cv_.wait_until(lock, next->due, [&] { return stopping_ || !events_.empty(); });
      continue;
    }
    Job job = std::move(*next);
    jobs_.erase(next);
    busy_ = true;
    lock.unlock();
    const bool done = attempt(job);
    lock.lock();
    busy_ = false;
    if (!done) jobs_.push_back(std::move(job));
    cv_.notify_all();
  }
}

void ArgoNotifier::process(const Event& e) {
  const json& meta = e.object.value("metadata", json::object());
  const std::string ns = meta.value("namespace", ""), name = meta.value("name", "");
  const std::string trigger = triggerForReason(e.reason);
  const json annotations = meta.value("annotations", json::object());
  const auto configs = configs_(ns);
  // With self-service notifications two configurations apply; a subscription is served by the
  // one that configures its service, and is an error only when none does.
  std::set<std::string> served, unknown;
  for (std::size_t ci = 0; ci < configs.size(); ++ci) {
    const ArgoConfig& config = *configs[ci];
    auto subs = subscriptions(annotations, config);
    auto dests = subs.find(trigger);
    if (dests == subs.end()) continue;
    for (const Destination& d : dests->second) {
      (config.services.count(d.service) != 0 ? served : unknown).insert(d.service);
    }
    json vars = {
        {"rollout", e.object}, {"secrets", config.secrets}, {"time", gotmpl::timeNamespace()}};
    if (vars_) vars["analysisRuns"] = vars_(e.object);
    auto templates = runTrigger(config, trigger, vars);
    if (!templates) {
      log("error", "Rollout " + ns + "/" + name + ": " + templates.status().toString());
      continue;
    }
    if (templates->empty()) continue;
    for (const Destination& d : dests->second) {
      if (config.services.count(d.service) == 0) continue;
      const std::string key = std::to_string(ci) + "|" + meta.value("uid", ns + "/" + name) + "|" +
                              e.reason + "|" + e.message + "|" + d.service + "|" + d.recipient;
      const std::string what =
          trigger + " to " + d.service + ":" + d.recipient + " for " + ns + "/" + name;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (seen(key)) {
          ++counts_.deduplicated;
          continue;
        }
      }
      auto deliveries = render(config, *templates, d, vars);
      if (!deliveries) {
        log("error", what + ": " + deliveries.status().toString());
        std::lock_guard<std::mutex> lock(mu_);
        ++counts_.failed;
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& del : *deliveries) {
        if (jobs_.size() >= options_.max_queue) {
          ++counts_.dropped;
          continue;
        }
        jobs_.push_back(
            {std::move(del), 0, Clock::now(), what, {ns, name, e.type, e.reason, false, 0}});
      }
    }
  }
  for (const auto& service : unknown) {
    if (served.count(service) == 0) {
      log("error", "Rollout " + ns + "/" + name + " subscribes " + trigger +
                       " to notification service \"" + service + "\", which is not configured");
    }
  }
}

bool ArgoNotifier::attempt(Job& job) {
  ++job.attempt;
  const auto started = Clock::now();
  Status st;
  bool retryable = false;
  Delivery& d = job.delivery;
  if (d.kind == Delivery::Kind::kEmail) {
    st = mail_(d.email);
    retryable = st.code() == Code::kUnavailable || st.code() == Code::kTimeout;
  } else {
    http::Client* client =
        d.insecure_skip_verify && insecure_client_ ? insecure_client_.get() : client_.get();
    d.request.timeout = options_.request_timeout;
    auto res = client != nullptr
                   ? client->send(d.request)
                   : Result<http::ClientResponse>(Status(Code::kInternal, "no HTTP client"));
    if (!res) {
      st = res.status();
      retryable = true;
    } else if (res->status < 200 || res->status >= 300) {
      st = Status(Code::kUnavailable,
                  "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200));
      retryable = res->status >= 500 || res->status == 429;
    } else if (d.slack_api) {
      // Slack answers 200 with {"ok": false, "error": "channel_not_found"} on failures.
      json body = json::parse(res->body, nullptr, false);
      if (!body.is_object() || !body.value("ok", false)) {
        std::string err = body.is_object() ? body.value("error", "") : res->body.substr(0, 200);
        st = Status(Code::kInvalid, "slack: " + err);
        retryable = err == "ratelimited";
      }
    }
  }
  job.result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::unique_lock<std::mutex> lock(mu_);
  if (st.isOk()) {
    ++counts_.sent;
    lock.unlock();
    job.result.ok = true;
    if (observer_) observer_(job.result);
    return true;
  }
  if (retryable && job.attempt < d.max_attempts) {
    ++counts_.retried;
    auto wait = d.backoff_min * (1 << std::min(job.attempt - 1, 16));
    wait = std::min(wait, d.backoff_max);
    job.due =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(wait * options_.backoff_scale);
    return false;
  }
  ++counts_.failed;
  log("error", "notification " + job.what + " failed after " + std::to_string(job.attempt) +
                   " attempt(s): " + st.toString());
  lock.unlock();
  if (observer_) observer_(job.result);
  return true;
}

}  // namespace vane::notifications
