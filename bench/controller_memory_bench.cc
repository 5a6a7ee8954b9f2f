// Controller memory at scale: the RSS of a vane-controller process with N Healthy Rollouts, their
// ReplicaSets and Pods in its caches. Starts vane-apiserver (in memory, --simulate-workloads) on a
// free loopback port, applies the CRDs with kubectl, starts vane-controller, and writes N canary
// Rollouts of 1 replica (no steps), each with the ReplicaSet of revision 1 the controller would
// make (owned, hash-labelled); the API server's workload simulation makes the Pods and marks them
// Ready, and keeps the ReplicaSets' status. With --write-pods the simulation is off and the bench
// writes what it would have made instead: the ReplicaSet's available status and one Ready Pod
// each (the only way before the simulation scaled: it took over 12 minutes for 3,099 of 10,000
// Pods). Waits until every Rollout is Healthy, lets it settle, and reports the controller's
// VmRSS/VmHWM (and the apiserver's) from /proc. One long run, printed as one line.
//
// Usage (from the repository root):
//   build/bin/controller_memory_bench [--rollouts N] [--bin DIR] [--timeout SECONDS] [--write-pods]
// DIR holds vane-apiserver and vane-controller (default: the directory of this program).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "controller/hash.h"
#include "kube/client.h"

namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace res = vane::kube::resources;
using vane::bench::Child;
using vane::bench::freePort;
using vane::bench::kubectl;
using vane::bench::procMiB;

json rollout(int i) {
  const std::string app = "bench-" + std::to_string(i);
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Rollout"},
          {"metadata", {{"name", app}, {"namespace", "default"}}},
          {"spec",
           {{"replicas", 1},
            {"selector", {{"matchLabels", {{"app", app}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", app}}}}},
              {"spec",
               {{"containers",
                 json::array(
                     {{{"name", "app"},
                       {"image", "registry.example/bench:v1"},
                       {"ports", json::array({{{"containerPort", 8080}}})},
                       {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}}}}})}}}}},
            {"strategy", {{"canary", json::object()}}}}}};
}

json ownerRef(const json& owner, const char* api_version, const char* kind) {
  return json::array({{{"apiVersion", api_version},
                       {"kind", kind},
                       {"name", owner["metadata"]["name"]},
                       {"uid", owner["metadata"]["uid"]},
                       {"controller", true},
                       {"blockOwnerDeletion", true}}});
}

// The Rollout and its ReplicaSet of revision 1 (as newReplicaSetObject makes it); with write_pods
// also the ReplicaSet's available status and one Ready Pod.
bool createRollout(vane::kube::Client& client, int i, bool write_pods) {
  auto ro = client.create(res::kRollouts, "default", rollout(i));
  if (!ro) return false;
  const json tmpl = (*ro)["spec"]["template"];
  const std::string hash = vane::controller::podTemplateHash(tmpl);
  const std::string name = (*ro)["metadata"]["name"].get<std::string>() + "-" + hash;
  json labels = tmpl["metadata"]["labels"];
  labels["rollouts-pod-template-hash"] = hash;
  json pod_template = tmpl;
  pod_template["metadata"]["labels"] = labels;
  json selector = (*ro)["spec"]["selector"];
  selector["matchLabels"]["rollouts-pod-template-hash"] = hash;
  json rs = {
      {"apiVersion", "apps/v1"},
      {"kind", "ReplicaSet"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"labels", labels},
        {"annotations",
         {{"rollout.argoproj.io/revision", "1"}, {"rollout.argoproj.io/desired-replicas", "1"}}},
        {"ownerReferences", ownerRef(*ro, "argoproj.io/v1alpha1", "Rollout")}}},
      {"spec", {{"replicas", 1}, {"selector", selector}, {"template", pod_template}}}};
  auto created = client.create(res::kReplicaSets, "default", rs);
  if (!created && created.status().code() == vane::Code::kAlreadyExists) {
    // The running controller saw the Rollout first and made the same ReplicaSet.
    created = client.get(res::kReplicaSets, "default", name);
  }
  if (!created) return false;
  if (!write_pods) return true;  // the workload simulation makes the Pod and the status
  const json available = {{"status",
                           {{"replicas", 1},
                            {"fullyLabeledReplicas", 1},
                            {"readyReplicas", 1},
                            {"availableReplicas", 1},
                            {"observedGeneration", 1}}}};
  if (!client.patch(res::kReplicaSets, "default", name, vane::kube::PatchType::kMerge, available,
                    "status")) {
    return false;
  }
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"name", name + "-x7k2q"},
                {"namespace", "default"},
                {"labels", labels},
                {"ownerReferences", ownerRef(*created, "apps/v1", "ReplicaSet")}}},
              {"spec", pod_template["spec"]}};
  if (!client.create(res::kPods, "default", pod)) return false;
  const json ready = {
      {"status",
       {{"phase", "Running"},
        {"podIP", "10.0.0.1"},
        {"conditions", json::array({{{"type", "Ready"},
                                     {"status", "True"},
                                     {"lastTransitionTime", "2026-01-01T00:00:00Z"}}})}}}};
  return client
      .patch(res::kPods, "default", name + "-x7k2q", vane::kube::PatchType::kMerge, ready, "status")
      .ok();
}

}  // namespace

int main(int argc, char** argv) {
  int n = 10000, timeout_s = 3600;
  bool write_pods = false;
  std::string bin = std::filesystem::path(argv[0]).parent_path().string();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--write-pods") {
      write_pods = true;
      continue;
    }
    if (a == "--rollouts") n = std::atoi(v.c_str());
    if (a == "--bin") bin = v;
    if (a == "--timeout") timeout_s = std::atoi(v.c_str());
    ++i;
  }
  char tmpl[] = "/tmp/vane-membench-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const int port = freePort();
  const std::string kubeconfig = dir + "/kubeconfig";
  std::vector<std::string> apiserver_argv = {bin + "/vane-apiserver", "--listen",
                                             "127.0.0.1:" + std::to_string(port),
                                             "--kubeconfig-out", kubeconfig};
  if (!write_pods) {
    for (const char* a : {"--simulate-workloads", "--pod-ready-delay", "1s"}) {
      apiserver_argv.push_back(a);
    }
  }
  auto apiserver = std::make_unique<Child>(apiserver_argv, dir + "/apiserver.log");
  for (int i = 0; i < 300 && !std::filesystem::exists(kubeconfig); ++i)
    std::this_thread::sleep_for(100ms);
  auto config = vane::kube::loadKubeconfig(kubeconfig);
  if (!config) {
    std::cerr << "vane-apiserver did not start (log: " << dir << "/apiserver.log)\n";
    return 1;
  }
  config->qps = 0;
  const std::string k = kubectl() + " --kubeconfig " + kubeconfig + " ";
  // The CRDs the controller's informers list (as tests/integration/support/controller_fixture).
  const std::string crds =
      "apply -f crds/rollout-crd.yaml -f crds/analysis-run-crd.yaml -f "
      "crds/analysis-template-crd.yaml >/dev/null && ";
  if (std::system((k + crds + k +
                   "wait --for=condition=Established crd/rollouts.argoproj.io --timeout=30s "
                   ">/dev/null")
                      .c_str()) != 0) {
    std::cerr << "applying the CRDs failed (run from the repository root)\n";
    return 1;
  }

  // The controller starts first: with 10,000 Rollouts already stored, its informers' initial
  // lists did not finish within its fixed 30 s sync timeout against a loaded Debug apiserver.
  const std::string metrics = "127.0.0.1:" + std::to_string(freePort());
  const std::string health = "127.0.0.1:" + std::to_string(freePort());
  const auto t1 = std::chrono::steady_clock::now();
  auto controller = std::make_unique<Child>(
      std::vector<std::string>{bin + "/vane-controller", "--kubeconfig", kubeconfig,
                               "--metrics-addr", metrics, "--health-addr", health, "--qps", "2000",
                               "--burst", "4000", "--workers", "4"},
      dir + "/controller.log");
  std::this_thread::sleep_for(3s);  // informers synced on the empty namespace
  // Load: 4 clients in parallel; each Rollout with its ReplicaSet and Pod.
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> loaders;
  for (int t = 0; t < 4; ++t) {
    loaders.emplace_back([&] {
      auto client = vane::kube::Client::create(*config);
      if (!client) return;
      for (int i = next++; i < n; i = next++) {
        if (!createRollout(**client, i, write_pods)) ++failed;
      }
    });
  }
  for (auto& t : loaders) t.join();
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "created " << n - failed << " Rollouts (with a ReplicaSet"
            << (write_pods ? " and a Pod" : "") << " each) in " << load_s << " s\n";

  auto client = vane::kube::Client::create(*config);
  if (!client) return 1;
  int healthy = 0;
  double peak = 0;
  while (std::chrono::steady_clock::now() - t1 < std::chrono::seconds(timeout_s)) {
    std::this_thread::sleep_for(10s);
    if (::waitpid(controller->pid(), nullptr, WNOHANG) != 0) {
      std::cerr << "vane-controller exited; its log: " << dir << "/controller.log\n";
      return 1;
    }
    peak = std::max(peak, procMiB(controller->pid(), "VmRSS"));
    auto list = (*client)->list(res::kRollouts, "default");
    if (!list) continue;
    healthy = 0;
    for (const auto& ro : (*list)["items"]) {
      const json s = ro.value("status", json::object());
      healthy += s.value("phase", "") == "Healthy" ? 1 : 0;
    }
    std::cerr << "healthy " << healthy << "/" << n << ", controller RSS "
              << procMiB(controller->pid(), "VmRSS") << " MiB\n";
    if (healthy >= n - failed) break;
  }
  const double healthy_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  // Settled: steady-state RSS over 20 s (resync is 15 min, so this is the idle cache).
  std::this_thread::sleep_for(10s);
  double rss = 0;
  for (int i = 0; i < 10; ++i) {
    rss = std::max(rss, procMiB(controller->pid(), "VmRSS"));
    std::this_thread::sleep_for(1s);
  }
  auto count = [&](const vane::kube::Resource& r) {
    auto l = (*client)->list(r, "default");
    return l ? static_cast<int>((*l)["items"].size()) : -1;
  };
  std::printf(
      "rollouts=%d healthy=%d replicasets=%d pods=%d load=%.0fs all_healthy_after=%.0fs "
      "controller_rss_mib=%.1f controller_hwm_mib=%.1f apiserver_rss_mib=%.1f pods_by=%s\n",
      count(res::kRollouts), healthy, count(res::kReplicaSets), count(res::kPods), load_s,
      healthy_s, rss, std::max(peak, procMiB(controller->pid(), "VmHWM")),
      procMiB(apiserver->pid(), "VmRSS"), write_pods ? "bench" : "simulation");
  controller.reset();
  apiserver.reset();
  std::filesystem::remove_all(dir);
  return healthy >= n - failed ? 0 : 2;
}
