#include "support/prometheus_proxy.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace vane::testing {

using namespace std::chrono_literals;

namespace {
// One field of an application/x-www-form-urlencoded body ('+' as a space).
std::string formValue(const std::string& body, const std::string& key) {
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = std::min(body.find('&', pos), body.size());
    std::string pair = body.substr(pos, amp - pos);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key && eq != std::string::npos) {
      std::string v = pair.substr(eq + 1);
      for (char& c : v)
        if (c == '+') c = ' ';
      return http::urlDecode(v);
    }
    pos = amp + 1;
  }
  return "";
}
}  // namespace

std::unique_ptr<PrometheusProcess> PrometheusProcess::start() {
  std::unique_ptr<PrometheusProcess> p(new PrometheusProcess());
  p->dir_ = makeTempDir("vane-prom-faults");
  p->port_ = freePort();
  std::ofstream(p->dir_ + "/prometheus.yml")
      << "global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs: []\n";
  p->process_ = std::make_unique<Process>(
      std::vector<std::string>{"/usr/bin/prometheus",
                               "--config.file=" + p->dir_ + "/prometheus.yml",
                               "--storage.tsdb.path=" + p->dir_ + "/data",
                               "--web.listen-address=127.0.0.1:" + std::to_string(p->port_)},
      p->dir_ + "/prometheus.log");
  auto client = http::Client::create({});
  if (!client) return nullptr;
  bool ready = waitFor(
      [&] {
        auto r = (*client)->send({"GET", p->url() + "/-/ready", {}, "", 1000ms});
        return r.ok() && r->status == 200;
      },
      20s);
  if (!ready) {
    std::cerr << "prometheus did not become ready:\n" << p->process_->log() << "\n";
    return nullptr;
  }
  return p;
}

PrometheusProcess::~PrometheusProcess() {
  if (process_) process_->terminate();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::unique_ptr<FaultyProxy> FaultyProxy::start(std::string upstream) {
  std::unique_ptr<FaultyProxy> p(new FaultyProxy());
  p->upstream_ = std::move(upstream);
  auto client = http::Client::create({});
  if (!client) return nullptr;
  p->client_ = std::move(client).value();
  http::ServerOptions options;
  options.threads = 4;  // a stalled request must not hold up the next one
  auto server = http::Server::start(
      options, [raw = p.get()](const http::Request& r) { return raw->handle(r); });
  if (!server) return nullptr;
  p->server_ = std::move(server).value();
  return p;
}

FaultyProxy::~FaultyProxy() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (server_) server_->stop();
}

void FaultyProxy::setFault(ProxyFault fault) {
  std::lock_guard lock(mu_);
  fault_ = fault;
}

int FaultyProxy::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

http::Response FaultyProxy::forward(const http::Request& r, const std::string& target,
                                    const std::string& body) {
  http::ClientRequest req;
  req.method = r.method;
  req.url = upstream_ + target;
  if (auto ct = r.header("Content-Type")) req.headers.emplace_back("Content-Type", *ct);
  req.body = body;
  req.timeout = 10s;
  auto resp = client_->send(req);
  if (!resp) return http::Response::text(502, "proxy: " + resp.status().message());
  http::Response out;
  out.status = resp->status;
  if (auto ct = resp->header("Content-Type")) out.headers.emplace_back("Content-Type", *ct);
  out.body = resp->body;
  return out;
}

http::Response FaultyProxy::handle(const http::Request& r) {
  ProxyFault fault;
  {
    std::unique_lock lock(mu_);
    ++requests_;
    fault = fault_;
    if (fault == ProxyFault::kStall) cv_.wait_for(lock, 10s, [this] { return stopping_; });
  }
  switch (fault) {
    case ProxyFault::k500:
      return http::Response::text(500, "Internal Server Error");
    case ProxyFault::k503:
      return http::Response::text(503, "Service Unavailable");
    case ProxyFault::kNonJson: {
      http::Response page;
      page.headers.emplace_back("Content-Type", "text/html");
      page.body = "<html><body>Please sign in</body></html>";
      return page;
    }
    case ProxyFault::kMatrix: {
      // The same query over the last minute: Prometheus itself produces the matrix.
      std::string query = r.method == "GET" ? r.param("query").value_or("") : "";
      if (query.empty()) query = formValue(r.body, "query");
      auto now = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
      std::string body = "query=" + http::urlEncode(query) + "&start=" + std::to_string(now - 60) +
                         "&end=" + std::to_string(now) + "&step=15";
      http::Request post = r;
      post.method = "POST";
      post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
      return forward(post, "/api/v1/query_range", body);
    }
    case ProxyFault::kPass:
    case ProxyFault::kStall:
      break;
  }
  return forward(r, r.target, r.body);
}

}  // namespace vane::testing
