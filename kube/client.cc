// The Kubernetes REST client over vane::http::Client: URLs, auth (token, rotating token file,
// basic, exec plugin), a client-side token bucket, typed errors and retries of safe verbs.
#include <sys/stat.h>

#include <cmath>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "kube/client_internal.h"
#include "kube/kubeconfig.h"

namespace vane::kube {

namespace resources {
Resource virtualServices(const std::string& version) {
  return {"networking.istio.io", version, "virtualservices", "VirtualService", true};
}
Resource destinationRules(const std::string& version) {
  return {"networking.istio.io", version, "destinationrules", "DestinationRule", true};
}
}  // namespace resources

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxRetries = 5;
constexpr std::chrono::milliseconds kRequestTimeout{30000};

std::string base64Encode(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

std::string collectionPath(const Resource& r, const std::string& ns) {
  std::string p = r.basePath();
  if (r.namespaced && !ns.empty()) p += "/namespaces/" + http::urlEncode(ns);
  return p + "/" + r.resource;
}

std::string itemPath(const Resource& r, const std::string& ns, const std::string& name,
                     const std::string& sub = "") {
  std::string p = collectionPath(r, ns) + "/" + http::urlEncode(name);
  return sub.empty() ? p : p + "/" + sub;
}

void addParam(std::string& query, const char* key, const std::string& value) {
  if (value.empty()) return;
  query += query.empty() ? "?" : "&";
  query += key;
  query += "=";
  query += http::urlEncode(value);
}

std::string listQuery(const ListOptions& o, bool watch) {
  std::string q;
  addParam(q, "labelSelector", o.label_selector);
  addParam(q, "fieldSelector", o.field_selector);
  addParam(q, "resourceVersion", o.resource_version);
  if (watch) {
    addParam(q, "watch", "true");
    if (o.allow_bookmarks) addParam(q, "allowWatchBookmarks", "true");
    if (o.timeout_seconds > 0) addParam(q, "timeoutSeconds", std::to_string(o.timeout_seconds));
  } else {
    if (o.limit > 0) addParam(q, "limit", std::to_string(o.limit));
    addParam(q, "continue", o.continue_token);
  }
  return q;
}

Result<json> parseBody(const std::string& body) {
  if (body.empty()) return json(nullptr);
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return json(body);  // plain-text endpoints (/healthz)
  return j;
}

struct Call {
  std::string verb;      // for the observer: get, list, create, ...
  std::string resource;  // plural, "" for raw
  std::string method;
  std::string path;  // with query
  std::string body;
  std::string content_type;
  bool retry = false;
  std::string accept = "application/json";
};

// client-go's metadata client (k8s.io/client-go/metadata): the PartialObjectMetadata media types,
// plain JSON last for servers without the conversion.
std::string acceptFor(const ListOptions& o, bool watch) {
  if (!o.metadata_only) return "application/json";
  return std::string("application/json;as=") +
         (watch ? "PartialObjectMetadata" : "PartialObjectMetadataList") +
         ";g=meta.k8s.io;v=v1,application/json";
}

class ClientImpl : public Client {
 public:
  ClientImpl(RestConfig config, std::unique_ptr<http::Client> http)
      : config_(std::move(config)),
        http_(std::move(http)),
        token_(config_.token),
        token_expiry_(config_.token_expiry),
        bucket_(config_.burst),
        last_refill_(Clock::now()) {}

  const RestConfig& config() const override { return config_; }

  Result<json> get(const Resource& r, const std::string& ns, const std::string& name) override {
    return jsonCall({"get", r.resource, "GET", itemPath(r, ns, name), "", "", true});
  }
  Result<json> list(const Resource& r, const std::string& ns, const ListOptions& opts) override {
    return jsonCall({"list", r.resource, "GET", collectionPath(r, ns) + listQuery(opts, false), "",
                     "", true, acceptFor(opts, false)});
  }
  Result<json> create(const Resource& r, const std::string& ns, const json& obj) override {
    return jsonCall({"create", r.resource, "POST", collectionPath(r, nsOf(r, ns, obj)), obj.dump(),
                     "application/json"});
  }
  Result<json> update(const Resource& r, const std::string& ns, const json& obj) override {
    return jsonCall({"update", r.resource, "PUT", itemPath(r, nsOf(r, ns, obj), nameOf(obj)),
                     obj.dump(), "application/json"});
  }
  Result<json> updateStatus(const Resource& r, const std::string& ns, const json& obj) override {
    return jsonCall({"update", r.resource, "PUT",
                     itemPath(r, nsOf(r, ns, obj), nameOf(obj), "status"), obj.dump(),
                     "application/json"});
  }
  Result<json> patch(const Resource& r, const std::string& ns, const std::string& name,
                     PatchType type, const json& body, const std::string& subresource,
                     const std::string& field_manager) override;
  Status remove(const Resource& r, const std::string& ns, const std::string& name,
                const DeleteOptions& opts) override;
  Result<std::unique_ptr<WatchStream>> watch(const Resource& r, const std::string& ns,
                                             const ListOptions& opts) override;
  Result<json> raw(const std::string& method, const std::string& path, const json& body) override {
    bool safe = method == "GET";
    return jsonCall({safe ? "get" : method, "", method, path, body.is_null() ? "" : body.dump(),
                     body.is_null() ? "" : "application/json", safe});
  }
  void setRequestObserver(RequestObserver observer) override {
    std::lock_guard lock(mu_);
    observer_ = std::move(observer);
  }

 private:
  static std::string nsOf(const Resource& r, const std::string& ns, const json& obj) {
    if (!ns.empty() || !r.namespaced) return ns;
    return obj.contains("metadata") ? obj["metadata"].value("namespace", "") : "";
  }
  static std::string nameOf(const json& obj) {
    return obj.contains("metadata") ? obj["metadata"].value("name", "") : "";
  }
  Result<json> jsonCall(const Call& call) {
    auto resp = perform(call);
    if (!resp) return resp.status();
    return parseBody(resp->body);
  }
  Result<http::ClientResponse> perform(const Call& call);
  /// used_token, when given, receives the bearer token sent ("" for none).
  http::ClientRequest buildRequest(const Call& call, std::chrono::milliseconds timeout,
                                   std::string* used_token = nullptr);
  std::string currentToken();
  bool refreshExecToken(const std::string& rejected);
  void refreshExpiredExecToken();
  bool runExecLocked();
  void waitForToken();
  void observe(const Call& call, int code) {
    RequestObserver observer;
    {
      std::lock_guard lock(mu_);
      observer = observer_;
    }
    if (observer) observer(call.verb, call.resource, code);
  }

  RestConfig config_;
  std::unique_ptr<http::Client> http_;
  std::mutex mu_;
  std::mutex exec_mu_;  // one exec plugin run at a time
  RequestObserver observer_;
  std::string token_;
  std::optional<int64_t> token_expiry_;  // of an exec plugin's token
  struct timespec token_mtime_ {};
  double bucket_;
  Clock::time_point last_refill_;
};

// Re-reads the token file when its modification time changes (projected service-account tokens
// rotate in place).
std::string ClientImpl::currentToken() {
  std::lock_guard lock(mu_);
  if (!config_.token_file.empty()) {
    struct stat st {};
    if (::stat(config_.token_file.c_str(), &st) == 0 &&
        (st.st_mtim.tv_sec != token_mtime_.tv_sec || st.st_mtim.tv_nsec != token_mtime_.tv_nsec)) {
      std::ifstream in(config_.token_file);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string t = ss.str();
      while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
      if (!t.empty()) {
        token_ = t;
        token_mtime_ = st.st_mtim;
      }
    }
  }
  return token_;
}

void ClientImpl::waitForToken() {
  if (config_.qps <= 0) return;
  std::chrono::duration<double> wait{0};
  {
    std::lock_guard lock(mu_);
    Clock::time_point now = Clock::now();
    double elapsed = std::chrono::duration<double>(now - last_refill_).count();
    last_refill_ = now;
    bucket_ = std::min<double>(config_.burst, bucket_ + elapsed * config_.qps);
    bucket_ -= 1;
    if (bucket_ < 0) wait = std::chrono::duration<double>(-bucket_ / config_.qps);
  }
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

// Runs the exec plugin and installs its credential; exec_mu_ held. False when it failed.
bool ClientImpl::runExecLocked() {
  auto cred = runExecCredential(config_.exec);
  if (!cred) return false;
  std::lock_guard lock(mu_);
  token_ = std::move(cred->token);
  token_expiry_ = cred->expiry;
  return true;
}

// After a 401 with an exec plugin's token, client-go runs the plugin again, once, unless another
// request already replaced the rejected token (then that newer token is simply retried).
// Returns true when the request should be retried with the current token.
bool ClientImpl::refreshExecToken(const std::string& rejected) {
  if (config_.exec.is_null()) return false;
  std::lock_guard exec_lock(exec_mu_);
  {
    std::lock_guard lock(mu_);
    if (token_ != rejected) return true;
  }
  return runExecLocked();
}

// client-go keeps an exec credential until its expirationTimestamp, then runs the plugin before
// the next request rather than waiting for a 401. A failed run keeps the old token (the server
// decides; a 401 then runs the plugin once more).
void ClientImpl::refreshExpiredExecToken() {
  if (config_.exec.is_null()) return;
  auto expired = [this] {
    std::lock_guard lock(mu_);
    return token_expiry_ &&
           std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) >= *token_expiry_;
  };
  if (!expired()) return;
  std::lock_guard exec_lock(exec_mu_);
  if (expired()) runExecLocked();
}

http::ClientRequest ClientImpl::buildRequest(const Call& call, std::chrono::milliseconds timeout,
                                             std::string* used_token) {
  http::ClientRequest req;
  req.method = call.method;
  req.url = config_.server + call.path;
  req.body = call.body;
  req.timeout = timeout;
  req.headers.emplace_back("Accept", call.accept);
  req.headers.emplace_back("User-Agent", config_.user_agent);
  if (!call.content_type.empty()) req.headers.emplace_back("Content-Type", call.content_type);
  refreshExpiredExecToken();
  std::string token = currentToken();
  if (used_token) *used_token = token;
  if (!token.empty()) {
    req.headers.emplace_back("Authorization", "Bearer " + token);
  } else if (!config_.username.empty()) {
    req.headers.emplace_back("Authorization",
                             "Basic " + base64Encode(config_.username + ":" + config_.password));
  }
  return req;
}

Result<http::ClientResponse> ClientImpl::perform(const Call& call) {
  bool refreshed_exec = false;
  for (int attempt = 0;; ++attempt) {
    waitForToken();
    std::string sent_token;
    auto resp = http_->send(buildRequest(call, kRequestTimeout, &sent_token));
    Status err;
    if (!resp) {
      err = resp.status();
      observe(call, 0);
    } else {
      observe(call, resp->status);
      if (resp->status >= 200 && resp->status < 300) return resp;
      err = statusFromResponse(resp->status, resp->headers, resp->body);
    }
    if (err.code() == Code::kUnauthorized && !refreshed_exec) {
      refreshed_exec = true;  // the plugin's token may have expired: run it again once
      if (refreshExecToken(sent_token)) continue;
    }
    if (!call.retry || !err.retryable() || attempt >= kMaxRetries) return err;
    auto backoff = std::chrono::milliseconds(
        static_cast<int64_t>(std::min(5000.0, 100.0 * std::pow(2.0, attempt))));
    if (err.retryAfter()) {
      backoff = std::min<std::chrono::milliseconds>(*err.retryAfter(), std::chrono::seconds(30));
    }
    std::this_thread::sleep_for(backoff);
  }
}

Result<json> ClientImpl::patch(const Resource& r, const std::string& ns, const std::string& name,
                               PatchType type, const json& body, const std::string& subresource,
                               const std::string& field_manager) {
  const char* content_type = "application/merge-patch+json";
  switch (type) {
    case PatchType::kMerge:
      break;
    case PatchType::kJson:
      content_type = "application/json-patch+json";
      break;
    case PatchType::kStrategicMerge:
      content_type = "application/strategic-merge-patch+json";
      break;
    case PatchType::kApply:
      content_type = "application/apply-patch+yaml";
      break;
  }
  std::string q;
  addParam(q, "fieldManager", field_manager);
  if (type == PatchType::kApply) addParam(q, "force", "true");  // controllers own their fields
  return jsonCall({"patch", r.resource, "PATCH", itemPath(r, ns, name, subresource) + q,
                   body.dump(), content_type});
}

Status ClientImpl::remove(const Resource& r, const std::string& ns, const std::string& name,
                          const DeleteOptions& opts) {
  json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!opts.propagation_policy.empty()) body["propagationPolicy"] = opts.propagation_policy;
  if (opts.precondition_resource_version) {
    body["preconditions"] = {{"resourceVersion", *opts.precondition_resource_version}};
  }
  auto resp = perform(
      {"delete", r.resource, "DELETE", itemPath(r, ns, name), body.dump(), "application/json"});
  return resp ? Status::ok() : resp.status();
}

Result<std::unique_ptr<WatchStream>> ClientImpl::watch(const Resource& r, const std::string& ns,
                                                       const ListOptions& opts) {
  Call call{"watch", r.resource, "GET", collectionPath(r, ns) + listQuery(opts, true),
            "",      "",         false, acceptFor(opts, true)};
  for (bool refreshed_exec = false;; refreshed_exec = true) {
    waitForToken();
    std::string sent_token;
    auto stream = http_->stream(buildRequest(call, kRequestTimeout, &sent_token));
    if (!stream) {
      observe(call, 0);
      return stream.status();
    }
    auto& s = *stream;
    observe(call, s->status());
    if (s->status() == 200) return makeWatchStream(std::move(s));
    std::string body;
    while (body.size() < (1 << 20) && s->read(body)) {
    }
    Status err = statusFromResponse(s->status(), s->headers(), body);
    if (err.code() == Code::kUnauthorized && !refreshed_exec && refreshExecToken(sent_token)) {
      continue;
    }
    return err;
  }
}

}  // namespace

Result<std::unique_ptr<Client>> Client::create(const RestConfig& config) {
  if (config.server.empty()) return Status(Code::kInvalid, "server is required", "server");
  http::ClientOptions options;
  options.tls.ca_file = config.ca_file;
  options.tls.ca_pem = config.ca_pem;
  options.tls.cert_file = config.cert_file;
  options.tls.cert_pem = config.cert_pem;
  options.tls.key_file = config.key_file;
  options.tls.key_pem = config.key_pem;
  options.tls.insecure_skip_verify = config.insecure_skip_verify;
  options.tls.server_name = config.tls_server_name;
  auto http = http::Client::create(options);
  if (!http) return http.status();
  RestConfig cfg = config;
  while (!cfg.server.empty() && cfg.server.back() == '/') cfg.server.pop_back();
  return std::unique_ptr<Client>(std::make_unique<ClientImpl>(std::move(cfg), std::move(*http)));
}

}  // namespace vane::kube
