// Who is asking and may they: the static token file (kube-apiserver's --token-file CSV), the
// attributes of a request (verb, group, resource, subresource, namespace, name), and an RBAC
// authoriser over the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings in the store
// (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac, rbac.authorization.k8s.io/v1).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apiserver/store.h"
#include "kube/http.h"

namespace vane::apiserver {

struct UserInfo {
  std::string name, uid;
  std::vector<std::string> groups;  // system:authenticated is added on authentication
};

/// The users of a token file. Each non-empty line is `token,user,uid[,"group1,group2"]` as
/// kube-apiserver reads it; a file of one line without a comma is the old Vane format (one token
/// for the administrator: user "admin", group system:masters). kInvalid names the line otherwise.
Result<std::map<std::string, UserInfo>> parseTokenFile(const std::string& text);

/// What a request asks to do (authorizer.AttributesRecord).
struct RequestAttributes {
  bool resource_request = false;
  std::string verb;  // get list watch create update patch delete deletecollection (or the
                     // lower-case HTTP method for non-resource paths)
  std::string api_group, resource, subresource, namespace_, name;
  std::string path;  // non-resource requests
};

/// Parses /api/v1/... and /apis/<group>/<version>/... paths (anything else is non-resource).
RequestAttributes requestAttributes(const http::Request& req);

/// `User "bob" cannot patch resource "rollouts/status" in API group "argoproj.io" in the
/// namespace "default"` (the message of kube's Forbidden).
std::string forbiddenReason(const UserInfo& user, const RequestAttributes& a);

/// Thread-safe; reads the store on each call (the local server holds few RBAC objects).
class RbacAuthorizer {
 public:
  explicit RbacAuthorizer(const Store& store) : store_(store) {}
  /// system:masters may do anything; non-resource GETs (discovery, /version, /openapi) are open
  /// to every authenticated user, as kube's system:discovery role allows; anything else needs a
  /// rule of a bound role.
  bool allowed(const UserInfo& user, const RequestAttributes& a) const;

 private:
  const Store& store_;
};

}  // namespace vane::apiserver
