// The Kubernetes REST client: typed errors, verbs, selectors, watch. Works the same against a real
// API server and vane-apiserver. Objects are nlohmann::json; typed views live in kube/types.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kube/status.h"

namespace vane::kube {

using json = nlohmann::json;

/// A resource type as the REST API addresses it.
struct Resource {
  std::string group;     // "" for core
  std::string version;   // "v1", "v1alpha1"
  std::string resource;  // plural: "rollouts"
  std::string kind;      // "Rollout"
  bool namespaced = true;

  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
  /// "/api/v1" or "/apis/argoproj.io/v1alpha1"
  std::string basePath() const {
    return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  }
  bool operator==(const Resource&) const = default;
};

namespace resources {
inline const Resource kNamespaces{"", "v1", "namespaces", "Namespace", false};
inline const Resource kPods{"", "v1", "pods", "Pod", true};
inline const Resource kServices{"", "v1", "services", "Service", true};
inline const Resource kSecrets{"", "v1", "secrets", "Secret", true};
inline const Resource kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
inline const Resource kEvents{"", "v1", "events", "Event", true};
inline const Resource kReplicaSets{"apps", "v1", "replicasets", "ReplicaSet", true};
inline const Resource kDeployments{"apps", "v1", "deployments", "Deployment", true};
inline const Resource kJobs{"batch", "v1", "jobs", "Job", true};
inline const Resource kLeases{"coordination.k8s.io", "v1", "leases", "Lease", true};
inline const Resource kCRDs{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                            "CustomResourceDefinition", false};
inline const Resource kRollouts{"argoproj.io", "v1alpha1", "rollouts", "Rollout", true};
inline const Resource kAnalysisTemplates{"argoproj.io", "v1alpha1", "analysistemplates",
                                         "AnalysisTemplate", true};
inline const Resource kClusterAnalysisTemplates{
    "argoproj.io", "v1alpha1", "clusteranalysistemplates", "ClusterAnalysisTemplate", false};
inline const Resource kAnalysisRuns{"argoproj.io", "v1alpha1", "analysisruns", "AnalysisRun", true};
inline const Resource kExperiments{"argoproj.io", "v1alpha1", "experiments", "Experiment", true};
/// Istio objects; the version is chosen with --istio-api-version (v1, v1beta1, v1alpha3).
Resource virtualServices(const std::string& version = "v1beta1");
Resource destinationRules(const std::string& version = "v1beta1");
}  // namespace resources

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;  // 0: no paging
  std::string continue_token;
  std::string resource_version;  // for list: "" (most recent) or "0"; for watch: start after
  int timeout_seconds = 0;       // watch only; 0: server default
  bool allow_bookmarks = true;   // watch only
  /// Ask for metadata only, as client-go's metadata informers do: Accept
  /// `application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` for a list and
  /// `...as=PartialObjectMetadata...` for a watch, with plain JSON as the fallback a server without
  /// the conversion answers with. Items then hold apiVersion, kind and metadata only.
  bool metadata_only = false;
};

enum class PatchType { kMerge, kJson, kStrategicMerge, kApply };

struct DeleteOptions {
  std::string propagation_policy;  // "", "Background", "Foreground", "Orphan"
  std::optional<std::string> precondition_resource_version;
};

/// One decoded watch event: type ADDED, MODIFIED, DELETED, BOOKMARK or ERROR (object is a Status).
struct WatchEvent {
  std::string type;
  json object;
};

class WatchStream {
 public:
  virtual ~WatchStream() = default;
  /// Blocks for the next event. nullopt at the end of the stream (server closed it, timeout,
  /// cancel() or an error: see error()). An ERROR event with code 410 is returned as an event.
  virtual std::optional<WatchEvent> next() = 0;
  virtual Status error() const = 0;
  /// Thread-safe: unblocks next().
  virtual void cancel() = 0;
};

/// Where and how to reach the API server (from a kubeconfig or in-cluster files).
struct RestConfig {
  std::string server;  // https://host:port
  std::string ca_file, ca_pem;
  std::string cert_file, cert_pem, key_file, key_pem;
  bool insecure_skip_verify = false;
  std::string tls_server_name;
  std::string token;       // static bearer token
  std::string token_file;  // re-read when it changes (projected service-account tokens)
  std::string username, password;
  json exec;                            // users[].user.exec, run to obtain a token when set
  std::optional<int64_t> token_expiry;  // exec token's expirationTimestamp (unix seconds)
  std::string namespace_;               // context namespace ("default" when unset)
  double qps = 50;                      // client-side limiter; <= 0 disables
  int burst = 100;
  std::string user_agent = "vane";
};

/// Loads a kubeconfig; context empty: current-context. Path empty: the files of $KUBECONFIG
/// (colon-separated, missing ones skipped) merged as kubectl does (the first file to set
/// current-context or to define a cluster/context/user name wins), else ~/.kube/config.
Result<RestConfig> loadKubeconfig(const std::string& path, const std::string& context = "");
/// In-cluster config from KUBERNETES_SERVICE_HOST/PORT and the service-account files.
Result<RestConfig> inClusterConfig();

/// Counts of requests by verb and code, for controller metrics (no per-object labels).
using RequestObserver =
    std::function<void(const std::string& verb, const std::string& resource, int code)>;

/// Thread-safe REST client. Errors are typed from the server's Status body: kNotFound,
/// kAlreadyExists, kConflict, kInvalid (message and field from the first cause), kGone,
/// kTooManyRequests (retryAfter), kUnauthorized, kForbidden, kTimeout, kUnavailable.
/// Safe verbs (get, list) retry 429/5xx/connection errors with backoff; writes never retry.
class Client {
 public:
  virtual ~Client() = default;
  static Result<std::unique_ptr<Client>> create(const RestConfig& config);

  virtual const RestConfig& config() const = 0;
  virtual Result<json> get(const Resource& r, const std::string& ns, const std::string& name) = 0;
  /// Returns the List object (items, metadata.resourceVersion, metadata.continue).
  virtual Result<json> list(const Resource& r, const std::string& ns,
                            const ListOptions& opts = {}) = 0;
  virtual Result<json> create(const Resource& r, const std::string& ns, const json& obj) = 0;
  virtual Result<json> update(const Resource& r, const std::string& ns, const json& obj) = 0;
  virtual Result<json> updateStatus(const Resource& r, const std::string& ns, const json& obj) = 0;
  /// body is the patch document; subresource "" or "status"; field_manager for apply.
  virtual Result<json> patch(const Resource& r, const std::string& ns, const std::string& name,
                             PatchType type, const json& body, const std::string& subresource = "",
                             const std::string& field_manager = "vane") = 0;
  virtual Status remove(const Resource& r, const std::string& ns, const std::string& name,
                        const DeleteOptions& opts = {}) = 0;
  virtual Result<std::unique_ptr<WatchStream>> watch(const Resource& r, const std::string& ns,
                                                     const ListOptions& opts) = 0;
  /// Raw request for anything else (discovery, /version). path includes the query.
  virtual Result<json> raw(const std::string& method, const std::string& path,
                           const json& body = nullptr) = 0;
  virtual void setRequestObserver(RequestObserver observer) = 0;
};

}  // namespace vane::kube
