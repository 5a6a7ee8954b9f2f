// The dashboard's HTTP side: the route table, the JSON API over the shared informers, the live
// stream and the actions. Handlers only read the informers' caches; only actions call the API
// server, through the same functions as `kubectl vane` (cli/actions.h).
#include <ctime>
#include <map>
#include <mutex>

#include "base/log.h"
#include "cli/actions.h"
#include "dashboard/access.h"
#include "dashboard/assets.h"
#include "dashboard/dashboard.h"
#include "dashboard/guard.h"
#include "dashboard/live.h"
#include "dashboard/views.h"
#include "kube/http.h"
#include "kube/informer.h"

namespace vane::dashboard {
namespace {

namespace res = kube::resources;
using kube::ObjectPtr;

int httpCode(Code c) {
  switch (c) {
    case Code::kOk:
      return 200;
    case Code::kBadRequest:
      return 400;
    case Code::kInvalid:
      return 422;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
    case Code::kConflict:
      return 409;
    case Code::kGone:
      return 410;
    case Code::kTooManyRequests:
      return 429;
    case Code::kUnauthorized:
      return 401;
    case Code::kForbidden:
      return 403;
    case Code::kUnsupported:
      return 405;
    case Code::kTooLarge:
      return 413;
    case Code::kTimeout:
      return 504;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

http::Response jsonResponse(int code, const json& body) {
  http::Response r = http::Response::json(code, body.dump());
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http::Response errorResponse(int code, const std::string& message) {
  return jsonResponse(code, {{"ok", false}, {"code", code}, {"message", message}});
}

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::vector<const json*> raw(const std::vector<ObjectPtr>& objects) {
  std::vector<const json*> out;
  out.reserve(objects.size());
  for (const auto& o : objects) out.push_back(o.get());
  return out;
}

constexpr const char* kTokenCookie = "vane_dashboard_token";

// What each action writes (cli/actions.h), for the SubjectAccessReviews made before it runs.
std::vector<AccessCheck> plannedWrites(const std::string& action, const std::string& ns,
                                       const std::string& name) {
  auto rollouts = [&](const std::string& verb, const std::string& sub) {
    return AccessCheck{verb, "argoproj.io", "rollouts", sub, ns, name};
  };
  if (action == "promote" || action == "promote-full") {
    return {rollouts("get", ""), rollouts("patch", "status"), rollouts("patch", "")};
  }
  if (action == "abort" || action == "retry") return {rollouts("patch", "status")};
  if (action == "pause" || action == "restart") return {rollouts("patch", "")};
  if (action == "undo") {
    return {
        rollouts("get", ""), {"list", "apps", "replicasets", "", ns, ""}, rollouts("patch", "")};
  }
  if (action == "set-image") return {rollouts("get", ""), rollouts("update", "")};
  return {};
}

class DashboardImpl : public Dashboard {
 public:
  DashboardImpl(kube::Client& client, DashboardOptions options)
      : client_(client), options_(std::move(options)), hub_(options_.flush_interval) {}
  ~DashboardImpl() override { stop(); }

  Status init();
  uint16_t port() const override { return server_ ? server_->port() : 0; }
  std::string url() const override {
    if (guard_) return guard_->url();
    return "http://" + options_.address + ":" + std::to_string(port()) + "/";
  }
  bool waitForSync(std::chrono::milliseconds timeout) override;
  void stop() override;

 private:
  kube::Informer* addInformer(const kube::Resource& r);
  http::Response handle(const http::Request& req);
  http::Response handleInCluster(const http::Request& req);
  http::Response login(const http::Request& req);
  http::Response route(const http::Request& req, const Viewer* viewer);
  http::Response listRollouts(const http::Request& req, const Viewer* viewer);
  http::Response getRollout(const std::string& ns, const std::string& name, const Viewer* viewer);
  http::Response act(const http::Request& req, const std::string& ns, const std::string& name,
                     const std::string& action, const Viewer* viewer);
  bool maySee(const Viewer& viewer, const std::string& ns);

  kube::Client& client_;
  DashboardOptions options_;
  LiveHub hub_;
  std::vector<std::unique_ptr<kube::Informer>> informers_;
  kube::Informer* rollouts_ = nullptr;
  kube::Informer* replicasets_ = nullptr;
  kube::Informer* pods_ = nullptr;
  kube::Informer* analysisruns_ = nullptr;
  kube::Informer* events_ = nullptr;
  kube::Informer* virtualservices_ = nullptr;  // null when Istio's CRD is not installed
  std::unique_ptr<LocalGuard> guard_;          // loopback mode
  std::unique_ptr<ClusterAccess> access_;      // in-cluster mode
  std::unique_ptr<http::Server> server_;
  std::once_flag stop_once_;
  // List rows by "ns/name": (resourceVersion, row), so an unchanged Rollout is not rebuilt.
  std::mutex rows_mu_;
  std::map<std::string, std::pair<std::string, std::shared_ptr<const Row>>> row_cache_;
};

kube::Informer* DashboardImpl::addInformer(const kube::Resource& r) {
  kube::InformerOptions opts;
  opts.namespace_ = options_.namespace_;
  opts.transform = kube::stripManagedFields;
  auto informer = kube::Informer::create(client_, r, opts);
  std::string kind = r.kind;
  auto touch = [this, kind](const ObjectPtr& obj) {
    const json& meta = (*obj)["metadata"];
    hub_.touched(kind, meta.value("namespace", ""), meta.value("name", ""));
  };
  informer->addHandlers(
      {touch, [touch](const ObjectPtr&, const ObjectPtr& o) { touch(o); }, touch});
  informers_.push_back(std::move(informer));
  return informers_.back().get();
}

Status DashboardImpl::init() {
  rollouts_ = addInformer(res::kRollouts);
  replicasets_ = addInformer(res::kReplicaSets);
  pods_ = addInformer(res::kPods);
  analysisruns_ = addInformer(res::kAnalysisRuns);
  events_ = addInformer(res::kEvents);
  kube::Resource vs = res::virtualServices(options_.istio_version);
  if (client_.raw("GET", vs.basePath()).ok()) virtualservices_ = addInformer(vs);
  for (auto& i : informers_) i->start();
  http::ServerOptions so;
  so.listen = options_.address + ":" + std::to_string(options_.port);
  so.threads = 2;
  auto server = http::Server::start(so, [this](const http::Request& req) { return handle(req); });
  if (!server.ok()) return server.status();
  server_ = std::move(server.value());
  if (options_.in_cluster) {
    access_ = std::make_unique<ClusterAccess>(client_, options_.access_ttl);
  } else {
    guard_ = std::make_unique<LocalGuard>(options_.token.empty() ? randomToken() : options_.token,
                                          options_.address, server_->port());
  }
  return Status::ok();
}

bool DashboardImpl::waitForSync(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& i : informers_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!i->waitForSync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

void DashboardImpl::stop() {
  std::call_once(stop_once_, [this] {
    hub_.stop();
    if (server_) server_->stop();
    for (auto& i : informers_) i->stop();
  });
}

http::Response DashboardImpl::handle(const http::Request& req) {
  http::Response r;
  if (access_) {
    r = handleInCluster(req);
  } else if (auto refused = guard_->check(req)) {
    r = *refused;
  } else {
    r = route(req, nullptr);
  }
  // The pages load nothing from elsewhere and may not be framed (clickjacking).
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

http::Response DashboardImpl::handleInCluster(const http::Request& req) {
  if (isStateChanging(req.method)) {
    // Behind an ingress the Host is the public name: a write's Origin must name that same host.
    std::string host = req.header("Host").value_or(""), origin = req.header("Origin").value_or("");
    if (host.empty() || (origin != "http://" + host && origin != "https://" + host)) {
      return errorResponse(403, "forbidden: unexpected Origin header");
    }
  }
  if (req.path.rfind("/api/", 0) != 0) return route(req, nullptr);  // the pages hold no data
  if (req.path == "/api/login" && req.method == "POST") return login(req);
  std::string token;
  std::string auth = req.header("Authorization").value_or("");
  if (auth.rfind("Bearer ", 0) == 0) token = auth.substr(7);
  if (token.empty()) token = cookie(req, kTokenCookie).value_or("");
  auto viewer = access_->authenticate(token);
  if (!viewer.ok()) {
    int code = viewer.status().code() == Code::kUnauthorized ? 401 : 503;
    return errorResponse(code, code == 401 ? "unauthorized: sign in with a bearer token"
                                           : viewer.status().toString());
  }
  return route(req, &viewer.value());
}

http::Response DashboardImpl::login(const http::Request& req) {
  json body = json::parse(req.body, nullptr, false);
  std::string token = body.is_object() ? body.value("token", "") : "";
  auto viewer = access_->authenticate(token);
  if (!viewer.ok()) return errorResponse(401, "unauthorized: the token was not accepted");
  http::Response r = jsonResponse(200, {{"ok", true}, {"user", viewer.value().name}});
  r.headers.emplace_back("Set-Cookie", std::string(kTokenCookie) + "=" + token +
                                           "; Path=/; HttpOnly; SameSite=Strict");
  return r;
}

bool DashboardImpl::maySee(const Viewer& viewer, const std::string& ns) {
  auto ok = access_->allowed(viewer, {"list", "argoproj.io", "rollouts", "", ns, ""});
  return ok.ok() && ok.value();
}

http::Response DashboardImpl::route(const http::Request& req, const Viewer* viewer) {
  std::vector<std::string> p = splitPath(req.path);
  bool get = req.method == "GET";
  if (get && (p.empty() || (p.size() == 3 && p[0] == "rollouts"))) {
    return asset("index.html");
  }
  if (get && p.size() == 1 && p[0].find('.') != std::string::npos) return asset(p[0]);
  if (p.size() < 2 || p[0] != "api") return errorResponse(404, "no such page: " + req.path);
  if (get && p.size() == 2 && p[1] == "rollouts") return listRollouts(req, viewer);
  if (get && p.size() == 4 && p[1] == "rollouts") return getRollout(p[2], p[3], viewer);
  if (req.method == "POST" && p.size() == 5 && p[1] == "rollouts") {
    return act(req, p[2], p[3], p[4], viewer);
  }
  if (get && p.size() == 2 && p[1] == "whoami") {
    return jsonResponse(200, {{"user", viewer ? viewer->name : "(your kubeconfig)"},
                              {"inCluster", viewer != nullptr}});
  }
  if (get && p.size() == 2 && p[1] == "stream") {
    http::Response r;
    r.headers.emplace_back("Content-Type", "text/event-stream");
    r.headers.emplace_back("Cache-Control", "no-store");
    LiveHub::NamespaceFilter filter;
    if (viewer) filter = [this, v = *viewer](const std::string& ns) { return maySee(v, ns); };
    r.stream = [this, filter](std::shared_ptr<http::StreamWriter> w) {
      hub_.add(std::move(w), filter);
    };
    return r;
  }
  if (p.size() == 2 && p[1] == "stream") return errorResponse(405, "method not allowed");
  return errorResponse(404, "no such endpoint: " + req.method + " " + req.path);
}

http::Response DashboardImpl::listRollouts(const http::Request& req, const Viewer* viewer) {
  ListFilter f;
  f.namespace_ = req.param("namespace").value_or("");
  f.phase = req.param("phase").value_or("");
  f.name = req.param("name").value_or("");
  f.attention = req.param("attention").value_or("") == "true";
  auto objects = rollouts_->list();
  if (viewer) {  // only the namespaces the user may list Rollouts in
    std::map<std::string, bool> seen;
    std::erase_if(objects, [&](const ObjectPtr& o) {
      std::string ns = (*o)["metadata"].value("namespace", "");
      auto it = seen.find(ns);
      if (it == seen.end()) it = seen.emplace(ns, maySee(*viewer, ns)).first;
      return !it->second;
    });
  }
  std::vector<std::shared_ptr<const Row>> rows;  // kept alive while the list is built
  rows.reserve(objects.size());
  {
    std::lock_guard lock(rows_mu_);
    if (row_cache_.size() > 2 * objects.size() + 100) row_cache_.clear();  // deleted Rollouts
    for (const auto& o : objects) {
      const json& meta = (*o)["metadata"];
      std::string key = meta.value("namespace", "") + "/" + meta.value("name", "");
      std::string rv = meta.value("resourceVersion", "");
      auto& cached = row_cache_[key];
      if (!cached.second || cached.first != rv) {
        cached = {rv, std::make_shared<const Row>(makeRow(*o))};
      }
      rows.push_back(cached.second);
    }
  }
  std::vector<const Row*> ptrs;
  ptrs.reserve(rows.size());
  for (const auto& r : rows) ptrs.push_back(r.get());
  http::Response r = http::Response::json(200, rolloutListJson(std::move(ptrs), f));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http::Response DashboardImpl::getRollout(const std::string& ns, const std::string& name,
                                         const Viewer* viewer) {
  if (viewer) {
    Status st = access_->require(*viewer, {{"get", "argoproj.io", "rollouts", "", ns, name}});
    if (!st.isOk()) return errorResponse(httpCode(st.code()), st.message());
  }
  ObjectPtr ro = rollouts_->get(ns, name);
  if (!ro) return errorResponse(404, "rollout " + ns + "/" + name + " not found");
  std::string uid = (*ro)["metadata"].value("uid", "");
  std::vector<json> rs, pods, runs;
  for (const auto& r : replicasets_->byIndex(kube::kIndexOwner, uid)) {
    rs.push_back(*r);
    for (const auto& pod : pods_->byIndex(kube::kIndexOwner, (*r)["metadata"].value("uid", ""))) {
      pods.push_back(*pod);
    }
  }
  for (const auto& a : analysisruns_->byIndex(kube::kIndexOwner, uid)) runs.push_back(*a);
  std::vector<ObjectPtr> vss;
  if (virtualservices_) vss = virtualservices_->list();
  auto events = events_->list(ns);
  return jsonResponse(200, rolloutDetail(*ro, rs, pods, runs, raw(vss), raw(events)));
}

http::Response DashboardImpl::act(const http::Request& req, const std::string& ns,
                                  const std::string& name, const std::string& action,
                                  const Viewer* viewer) {
  json body = json::object();
  if (!req.body.empty()) {
    body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return errorResponse(400, "the request body is not a JSON object");
  }
  cli::CommandContext ctx;
  ctx.client = &client_;
  std::unique_ptr<kube::Client> as_viewer;
  if (viewer) {
    // Every patch the action may send is authorised before the first is sent (promote: the
    // status patch and the spec patch), and the client re-checks each call it makes.
    Status st = access_->require(*viewer, plannedWrites(action, ns, name));
    if (!st.isOk()) {
      int code = httpCode(st.code());
      return errorResponse(code, (code == 403 ? "refused (403 Forbidden): " : "") + st.message());
    }
    as_viewer = authorizingClient(client_, *access_, *viewer);
    ctx.client = as_viewer.get();
  }
  ctx.namespace_ = ns;
  ctx.now = options_.now ? options_.now : [] { return static_cast<int64_t>(std::time(nullptr)); };
  Result<std::string> r = Status(Code::kNotFound, "unknown action \"" + action + "\"", "action");
  if (action == "promote") r = cli::promoteRollout(ctx, name, false);
  if (action == "promote-full") r = cli::promoteRollout(ctx, name, true);
  if (action == "abort") r = cli::abortRollout(ctx, name);
  if (action == "retry") r = cli::retryRollout(ctx, name);
  if (action == "pause") r = cli::pauseRollout(ctx, name);
  if (action == "restart") r = cli::restartRollout(ctx, name, 0);
  if (action == "undo") {
    const json& rev = body.contains("revision") ? body["revision"] : json(0);
    if (!rev.is_number_integer() || rev.get<int64_t>() < 0) {
      return errorResponse(400, "revision: expected a revision number >= 0");
    }
    r = cli::undoRollout(ctx, name, rev.get<int64_t>());
  }
  if (action == "set-image") {
    std::string container = body.value("container", ""), image = body.value("image", "");
    if (container.empty() || image.empty()) {
      return errorResponse(400, "set-image: container and image are both required");
    }
    r = cli::setRolloutImage(ctx, name, container, image);
  }
  log::info("dashboard: action", {{"action", action},
                                  {"rollout", ns + "/" + name},
                                  {"result", r.ok() ? "ok" : r.status().toString()}});
  if (r.ok()) return jsonResponse(200, {{"ok", true}, {"code", 200}, {"message", r.value()}});
  int code = httpCode(r.status().code());
  std::string prefix = code == 403 ? "refused by the API server (403 Forbidden): " : "";
  return errorResponse(code, prefix + r.status().toString());
}

}  // namespace

Result<std::unique_ptr<Dashboard>> Dashboard::start(kube::Client& client,
                                                    DashboardOptions options) {
  auto d = std::make_unique<DashboardImpl>(client, std::move(options));
  Status st = d->init();
  if (!st.isOk()) return st;
  return std::unique_ptr<Dashboard>(std::move(d));
}

}  // namespace vane::dashboard
