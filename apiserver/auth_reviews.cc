#include "apiserver/auth_reviews.h"

#include "apiserver/errors.h"

namespace vane::apiserver {
namespace {

constexpr const char* kTokenReviews = "/apis/authentication.k8s.io/v1/tokenreviews";
constexpr const char* kAccessReviews = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

std::string bearer(const http::Request& req) {
  std::string auth = req.header("Authorization").value_or("");
  return auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
}

json reviewBody(const std::string& group, const std::string& kind, const json& spec,
                const json& status) {
  return {{"apiVersion", group + "/v1"},
          {"kind", kind},
          {"metadata", {{"creationTimestamp", nullptr}}},
          {"spec", spec},
          {"status", status}};
}

}  // namespace

std::optional<UserInfo> Auth::authenticate(const std::string& token) const {
  auto it = users_.find(token);
  if (token.empty() || it == users_.end()) return std::nullopt;
  UserInfo u = it->second;
  u.groups.push_back("system:authenticated");
  return u;
}

bool Auth::allowed(const UserInfo& user, const RequestAttributes& a) const {
  return !rbac_ || authorizer_.allowed(user, a);
}

std::optional<http::Response> Auth::check(const http::Request& req) const {
  if (users_.empty()) return std::nullopt;
  auto user = authenticate(bearer(req));
  if (!user) return statusResponse(401, "Unauthorized", "Unauthorized");
  RequestAttributes a = requestAttributes(req);
  if (allowed(*user, a)) return std::nullopt;
  std::string why = forbiddenReason(*user, a);
  if (!a.resource_request) return statusResponse(403, "Forbidden", "forbidden: " + why);
  std::string what = a.api_group.empty() ? a.resource : a.resource + "." + a.api_group;
  std::string name = a.name.empty() ? "" : " \"" + a.name + "\"";
  return statusResponse(403, "Forbidden", what + name + " is forbidden: " + why,
                        {{"name", a.name}, {"group", a.api_group}, {"kind", a.resource}});
}

std::optional<http::Response> Auth::serveReviews(const http::Request& req) const {
  bool token_review = req.path == kTokenReviews, access_review = req.path == kAccessReviews;
  if (!token_review && !access_review) return std::nullopt;
  if (req.method != "POST") return methodNotAllowed();
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.value("spec", json()).is_object()) {
    return badRequest("the body must be a " +
                      std::string(token_review ? "TokenReview" : "SubjectAccessReview") +
                      " with a spec");
  }
  const json& spec = body["spec"];
  if (token_review) {
    auto user = authenticate(spec.value("token", ""));
    json status = {{"authenticated", user.has_value()}};
    if (user) {
      status["user"] = {{"username", user->name}, {"uid", user->uid}, {"groups", user->groups}};
    } else {
      status["error"] = "invalid bearer token";
    }
    return jsonResponse(201, reviewBody("authentication.k8s.io", "TokenReview", spec, status));
  }
  UserInfo user{spec.value("user", ""), spec.value("uid", ""), {}};
  for (const auto& g : spec.value("groups", json::array())) {
    if (g.is_string()) user.groups.push_back(g.get<std::string>());
  }
  RequestAttributes a;
  if (spec.contains("resourceAttributes")) {
    const json& r = spec["resourceAttributes"];
    a.resource_request = true;
    a.verb = r.value("verb", "");
    a.api_group = r.value("group", "");
    a.resource = r.value("resource", "");
    a.subresource = r.value("subresource", "");
    a.namespace_ = r.value("namespace", "");
    a.name = r.value("name", "");
  } else {
    const json& n = spec.value("nonResourceAttributes", json::object());
    a.verb = n.value("verb", "");
    a.path = n.value("path", "");
  }
  if (user.name.empty() || a.verb.empty()) {
    ResourceType t;
    t.group = "authorization.k8s.io";
    t.kind = "SubjectAccessReview";
    t.plural = "subjectaccessreviews";
    return invalid(t, "", "spec", "FieldValueRequired",
                   "spec.user and the attributes' verb are required");
  }
  bool ok = allowed(user, a);
  json status = {{"allowed", ok}};
  if (!ok) status["reason"] = forbiddenReason(user, a);
  return jsonResponse(201, reviewBody("authorization.k8s.io", "SubjectAccessReview", spec, status));
}

}  // namespace vane::apiserver
