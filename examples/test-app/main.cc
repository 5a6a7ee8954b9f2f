// vane-test-app: serves any path as "the application" and counts each request in
//   http_requests_total{version, code}            (counter)
//   http_request_duration_seconds{version}        (histogram; --latency-ms adds a delay)
// on GET /metrics. A configurable fraction of requests fails with 500; failures are spread
// exactly (an accumulator, not randomness), so 0.25 fails every fourth request.
//
//   vane-test-app --listen 127.0.0.1:0 --version v2 --error-rate 0.5 [--port-file F]
//   curl -X POST --data 0.5 http://HOST:PORT/error-rate     # set the rate at run time
//   curl http://HOST:PORT/error-rate                         # read it
// SIGTERM or SIGINT stops it.
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "kube/http.h"

namespace {

struct Options {
  std::string listen = "127.0.0.1:8080";
  std::string version = "v1";
  double error_rate = 0;
  double latency_ms = 0;
  std::string port_file;
};

bool parseRate(const std::string& s, double& out) {
  char* end = nullptr;
  std::string t = s;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  if (auto p = t.find("errorRate"); p != std::string::npos) t = t.substr(t.find(':', p) + 1);
  while (!t.empty() && (t.back() == '}' || t.back() == ' ')) t.pop_back();
  double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end == t.c_str() || v < 0 || v > 1) return false;
  out = v;
  return true;
}

class App {
 public:
  explicit App(const Options& o)
      : version_(o.version),
        error_rate_(o.error_rate),
        requests_(prometheus::BuildCounter()
                      .Name("http_requests_total")
                      .Help("Requests served, by version and status code")
                      .Register(registry_)),
        latency_(prometheus::BuildHistogram()
                     .Name("http_request_duration_seconds")
                     .Help("Request latency")
                     .Register(registry_)),
        latency_seconds_(o.latency_ms / 1000.0) {}

  vane::http::Response handle(const vane::http::Request& req) {
    if (req.path == "/metrics") {
      prometheus::TextSerializer s;
      auto r = vane::http::Response::text(200, s.Serialize(registry_.Collect()));
      r.headers[0].second = "text/plain; version=0.0.4";
      return r;
    }
    if (req.path == "/healthz") return vane::http::Response::text(200, "ok\n");
    if (req.path == "/error-rate") return errorRate(req);
    auto start = std::chrono::steady_clock::now();
    if (latency_seconds_ > 0)
      std::this_thread::sleep_for(std::chrono::duration<double>(latency_seconds_));
    bool fail = nextFails();
    int code = fail ? 500 : 200;
    requests_.Add({{"version", version_}, {"code", std::to_string(code)}}).Increment();
    latency_
        .Add({{"version", version_}},
             prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1})
        .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return vane::http::Response::text(code,
                                      (fail ? "error from " : "hello from ") + version_ + "\n");
  }

 private:
  bool nextFails() {
    std::lock_guard lock(mu_);
    acc_ += error_rate_;
    if (acc_ >= 1.0 - 1e-9) {
      acc_ -= 1.0;
      return true;
    }
    return false;
  }

  vane::http::Response errorRate(const vane::http::Request& req) {
    std::lock_guard lock(mu_);
    if (req.method == "POST" || req.method == "PUT") {
      double v = 0;
      std::string in = req.param("rate").value_or(req.body);
      if (!parseRate(in, v))
        return vane::http::Response::text(400, "error rate must be in [0, 1]\n");
      error_rate_ = v;
      acc_ = 0;
    }
    return vane::http::Response::json(200, "{\"version\":\"" + version_ + "\",\"errorRate\":" +
                                               std::to_string(error_rate_) + "}");
  }

  std::string version_;
  std::mutex mu_;
  double error_rate_;
  double acc_ = 0;
  prometheus::Registry registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  double latency_seconds_;
};

int usage() {
  std::cerr << "usage: vane-test-app [--listen HOST:PORT] [--version V] [--error-rate R]\n"
               "                     [--latency-ms MS] [--port-file FILE]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--listen")
      o.listen = next();
    else if (a == "--version")
      o.version = next();
    else if (a == "--error-rate") {
      if (!parseRate(next(), o.error_rate)) return usage();
    } else if (a == "--latency-ms")
      o.latency_ms = std::atof(next().c_str());
    else if (a == "--port-file")
      o.port_file = next();
    else
      return usage();
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before the server threads start

  App app(o);
  vane::http::ServerOptions so;
  so.listen = o.listen;
  auto server =
      vane::http::Server::start(so, [&app](const vane::http::Request& r) { return app.handle(r); });
  if (!server) {
    std::cerr << "vane-test-app: " << server.status().message() << "\n";
    return 1;
  }
  uint16_t port = (*server)->port();
  std::cout << "vane-test-app " << o.version << " listening on port " << port << std::endl;
  if (!o.port_file.empty()) {
    std::string tmp = o.port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), o.port_file.c_str());
  }
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->stop();
  return 0;
}
