// Authentication and authorisation for vane-apiserver: bearer tokens of the token file, the RBAC
// authoriser when --authorization-mode RBAC, and the TokenReview (authentication.k8s.io/v1) and
// SubjectAccessReview (authorization.k8s.io/v1) create endpoints that delegate to them, so that
// a component (the dashboard) can check a user's token and rights as it would on a real cluster.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "apiserver/rbac.h"
#include "kube/http.h"

namespace vane::apiserver {

class Auth {
 public:
  /// users: token -> user (empty: no authentication, everyone is an administrator);
  /// rbac: evaluate RBAC on every request (else every authenticated user may do anything).
  Auth(const Store& store, std::map<std::string, UserInfo> users, bool rbac)
      : users_(std::move(users)), rbac_(rbac), authorizer_(store) {}

  /// The user of a bearer token, nullopt when unknown.
  std::optional<UserInfo> authenticate(const std::string& token) const;
  /// Authenticates and authorises req: nullopt to let it through, else the 401 or 403 response.
  std::optional<http::Response> check(const http::Request& req) const;
  /// POST .../tokenreviews and .../subjectaccessreviews; nullopt for any other path.
  std::optional<http::Response> serveReviews(const http::Request& req) const;
  bool allowed(const UserInfo& user, const RequestAttributes& a) const;

 private:
  std::map<std::string, UserInfo> users_;
  bool rbac_;
  RbacAuthorizer authorizer_;
};

}  // namespace vane::apiserver
