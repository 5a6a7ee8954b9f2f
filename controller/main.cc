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
#include "base/flags.h"
#include "base/log.h"
#include "controller/alert_hook.h"
#include "controller/manager.h"
#include "controller/metrics.h"
#include "controller/notifications.h"
#include "dashboard/dashboard.h"
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
  std::string kubeconfig, namespace_, instanceId, metricsAddr, healthAddr, istioApiVersion;
  std::string hookAddr, hookTokenFile, hookRolloutLabel, hookNamespaceLabel, dashboardAddr;
  std::string notificationsNamespace;
  bool selfServiceNotifications = false;  // Argo's --self-service-notification-enabled
  bool leaderElect = false;
  std::chrono::milliseconds leaseDuration, renewDeadline, retryPeriod, cacheSyncTimeout;
  int workers = 2;
  double qps = 40;
  int burst = 80;
};

vane::base::FlagSet flagSet() {
  using vane::base::FlagKind;
  using vane::base::FlagSpec;
  const FlagKind kStr = FlagKind::kString, kDur = FlagKind::kDuration;
  return vane::base::FlagSet(
      "vane-controller [flags]",
      "The Rollout, Experiment and AnalysisRun controllers (Argo Rollouts' argoproj.io/v1alpha1).",
      {
          FlagSpec("kubeconfig", 0, kStr, "Kubeconfig file (default: in cluster, or $KUBECONFIG)"),
          FlagSpec("namespace", 'n', kStr, "Only watch this namespace (default: all)"),
          FlagSpec("instance-id", 0, kStr,
                   "Only reconcile objects labelled with this controller instance id"),
          FlagSpec("leader-elect", 0, FlagKind::kBool, "Run leader election (a Lease)"),
          // Argo's spelling first, then Kubernetes component-base's (--leader-elect-*); client-go's
          // defaults.
          FlagSpec("leader-election-lease-duration", 0, kDur, "Lease duration", "15s")
              .alias("leader-elect-lease-duration")
              .mustBePositive(),
          FlagSpec("leader-election-renew-deadline", 0, kDur, "Renew deadline", "10s")
              .alias("leader-elect-renew-deadline")
              .mustBePositive(),
          FlagSpec("leader-election-retry-period", 0, kDur, "Retry period", "2s")
              .alias("leader-elect-retry-period")
              .mustBePositive(),
          FlagSpec("workers", 0, FlagKind::kInt, "Rollout reconcile workers", "2")
              .alias("rollout-threads")
              .mustBePositive(),
          FlagSpec("qps", 0, FlagKind::kNumber, "Client requests per second (0: unlimited)", "40"),
          FlagSpec("burst", 0, FlagKind::kInt, "Client request burst", "80"),
          // 10,000 Rollouts on a busy server take longer than half a minute to list.
          FlagSpec("cache-sync-timeout", 0, kDur,
                   "How long the first list of every informer may take", "10m")
              .mustBePositive(),
          FlagSpec("metrics-addr", 0, kStr, "Prometheus metrics address", "127.0.0.1:8090"),
          FlagSpec("health-addr", 0, kStr, "Health and readiness address", "127.0.0.1:8080"),
          FlagSpec("log-format", 0, kStr, "Log format", "text")
              .alias("logformat")
              .oneOf({"text", "json"}),
          FlagSpec("log-level", 0, kStr, "Lowest level logged", "info")
              .alias("loglevel")
              .oneOf({"debug", "info", "warn", "error"}),
          FlagSpec("istio-api-version", 0, kStr,
                   "Istio networking API version (v1alpha3, v1beta1, v1)", "v1alpha3"),
          FlagSpec("hook-addr", 0, kStr, "Serve the Alertmanager webhook here (HOST:PORT)"),
          FlagSpec("dashboard-addr", 0, kStr,
                   "Serve the dashboard here (HOST:PORT); every request needs the user's bearer "
                   "token, checked with TokenReview and SubjectAccessReview (dashboard/access.h)"),
          FlagSpec("hook-token-file", 0, kStr, "Bearer token the Alertmanager webhook requires"),
          FlagSpec("hook-rollout-label", 0, kStr, "Alert label naming the Rollout", "rollout"),
          FlagSpec("hook-namespace-label", 0, kStr, "Alert label naming the namespace",
                   "namespace"),
          FlagSpec("notifications-namespace", 0, kStr,
                   "Namespace of the notification ConfigMaps (default: the controller's own "
                   "namespace in a cluster, else argo-rollouts for Argo's)"),
          FlagSpec(
              "self-service-notification-enabled", 0, FlagKind::kBool,
              "Also read Argo's notification ConfigMap and Secret in each Rollout's namespace"),
      });
}

Flags readFlags(const vane::base::FlagSet& f) {
  using ms = std::chrono::milliseconds;
  Flags out;
  out.kubeconfig = f.str("kubeconfig");
  out.namespace_ = f.str("namespace");
  out.instanceId = f.str("instance-id");
  out.metricsAddr = f.str("metrics-addr");
  out.healthAddr = f.str("health-addr");
  out.istioApiVersion = f.str("istio-api-version");
  out.hookAddr = f.str("hook-addr");
  out.dashboardAddr = f.str("dashboard-addr");
  out.hookTokenFile = f.str("hook-token-file");
  out.hookRolloutLabel = f.str("hook-rollout-label");
  out.hookNamespaceLabel = f.str("hook-namespace-label");
  out.notificationsNamespace = f.str("notifications-namespace");
  out.selfServiceNotifications = f.boolean("self-service-notification-enabled");
  out.leaderElect = f.boolean("leader-elect");
  out.leaseDuration = f.durationAs<ms>("leader-election-lease-duration");
  out.renewDeadline = f.durationAs<ms>("leader-election-renew-deadline");
  out.retryPeriod = f.durationAs<ms>("leader-election-retry-period");
  out.cacheSyncTimeout = f.durationAs<ms>("cache-sync-timeout");
  out.workers = static_cast<int>(f.integer("workers"));
  out.qps = f.number("qps");
  out.burst = static_cast<int>(f.integer("burst"));
  return out;
}

// Wall-clock time with microseconds, so leadership changes logged by different processes on one
// machine can be put in order.
std::string nowString() { return vane::kube::microTime(std::chrono::system_clock::now()); }

}  // namespace

int main(int argc, char** argv) {
  using namespace vane;
  base::FlagSet flag_set = flagSet();
  if (Status st = flag_set.parse(argc, argv); !st.isOk() || !flag_set.args().empty()) {
    std::cerr << "vane-controller: "
              << (st.isOk() ? "unexpected argument " + flag_set.args()[0] : st.message())
              << "\nRun 'vane-controller --help' for the flags.\n";
    return 2;
  }
  if (flag_set.help()) {
    std::cout << flag_set.usage();
    return 0;
  }
  const Flags flags = readFlags(flag_set);
  {
    log::Options lo;
    lo.format = *log::parseFormat(flag_set.str("log-format"));
    lo.level = *log::parseLevel(flag_set.str("log-level"));
    log::configure(lo);
  }
  auto config = flags.kubeconfig.empty() && std::getenv("KUBERNETES_SERVICE_HOST")
                    ? kube::inClusterConfig()
                    : kube::loadKubeconfig(flags.kubeconfig);
  if (!config) {
    log::error("loading config: " + config.status().toString());
    return 1;
  }
  config->qps = flags.qps;
  config->burst = flags.burst;
  config->user_agent = "vane-controller";
  auto client = kube::Client::create(*config);
  if (!client) {
    log::error("client: " + client.status().toString());
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
      flags.selfServiceNotifications, [](const std::string& level, const std::string& msg) {
        auto l = log::parseLevel(level);
        log::write(l ? *l : log::Level::kInfo, msg, {{"component", "notifications"}});
      });
  argo_notifications.notifier().setSendObserver([&metrics](const notifications::SendResult& r) {
    metrics.observeNotification(r.ns, r.name, r.type, r.reason, r.ok, r.seconds);
  });
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
          log::error("ConfigMap " + notifications_ns + "/" + controller::kNotificationsConfigMap +
                     ": " + hooks.status().toString());
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
        log::error("--hook-token-file " + flags.hookTokenFile + ": cannot read a token");
        return 1;
      }
    } else {
      log::warn("alert hook without --hook-token-file accepts unauthenticated requests");
    }
    auto lister = [&, hook_opts](const controller::Alert& alert) -> std::vector<kube::ObjectPtr> {
      {
        std::lock_guard lock(ctrl_mu);
        if (ctrl && ctrl->ready()) {
          return controller::alertCandidates(ctrl->rolloutInformer(), alert, hook_opts);
        }
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
      log::error("hook listen: " + hook_server.status().toString());
      return 1;
    }
    log::info("alert hook on port " + std::to_string((*hook_server)->port()));
  }
  // The in-cluster dashboard (its own informers; its writes use this service account once each
  // is authorised for the user).
  std::unique_ptr<dashboard::Dashboard> dash;
  if (!flags.dashboardAddr.empty()) {
    dashboard::DashboardOptions dash_opts;
    auto colon = flags.dashboardAddr.rfind(':');
    dash_opts.address =
        colon == std::string::npos ? "0.0.0.0" : flags.dashboardAddr.substr(0, colon);
    if (dash_opts.address.empty()) dash_opts.address = "0.0.0.0";
    try {
      dash_opts.port = static_cast<uint16_t>(std::stoul(flags.dashboardAddr.substr(colon + 1)));
    } catch (const std::exception&) {
      log::error("--dashboard-addr " + flags.dashboardAddr + ": want HOST:PORT");
      return 2;
    }
    dash_opts.namespace_ = flags.namespace_;
    dash_opts.istio_version = flags.istioApiVersion;
    dash_opts.in_cluster = true;
    auto started = dashboard::Dashboard::start(**client, dash_opts);
    if (!started) {
      log::error("dashboard: " + started.status().toString());
      return 1;
    }
    dash = std::move(*started);
    log::info("dashboard on port " + std::to_string(dash->port()));
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
    log::error("listen: " + (!health ? health.status() : metrics_server.status()).toString());
    return 1;
  }
  log::info("health on port " + std::to_string((*health)->port()) + ", metrics on port " +
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
    log::info("leader election: lease " + lc.lease_namespace + "/" + lc.lease_name + ", identity " +
              lc.identity);
    lc.on_started_leading = [id = lc.identity, &leading] {
      log::info("started leading as " + id + " at " + nowString());
      leading = true;
    };
    // A leader that could not renew within the renew deadline shuts down as Argo's does
    // (controller/controller.go Run): leaderelection.RunOrDie returns, OnStoppedLeading logs,
    // the work queues drain, the servers stop and the process exits 0, to be restarted as a
    // candidate. On a clean shutdown the controller has already stopped when the elector stops
    // (and releases).
    lc.on_stopped_leading = [id = lc.identity, &acting_stopped] {
      if (acting_stopped) {
        log::info("stopped leading as " + id + " at " + nowString() + " (shutdown)");
        return;
      }
      log::error("leader election lost: stopped leading as " + id + " at " + nowString());
      log::info("OnStoppedLeading called, shutting down: " + id + ", context err: <nil>");
      g_stop = true;
    };
    lc.on_new_leader = [](const std::string& holder) {
      log::info("leader is now \"" + holder + "\"");
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
      log::error("leader election: " + msg);
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
      log::error("start: " + st.toString());
      g_stop = true;
    } else {
      log::info("controller started");
    }
  }
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  log::info("shutting down");
  if (ctrl) ctrl->stop();
  acting_stopped = true;
  if (elector) elector->stop();
  if (hook_server) (*hook_server)->stop();
  if (dash) dash->stop();
  notifications_loader.join();
  if (notifier) notifier->stop();
  argo_notifications.stop();
  recorder->stop();
  (*health)->stop();
  (*metrics_server)->stop();
  return exit_code;
}
