// Soak: does the controller's memory stay flat over many updates? Starts vane-apiserver (in
// memory, --simulate-workloads) and vane-controller on loopback, creates N canary Rollouts
// (setWeight 50, then an indefinite pause) and drives them through C update cycles: a new image
// for every Rollout, wait until all are paused at the step, then promote half (kubectl vane
// promote's patches) and abort the other half (its abort patch), wait until the promoted are
// Healthy on the new revision and the aborted Degraded, settle, and sample the controller's RSS.
// One line per cycle, then the growth from cycle 2 to the last (issue 16's acceptance: within 5%).
//
// Usage (from the repository root, Release build):
//   build-rel/bin/soak_bench [--rollouts 1000] [--cycles 20] [--bin DIR] [--cycle-timeout 300]
// DIR holds vane-apiserver and vane-controller (default: the directory of this program).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "cli/patches.h"
#include "kube/client.h"

namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using vane::bench::Child;
using vane::bench::procMiB;
namespace res = vane::kube::resources;

json container(int cycle) {
  return json::array({{{"name", "app"},
                       {"image", "registry.example/soak:v" + std::to_string(cycle)},
                       {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}}}}});
}

json rollout(int i) {
  const std::string app = "soak-" + std::to_string(i);
  return {
      {"apiVersion", "argoproj.io/v1alpha1"},
      {"kind", "Rollout"},
      {"metadata", {{"name", app}, {"namespace", "default"}}},
      {"spec",
       {{"replicas", 1},
        {"revisionHistoryLimit", 2},
        {"selector", {{"matchLabels", {{"app", app}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", app}}}}}, {"spec", {{"containers", container(0)}}}}},
        {"strategy",
         {{"canary",
           {{"steps", json::array({{{"setWeight", 50}}, {{"pause", json::object()}}})}}}}}}}};
}

std::string name(int i) { return "soak-" + std::to_string(i); }

// Runs fn(i) for i in [0, n) on 4 clients in parallel; the number of failures.
template <typename Fn>
int parallel(const vane::kube::RestConfig& config, int n, Fn fn) {
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      auto client = vane::kube::Client::create(config);
      if (!client) return;
      for (int i = next++; i < n; i = next++) {
        if (!fn(**client, i)) ++failed;
      }
    });
  }
  for (auto& w : workers) w.join();
  return failed;
}

// Lists the Rollouts until pred holds for all n (or the timeout); the count that held.
template <typename Pred>
int waitAll(vane::kube::Client& client, int n, std::chrono::seconds timeout, const Child& ctl,
            Pred pred) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  int ok = 0;
  while (std::chrono::steady_clock::now() < until && !ctl.exited()) {
    auto list = client.list(res::kRollouts, "default");
    if (list) {
      ok = 0;
      for (const auto& ro : (*list)["items"]) ok += pred(ro) ? 1 : 0;
      if (ok >= n) return ok;
    }
    std::this_thread::sleep_for(1s);
  }
  return ok;
}

int index(const json& ro) {
  const std::string n = ro["metadata"]["name"].get<std::string>();
  return std::atoi(n.c_str() + 5);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 1000, cycles = 20, cycle_timeout = 300;
  std::string bin = std::filesystem::path(argv[0]).parent_path().string();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--rollouts") n = std::atoi(v.c_str());
    if (a == "--cycles") cycles = std::atoi(v.c_str());
    if (a == "--bin") bin = v;
    if (a == "--cycle-timeout") cycle_timeout = std::atoi(v.c_str());
  }
  char tmpl[] = "/tmp/vane-soak-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string kubeconfig = dir + "/kubeconfig";
  auto apiserver = std::make_unique<Child>(
      std::vector<std::string>{bin + "/vane-apiserver", "--listen",
                               "127.0.0.1:" + std::to_string(vane::bench::freePort()),
                               "--kubeconfig-out", kubeconfig, "--simulate-workloads",
                               "--pod-ready-delay", "1s"},
      dir + "/apiserver.log");
  for (int i = 0; i < 300 && !std::filesystem::exists(kubeconfig); ++i) {
    std::this_thread::sleep_for(100ms);
  }
  auto config = vane::kube::loadKubeconfig(kubeconfig);
  if (!config) {
    std::cerr << "vane-apiserver did not start (log: " << dir << "/apiserver.log)\n";
    return 1;
  }
  config->qps = 0;
  const std::string src = vane::bench::sourceDir();
  const std::string k = vane::bench::kubectl() + " --kubeconfig " + kubeconfig + " ";
  if (std::system((k + "apply -f " + src + "/crds/rollout-crd.yaml -f " + src +
                   "/crds/analysis-run-crd.yaml -f " + src +
                   "/crds/analysis-template-crd.yaml >/dev/null && " + k +
                   "wait --for=condition=Established crd/rollouts.argoproj.io --timeout=30s "
                   ">/dev/null")
                      .c_str()) != 0) {
    std::cerr << "applying the CRDs failed\n";
    return 1;
  }
  auto controller = std::make_unique<Child>(
      std::vector<std::string>{
          bin + "/vane-controller", "--kubeconfig", kubeconfig, "--metrics-addr",
          "127.0.0.1:" + std::to_string(vane::bench::freePort()), "--health-addr",
          "127.0.0.1:" + std::to_string(vane::bench::freePort()), "--qps", "2000", "--burst",
          "4000", "--workers", "4"},
      dir + "/controller.log");
  std::this_thread::sleep_for(3s);
  auto client = vane::kube::Client::create(*config);
  if (!client) return 1;

  int failed = parallel(*config, n, [](vane::kube::Client& c, int i) {
    return c.create(res::kRollouts, "default", rollout(i)).ok();
  });
  const auto timeout = std::chrono::seconds(cycle_timeout);
  auto phase_is = [](const json& ro, const char* phase) {
    return ro.value("status", json::object()).value("phase", "") == phase;
  };
  int healthy = waitAll(**client, n, timeout, *controller,
                        [&](const json& ro) { return phase_is(ro, "Healthy"); });
  std::printf("rollouts=%d created_failed=%d healthy=%d controller_rss_mib=%.1f\n", n, failed,
              healthy, procMiB(controller->pid(), "VmRSS"));
  std::fflush(stdout);
  if (healthy < n) return 2;

  std::vector<double> rss(cycles + 1, 0);
  int status = 0;
  for (int c = 1; c <= cycles; ++c) {
    const auto t0 = std::chrono::steady_clock::now();
    failed = parallel(*config, n, [c](vane::kube::Client& cl, int i) {
      json patch = {{"spec", {{"template", {{"spec", {{"containers", container(c)}}}}}}}};
      return cl.patch(res::kRollouts, "default", name(i), vane::kube::PatchType::kMerge, patch)
          .ok();
    });
    // Paused at the indefinite pause (step 1) of the new revision.
    const int paused = waitAll(**client, n, timeout, *controller, [](const json& ro) {
      const json s = ro.value("status", json::object());
      return s.value("phase", "") == "Paused" && s.value("currentStepIndex", -1) == 1 &&
             s.value("currentPodHash", "") != s.value("stableRS", "");
    });
    const double to_pause =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Even ones promoted (kubectl vane promote's patches), odd ones aborted.
    failed += parallel(*config, n, [](vane::kube::Client& cl, int i) {
      if (i % 2 == 1) {
        return cl
            .patch(res::kRollouts, "default", name(i), vane::kube::PatchType::kMerge,
                   vane::cli::abortPatch(), "status")
            .ok();
      }
      auto ro = cl.get(res::kRollouts, "default", name(i));
      if (!ro) return false;
      auto plan = vane::cli::promotePlan(*ro, false);
      if (plan.spec && !cl.patch(res::kRollouts, "default", name(i), vane::kube::PatchType::kMerge,
                                 *plan.spec)) {
        return false;
      }
      return !plan.status || cl.patch(res::kRollouts, "default", name(i),
                                      vane::kube::PatchType::kMerge, *plan.status, "status")
                                 .ok();
    });
    const int settled = waitAll(**client, n, timeout, *controller, [&](const json& ro) {
      const json s = ro.value("status", json::object());
      if (index(ro) % 2 == 1) return s.value("phase", "") == "Degraded" && s.value("abort", false);
      return s.value("phase", "") == "Healthy" &&
             s.value("currentPodHash", "") == s.value("stableRS", "x");
    });
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::this_thread::sleep_for(5s);  // let queues drain and allocations settle
    rss[c] = procMiB(controller->pid(), "VmRSS");
    std::printf(
        "cycle=%d paused=%d settled=%d failed_writes=%d to_pause_s=%.1f cycle_s=%.1f "
        "controller_rss_mib=%.1f apiserver_rss_mib=%.1f\n",
        c, paused, settled, failed, to_pause, took, rss[c], procMiB(apiserver->pid(), "VmRSS"));
    std::fflush(stdout);
    if (paused < n || settled < n || controller->exited()) {
      std::cerr << "cycle " << c << " did not settle (logs in " << dir << ")\n";
      status = 2;
      break;
    }
  }
  if (status == 0 && cycles >= 2) {
    std::printf(
        "rss_after_cycle2_mib=%.1f rss_after_cycle%d_mib=%.1f growth_pct=%.1f hwm_mib=%.1f\n",
        rss[2], cycles, rss[cycles], (rss[cycles] / rss[2] - 1) * 100,
        procMiB(controller->pid(), "VmHWM"));
  }
  controller.reset();
  apiserver.reset();
  if (status == 0) std::filesystem::remove_all(dir);
  return status;
}
