#include "apiserver/rest.h"

#include <algorithm>

#include "apiserver/discovery.h"
#include "apiserver/errors.h"
#include "apiserver/faults.h"
#include "apiserver/objects.h"
#include "apiserver/protobuf.h"
#include "apiserver/selectors.h"
#include "apiserver/table.h"
#include "apiserver/watch.h"

namespace vane::apiserver {

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p < path.size()) {
    auto slash = path.find('/', p);
    if (slash == std::string::npos) slash = path.size();
    if (slash > p) out.push_back(path.substr(p, slash - p));
    p = slash + 1;
  }
  return out;
}

bool wantsTable(const http::Request& req) {
  std::string accept = req.header("Accept").value_or("");
  return acceptsMedia(accept, "application/json", {{"as", "Table"}, {"g", "meta.k8s.io"}});
}

const char kTableContentType[] = "application/json;as=Table;v=v1;g=meta.k8s.io";

// client-go's metadata client asks for meta.k8s.io/v1 PartialObjectMetadata (one object, a watch
// event) or PartialObjectMetadataList (a list), with plain JSON as its fallback.
bool wantsMetadata(const http::Request& req, const char* as) {
  std::string accept = req.header("Accept").value_or("");
  return acceptsMedia(accept, "application/json", {{"as", as}, {"g", "meta.k8s.io"}, {"v", "v1"}});
}

std::string metadataContentType(const std::string& as) {
  return "application/json;as=" + as + ";g=meta.k8s.io;v=v1";
}

// Continue tokens: base64-free "<rv>:<namespace>/<name>" of the last returned item.
std::string makeContinue(uint64_t rv, const json& last) {
  return std::to_string(rv) + ":" + metaString(last, "namespace") + "/" + metaString(last, "name");
}

// The request in the terms of --faults rules (kube-apiserver's verbs).
FaultRequest faultRequestOf(const http::Request& req, const Target& t) {
  const std::string& m = req.method;
  const std::string w = req.param("watch").value_or("");
  const bool named = !t.name.empty();
  FaultRequest fr{"",     t.type->plural, t.sub,        t.ns,
                  t.name, t.type->group,  t.type->kind, req.header("User-Agent").value_or("")};
  if (m == "GET") fr.verb = named ? "get" : (w == "true" || w == "1") ? "watch" : "list";
  if (m == "POST") fr.verb = "create";
  if (m == "PUT") fr.verb = "update";
  if (m == "PATCH") fr.verb = "patch";
  if (m == "DELETE") fr.verb = named ? "delete" : "deletecollection";
  return fr;
}

}  // namespace

Rest::Rest(Store& store, Registry& registry)
    : store_(store), registry_(registry), watches_(std::make_unique<WatchRegistry>()) {}

Rest::~Rest() { closeWatches(); }

std::size_t Rest::openWatches() const { return watches_->size(); }
void Rest::closeWatches() { watches_->closeAll(); }

std::optional<Target> Rest::parse(const http::Request& req, http::Response& error) const {
  auto seg = splitPath(req.path);
  std::string group, version;
  std::size_t i;
  if (seg.size() >= 3 && seg[0] == "api") {
    version = seg[1];
    i = 2;
  } else if (seg.size() >= 4 && seg[0] == "apis") {
    group = seg[1];
    version = seg[2];
    i = 3;
  } else {
    error = pathNotFound();
    return std::nullopt;
  }
  std::vector<std::string> r(seg.begin() + static_cast<long>(i), seg.end());
  Target t;
  t.version = version;
  std::string resource;
  if (group.empty() && r.size() >= 2 && r[0] == "namespaces" &&
      (r.size() == 2 || (r.size() == 3 && (r[2] == "status" || r[2] == "finalize")))) {
    resource = "namespaces";
    t.name = r[1];
    if (r.size() == 3) t.sub = r[2] == "finalize" ? "status" : r[2];
  } else if (r.size() >= 3 && r[0] == "namespaces") {
    if (r.size() > 5) {
      error = pathNotFound();
      return std::nullopt;
    }
    t.ns = r[1];
    resource = r[2];
    if (r.size() >= 4) t.name = r[3];
    if (r.size() == 5) t.sub = r[4];
  } else if (!r.empty() && r.size() <= 3) {
    resource = r[0];
    if (r.size() >= 2) t.name = r[1];
    if (r.size() == 3) t.sub = r[2];
  } else {
    error = pathNotFound();
    return std::nullopt;
  }
  t.type = registry_.find(group, version, resource);
  if (!t.type) {
    error = pathNotFound();
    return std::nullopt;
  }
  bool bad_scope = t.type->namespaced ? (!t.name.empty() && t.ns.empty()) : !t.ns.empty();
  bool bad_sub = !t.sub.empty() && !((t.sub == "status" && t.type->has_status) ||
                                     (t.sub == "scale" && t.type->scale));
  if (bad_scope || bad_sub) {
    error = pathNotFound();
    return std::nullopt;
  }
  return t;
}

std::optional<http::Response> Rest::handle(const http::Request& req) {
  if (req.path.rfind("/api/", 0) != 0 && req.path.rfind("/apis/", 0) != 0) return std::nullopt;
  http::Response error;
  auto t = parse(req, error);
  if (!t) return error;
  if (!faults_) return serve(req, *t);
  FaultRequest fr = faultRequestOf(req, *t);
  FaultDecision d = faults_->apply(fr);
  if (d.response) return std::move(*d.response);
  http::Response r = serve(req, *t);
  if (d.watch && r.status == 200) faults_->wrapWatch(*d.watch, r);
  return r;
}

http::Response Rest::serve(const http::Request& req, const Target& t) {
  const std::string& m = req.method;
  if (t.name.empty()) {
    if (m == "GET") {
      std::string w = req.param("watch").value_or("");
      return (w == "true" || w == "1") ? watch(req, t) : list(req, t);
    }
    if (m == "POST") return create(req, t);
    if (m == "DELETE") return removeCollection(req, t);
    return methodNotAllowed();
  }
  if (m == "GET") return get(req, t);
  if (m == "PUT") return update(req, t);
  if (m == "PATCH") return patch(req, t);
  if (m == "DELETE" && t.sub.empty()) return remove(req, t);
  return methodNotAllowed();
}

http::Response Rest::objectResponse(int code, const Target& t, const json& obj,
                                    const std::vector<std::string>& warnings) {
  http::Response r = jsonResponse(code, presentAs(*t.type, t.version, obj));
  addWarnings(r, warnings);
  return r;
}

json scaleOf(const ResourceType& t, const json& obj);

http::Response Rest::get(const http::Request& req, const Target& t) {
  auto obj = store_.get(t.key());
  if (!obj.ok()) return notFound(*t.type, t.name);
  if (t.sub == "scale") return jsonResponse(200, scaleOf(*t.type, **obj));
  if (wantsTable(req) && t.sub.empty()) {
    json table = renderTable(*t.type, t.version, {*obj}, req.param("includeObject").value_or(""),
                             true, std::chrono::system_clock::now());
    table["metadata"]["resourceVersion"] = metaString(**obj, "resourceVersion");
    return jsonResponse(200, table, kTableContentType);
  }
  if (wantsMetadata(req, "PartialObjectMetadata") && t.sub.empty()) {
    return jsonResponse(200, partialObjectMetadata(**obj),
                        metadataContentType("PartialObjectMetadata"));
  }
  return objectResponse(200, t, **obj);
}

http::Response Rest::list(const http::Request& req, const Target& t) {
  auto labels = parseLabelSelector(req.param("labelSelector").value_or(""));
  if (!labels.ok()) return badRequest(labels.status().message());
  auto fields =
      parseFieldSelector(req.param("fieldSelector").value_or(""), t.type->kind, t.type->custom);
  if (!fields.ok()) return badRequest(fields.status().message());
  auto [all, rv] = store_.list(t.type->key(), t.type->namespaced ? t.ns : "");
  std::vector<ObjectPtr> items;
  std::string cont = req.param("continue").value_or("");
  std::string after;
  if (!cont.empty()) {
    auto colon = cont.find(':');
    if (colon == std::string::npos) return badRequest("invalid continue token");
    after = cont.substr(colon + 1);
  }
  for (const auto& o : all) {
    if (!after.empty() && metaString(*o, "namespace") + "/" + metaString(*o, "name") <= after) {
      continue;
    }
    if (matchesLabels(*labels, *o) && matchesFields(*fields, *o)) items.push_back(o);
  }
  long limit = 0;
  try {
    limit = std::stol(req.param("limit").value_or("0"));
  } catch (...) {
  }
  json meta = {{"resourceVersion", std::to_string(rv)}};
  if (limit > 0 && items.size() > static_cast<std::size_t>(limit)) {
    meta["remainingItemCount"] = items.size() - static_cast<std::size_t>(limit);
    items.resize(static_cast<std::size_t>(limit));
    meta["continue"] = makeContinue(rv, *items.back());
  }
  if (wantsTable(req)) {
    json table = renderTable(*t.type, t.version, items, req.param("includeObject").value_or(""),
                             true, std::chrono::system_clock::now());
    table["metadata"] = meta;
    return jsonResponse(200, table, kTableContentType);
  }
  if (wantsMetadata(req, "PartialObjectMetadataList")) {
    json out = json::array();
    for (const auto& o : items) out.push_back(partialObjectMetadata(*o));
    return jsonResponse(200,
                        {{"kind", "PartialObjectMetadataList"},
                         {"apiVersion", "meta.k8s.io/v1"},
                         {"metadata", meta},
                         {"items", std::move(out)}},
                        metadataContentType("PartialObjectMetadataList"));
  }
  json out = json::array();
  for (const auto& o : items) out.push_back(presentAs(*t.type, t.version, *o));
  return jsonResponse(200, {{"kind", t.type->list_kind},
                            {"apiVersion", t.type->groupVersion(t.version)},
                            {"metadata", meta},
                            {"items", std::move(out)}});
}

http::Response Rest::watch(const http::Request& req, const Target& t) {
  auto labels = parseLabelSelector(req.param("labelSelector").value_or(""));
  if (!labels.ok()) return badRequest(labels.status().message());
  auto fields =
      parseFieldSelector(req.param("fieldSelector").value_or(""), t.type->kind, t.type->custom);
  if (!fields.ok()) return badRequest(fields.status().message());
  WatchSpec spec;
  spec.type = t.type;
  spec.version = t.version;
  spec.ns = t.type->namespaced ? t.ns : "";
  spec.labels = *labels;
  spec.fields = *fields;
  spec.table = wantsTable(req);
  spec.metadata_only = !spec.table && wantsMetadata(req, "PartialObjectMetadata");
  spec.include_object = req.param("includeObject").value_or("");
  spec.bookmarks = req.param("allowWatchBookmarks").value_or("") == "true";
  spec.send_initial_events = req.param("sendInitialEvents").value_or("") == "true";
  std::string rv = req.param("resourceVersion").value_or("");
  try {
    spec.from_rv = rv.empty() ? 0 : std::stoull(rv);
  } catch (...) {
    return badRequest("invalid resourceVersion: " + rv);
  }
  spec.initial_list = rv.empty() || rv == "0" || spec.send_initial_events;
  try {
    long timeout = std::stol(req.param("timeoutSeconds").value_or("0"));
    if (timeout > 0) spec.timeout = std::chrono::seconds(timeout);
  } catch (...) {
  }
  return watches_->start(store_, std::move(spec));
}

Result<json> decodeBody(const http::Request& req) {
  std::string ct = req.header("Content-Type").value_or("application/json");
  if (ct.find("protobuf") != std::string::npos || looksLikeProtobuf(req.body)) {
    auto r = decodeProtobuf(req.body);
    if (!r.ok()) return Status(Code::kBadRequest, r.status().message());
    return r;
  }
  auto doc = json::parse(req.body, nullptr, false);
  if (doc.is_discarded()) {
    return Status(Code::kBadRequest,
                  "the body of the request was in an unknown format - accepted media types "
                  "include: application/json, application/yaml, "
                  "application/vnd.kubernetes.protobuf");
  }
  if (!doc.is_object()) return Status(Code::kBadRequest, "the request body must be a JSON object");
  return doc;
}

std::string fieldManager(const http::Request& req) {
  if (auto m = req.param("fieldManager"); m && !m->empty()) return *m;
  std::string ua = req.header("User-Agent").value_or("unknown");
  return ua.substr(0, ua.find('/'));
}

bool isDryRun(const http::Request& req) {
  for (const auto& [k, v] : req.query) {
    if (k == "dryRun" && v == "All") return true;
  }
  return false;
}

void addWarnings(http::Response& r, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    std::string q;
    for (char c : w) {
      if (c == '"' || c == '\\') q.push_back('\\');
      q.push_back(c);
    }
    r.headers.emplace_back("Warning", "299 - \"" + q + "\"");
  }
}

}  // namespace vane::apiserver
