// In-cluster access control: the dashboard runs with its own service account, and every request
// must carry the user's bearer token. The token is checked with a TokenReview; every read the
// pages make and every write an action sends is first checked with a SubjectAccessReview for that
// user, so Kubernetes RBAC decides who may see and do what (unlike Argo's dashboard, which has no
// authentication: argoproj/argo-rollouts#1323).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kube/client.h"

namespace vane::dashboard {

struct Viewer {
  std::string name, uid;
  std::vector<std::string> groups;
};

/// One resource request to authorise (SubjectAccessReview spec.resourceAttributes).
struct AccessCheck {
  std::string verb, group, resource, subresource, namespace_, name;
  std::string describe() const;  // "patch rollouts/status in namespace default"
};

/// Thread-safe. Answers are cached for ttl (positive and negative alike), keyed by the whole token
/// or by user and attributes; API errors are never cached.
class ClusterAccess {
 public:
  ClusterAccess(kube::Client& client, std::chrono::seconds ttl);
  /// kUnauthorized when the token is empty or the TokenReview does not authenticate it.
  Result<Viewer> authenticate(const std::string& token);
  /// True when the SubjectAccessReview allows it; an error when the review could not be made.
  Result<bool> allowed(const Viewer& viewer, const AccessCheck& check);
  /// Status::ok() when every check is allowed, else kForbidden naming the first refused one.
  Status require(const Viewer& viewer, const std::vector<AccessCheck>& checks);

 private:
  template <class T>
  struct Cached {
    T value;
    std::chrono::steady_clock::time_point expires;
  };
  kube::Client& client_;
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<std::string, Cached<Viewer>> tokens_;
  std::map<std::string, Cached<bool>> decisions_;
};

/// A client that authorises each call for the viewer (ClusterAccess::require) before making it
/// with the dashboard's own client, so an action can write nothing its user may not write,
/// whatever path it takes (fallbacks included). watch and raw are refused.
std::unique_ptr<kube::Client> authorizingClient(kube::Client& inner, ClusterAccess& access,
                                                Viewer viewer);

}  // namespace vane::dashboard
