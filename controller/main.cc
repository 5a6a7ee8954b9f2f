// vane-controller: the Rollout and AnalysisRun controllers (Argo Rollouts drop-in).
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "analysis/job_provider.h"
#include "analysis/judge_provider.h"
#include "analysis/prometheus_provider.h"
#include "analysis/provider.h"
#include "analysis/web_provider.h"
#include "controller/alert_hook.h"
#include "controller/manager.h"
#include "controller/metrics.h"
#include "controller/notifications.h"
#include "kube/events.h"
#include "kube/http.h"
#include "kube/leader_election.h"
#include "notifications/argo_loader.h"
#include "trafficrouting/gatewayapi_router.h"
#include "trafficrouting/istio_router.h"
#include "trafficrouting/router.h"

namespace {

std::atomic<bool> g_stop{false};
void onSignal(int) { g_stop = true; }

struct Flags {
  std::string kubeconfig, namespace_, instanceId, metricsAddr = "127.0.0.1:8090",
                                                  healthAddr = "127.0.0.1:8080", logFormat = "text",
                                                  istioApiVersion = "v1alpha3";
  std::string hookAddr, hookTokenFile, hookRolloutLabel = "rollout",
                                       hookNamespaceLabel = "namespace";
  std::string notificationsNamespace;
  bool selfServiceNotifications = false;  // Argo's --self-service-notification-enabled
  bool leaderElect = false;
  // client-go's defaults, as Argo's --leader-election-* flags have them.
  std::chrono::milliseconds leaseDuration{15000}, renewDeadline{10000}, retryPeriod{2000};
  // How long the first list of every informer may take (10,000 Rollouts on a busy server take
  // longer than half a minute).
  std::chrono::milliseconds cacheSyncTimeout{std::chrono::minutes(10)};
  int workers = 2;
  double qps = 40;
  int burst = 80;
};

void usage() {
  std::cerr << "usage: vane-controller [--kubeconfig FILE] [--namespace NS] [--instance-id ID]\n"
               "  [--leader-elect[=true|false]] [--leader-election-lease-duration 15s]\n"
               "  [--leader-election-renew-deadline 10s] [--leader-election-retry-period 2s]\n"
               "  [--workers N] [--qps Q] [--burst B] [--cache-sync-timeout 10m]\n"
               "  [--metrics-addr HOST:PORT] [--health-addr HOST:PORT] [--log-format text|json]\n"
               "  [--istio-api-version v1|v1beta1|v1alpha3]\n"
               "  [--hook-addr HOST:PORT --hook-token-file FILE] [--hook-rollout-label L]\n"
               "  [--hook-namespace-label L] [--notifications-namespace NS]\n"
               "  [--self-service-notification-enabled[=true|false]]\n";
}

// A Go duration made of <number><unit> parts (h, m, s, ms), e.g. "15s", "1m30s", "500ms".
bool parseDuration(const std::string& s, std::chrono::milliseconds& out) {
  double ms = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t used = 0;
    double n;
    try {
      n = std::stod(s.substr(i), &used);
    } catch (const std::exception&) {
      return false;
    }
    i += used;
    std::size_t u = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    std::string unit = s.substr(u, i - u);
    double scale = unit == "ms"  ? 1
                   : unit == "s" ? 1e3
                   : unit == "m" ? 6e4
                   : unit == "h" ? 3.6e6
                                 : -1;
    if (scale < 0 || !(n >= 0)) return false;
    ms += n * scale;
  }
  // Positive and finite, at most about 31 years (no "inf", "nan" or int64 overflow).
  if (s.empty() || !(ms > 0 && ms < 1e12)) return false;
  out = std::chrono::milliseconds(static_cast<int64_t>(ms));
  return true;
}

bool badDuration(const std::string& flag, const std::string& value) {
  std::cerr << "vane-controller: " << flag << ": invalid duration \"" << value
            << "\" (a positive Go duration such as 15s, 1m30s or 500ms)\n";
  return false;
}

bool parse(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], v;
    auto eq = a.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      v = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    auto next = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) return false;
      v = argv[++i];
      return true;
    };
    if (a == "--leader-elect") {
      f.leaderElect = !has_value || v == "true";
      continue;
    }
    if (a == "--self-service-notification-enabled") {
      f.selfServiceNotifications = !has_value || v == "true";
      continue;
    }
    if (a == "-h" || a == "--help") return false;
    if (!next()) return false;
    if (a == "--kubeconfig")
      f.kubeconfig = v;
    else if (a == "--namespace" || a == "-n")
      f.namespace_ = v;
    else if (a == "--instance-id")
      f.instanceId = v;
    else if (a == "--workers" || a == "--rollout-threads")
      f.workers = std::atoi(v.c_str());
    else if (a == "--qps")
      f.qps = std::atof(v.c_str());
    else if (a == "--burst")
      f.burst = std::atoi(v.c_str());
    else if (a == "--metrics-addr")
      f.metricsAddr = v;
    else if (a == "--health-addr")
      f.healthAddr = v;
    else if (a == "--log-format" || a == "--logformat")
      f.logFormat = v;
    else if (a == "--hook-addr")
      f.hookAddr = v;
    else if (a == "--hook-token-file")
      f.hookTokenFile = v;
    else if (a == "--hook-rollout-label")
      f.hookRolloutLabel = v;
    else if (a == "--hook-namespace-label")
      f.hookNamespaceLabel = v;
    else if (a == "--notifications-namespace")
      f.notificationsNamespace = v;
    else if (a == "--istio-api-version")
      f.istioApiVersion = v;
    // Argo's spelling first, then Kubernetes component-base's (--leader-elect-*).
    else if (a == "--leader-election-lease-duration" || a == "--leader-elect-lease-duration") {
      if (!parseDuration(v, f.leaseDuration)) return badDuration(a, v);
    } else if (a == "--leader-election-renew-deadline" || a == "--leader-elect-renew-deadline") {
      if (!parseDuration(v, f.renewDeadline)) return badDuration(a, v);
    } else if (a == "--leader-election-retry-period" || a == "--leader-elect-retry-period") {
      if (!parseDuration(v, f.retryPeriod)) return badDuration(a, v);
    } else if (a == "--cache-sync-timeout") {
      if (!parseDuration(v, f.cacheSyncTimeout)) return badDuration(a, v);
    } else
      return false;
  }
  return f.workers > 0 && (f.logFormat == "text" || f.logFormat == "json");
}

void log(const Flags& f, const std::string& level, const std::string& msg) {
  if (f.logFormat == "json") {
    std::cerr << nlohmann::json{{"level", level}, {"msg", msg}}.dump() << "\n";
  } else {
    std::cerr << level << ": " << msg << "\n";
  }
}

// Wall-clock time with microseconds, so leadership changes logged by different processes on one
// machine can be put in order.
std::string nowString() { return vane::kube::microTime(std::chrono::system_clock::now()); }

}  // namespace

int main(int argc, char** argv) {
  using namespace vane;
  Flags flags;
  if (!parse(argc, argv, flags)) {
    usage();
    return 2;
  }
  auto config = flags.kubeconfig.empty() && std::getenv("KUBERNETES_SERVICE_HOST")
                    ? kube::inClusterConfig()
                    : kube::loadKubeconfig(flags.kubeconfig);
  if (!config) {
    log(flags, "error", "loading config: " + config.status().toString());
    return 1;
  }
  config->qps = flags.qps;
  config->burst = flags.burst;
  config->user_agent = "vane-controller";
  auto client = kube::Client::create(*config);
  if (!client) {
    log(flags, "error", "client: " + client.status().toString());
    return 1;
  }
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);

  controller::ControllerMetrics metrics;
  (*client)->setRequestObserver([&metrics](const std::string& verb, const std::string& r,
                                           int code) { metrics.observeRequest(verb, r, code); });
  auto recorder = kube::EventRecorder::create(**client);
  trafficrouting::RouterRegistry routers;
  trafficrouting::registerIstioRouter(routers, **client);
  trafficrouting::registerGatewayApiRouter(routers, **client);
  analysis::ProviderRegistry providers;
  providers.add(std::make_unique<analysis::PrometheusProvider>());
  providers.add(std::make_unique<analysis::WebProvider>());
  providers.add(std::make_unique<analysis::JudgeProvider>());  // provider.plugin["vane.dev/judge"]
  providers.add(std::make_unique<analysis::KayentaUnsupportedProvider>());
  providers.add(std::make_unique<analysis::JobProvider>(**client));

  // Notifications: webhooks from the ConfigMap vane-notifications, re-read every 30 s.
  std::unique_ptr<controller::Notifier> notifier;
  if (auto hc = http::Client::create({}); hc) {
    notifier = std::make_unique<controller::Notifier>(std::move(*hc), controller::NotifierOptions{},
                                                      &metrics.registry());
  }
  controller::NotifyingEventRecorder events(
      *recorder, notifier.get(),
      [&metrics](const std::string& ns, const std::string& name, const std::string& type,
                 const std::string& reason) { metrics.event(ns, name, type, reason); });
  // Argo's argo-rollouts-notification-configmap/-secret: in the namespace the controller runs
  // in; outside a cluster --notifications-namespace, default argo-rollouts.
  notifications::ArgoNotifications argo_notifications(
      **client,
      !flags.notificationsNamespace.empty() ? flags.notificationsNamespace
      : std::getenv("KUBERNETES_SERVICE_HOST") && !config->namespace_.empty() ? config->namespace_
                                                                              : "argo-rollouts",
      flags.selfServiceNotifications,
      [&flags](const std::string& level, const std::string& msg) { log(flags, level, msg); });
  events.setArgoNotifier(&argo_notifications.notifier());
  const std::string notifications_ns = !flags.notificationsNamespace.empty()
                                           ? flags.notificationsNamespace
                                       : !flags.namespace_.empty()   ? flags.namespace_
                                       : !config->namespace_.empty() ? config->namespace_
                                                                     : "default";
  std::thread notifications_loader([&] {
    std::string last;
    while (!g_stop && notifier) {
      auto cm = (*client)->get(kube::resources::kConfigMaps, notifications_ns,
                               controller::kNotificationsConfigMap);
      std::string now = cm ? cm->dump() : "";
      if (now != last) {
        last = now;
        auto hooks = cm ? controller::parseNotificationConfig(*cm)
                        : Result<std::vector<controller::WebhookConfig>>(
                              std::vector<controller::WebhookConfig>{});
        if (hooks) {
          notifier->configure(std::move(*hooks));
        } else {
          log(flags, "error",
              "ConfigMap " + notifications_ns + "/" + controller::kNotificationsConfigMap + ": " +
                  hooks.status().toString());
        }
      }
      for (int i = 0; i < 300 && !g_stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  controller::ControllerOptions opts;
  opts.namespace_ = flags.namespace_;
  opts.instanceId = flags.instanceId;
  opts.workers = flags.workers;
  opts.istioApiVersion = flags.istioApiVersion;
  opts.observer = [&metrics](const std::string& key, std::chrono::microseconds d, const Status& s) {
    auto slash = key.find('/');
    metrics.observeRolloutReconcile(key.substr(0, slash), key.substr(slash + 1),
                                    static_cast<double>(d.count()) / 1e6, !s.isOk());
  };
  opts.abortLatency = [&metrics](double seconds) { metrics.observeAbortLatency(seconds); };
  opts.rolloutFinished = [&metrics](const controller::RolloutDuration& d) {
    metrics.observeRolloutDuration(d);
  };
  std::unique_ptr<controller::Manager> ctrl;
  std::mutex ctrl_mu;
  std::atomic<bool> leading{!flags.leaderElect};
  std::atomic<bool> acting_stopped{false};  // the controller has stopped (clean shutdown)

  // The Alertmanager hook lists Rollouts from the cache once the controller runs, else from the
  // API server (a follower can take the hook's request as well as the leader).
  std::unique_ptr<controller::AlertHook> hook;
  Result<std::unique_ptr<http::Server>> hook_server = Status(Code::kNotFound, "no hook");
  if (!flags.hookAddr.empty()) {
    controller::AlertHookOptions hook_opts;
    hook_opts.rollout_label = flags.hookRolloutLabel;
    hook_opts.namespace_label = flags.hookNamespaceLabel;
    if (!flags.hookTokenFile.empty()) {
      std::ifstream in(flags.hookTokenFile);
      std::getline(in, hook_opts.token);
      if (!in && hook_opts.token.empty()) {
        log(flags, "error", "--hook-token-file " + flags.hookTokenFile + ": cannot read a token");
        return 1;
      }
    } else {
      log(flags, "warning",
          "alert hook without --hook-token-file accepts unauthenticated requests");
    }
    auto lister = [&]() -> std::vector<kube::ObjectPtr> {
      {
        std::lock_guard lock(ctrl_mu);
        if (ctrl && ctrl->ready()) return ctrl->rolloutInformer().list();
      }
      std::vector<kube::ObjectPtr> out;
      auto list = (*client)->list(kube::resources::kRollouts, flags.namespace_);
      if (list) {
        for (auto& item : (*list)["items"]) out.push_back(std::make_shared<const kube::json>(item));
      }
      return out;
    };
    hook =
        std::make_unique<controller::AlertHook>(**client, lister, hook_opts, &metrics.registry());
    http::ServerOptions so;
    so.listen = flags.hookAddr;
    so.max_body_bytes = controller::kAlertHookMaxBody;
    hook_server = http::Server::start(so, [&](const http::Request& req) {
      if (req.path == "/hooks/alertmanager") return hook->handle(req);
      return http::Response::text(404, "not found");
    });
    if (!hook_server) {
      log(flags, "error", "hook listen: " + hook_server.status().toString());
      return 1;
    }
    log(flags, "info", "alert hook on port " + std::to_string((*hook_server)->port()));
  }

  http::ServerOptions health_opts;
  health_opts.listen = flags.healthAddr;
  auto health = http::Server::start(health_opts, [&](const http::Request& req) {
    if (req.path == "/healthz") return http::Response::text(200, "ok");
    if (req.path == "/readyz") {
      std::lock_guard lock(ctrl_mu);
      // With leader election a follower is ready (it serves health and the hook); the leader
      // is ready once its caches have synced.
      bool ready = (flags.leaderElect && !leading) || (ctrl && ctrl->ready());
      return http::Response::text(ready ? 200 : 503, ready ? "ok" : "not ready");
    }
    return http::Response::text(404, "not found");
  });
  http::ServerOptions metrics_opts;
  metrics_opts.listen = flags.metricsAddr;
  auto metrics_server = http::Server::start(metrics_opts, [&](const http::Request& req) {
    if (req.path == "/metrics") return metrics.serve();
    return http::Response::text(404, "not found");
  });
  if (!health || !metrics_server) {
    log(flags, "error",
        "listen: " + (!health ? health.status() : metrics_server.status()).toString());
    return 1;
  }
  log(flags, "info",
      "health on port " + std::to_string((*health)->port()) + ", metrics on port " +
          std::to_string((*metrics_server)->port()));

  std::unique_ptr<kube::LeaderElector> elector;
  int exit_code = 0;
  if (flags.leaderElect) {
    kube::LeaderElectionConfig lc;
    // The Lease lives in the controller's own namespace (POD_NAMESPACE, as Argo's
    // defaults.Namespace()), whatever namespace it watches; out of cluster, the watched one.
    const char* pod_ns = std::getenv("POD_NAMESPACE");
    lc.lease_namespace = pod_ns && *pod_ns           ? std::string(pod_ns)
                         : !flags.namespace_.empty() ? flags.namespace_
                                                     : config->namespace_;
    if (lc.lease_namespace.empty()) lc.lease_namespace = "default";
    lc.lease_name =
        "argo-rollouts-controller-lock" + (flags.instanceId.empty() ? "" : "-" + flags.instanceId);
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    lc.identity = std::string(host) + "_" + std::to_string(getpid());
    lc.lease_duration = flags.leaseDuration;
    lc.renew_deadline = flags.renewDeadline;
    lc.retry_period = flags.retryPeriod;
    log(flags, "info",
        "leader election: lease " + lc.lease_namespace + "/" + lc.lease_name + ", identity " +
            lc.identity);
    lc.on_started_leading = [&flags, id = lc.identity, &leading] {
      log(flags, "info", "started leading as " + id + " at " + nowString());
      leading = true;
    };
    // A leader that could not renew within the renew deadline shuts down as Argo's does
    // (controller/controller.go Run): leaderelection.RunOrDie returns, OnStoppedLeading logs,
    // the work queues drain, the servers stop and the process exits 0, to be restarted as a
    // candidate. On a clean shutdown the controller has already stopped when the elector stops
    // (and releases).
    lc.on_stopped_leading = [&flags, id = lc.identity, &acting_stopped] {
      if (acting_stopped) {
        log(flags, "info", "stopped leading as " + id + " at " + nowString() + " (shutdown)");
        return;
      }
      log(flags, "error", "leader election lost: stopped leading as " + id + " at " + nowString());
      log(flags, "info", "OnStoppedLeading called, shutting down: " + id + ", context err: <nil>");
      g_stop = true;
    };
    lc.on_new_leader = [&flags](const std::string& holder) {
      log(flags, "info", "leader is now \"" + holder + "\"");
    };
    auto e = kube::LeaderElector::create(**client, lc);
    if (!e) {
      // Name the flags rather than the config fields.
      std::string msg = e.status().toString();
      for (auto [field, flag] : {std::pair{"lease_duration", "--leader-election-lease-duration"},
                                 {"renew_deadline", "--leader-election-renew-deadline"},
                                 {"retry_period", "--leader-election-retry-period"}}) {
        for (auto pos = msg.find(field); pos != std::string::npos; pos = msg.find(field)) {
          msg.replace(pos, std::strlen(field), flag);
        }
      }
      log(flags, "error", "leader election: " + msg);
      exit_code = 1;
      g_stop = true;  // through the normal shutdown: threads are running
    } else {
      elector = std::move(*e);
      elector->start();
    }
  }
  while (!g_stop && !leading) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!g_stop) {
    {
      std::lock_guard lock(ctrl_mu);
      ctrl = std::make_unique<controller::Manager>(**client, opts, &events, &routers, &providers);
    }
    const kube::Informer& ri = ctrl->rolloutInformer();
    const kube::Informer& ai = ctrl->analysisRunInformer();
    metrics.addStateCollector([&ri] { return ri.list(); }, [&ai] { return ai.list(); });
    Status st = ctrl->start(flags.cacheSyncTimeout);
    if (!st) {
      log(flags, "error", "start: " + st.toString());
      g_stop = true;
    } else {
      log(flags, "info", "controller started");
    }
  }
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  log(flags, "info", "shutting down");
  if (ctrl) ctrl->stop();
  acting_stopped = true;
  if (elector) elector->stop();
  if (hook_server) (*hook_server)->stop();
  notifications_loader.join();
  if (notifier) notifier->stop();
  argo_notifications.stop();
  recorder->stop();
  (*health)->stop();
  (*metrics_server)->stop();
  return exit_code;
}
