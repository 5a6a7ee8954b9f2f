// kube/ throughput and footprint:
//  - decode and encode of a typical Rollout (objects/s);
//  - bytes per cached object with 10,000 Rollouts and 20,000 ReplicaSets in informers (malloc'd
//    bytes in use, mallinfo2, before and after the informers synced from an in-process server),
//    for plain objects, for objects as served after kubectl apply (managedFields and the
//    last-applied annotation), and for those with the controller's strip transform;
//  - GET requests/s through kube::Client against a local vane-apiserver process.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "bench/bench_support.h"
#include "kube/client.h"
#include "kube/http.h"
#include "kube/informer.h"

namespace {

using vane::kube::json;
namespace kube = vane::kube;

json rollout(int i) {
  std::string name = "rollout-" + std::to_string(i);
  return json::parse(R"({
  "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
  "metadata": {"name": "", "namespace": "team-a", "uid": "6c1b6a1e-8a53-4c4b-9d0e-0f5b2a3c4d5e",
    "resourceVersion": "123456", "generation": 7, "creationTimestamp": "2026-11-24T10:00:00Z",
    "labels": {"app": "demo", "team": "a"},
    "annotations": {"rollout.argoproj.io/revision": "7"}},
  "spec": {"replicas": 5, "revisionHistoryLimit": 3,
    "selector": {"matchLabels": {"app": "demo"}},
    "template": {"metadata": {"labels": {"app": "demo"}}, "spec": {"containers": [{"name": "app",
      "image": "argoproj/rollouts-demo:blue", "ports": [{"name": "http", "containerPort": 8080,
      "protocol": "TCP"}], "resources": {"requests": {"cpu": "5m", "memory": "32Mi"}}}]}},
    "strategy": {"canary": {"maxSurge": "25%", "maxUnavailable": 0, "canaryService": "demo-canary",
      "stableService": "demo-stable", "trafficRouting": {"istio": {"virtualService":
      {"name": "demo-vsvc", "routes": ["primary"]}, "destinationRule": {"name": "demo-destrule",
      "canarySubsetName": "canary", "stableSubsetName": "stable"}}},
      "steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 40}, {"pause": {"duration": "10s"}},
        {"setWeight": 60}, {"pause": {"duration": "30s"}}, {"setWeight": 80},
        {"analysis": {"templates": [{"templateName": "success-rate"}]}}]}}},
  "status": {"replicas": 5, "updatedReplicas": 5, "readyReplicas": 5, "availableReplicas": 5,
    "currentPodHash": "6f8d9c7b5", "stableRS": "6f8d9c7b5", "currentStepIndex": 8,
    "currentStepHash": "5b7c9d8f6", "observedGeneration": "7", "phase": "Healthy",
    "canary": {"weights": {"canary": {"weight": 0, "podTemplateHash": "6f8d9c7b5"},
      "stable": {"weight": 100, "podTemplateHash": "6f8d9c7b5"}}},
    "conditions": [
      {"type": "Available", "status": "True", "reason": "AvailableReason",
       "message": "Rollout has minimum availability", "lastTransitionTime": "2026-11-24T10:01:00Z",
       "lastUpdateTime": "2026-11-24T10:01:00Z"},
      {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
       "message": "Rollout \"demo\" has successfully progressed.",
       "lastTransitionTime": "2026-11-24T10:01:00Z", "lastUpdateTime": "2026-11-24T10:01:00Z"},
      {"type": "Healthy", "status": "True", "reason": "RolloutHealthy",
       "message": "Rollout is healthy", "lastTransitionTime": "2026-11-24T10:01:00Z",
       "lastUpdateTime": "2026-11-24T10:01:00Z"}]}
})")
      .patch(json::array({{{"op", "replace"}, {"path", "/metadata/name"}, {"value", name}}}));
}

json replicaSet(int i) {
  json rs = {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}};
  rs["metadata"] = {{"name", "rollout-" + std::to_string(i / 2) + "-" + std::to_string(i)},
                    {"namespace", "team-a"},
                    {"uid", "uid-rs-" + std::to_string(i)},
                    {"resourceVersion", "1000"},
                    {"labels", {{"app", "demo"}, {"rollouts-pod-template-hash", "6f8d9c7b5"}}},
                    {"annotations", {{"rollout.argoproj.io/revision", "7"}}},
                    {"ownerReferences",
                     {{{"apiVersion", "argoproj.io/v1alpha1"},
                       {"kind", "Rollout"},
                       {"name", "rollout-" + std::to_string(i / 2)},
                       {"uid", "uid-ro"},
                       {"controller", true},
                       {"blockOwnerDeletion", true}}}}};
  rs["spec"] = rollout(i)["spec"]["template"];
  rs["spec"] = {{"replicas", 5},
                {"selector", {{"matchLabels", {{"app", "demo"}}}}},
                {"template", rs["spec"]}};
  rs["status"] = {
      {"replicas", 5}, {"readyReplicas", 5}, {"availableReplicas", 5}, {"observedGeneration", 1}};
  return rs;
}

void BM_DecodeRollout(benchmark::State& state) {
  std::string text = rollout(1).dump();
  for (auto _ : state) {
    json j = json::parse(text);
    benchmark::DoNotOptimize(j);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
  state.counters["bytes_per_object"] = static_cast<double>(text.size());
}
BENCHMARK(BM_DecodeRollout);

void BM_EncodeRollout(benchmark::State& state) {
  json obj = rollout(1);
  for (auto _ : state) {
    std::string s = obj.dump();
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeRollout);

// managedFields' fieldsV1 for a value, as the API server builds it: "f:<key>" per map key and
// "k:{"name":...}" per named list item.
json fieldsOf(const json& v) {
  json out = json::object();
  if (v.is_object()) {
    for (const auto& [k, child] : v.items()) out["f:" + k] = fieldsOf(child);
  } else if (v.is_array()) {
    for (const auto& item : v) {
      if (!item.is_object() || !item.contains("name")) continue;
      json f = fieldsOf(item);
      f["."] = json::object();
      out["k:" + json{{"name", item["name"]}}.dump()] = f;
    }
  }
  return out;
}

json managedEntry(const std::string& manager, const json& fields, const std::string& sub = "") {
  json e = {{"manager", manager},       {"operation", "Update"},
            {"apiVersion", "v1"},       {"time", "2026-11-24T10:01:00Z"},
            {"fieldsType", "FieldsV1"}, {"fieldsV1", fields}};
  if (!sub.empty()) e["subresource"] = sub;
  return e;
}

// An object as a real API server returns it once `kubectl apply` (or a controller) wrote it: with
// the last-applied-configuration annotation (applied objects only) and managedFields.
json asServed(json obj, bool kubectl_applied, const std::string& status_manager) {
  json spec_fields = {{"f:spec", fieldsOf(obj["spec"])},
                      {"f:metadata", {{"f:labels", fieldsOf(obj["metadata"]["labels"])}}}};
  if (kubectl_applied) {
    json config = {{"apiVersion", obj["apiVersion"]},
                   {"kind", obj["kind"]},
                   {"metadata",
                    {{"name", obj["metadata"]["name"]},
                     {"namespace", obj["metadata"]["namespace"]},
                     {"labels", obj["metadata"]["labels"]}}},
                   {"spec", obj["spec"]}};
    obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        config.dump() + "\n";
    spec_fields["f:metadata"]["f:annotations"] = {
        {".", json::object()},
        {"f:kubectl.kubernetes.io/last-applied-configuration", json::object()}};
  }
  obj["metadata"]["managedFields"] = json::array(
      {managedEntry(kubectl_applied ? "kubectl-client-side-apply" : "rollouts-controller",
                    spec_fields),
       managedEntry(status_manager, {{"f:status", fieldsOf(obj["status"])}}, "status")});
  return obj;
}

// Serves pre-built List bodies and keeps watches open, so that only the informers' caches grow.
// served: objects as an API server returns them after kubectl apply (see asServed).
struct ListServer {
  std::string rollouts, replicasets;
  std::unique_ptr<vane::http::Server> server;
  explicit ListServer(bool served) {
    json ro = {{"kind", "RolloutList"},
               {"metadata", {{"resourceVersion", "5"}}},
               {"items", json::array()}};
    for (int i = 0; i < 10000; ++i) {
      ro["items"].push_back(served ? asServed(rollout(i), true, "rollouts-controller")
                                   : rollout(i));
    }
    json rs = {{"kind", "ReplicaSetList"},
               {"metadata", {{"resourceVersion", "5"}}},
               {"items", json::array()}};
    for (int i = 0; i < 20000; ++i) {
      rs["items"].push_back(served ? asServed(replicaSet(i), false, "kube-controller-manager")
                                   : replicaSet(i));
    }
    rollouts = ro.dump();
    replicasets = rs.dump();
    server = std::move(vane::http::Server::start({}, [this](const vane::http::Request& r) {
               if (r.param("watch")) {
                 vane::http::Response resp;
                 resp.stream = [](std::shared_ptr<vane::http::StreamWriter>) {};  // idle watch
                 return resp;
               }
               bool ro = r.path.find("rollouts") != std::string::npos;
               return vane::http::Response::json(200, ro ? rollouts : replicasets);
             })).value();
  }
};

// Arg 0: plain objects (no managedFields, no last-applied annotation), no transform.
// Arg 1: objects as served after kubectl apply, no transform.
// Arg 2: objects as served, with kube::stripManagedFields (what vane-controller's informers use).
void BM_InformerBytesPerObject(benchmark::State& state) {
  const bool served = state.range(0) >= 1;
  const bool strip = state.range(0) == 2;
  ListServer source(served);
  kube::RestConfig cfg;
  cfg.server = "http://127.0.0.1:" + std::to_string(source.server->port());
  cfg.qps = 0;
  auto client = std::move(kube::Client::create(cfg)).value();
  // For comparison: what the parsed nlohmann trees alone take (1,000 of each kind).
  auto treeBytes = [](const std::string& text) {
    malloc_trim(0);
    std::size_t before = mallinfo2().uordblks;
    std::vector<json> trees;
    trees.reserve(1000);
    for (int i = 0; i < 1000; ++i) trees.push_back(json::parse(text));
    return static_cast<double>(mallinfo2().uordblks - before) / 1000;
  };
  json one_rollout = served ? asServed(rollout(1), true, "rollouts-controller") : rollout(1);
  json one_rs = served ? asServed(replicaSet(1), false, "kube-controller-manager") : replicaSet(1);
  if (strip) {
    kube::stripManagedFields(one_rollout);
    kube::stripManagedFields(one_rs);
  }
  state.counters["tree_bytes_rollout"] = treeBytes(one_rollout.dump());
  state.counters["tree_bytes_replicaset"] = treeBytes(one_rs.dump());
  kube::InformerOptions io;
  if (strip) io.transform = kube::stripManagedFields;
  for (auto _ : state) {
    malloc_trim(0);
    std::size_t before = mallinfo2().uordblks;
    auto ro = kube::Informer::create(*client, kube::resources::kRollouts, io);
    auto rs = kube::Informer::create(*client, kube::resources::kReplicaSets, io);
    ro->start();
    rs->start();
    if (!ro->waitForSync(std::chrono::minutes(2)) || !rs->waitForSync(std::chrono::minutes(2))) {
      state.SkipWithError("informers did not sync");
      return;
    }
    std::size_t after = mallinfo2().uordblks;
    std::size_t objects = ro->size() + rs->size();
    state.counters["objects"] = static_cast<double>(objects);
    state.counters["bytes_per_object"] = static_cast<double>(after - before) / objects;
    state.counters["rollout_json_bytes"] = static_cast<double>(one_rollout.dump().size());
    state.counters["replicaset_json_bytes"] = static_cast<double>(one_rs.dump().size());
    ro->stop();
    rs->stop();
  }
}
BENCHMARK(BM_InformerBytesPerObject)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// A vane-apiserver child process next to this binary, stopped at exit.
struct ApiServerProcess {
  pid_t pid = -1;
  std::string url, dir;
  std::unique_ptr<kube::Client> client;
  ApiServerProcess() {
    std::string bin =
        std::filesystem::read_symlink("/proc/self/exe").parent_path() / "vane-apiserver";
    dir = std::filesystem::temp_directory_path() / ("vane-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string port = std::to_string(vane::bench::freePort());
    url = "http://127.0.0.1:" + port;
    pid = ::fork();
    if (pid == 0) {
      std::string listen = "127.0.0.1:" + port, kc = dir + "/kubeconfig";
      ::execl(bin.c_str(), bin.c_str(), "--listen", listen.c_str(), "--data-dir", dir.c_str(),
              "--kubeconfig-out", kc.c_str(), "--no-fsync", nullptr);
      ::_exit(127);
    }
    kube::RestConfig cfg;
    cfg.server = url;
    cfg.qps = 0;
    client = std::move(kube::Client::create(cfg)).value();
    for (int i = 0; i < 200 && !client->raw("GET", "/readyz").ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    client->create(kube::resources::kConfigMaps, "default",
                   {{"apiVersion", "v1"},
                    {"kind", "ConfigMap"},
                    {"metadata", {{"name", "bench"}, {"namespace", "default"}}},
                    {"data", {{"k", "v"}}}});
  }
  ~ApiServerProcess() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    std::filesystem::remove_all(dir);
  }
};

ApiServerProcess& apiServer() {
  static ApiServerProcess p;
  return p;
}

void BM_ClientGet(benchmark::State& state) {
  kube::Client& client = *apiServer().client;
  for (auto _ : state) {
    auto r = client.get(kube::resources::kConfigMaps, "default", "bench");
    if (!r.ok()) {
      state.SkipWithError(r.status().toString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClientGet)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
