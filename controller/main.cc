// vane-controller: the Rollout and AnalysisRun controllers (Argo Rollouts drop-in).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "analysis/prometheus_provider.h"
#include "analysis/provider.h"
#include "analysis/web_provider.h"
#include "controller/metrics.h"
#include "controller/rollout_controller.h"
#include "kube/events.h"
#include "kube/http.h"
#include "kube/leader_election.h"
#include "trafficrouting/istio_router.h"
#include "trafficrouting/router.h"

namespace {

std::atomic<bool> g_stop{false};
void onSignal(int) { g_stop = true; }

struct Flags {
  std::string kubeconfig, namespace_, instanceId, metricsAddr = "127.0.0.1:8090",
                                                  healthAddr = "127.0.0.1:8080", logFormat = "text",
                                                  istioApiVersion = "v1alpha3";
  bool leaderElect = false;
  int workers = 2;
  double qps = 40;
  int burst = 80;
};

void usage() {
  std::cerr << "usage: vane-controller [--kubeconfig FILE] [--namespace NS] [--instance-id ID]\n"
               "  [--leader-elect[=true|false]] [--workers N] [--qps Q] [--burst B]\n"
               "  [--metrics-addr HOST:PORT] [--health-addr HOST:PORT] [--log-format text|json]\n"
               "  [--istio-api-version v1|v1beta1|v1alpha3]\n";
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
    else if (a == "--istio-api-version")
      f.istioApiVersion = v;
    else
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
  analysis::ProviderRegistry providers;
  providers.add(std::make_unique<analysis::PrometheusProvider>());
  providers.add(std::make_unique<analysis::WebProvider>());

  controller::ControllerOptions opts;
  opts.namespace_ = flags.namespace_;
  opts.instanceId = flags.instanceId;
  opts.workers = flags.workers;
  opts.istioApiVersion = flags.istioApiVersion;
  std::unique_ptr<controller::RolloutController> ctrl;
  std::mutex ctrl_mu;

  auto health = http::Server::start({flags.healthAddr}, [&](const http::Request& req) {
    if (req.path == "/healthz") return http::Response::text(200, "ok");
    if (req.path == "/readyz") {
      std::lock_guard lock(ctrl_mu);
      bool ready = ctrl && ctrl->ready();
      return http::Response::text(ready ? 200 : 503, ready ? "ok" : "not ready");
    }
    return http::Response::text(404, "not found");
  });
  auto metrics_server = http::Server::start({flags.metricsAddr}, [&](const http::Request& req) {
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

  std::atomic<bool> leading{!flags.leaderElect};
  std::unique_ptr<kube::LeaderElector> elector;
  if (flags.leaderElect) {
    kube::LeaderElectionConfig lc;
    lc.lease_namespace = flags.namespace_.empty() ? config->namespace_ : flags.namespace_;
    if (lc.lease_namespace.empty()) lc.lease_namespace = "default";
    lc.lease_name =
        "argo-rollouts-controller-lock" + (flags.instanceId.empty() ? "" : "-" + flags.instanceId);
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    lc.identity = std::string(host) + "_" + std::to_string(getpid());
    lc.on_started_leading = [&] { leading = true; };
    lc.on_stopped_leading = [&] { g_stop = true; };  // stop acting at once; restart to campaign
    auto e = kube::LeaderElector::create(**client, lc);
    if (!e) {
      log(flags, "error", "leader election: " + e.status().toString());
      return 1;
    }
    elector = std::move(*e);
    elector->start();
  }
  while (!g_stop && !leading) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!g_stop) {
    {
      std::lock_guard lock(ctrl_mu);
      ctrl = std::make_unique<controller::RolloutController>(**client, opts, recorder.get(),
                                                             &routers, &providers);
    }
    Status st = ctrl->start();
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
  if (elector) elector->stop();
  recorder->stop();
  (*health)->stop();
  (*metrics_server)->stop();
  return 0;
}
