#include "dashboard/access.h"

namespace vane::dashboard {
namespace {

using kube::json;

std::string forbidden(const Viewer& v, const AccessCheck& c) {
  return "User \"" + v.name + "\" cannot " + c.describe();
}

class AuthorizingClient : public kube::Client {
 public:
  AuthorizingClient(kube::Client& inner, ClusterAccess& access, Viewer viewer)
      : inner_(inner), access_(access), viewer_(std::move(viewer)) {}

  const kube::RestConfig& config() const override { return inner_.config(); }
  Result<json> get(const kube::Resource& r, const std::string& ns,
                   const std::string& name) override {
    if (Status st = check("get", r, ns, name); !st.isOk()) return st;
    return inner_.get(r, ns, name);
  }
  Result<json> list(const kube::Resource& r, const std::string& ns,
                    const kube::ListOptions& opts) override {
    if (Status st = check("list", r, ns, ""); !st.isOk()) return st;
    return inner_.list(r, ns, opts);
  }
  Result<json> create(const kube::Resource& r, const std::string& ns, const json& obj) override {
    if (Status st = check("create", r, ns, ""); !st.isOk()) return st;
    return inner_.create(r, ns, obj);
  }
  Result<json> update(const kube::Resource& r, const std::string& ns, const json& obj) override {
    if (Status st = check("update", r, nsOf(ns, obj), nameOf(obj)); !st.isOk()) return st;
    return inner_.update(r, ns, obj);
  }
  Result<json> updateStatus(const kube::Resource& r, const std::string& ns,
                            const json& obj) override {
    if (Status st = check("update", r, nsOf(ns, obj), nameOf(obj), "status"); !st.isOk()) {
      return st;
    }
    return inner_.updateStatus(r, ns, obj);
  }
  Result<json> patch(const kube::Resource& r, const std::string& ns, const std::string& name,
                     kube::PatchType type, const json& body, const std::string& subresource,
                     const std::string& field_manager) override {
    if (Status st = check("patch", r, ns, name, subresource); !st.isOk()) return st;
    return inner_.patch(r, ns, name, type, body, subresource, field_manager);
  }
  Status remove(const kube::Resource& r, const std::string& ns, const std::string& name,
                const kube::DeleteOptions& opts) override {
    if (Status st = check("delete", r, ns, name); !st.isOk()) return st;
    return inner_.remove(r, ns, name, opts);
  }
  Result<std::unique_ptr<kube::WatchStream>> watch(const kube::Resource&, const std::string&,
                                                   const kube::ListOptions&) override {
    return Status(Code::kForbidden, "the dashboard does not watch on a user's behalf");
  }
  Result<json> raw(const std::string&, const std::string& path, const json&) override {
    return Status(Code::kForbidden, "the dashboard makes no raw request (" + path +
                                        ") on a "
                                        "user's behalf");
  }
  void setRequestObserver(kube::RequestObserver) override {}

 private:
  static std::string nsOf(const std::string& ns, const json& obj) {
    return !ns.empty() ? ns : obj.value("metadata", json::object()).value("namespace", "");
  }
  static std::string nameOf(const json& obj) {
    return obj.value("metadata", json::object()).value("name", "");
  }
  Status check(const std::string& verb, const kube::Resource& r, const std::string& ns,
               const std::string& name, const std::string& sub = "") {
    return access_.require(viewer_, {{verb, r.group, r.resource, sub, ns, name}});
  }

  kube::Client& inner_;
  ClusterAccess& access_;
  Viewer viewer_;
};

}  // namespace

std::string AccessCheck::describe() const {
  std::string res = subresource.empty() ? resource : resource + "/" + subresource;
  std::string out = verb + " " + res;
  if (!group.empty()) out += " in API group \"" + group + "\"";
  if (!namespace_.empty()) out += " in the namespace \"" + namespace_ + "\"";
  return out;
}

ClusterAccess::ClusterAccess(kube::Client& client, std::chrono::seconds ttl)
    : client_(client), ttl_(ttl) {}

Result<Viewer> ClusterAccess::authenticate(const std::string& token) {
  if (token.empty()) return Status(Code::kUnauthorized, "a bearer token is required");
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = tokens_.find(token);
    if (it != tokens_.end() && it->second.expires > now) {
      if (it->second.value.name.empty()) return Status(Code::kUnauthorized, "invalid token");
      return it->second.value;
    }
  }
  json review = {{"apiVersion", "authentication.k8s.io/v1"},
                 {"kind", "TokenReview"},
                 {"spec", {{"token", token}}}};
  auto r = client_.raw("POST", "/apis/authentication.k8s.io/v1/tokenreviews", review);
  if (!r.ok()) return Status(r.status().code(), "TokenReview failed: " + r.status().message());
  const json& status = r.value().value("status", json::object());
  Viewer v;
  if (status.value("authenticated", false)) {
    const json& user = status.value("user", json::object());
    v.name = user.value("username", "");
    v.uid = user.value("uid", "");
    for (const auto& g : user.value("groups", json::array())) {
      if (g.is_string()) v.groups.push_back(g.get<std::string>());
    }
  }
  std::lock_guard lock(mu_);
  if (tokens_.size() > 10000) tokens_.clear();  // bounded: a flood of bad tokens
  tokens_[token] = {v, now + ttl_};
  if (v.name.empty()) return Status(Code::kUnauthorized, "invalid token");
  return v;
}

Result<bool> ClusterAccess::allowed(const Viewer& viewer, const AccessCheck& c) {
  std::string key = viewer.name + "\n" + c.verb + "\n" + c.group + "\n" + c.resource + "\n" +
                    c.subresource + "\n" + c.namespace_ + "\n" + c.name;
  for (const auto& g : viewer.groups) key += "\n" + g;
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = decisions_.find(key);
    if (it != decisions_.end() && it->second.expires > now) return it->second.value;
  }
  json attrs = {{"verb", c.verb}, {"group", c.group}, {"resource", c.resource}};
  if (!c.subresource.empty()) attrs["subresource"] = c.subresource;
  if (!c.namespace_.empty()) attrs["namespace"] = c.namespace_;
  if (!c.name.empty()) attrs["name"] = c.name;
  json review = {{"apiVersion", "authorization.k8s.io/v1"},
                 {"kind", "SubjectAccessReview"},
                 {"spec",
                  {{"user", viewer.name},
                   {"uid", viewer.uid},
                   {"groups", viewer.groups},
                   {"resourceAttributes", attrs}}}};
  auto r = client_.raw("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review);
  if (!r.ok()) {
    return Status(r.status().code(), "SubjectAccessReview failed: " + r.status().message());
  }
  bool ok = r.value().value("status", json::object()).value("allowed", false);
  std::lock_guard lock(mu_);
  if (decisions_.size() > 100000) decisions_.clear();
  decisions_[key] = {ok, now + ttl_};
  return ok;
}

Status ClusterAccess::require(const Viewer& viewer, const std::vector<AccessCheck>& checks) {
  for (const auto& c : checks) {
    auto ok = allowed(viewer, c);
    if (!ok.ok()) return ok.status();
    if (!ok.value()) return Status(Code::kForbidden, forbidden(viewer, c));
  }
  return Status::ok();
}

std::unique_ptr<kube::Client> authorizingClient(kube::Client& inner, ClusterAccess& access,
                                                Viewer viewer) {
  return std::make_unique<AuthorizingClient>(inner, access, std::move(viewer));
}

}  // namespace vane::dashboard
