// Alertmanager hook: latency from the hook's request to the abort persisted, p50 and p99, with
// 1,000 mid-update Rollouts in the informer cache, against a real vane-apiserver child process on
// loopback (with and without fsync). Each iteration POSTs one firing alert, as Alertmanager
// would, to AlertHook served on http::Server; the hook lists the 1,000 cached Rollouts, selects
// the one the alert names and writes the reason annotation and status.abort before it answers
// 200, so the request's wall time is the hook-to-persisted latency. The controller itself is not
// running (nothing else writes to the server meanwhile).
//
//   VANE_SOURCE_DIR=/work/main build/bin/alert_hook_bench
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "bench/bench_support.h"
#include "controller/alert_hook.h"
#include "kube/client.h"
#include "kube/http.h"
#include "kube/informer.h"

namespace {

using vane::kube::json;
namespace kube = vane::kube;
namespace http = vane::http;
namespace fs = std::filesystem;

using vane::bench::freePort;
using vane::bench::sourceDir;

constexpr int kRollouts = 1000;
constexpr const char* kToken = "bench-token";

json rollout(int i) {
  std::string name = "ro-" + std::to_string(i);
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Rollout"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec",
           {{"replicas", 3},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name}}}}},
              {"spec", {{"containers", {{{"name", "app"}, {"image", "nginx:1"}}}}}}}},
            {"strategy",
             {{"canary", {{"steps", {{{"setWeight", 20}}, {{"pause", json::object()}}}}}}}}}}};
}

// A vane-apiserver child process with 1,000 mid-update Rollouts, an informer over them, and the
// hook served on loopback. Stopped (SIGKILL by PID) at exit.
struct Fixture {
  pid_t pid = -1;
  std::string dir, error;
  std::unique_ptr<kube::Client> client;
  std::unique_ptr<kube::Informer> informer;
  std::unique_ptr<vane::controller::AlertHook> hook;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<http::Client> poster;
  std::string url;

  explicit Fixture(bool fsync) {
    std::string bin = fs::read_symlink("/proc/self/exe").parent_path() / "vane-apiserver";
    dir = fs::temp_directory_path() /
          ("vane-hook-bench-" + std::to_string(::getpid()) + (fsync ? "-fsync" : "-nofsync"));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string port = std::to_string(freePort());
    pid = ::fork();
    if (pid == 0) {
      std::string listen = "127.0.0.1:" + port, kc = dir + "/kubeconfig";
      ::execl(bin.c_str(), bin.c_str(), "--listen", listen.c_str(), "--data-dir", dir.c_str(),
              "--kubeconfig-out", kc.c_str(), fsync ? nullptr : "--no-fsync", nullptr);
      ::_exit(127);
    }
    kube::RestConfig cfg;
    cfg.server = "http://127.0.0.1:" + port;
    cfg.qps = 0;  // the path itself; the controller's --qps 40 --burst 80 would throttle bursts
    client = std::move(kube::Client::create(cfg)).value();
    for (int i = 0; i < 200 && !client->raw("GET", "/readyz").ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const std::string kubectl =
        "\"$(command -v kubectl.1.32 || echo /usr/lib/google-cloud-sdk/bin/kubectl.1.32)\" "
        "--kubeconfig " +
        dir + "/kubeconfig";
    if (std::system(
            (kubectl + " apply -f " + sourceDir() + "/crds/rollout-crd.yaml >/dev/null").c_str()) !=
        0) {
      error = "kubectl apply of crds/rollout-crd.yaml failed (set VANE_SOURCE_DIR)";
      return;
    }
    for (int i = 0; i < 200 && !client->list(kube::resources::kRollouts, "default").ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const json mid = {{"status", {{"currentPodHash", "c0ffee"}, {"stableRS", "5ab1e"}}}};
    for (int i = 0; i < kRollouts; ++i) {
      auto c = client->create(kube::resources::kRollouts, "default", rollout(i));
      auto s = c ? client->patch(kube::resources::kRollouts, "default", "ro-" + std::to_string(i),
                                 kube::PatchType::kMerge, mid, "status")
                 : vane::Result<json>(c.status());
      if (!s) {
        error = "creating the Rollouts: " + s.status().toString();
        return;
      }
    }
    kube::InformerOptions io;
    io.store_encoded = true;  // as vane-controller keeps Rollouts
    informer = kube::Informer::create(*client, kube::resources::kRollouts, io);
    vane::controller::addAlertHookIndexes(*informer);
    informer->start();
    if (!informer->waitForSync(std::chrono::minutes(2)) || informer->size() != kRollouts) {
      error = "the informer did not sync 1,000 Rollouts";
      return;
    }
    vane::controller::AlertHookOptions options;
    options.token = kToken;
    kube::Informer* cache = informer.get();
    hook = std::make_unique<vane::controller::AlertHook>(
        *client,
        [cache, options](const vane::controller::Alert& alert) {
          return vane::controller::alertCandidates(*cache, alert, options);
        },
        options);
    vane::controller::AlertHook* h = hook.get();
    server = std::move(http::Server::start({}, [h](const http::Request& r) {
               return h->handle(r);
             })).value();
    url = "http://127.0.0.1:" + std::to_string(server->port()) + "/hooks/alertmanager";
    poster = std::move(http::Client::create({})).value();
  }
  ~Fixture() {
    if (server) server->stop();
    if (informer) informer->stop();
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    fs::remove_all(dir);
  }
};

Fixture& fixture(bool fsync) {
  static std::map<bool, std::unique_ptr<Fixture>> fixtures;
  auto& f = fixtures[fsync];
  if (!f) f = std::make_unique<Fixture>(fsync);
  return *f;
}

std::string payload(int rollout, int n) {
  char fp[17];
  std::snprintf(fp, sizeof fp, "%016x", n);  // a new alert each time: never deduplicated
  json alert = {{"status", "firing"},
                {"labels",
                 {{"alertname", "CanaryHighErrorRate"},
                  {"namespace", "default"},
                  {"rollout", "ro-" + std::to_string(rollout)},
                  {"severity", "critical"}}},
                {"annotations", {{"summary", "5xx ratio above 5%"}}},
                {"startsAt", "2026-12-07T01:00:00.123Z"},
                {"endsAt", "0001-01-01T00:00:00Z"},
                {"generatorURL", "http://127.0.0.1:9090/graph"},
                {"fingerprint", fp}};
  return json{{"receiver", "vane-abort"},
              {"status", "firing"},
              {"alerts", {alert}},
              {"groupLabels", json::object()},
              {"commonLabels", alert["labels"]},
              {"commonAnnotations", alert["annotations"]},
              {"externalURL", "http://127.0.0.1:9093"},
              {"version", "4"},
              {"groupKey", "{}:{}"},
              {"truncatedAlerts", 0}}
      .dump();
}

void BM_HookToAbortPersisted(benchmark::State& state) {
  const bool fsync = state.range(0) != 0;
  Fixture& f = fixture(fsync);
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  static int n = 0;
  std::vector<double> ms;
  http::ClientRequest req;
  req.method = "POST";
  req.url = f.url;
  req.headers = {{"Authorization", std::string("Bearer ") + kToken},
                 {"Content-Type", "application/json"},
                 {"User-Agent", "Alertmanager/0.25.0"}};
  for (auto _ : state) {
    req.body = payload(n % kRollouts, n);
    ++n;
    auto t0 = std::chrono::steady_clock::now();
    auto res = f.poster->send(req);
    auto t1 = std::chrono::steady_clock::now();
    if (!res.ok() || res->status != 200 ||
        res->body.find("aborted default/ro-") == std::string::npos) {
      state.SkipWithError(
          res.ok() ? ("hook answered " + std::to_string(res->status) + ": " + res->body).c_str()
                   : res.status().toString().c_str());
      return;
    }
    double s = std::chrono::duration<double>(t1 - t0).count();
    state.SetIterationTime(s);
    ms.push_back(s * 1000);
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, std::size_t(p * ms.size()))]; };
  state.counters["p50_ms"] = pct(0.50);
  state.counters["p99_ms"] = pct(0.99);
  state.counters["max_ms"] = ms.back();
  state.counters["cached_rollouts"] = static_cast<double>(f.informer->size());
  state.SetLabel(fsync ? "apiserver fsync" : "apiserver --no-fsync");
}
BENCHMARK(BM_HookToAbortPersisted)
    ->Arg(0)
    ->Arg(1)
    ->Iterations(kRollouts)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// The hook's own CPU per alert: find the candidates in the cache's indexes and select the target
// among 1,000 Rollouts.
void BM_SelectAmong1000Cached(benchmark::State& state) {
  Fixture& f = fixture(false);
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  vane::controller::Alert alert;
  alert.status = "firing";
  alert.labels = {{"alertname", "X"}, {"namespace", "default"}, {"rollout", "ro-500"}};
  vane::controller::AlertHookOptions options;
  for (auto _ : state) {
    auto targets = vane::controller::selectAbortTargets(
        alert, vane::controller::alertCandidates(*f.informer, alert, options), options);
    if (targets.size() != 1) state.SkipWithError("expected one target");
  }
}
BENCHMARK(BM_SelectAmong1000Cached)->Unit(benchmark::kMicrosecond);

// The API server's share: the hook's two writes (reason annotation, status.abort) sent directly.
void BM_AbortWritesOnly(benchmark::State& state) {
  Fixture& f = fixture(state.range(0) != 0);
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  int n = 0;
  for (auto _ : state) {
    const std::string name = "ro-" + std::to_string(n % kRollouts);
    json meta = {{"metadata",
                  {{"annotations", {{"vane.dev/abort-reason", "bench " + std::to_string(n++)}}}}}};
    auto a =
        f.client->patch(kube::resources::kRollouts, "default", name, kube::PatchType::kMerge, meta);
    auto b = f.client->patch(kube::resources::kRollouts, "default", name, kube::PatchType::kMerge,
                             {{"status", {{"abort", true}}}}, "status");
    if (!a || !b) state.SkipWithError("patch failed");
  }
  state.SetLabel(state.range(0) != 0 ? "apiserver fsync" : "apiserver --no-fsync");
}
BENCHMARK(BM_AbortWritesOnly)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
