#include "apiserver/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>

namespace vane::apiserver {

struct Metrics::Impl {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("apiserver_request_total")
          .Help("Requests by verb, resource and HTTP code.")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("apiserver_request_duration_seconds")
          .Help("Request handling latency by verb and resource (watch: until the stream starts).")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& watches = prometheus::BuildGauge()
                                                       .Name("apiserver_open_watches")
                                                       .Help("Open watch streams.")
                                                       .Register(registry);
  prometheus::Family<prometheus::Histogram>& fsync =
      prometheus::BuildHistogram()
          .Name("apiserver_wal_fsync_duration_seconds")
          .Help("Write-ahead log fsync latency.")
          .Register(registry);
  prometheus::Histogram& fsync_hist =
      fsync.Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01,
                                                            0.025, 0.05, 0.1, 0.25, 0.5, 1});
  prometheus::Gauge& open_watches = watches.Add({});
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

std::pair<std::string, std::string> requestVerbResource(const http::Request& req, bool watch) {
  std::vector<std::string> seg;
  std::size_t p = 0;
  const std::string& path = req.path;
  while (p < path.size()) {
    auto s = path.find('/', p);
    if (s == std::string::npos) s = path.size();
    if (s > p) seg.push_back(path.substr(p, s - p));
    p = s + 1;
  }
  std::string method = req.method;
  std::transform(method.begin(), method.end(), method.begin(), ::tolower);
  std::size_t start = 0;
  if (seg.size() >= 3 && seg[0] == "api") start = 2;
  if (seg.size() >= 4 && seg[0] == "apis") start = 3;
  if (start == 0) return {method, ""};
  std::vector<std::string> r(seg.begin() + static_cast<long>(start), seg.end());
  std::string resource;
  bool named = false;
  if (r.size() >= 3 && r[0] == "namespaces") {
    resource = r[2];
    named = r.size() >= 4;
  } else if (!r.empty()) {
    resource = r[0];
    named = r.size() >= 2;
  }
  std::string verb = method;
  if (method == "get") verb = watch ? "watch" : named ? "get" : "list";
  if (method == "post") verb = "create";
  if (method == "put") verb = "update";
  if (method == "delete") verb = named ? "delete" : "deletecollection";
  return {verb, resource};
}

void Metrics::observeRequest(const http::Request& req, int code, bool watch,
                             std::chrono::steady_clock::duration latency) {
  auto [verb, resource] = requestVerbResource(req, watch);
  impl_->requests.Add({{"verb", verb}, {"resource", resource}, {"code", std::to_string(code)}})
      .Increment();
  impl_->latency
      .Add({{"verb", verb}, {"resource", resource}},
           prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5})
      .Observe(std::chrono::duration<double>(latency).count());
}

void Metrics::observeFsync(double seconds) { impl_->fsync_hist.Observe(seconds); }

std::string Metrics::render(std::size_t open_watches) {
  impl_->open_watches.Set(static_cast<double>(open_watches));
  prometheus::TextSerializer serializer;
  return serializer.Serialize(impl_->registry.Collect());
}

}  // namespace vane::apiserver
