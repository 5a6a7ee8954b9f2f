// vane-loadgen: the demo's stand-in for a service mesh. It reads an Istio VirtualService's route
// weights from the API server (as Envoy would be programmed by istiod) and sends requests to the
// stable or the canary instance in those proportions, so the canary's error rate reaches Prometheus
// in step with the rollout. Requests carrying the header route's header always go to the canary.
//
//   vane-loadgen --kubeconfig K --namespace demo --virtualservice demo-vsvc --route primary
//     --stable-host demo-stable --stable-url http://127.0.0.1:P1
//     --canary-host demo-canary --canary-url http://127.0.0.1:P2 --rps 40 --duration 180
//   (one command line)
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "kube/client.h"
#include "kube/http.h"

namespace {

std::atomic<bool> g_stop{false};

struct Options {
  std::string kubeconfig, ns = "default", vs, route, stable_host, stable_url, canary_host,
                          canary_url, istio_version = "v1beta1";
  double rps = 20;
  int duration = 120;
};

int usage(const std::string& why) {
  std::fprintf(stderr, "vane-loadgen: %s\n", why.c_str());
  return 2;
}

// Weight of the canary destination in the named http route (or the first one), 0 when absent.
int canaryWeight(const nlohmann::json& vs, const Options& o) {
  const auto& http =
      vs.value("spec", nlohmann::json::object()).value("http", nlohmann::json::array());
  for (const auto& route : http) {
    if (!o.route.empty() && route.value("name", "") != o.route) continue;
    int w = 0;
    for (const auto& d : route.value("route", nlohmann::json::array())) {
      std::string host = d.value("destination", nlohmann::json::object()).value("host", "");
      if (host == o.canary_host || host.rfind(o.canary_host + ".", 0) == 0)
        w += d.value("weight", 0);
    }
    return w;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--kubeconfig")
      o.kubeconfig = next();
    else if (a == "--namespace")
      o.ns = next();
    else if (a == "--virtualservice")
      o.vs = next();
    else if (a == "--route")
      o.route = next();
    else if (a == "--stable-host")
      o.stable_host = next();
    else if (a == "--stable-url")
      o.stable_url = next();
    else if (a == "--canary-host")
      o.canary_host = next();
    else if (a == "--canary-url")
      o.canary_url = next();
    else if (a == "--istio-api-version")
      o.istio_version = next();
    else if (a == "--rps")
      o.rps = std::atof(next().c_str());
    else if (a == "--duration")
      o.duration = std::atoi(next().c_str());
    else
      return usage("unknown flag " + a);
  }
  if (o.vs.empty() || o.stable_url.empty() || o.canary_url.empty() || o.canary_host.empty()) {
    return usage("--virtualservice, --canary-host, --stable-url and --canary-url are required");
  }
  if (o.rps <= 0 || o.rps > 1000) return usage("--rps must be in (0, 1000]");
  if (o.duration <= 0 || o.duration > 3600) return usage("--duration must be in (0, 3600] seconds");
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });

  auto cfg = vane::kube::loadKubeconfig(o.kubeconfig);
  if (!cfg) return usage("kubeconfig: " + cfg.status().toString());
  auto kc = vane::kube::Client::create(*cfg);
  if (!kc) return usage("client: " + kc.status().toString());
  auto hc = vane::http::Client::create({});
  if (!hc) return usage("http client: " + hc.status().toString());

  std::atomic<int> weight{0};
  std::thread watcher([&] {
    auto res = vane::kube::resources::virtualServices(o.istio_version);
    while (!g_stop) {
      auto vs = (*kc)->get(res, o.ns, o.vs);
      if (vs) weight = canaryWeight(*vs, o);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });

  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> pct(0, 99);
  std::map<std::string, long> counts;
  auto start = std::chrono::steady_clock::now();
  auto period = std::chrono::duration<double>(1.0 / o.rps);
  auto next_at = start;
  auto last_report = start;
  while (!g_stop && std::chrono::steady_clock::now() - start < std::chrono::seconds(o.duration)) {
    bool canary = pct(rng) < weight.load();
    vane::http::ClientRequest req;
    req.url = (canary ? o.canary_url : o.stable_url) + "/";
    req.timeout = std::chrono::seconds(2);
    auto r = (*hc)->send(req);
    std::string key = std::string(canary ? "canary" : "stable") + " " +
                      (r ? std::to_string(r->status) : std::string("error"));
    counts[key]++;
    next_at += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
    std::this_thread::sleep_until(next_at);
    if (std::chrono::steady_clock::now() - last_report > std::chrono::seconds(10)) {
      last_report = std::chrono::steady_clock::now();
      std::string line = "weight=" + std::to_string(weight.load());
      for (const auto& [k, v] : counts) line += " [" + k + "]=" + std::to_string(v);
      std::printf("vane-loadgen: %s\n", line.c_str());
      std::fflush(stdout);
    }
  }
  g_stop = true;
  watcher.join();
  return 0;
}
