// Cost of one VirtualService rewrite by the Istio router: the setWeight transform on a
// VirtualService with 20 http routes (each with retries, timeout, headers and two weighted
// destinations, all 20 listed in `routes`), the weight alternating so that every call rewrites
// all 20 routes; the idempotent call (weights already right); and the full router path
// (GET, transform, PUT) against an in-process vane-apiserver. Heap allocations are counted with
// a replaced global operator new and reported per rewrite.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "trafficrouting/istio_transform.h"
#ifndef VANE_ISTIO_BENCH_TRANSFORM_ONLY  // defined for a standalone -O2 build of the transform
#include "apiserver/server.h"
#include "kube/client.h"
#include "trafficrouting/istio_router.h"
#endif

namespace {
std::atomic<uint64_t> g_allocs{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace vane::trafficrouting {
namespace {

constexpr int kRoutes = 20;

json virtualService() {
  json http = json::array();
  for (int i = 0; i < kRoutes; ++i) {
    http.push_back({{"name", "route-" + std::to_string(i)},
                    {"match", {{{"uri", {{"prefix", "/api/v" + std::to_string(i)}}}}}},
                    {"retries", {{"attempts", 3}, {"perTryTimeout", "2s"}}},
                    {"timeout", "10s"},
                    {"headers", {{"request", {{"set", {{"x-route", std::to_string(i)}}}}}}},
                    {"route",
                     {{{"destination",
                        {{"host", "stable.default.svc.cluster.local"}, {"port", {{"number", 80}}}}},
                       {"weight", 100}},
                      {{"destination",
                        {{"host", "canary.default.svc.cluster.local"}, {"port", {{"number", 80}}}}},
                       {"weight", 0}}}}});
  }
  return {{"apiVersion", "networking.istio.io/v1beta1"},
          {"kind", "VirtualService"},
          {"metadata", {{"name", "vsvc"}, {"namespace", "default"}}},
          {"spec", {{"hosts", {"svc.example.com"}}, {"gateways", {"gw"}}, {"http", http}}}};
}

IstioVirtualService config() {
  IstioVirtualService cfg;
  cfg.name = "vsvc";
  for (int i = 0; i < kRoutes; ++i) cfg.routes.push_back("route-" + std::to_string(i));
  return cfg;
}

istio::Split split() {
  istio::Split s;
  s.canaryService = "canary";
  s.stableService = "stable";
  return s;
}

void BM_SetWeightRewrite20Routes(benchmark::State& state) {
  json vs = virtualService();
  const IstioVirtualService cfg = config();
  const istio::Split sp = split();
  int32_t desired = 10;
  uint64_t allocs = 0;
  for (auto _ : state) {
    desired = desired == 10 ? 20 : 10;
    const uint64_t before = g_allocs.load(std::memory_order_relaxed);
    auto out = istio::setWeight(vs, cfg, sp, desired, {});
    allocs += g_allocs.load(std::memory_order_relaxed) - before;
    if (!out.ok()) state.SkipWithError(out.status().toString().c_str());
    benchmark::DoNotOptimize(out);
    state.PauseTiming();
    vs = std::move(out).value();  // the next call changes every route again
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_rewrite"] =
      benchmark::Counter(static_cast<double>(allocs) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_SetWeightRewrite20Routes);

void BM_SetWeightUnchanged20Routes(benchmark::State& state) {
  const IstioVirtualService cfg = config();
  const istio::Split sp = split();
  json vs = istio::setWeight(virtualService(), cfg, sp, 30, {}).value();
  uint64_t allocs = 0;
  for (auto _ : state) {
    const uint64_t before = g_allocs.load(std::memory_order_relaxed);
    auto out = istio::setWeight(vs, cfg, sp, 30, {});
    allocs += g_allocs.load(std::memory_order_relaxed) - before;
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_call"] =
      benchmark::Counter(static_cast<double>(allocs) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_SetWeightUnchanged20Routes);

#ifndef VANE_ISTIO_BENCH_TRANSFORM_ONLY
// The router end to end: GET, transform and PUT through the REST client to an in-process
// vane-apiserver (in memory) serving a VirtualService CRD that keeps unknown fields (no YAML
// parser here to load Istio's full schema, so schema validation is not in this figure).
void BM_RouterSetWeightThroughApiServer(benchmark::State& state) {
  apiserver::ApiServerOptions so;
  auto server = apiserver::ApiServer::start(so);
  if (!server.ok()) return state.SkipWithError(server.status().toString().c_str());
  kube::RestConfig rc;
  rc.server = (*server)->url();
  rc.qps = 0;
  auto client = kube::Client::create(rc).value();
  json crd = {{"apiVersion", "apiextensions.k8s.io/v1"},
              {"kind", "CustomResourceDefinition"},
              {"metadata", {{"name", "virtualservices.networking.istio.io"}}},
              {"spec",
               {{"group", "networking.istio.io"},
                {"scope", "Namespaced"},
                {"names",
                 {{"plural", "virtualservices"},
                  {"singular", "virtualservice"},
                  {"kind", "VirtualService"},
                  {"listKind", "VirtualServiceList"}}},
                {"versions",
                 {{{"name", "v1beta1"},
                   {"served", true},
                   {"storage", true},
                   {"schema",
                    {{"openAPIV3Schema",
                      {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}}};
  auto made = client->create(kube::resources::kCRDs, "", crd);
  if (!made.ok()) return state.SkipWithError(made.status().toString().c_str());
  const kube::Resource vs_resource = kube::resources::virtualServices("v1beta1");
  Result<json> created = Status(Code::kUnavailable, "not yet");
  for (int i = 0; i < 100 && !created.ok(); ++i) {  // the CRD is served once established
    created = client->create(vs_resource, "default", virtualService());
  }
  if (!created.ok()) return state.SkipWithError(created.status().toString().c_str());
  RouterContext ctx;
  ctx.rolloutName = "ro";
  ctx.rolloutNamespace = "default";
  ctx.canaryService = "canary";
  ctx.stableService = "stable";
  ctx.istioApiVersion = "v1beta1";
  json istio = {{"virtualService", {{"name", "vsvc"}, {"routes", config().routes}}}};
  auto router = IstioRouter::create(*client, istio, "istio", ctx).value();
  int32_t desired = 10;
  uint64_t allocs = 0;
  for (auto _ : state) {
    desired = desired == 10 ? 20 : 10;
    const uint64_t before = g_allocs.load(std::memory_order_relaxed);
    Status st = router->setWeight(desired, {});
    allocs += g_allocs.load(std::memory_order_relaxed) - before;
    if (!st.isOk()) return state.SkipWithError(st.toString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_rewrite"] =
      benchmark::Counter(static_cast<double>(allocs) / static_cast<double>(state.iterations()));
  (*server)->stop();
}
BENCHMARK(BM_RouterSetWeightThroughApiServer)->UseRealTime()->Unit(benchmark::kMicrosecond);
#endif

}  // namespace
}  // namespace vane::trafficrouting

BENCHMARK_MAIN();
