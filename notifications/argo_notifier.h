// Delivery of Argo-format notifications: an event about a Rollout (its reason -> trigger) is
// matched against the subscriptions in the Rollout's annotations, the trigger's `when`
// conditions are evaluated, the templates rendered and the requests sent, all on a background
// thread: notify() only queues, so a reconcile never waits on rendering or on a receiver.
//
// Each (event, destination) is sent once: a repeat of the same object, reason and message to the
// same destination within the de-duplication window (a reconcile retried after a conflict records
// its events again) is dropped. Failed sends are retried with exponential backoff (per delivery:
// the webhook service's retryMax/retryWaitMin/retryWaitMax, otherwise 4 attempts from 500 ms);
// a retry waits in the queue, so it never holds up other deliveries.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "notifications/argo_config.h"
#include "notifications/argo_render.h"

namespace vane::notifications {

/// The configurations that apply to objects in a namespace: the controller namespace's, and with
/// self-service notifications the namespace's own. Called on the notifier's thread.
using ConfigSource =
    std::function<std::vector<std::shared_ptr<const ArgoConfig>>(const std::string& ns)>;
/// Extra template variables for an object (analysisRuns). Called on the notifier's thread.
using VarsSource = std::function<json(const json& object)>;
/// Sends an e-mail (sendMail by default; tests may substitute).
using MailSender = std::function<Status(const EmailMessage&)>;
/// Log sink: level ("info", "error") and message.
using LogSink = std::function<void(const std::string& level, const std::string& message)>;
/// Told about every finished delivery (sent, or failed for good) with the event it came from and
/// how long its last attempt took: Argo's notification_send_success / notification_send_error
/// counters and notification_send histogram (controller/metrics/prommetrics.go).
struct SendResult {
  std::string ns, name, type, reason;
  bool ok = false;
  double seconds = 0;
};
using SendObserver = std::function<void(const SendResult&)>;

struct ArgoNotifierOptions {
  std::chrono::milliseconds dedup_window = std::chrono::minutes(10);
  std::size_t max_queue = 1000;  // events (and deliveries) beyond this are dropped and logged
  std::chrono::milliseconds request_timeout{10000};
  /// Multiplies every retry backoff (tests use a small factor).
  double backoff_scale = 1.0;
};

class ArgoNotifier {
 public:
  ArgoNotifier(ConfigSource configs, ArgoNotifierOptions options = {}, LogSink log = nullptr);
  ~ArgoNotifier();
  ArgoNotifier(const ArgoNotifier&) = delete;
  ArgoNotifier& operator=(const ArgoNotifier&) = delete;

  void setVarsSource(VarsSource vars) { vars_ = std::move(vars); }    // before the first notify
  void setMailSender(MailSender mail) { mail_ = std::move(mail); }    // before the first notify
  void setSendObserver(SendObserver o) { observer_ = std::move(o); }  // before the first notify

  /// Queues an event about object (a Rollout); type is the event's (Normal, Warning). Never
  /// blocks; thread-safe.
  void notify(const json& object, const std::string& reason, const std::string& message,
              const std::string& type = "Normal");
  /// Waits until every queued event was processed and every delivery finished (sent, failed or
  /// given up). True when drained within timeout.
  bool drain(std::chrono::milliseconds timeout);
  /// Stops the thread; queued work is dropped. Idempotent.
  void stop();

  struct Counts {
    int sent = 0, failed = 0, retried = 0, deduplicated = 0, dropped = 0;
  };
  Counts counts() const;

 private:
  struct Event {
    json object;
    std::string reason, message, type;
  };
  struct Job {
    Delivery delivery;
    int attempt = 0;
    std::chrono::steady_clock::time_point due;
    std::string what;   // "on-rollout-completed to slack:#ops for default/web", for logs
    SendResult result;  // the event's labels, for the observer
  };
  void run();
  void process(const Event& e);  // on the worker, without the lock
  bool attempt(Job& job);        // true when finished (sent or failed for good)
  bool seen(const std::string& key);
  void log(const std::string& level, const std::string& message) const;

  ConfigSource configs_;
  ArgoNotifierOptions options_;
  LogSink log_;
  VarsSource vars_;
  MailSender mail_;
  SendObserver observer_;
  std::unique_ptr<http::Client> client_, insecure_client_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  std::deque<Job> jobs_;
  std::map<std::string, std::chrono::steady_clock::time_point> recent_;  // de-dup keys
  Counts counts_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace vane::notifications
