// Outbound notifications: webhooks on rollout events, configured by the ConfigMap
// `vane-notifications` in the controller's namespace. Delivery runs on a background thread with
// retries and backoff, so a reconcile never waits on a receiver.
//
// ConfigMap data key `webhooks` (YAML or JSON list):
//   - name: ops                        # required, unique
//     url: http://chat.example/hook    # required, http or https
//     headers: {Authorization: "Bearer x"}
//     events: [on-rollout-aborted, on-analysis-run-failed]   # default: every event
//     preset: slack                    # body {"text": "<summary>"}; or give a template
//     template: '{"rollout":"{{rollout}}","event":"{{event}}","message":"{{message}}"}'
// Template variables: rollout, namespace, event, reason, message, revision, phase, time, summary.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "kube/events.h"
#include "kube/http.h"
#include "kube/status.h"
#include "notifications/argo_notifier.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
}  // namespace prometheus

namespace vane::controller {

inline constexpr const char* kNotificationsConfigMap = "vane-notifications";

/// Argo's trigger names, derived from event reasons (`on-<kebab-case reason>`).
std::string triggerForReason(const std::string& reason);

struct NotificationEvent {
  std::string rollout, namespace_, reason, message, revision, phase;
  std::string type = "Normal";  // or Warning
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
};

struct WebhookConfig {
  std::string name, url, preset, body_template;
  http::Headers headers;
  std::vector<std::string> events;  // empty: all
};

/// Parses the ConfigMap (its whole JSON object); errors name the field, e.g.
/// "data.webhooks[1].url: Required value".
Result<std::vector<WebhookConfig>> parseNotificationConfig(const nlohmann::json& configmap);

/// Renders the body for one webhook: the template with variables substituted (JSON-escaped when
/// the template is JSON), the slack preset, or a default JSON document.
std::string renderNotification(const WebhookConfig& hook, const NotificationEvent& event);

struct NotifierOptions {
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{500};
  std::size_t max_queue = 1000;  // events beyond this are dropped and counted
};

class Notifier {
 public:
  Notifier(std::unique_ptr<http::Client> client, NotifierOptions options = {},
           prometheus::Registry* registry = nullptr);
  ~Notifier();
  /// Replaces the webhook configuration (from the ConfigMap; empty list disables).
  void configure(std::vector<WebhookConfig> hooks);
  /// Queues the event for every webhook subscribed to its trigger. Never blocks.
  void notify(const NotificationEvent& event);
  /// Waits until the queue is empty and nothing is in flight (tests, shutdown).
  bool drain(std::chrono::milliseconds timeout);
  void stop();

 private:
  struct Job {
    WebhookConfig hook;
    std::string body;
  };
  void run();
  void count(const std::string& result);

  std::unique_ptr<http::Client> client_;
  NotifierOptions options_;
  prometheus::Family<prometheus::Counter>* deliveries_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WebhookConfig> hooks_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

/// An EventRecorder that also feeds the notifier (events about Rollouts) and an event counter
/// (rollout_events_total), then records the event through the wrapped recorder.
class NotifyingEventRecorder : public kube::EventRecorder {
 public:
  using Counter = std::function<void(const std::string& ns, const std::string& name,
                                     const std::string& type, const std::string& reason)>;
  NotifyingEventRecorder(kube::EventRecorder& inner, Notifier* notifier, Counter counter)
      : inner_(inner), notifier_(notifier), counter_(std::move(counter)) {}
  bool event(const nlohmann::json& object, const std::string& type, const std::string& reason,
             const std::string& message) override;
  /// Also sends Rollout events to Argo-format notifications (argo-rollouts-notification-configmap);
  /// nullptr disables. Set before events are recorded.
  void setArgoNotifier(notifications::ArgoNotifier* argo) { argo_ = argo; }
  bool flush(std::chrono::milliseconds timeout) override { return inner_.flush(timeout); }
  void stop() override { inner_.stop(); }

 private:
  kube::EventRecorder& inner_;
  Notifier* notifier_;
  notifications::ArgoNotifier* argo_ = nullptr;
  Counter counter_;
};

}  // namespace vane::controller
