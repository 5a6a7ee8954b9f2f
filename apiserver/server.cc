#include "apiserver/server.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apiserver/auth_reviews.h"
#include "apiserver/controllers.h"
#include "apiserver/discovery.h"
#include "apiserver/errors.h"
#include "apiserver/metrics.h"
#include "apiserver/objects.h"
#include "apiserver/registry.h"
#include "apiserver/rest.h"
#include "apiserver/workloads.h"
#include "base/log.h"

namespace vane::apiserver {

namespace {

const char kVersionJson[] =
    R"({"major":"1","minor":"32","gitVersion":"v1.32.0","gitCommit":"vane-apiserver",)"
    R"("gitTreeState":"clean","buildDate":"2025-01-01T00:00:00Z","goVersion":"go1.23.0",)"
    R"("compiler":"gc","platform":"linux/amd64"})";

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status ensureCertificate(const std::string& dir, std::string& cert, std::string& key) {
  cert = dir + "/tls.crt";
  key = dir + "/tls.key";
  if (std::filesystem::exists(cert) && std::filesystem::exists(key)) return Status::ok();
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout '" + key +
                    "' -out '" + cert +
                    "' -subj /CN=vane-apiserver -addext "
                    "'subjectAltName=IP:127.0.0.1,DNS:localhost' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    return Status(Code::kInternal, "generating a self-signed certificate with openssl failed");
  }
  std::filesystem::permissions(
      key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return Status::ok();
}

// --tls without a token: a random token kept beside the certificate (<dir>/token, mode 0600), so
// the written kubeconfig authenticates and kubectl, which prompts for a username and password
// when an https cluster's user has no credentials, never asks; a restart keeps the token.
Status ensureToken(const std::string& dir, std::string& token) {
  std::string path = dir + "/token";
  if (std::filesystem::exists(path)) {
    token = readFile(path);
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())))
      token.pop_back();
    if (!token.empty()) return Status::ok();
  }
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  unsigned char bytes[24];
  if (!urandom.read(reinterpret_cast<char*>(bytes), sizeof bytes)) {
    return Status(Code::kInternal, "reading /dev/urandom for a token failed");
  }
  static const char kHex[] = "0123456789abcdef";
  token.clear();
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    std::filesystem::permissions(
        tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    out << token << "\n";
    if (!out.flush()) return Status(Code::kInternal, "writing " + path + " failed");
  }
  std::filesystem::rename(tmp, path);
  return Status::ok();
}

class ApiServerImpl : public ApiServer {
 public:
  explicit ApiServerImpl(ApiServerOptions options) : options_(std::move(options)) {}
  ~ApiServerImpl() override { stop(); }

  Status init();
  uint16_t port() const override { return http_ ? http_->port() : 0; }
  std::string url() const override {
    return std::string(options_.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
  }
  std::string caPem() const override { return ca_pem_; }
  std::string kubeconfig() const override;
  Store& store() override { return *store_; }
  http::Response handle(const http::Request& req) override;
  void stop() override;

 private:
  http::Response route(const http::Request& req);
  Status bootstrap();

  ApiServerOptions options_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  Registry registry_;
  std::unique_ptr<StoreWatch> crd_watch_;
  std::unique_ptr<FaultInjector> faults_;
  std::unique_ptr<Rest> rest_;
  std::unique_ptr<Auth> auth_;
  std::unique_ptr<Controllers> controllers_;
  std::unique_ptr<WorkloadSimulator> workloads_;
  std::unique_ptr<http::Server> http_;
  std::string ca_pem_;
  bool stopped_ = false;
};

Status ApiServerImpl::init() {
  StoreOptions so;
  so.data_dir = options_.data_dir;
  so.fsync = options_.fsync;
  so.on_fsync = [this](double s) { metrics_.observeFsync(s); };
  auto store = Store::open(so);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  for (const auto& crd : store_->list("apiextensions.k8s.io/customresourcedefinitions", "").first) {
    registry_.onCrdEvent({"ADDED", "", 0, crd, nullptr});
  }
  auto w = store_->watch("apiextensions.k8s.io/customresourcedefinitions", "",
                         store_->currentResourceVersion(),
                         [this](const StoreEvent& ev) { registry_.onCrdEvent(ev); });
  if (!w.ok()) return w.status();
  crd_watch_ = std::move(*w);
  if (Status st = bootstrap(); !st.isOk()) return st;
  rest_ = std::make_unique<Rest>(*store_, registry_);
  if (options_.faults) {
    faults_ = std::make_unique<FaultInjector>(*options_.faults, options_.faults_seed);
    rest_->setFaults(faults_.get());
    log::info("fault injection on", {{"rules", static_cast<int64_t>(options_.faults->rules.size())},
                                     {"seed", static_cast<int64_t>(faults_->seed())}});
  }
  controllers_ = std::make_unique<Controllers>(*store_, registry_);
  if (Status st = controllers_->start(); !st.isOk()) return st;
  if (options_.simulate_workloads) {
    workloads_ = std::make_unique<WorkloadSimulator>(
        *store_, WorkloadSimulator::Options{options_.pod_ready_delay, options_.unpullable_images});
    if (Status st = workloads_->start(); !st.isOk()) return st;
  }
  http::ServerOptions ho;
  ho.listen = options_.listen;
  ho.threads = options_.threads;
  if (options_.tls) {
    std::string dir = options_.data_dir;
    if (dir.empty()) dir = std::filesystem::temp_directory_path() / ("vane-apiserver-tls");
    std::filesystem::create_directories(dir);
    std::string cert, key;
    if (Status st = ensureCertificate(dir, cert, key); !st.isOk()) return st;
    ho.tls_cert_file = cert;
    ho.tls_key_file = key;
    ca_pem_ = readFile(cert);
    if (options_.token.empty()) {
      if (Status st = ensureToken(dir, options_.token); !st.isOk()) return st;
    }
  }
  auto users = options_.users;
  if (!options_.token.empty() && !users.count(options_.token)) {
    users[options_.token] = UserInfo{"admin", "admin", {"system:masters"}};
  }
  auth_ = std::make_unique<Auth>(*store_, std::move(users), options_.rbac);
  auto server = http::Server::start(ho, [this](const http::Request& r) { return handle(r); });
  if (!server.ok()) return server.status();
  http_ = std::move(*server);
  return Status::ok();
}

Status ApiServerImpl::bootstrap() {
  std::string now = nowRfc3339();
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    ObjectKey key{"core/namespaces", "", ns};
    if (store_->get(key).ok()) continue;
    json obj = {{"apiVersion", "v1"},
                {"kind", "Namespace"},
                {"metadata",
                 {{"name", ns},
                  {"uid", newUid()},
                  {"creationTimestamp", now},
                  {"labels", {{"kubernetes.io/metadata.name", ns}}}}},
                {"spec", {{"finalizers", {"kubernetes"}}}},
                {"status", {{"phase", "Active"}}}};
    if (auto r = store_->create(key, obj); !r.ok()) return r.status();
  }
  ObjectKey svc{"core/services", "default", "kubernetes"};
  if (!store_->get(svc).ok()) {
    json obj = {
        {"apiVersion", "v1"},
        {"kind", "Service"},
        {"metadata",
         {{"name", "kubernetes"},
          {"namespace", "default"},
          {"uid", newUid()},
          {"creationTimestamp", now},
          {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
        {"spec",
         {{"type", "ClusterIP"},
          {"clusterIP", "10.96.0.1"},
          {"clusterIPs", {"10.96.0.1"}},
          {"sessionAffinity", "None"},
          {"ipFamilies", {"IPv4"}},
          {"ipFamilyPolicy", "SingleStack"},
          {"internalTrafficPolicy", "Cluster"},
          {"ports",
           {{{"name", "https"}, {"port", 443}, {"protocol", "TCP"}, {"targetPort", 6443}}}}}},
        {"status", {{"loadBalancer", json::object()}}}};
    if (auto r = store_->create(svc, obj); !r.ok()) return r.status();
  }
  return Status::ok();
}

std::string ApiServerImpl::kubeconfig() const {
  std::string cluster = "{server: \"" + url() + "\"";
  if (options_.tls) cluster += ", certificate-authority-data: " + base64Encode(ca_pem_);
  cluster += "}";
  std::string user = options_.token.empty() ? "{}" : "{token: \"" + options_.token + "\"}";
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: vane-local\n  cluster: " + cluster +
         "\ncontexts:\n- name: vane-local\n  context: {cluster: vane-local, user: vane-local, "
         "namespace: default}\ncurrent-context: vane-local\nusers:\n- name: vane-local\n  user: " +
         user + "\npreferences: {}\n";
}

http::Response ApiServerImpl::handle(const http::Request& req) {
  auto start = std::chrono::steady_clock::now();
  http::Response r;
  try {
    r = route(req);
  } catch (const std::exception& e) {
    r = statusResponse(500, "InternalError", std::string("internal error: ") + e.what());
  }
  metrics_.observeRequest(req, r.status, r.stream != nullptr,
                          std::chrono::steady_clock::now() - start);
  return r;
}

http::Response ApiServerImpl::route(const http::Request& req) {
  const std::string& p = req.path;
  if (p == "/healthz" || p == "/readyz" || p == "/livez") return http::Response::text(200, "ok");
  if (auto refused = auth_->check(req)) return *refused;
  if (auto r = auth_->serveReviews(req)) return *r;
  if (p == "/version" || p == "/version/") return jsonResponse(200, json::parse(kVersionJson));
  if (p == "/metrics") {
    std::string body = metrics_.render(rest_->openWatches());
    if (faults_) body += faults_->renderMetrics();
    http::Response r = http::Response::text(200, std::move(body));
    r.headers[0].second = "text/plain; version=0.0.4";
    return r;
  }
  if (auto r = serveDiscovery(registry_, req, "127.0.0.1:" + std::to_string(port()))) return *r;
  if (auto r = serveOpenApi(registry_, req)) return *r;
  if (auto r = rest_->handle(req)) return *r;
  return pathNotFound();
}

void ApiServerImpl::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (rest_) rest_->closeWatches();
  if (http_) http_->stop();
  if (workloads_) workloads_->stop();
  if (controllers_) controllers_->stop();
  if (crd_watch_) crd_watch_->cancel();
}

}  // namespace

Result<std::unique_ptr<ApiServer>> ApiServer::start(ApiServerOptions options) {
  auto server = std::make_unique<ApiServerImpl>(std::move(options));
  if (Status st = server->init(); !st.isOk()) return st;
  return std::unique_ptr<ApiServer>(std::move(server));
}

}  // namespace vane::apiserver
