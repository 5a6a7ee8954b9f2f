// Reads Argo's notification ConfigMap and Secret from the API server for the notifier: the
// controller namespace's always, the object's own namespace's too with self-service
// notifications (--self-service-notification-enabled). Each namespace's pair is re-read at most
// every refresh interval; an invalid configuration is logged once per change and skipped.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "kube/client.h"
#include "notifications/argo_notifier.h"

namespace vane::notifications {

class ArgoConfigLoader {
 public:
  ArgoConfigLoader(kube::Client& client, std::string controller_namespace, bool self_service,
                   LogSink log = nullptr,
                   std::chrono::milliseconds refresh = std::chrono::seconds(10))
      : client_(client),
        controller_ns_(std::move(controller_namespace)),
        self_service_(self_service),
        log_(std::move(log)),
        refresh_(refresh) {}

  /// The configurations for objects in ns (a ConfigSource). Thread-safe.
  std::vector<std::shared_ptr<const ArgoConfig>> configs(const std::string& ns);

  /// The AnalysisRuns owned by a Rollout (for .analysisRuns), from the API server.
  json analysisRuns(const json& rollout);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point read;
    std::string source;  // the ConfigMap and Secret as read, to log a bad one once
    std::shared_ptr<const ArgoConfig> config;
  };
  std::shared_ptr<const ArgoConfig> load(const std::string& ns);

  kube::Client& client_;
  std::string controller_ns_;
  bool self_service_;
  LogSink log_;
  std::chrono::milliseconds refresh_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;
};

}  // namespace vane::notifications

namespace vane::notifications {

/// Argo-format notifications as vane-controller runs them: the loader reading the controller
/// namespace's (and with self_service each Rollout namespace's) ConfigMap and Secret, and the
/// notifier it feeds, with .analysisRuns read from the API server.
class ArgoNotifications {
 public:
  ArgoNotifications(kube::Client& client, std::string controller_namespace, bool self_service,
                    LogSink log = nullptr, ArgoNotifierOptions options = {})
      : loader_(client, std::move(controller_namespace), self_service, log),
        notifier_([this](const std::string& ns) { return loader_.configs(ns); }, options, log) {
    notifier_.setVarsSource([this](const json& rollout) { return loader_.analysisRuns(rollout); });
  }
  ArgoNotifier& notifier() { return notifier_; }
  void stop() { notifier_.stop(); }

 private:
  ArgoConfigLoader loader_;
  ArgoNotifier notifier_;
};

}  // namespace vane::notifications
