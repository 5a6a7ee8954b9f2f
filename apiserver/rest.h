// The REST layer of the local API server: resource URLs -> store operations, with the
// semantics of kube-apiserver (kube-api-local.md §a.5-§b.11). Split by concern:
//   rest.cc        routing, get, list
//   rest_watch.cc  watch streams (resume, bookmarks, 410, Table events)
//   rest_write.cc  create, update, delete, deletecollection
//   rest_patch.cc  merge/JSON/strategic patches, server-side apply, /scale
//   admission.cc   per-write preparation (system fields, CR schema, CRD status)
//   managed_fields.cc  field ownership for server-side apply
#pragma once

#include <atomic>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "apiserver/registry.h"
#include "apiserver/store.h"
#include "kube/http.h"

namespace vane::apiserver {

using json = nlohmann::json;

/// A parsed resource request.
struct Target {
  std::shared_ptr<const ResourceType> type;
  std::string version;
  std::string ns;  // "" = all namespaces (lists) or cluster-scoped
  std::string name;
  std::string sub;  // "", "status", "scale"
  ObjectKey key() const { return {type->key(), type->namespaced ? ns : "", name}; }
};

/// Result of admission: the object to write or an error response.
struct Admitted {
  json object;
  std::vector<std::string> warnings;
};

class WatchRegistry;
class FaultInjector;

class Rest {
 public:
  Rest(Store& store, Registry& registry);
  ~Rest();
  /// Serves resource paths; nullopt when the path is not a resource path.
  std::optional<http::Response> handle(const http::Request& req);
  /// Number of open watch streams.
  std::size_t openWatches() const;
  /// Closes every watch stream (shutdown).
  void closeWatches();
  /// Injects the faults of --faults into resource requests (nullptr: none). Set before serving.
  void setFaults(FaultInjector* faults) { faults_ = faults; }

 private:
  std::optional<Target> parse(const http::Request& req, http::Response& error) const;
  http::Response serve(const http::Request& req, const Target& t);
  http::Response get(const http::Request& req, const Target& t);
  http::Response list(const http::Request& req, const Target& t);
  http::Response watch(const http::Request& req, const Target& t);
  http::Response create(const http::Request& req, const Target& t);
  /// applied: obj already carries the managedFields of a server-side apply.
  http::Response createObject(const http::Request& req, const Target& t, json obj, bool applied);
  http::Response update(const http::Request& req, const Target& t);
  http::Response patch(const http::Request& req, const Target& t);
  http::Response apply(const http::Request& req, const Target& t);
  http::Response remove(const http::Request& req, const Target& t);
  http::Response removeCollection(const http::Request& req, const Target& t);

  /// Common tail of update/patch/apply: admission, no-op detection, managed fields, write.
  http::Response commitUpdate(const http::Request& req, const Target& t, const json& current,
                              json updated, const std::string& manager, bool apply_op);
  /// Admission for a write (create or update): returns the object or an error response.
  std::variant<Admitted, http::Response> admit(const http::Request& req, const Target& t, json obj,
                                               const json* old);
  http::Response objectResponse(int code, const Target& t, const json& obj,
                                const std::vector<std::string>& warnings = {});

  Store& store_;
  Registry& registry_;
  std::unique_ptr<WatchRegistry> watches_;
  FaultInjector* faults_ = nullptr;
};

/// Parses a request body (JSON, or protobuf for the built-in typed clients). kBadRequest.
Result<json> decodeBody(const http::Request& req);
/// The field manager of a write: ?fieldManager=, else the User-Agent up to the first '/'.
std::string fieldManager(const http::Request& req);
bool isDryRun(const http::Request& req);
/// Adds `Warning: 299 - "<text>"` headers (RFC 7234 quoting).
void addWarnings(http::Response& r, const std::vector<std::string>& warnings);

}  // namespace vane::apiserver
