#include "apiserver/errors.h"

namespace vane::apiserver {

namespace {
json details(const ResourceType& t, const std::string& name, const std::string& kind) {
  json d = {{"name", name}, {"kind", kind}};
  if (!t.group.empty()) d["group"] = t.group;
  return d;
}
}  // namespace

json statusBody(int code, const std::string& reason, const std::string& message, json details) {
  json s = {{"kind", "Status"},
            {"apiVersion", "v1"},
            {"metadata", json::object()},
            {"status", "Failure"},
            {"message", message}};
  if (!reason.empty()) s["reason"] = reason;
  if (!details.is_null()) s["details"] = std::move(details);
  s["code"] = code;
  return s;
}

http::Response jsonResponse(int code, const json& body, const std::string& content_type) {
  http::Response r;
  r.status = code;
  r.headers.emplace_back("Content-Type", content_type);
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

http::Response statusResponse(int code, const std::string& reason, const std::string& message,
                              json details) {
  return jsonResponse(code, statusBody(code, reason, message, std::move(details)));
}

http::Response pathNotFound() {
  return statusResponse(404, "NotFound", "the server could not find the requested resource",
                        json::object());
}

http::Response notFound(const ResourceType& t, const std::string& name) {
  return statusResponse(404, "NotFound", t.qualified() + " \"" + name + "\" not found",
                        details(t, name, t.plural));
}

http::Response alreadyExists(const ResourceType& t, const std::string& name) {
  return statusResponse(409, "AlreadyExists", t.qualified() + " \"" + name + "\" already exists",
                        details(t, name, t.plural));
}

http::Response conflict(const ResourceType& t, const std::string& name) {
  return statusResponse(409, "Conflict",
                        "Operation cannot be fulfilled on " + t.qualified() + " \"" + name +
                            "\": the object has been modified; please apply your changes to the "
                            "latest version and try again",
                        details(t, name, t.plural));
}

http::Response badRequest(const std::string& message) {
  return statusResponse(400, "BadRequest", message);
}

http::Response methodNotAllowed() {
  return statusResponse(405, "MethodNotAllowed",
                        "the server does not allow this method on the requested resource");
}

http::Response invalid(const ResourceType& t, const std::string& name, const std::string& field,
                       const std::string& reason, const std::string& message) {
  json d = details(t, name, t.kind);
  d["causes"] = json::array({{{"reason", reason}, {"message", message}, {"field", field}}});
  std::string qual = t.group.empty() ? t.kind : t.kind + "." + t.group;
  return statusResponse(422, "Invalid",
                        qual + " \"" + name + "\" is invalid: " + field + ": " + message, d);
}

http::Response forbidden(const ResourceType& t, const std::string& name, const std::string& why,
                         json causes) {
  json d = details(t, name, t.plural);
  if (!causes.is_null()) d["causes"] = std::move(causes);
  return statusResponse(403, "Forbidden", t.qualified() + " \"" + name + "\" is forbidden: " + why,
                        d);
}

http::Response unsupportedPatch() {
  return statusResponse(415, "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media types "
                        "include: application/json-patch+json, application/merge-patch+json, "
                        "application/apply-patch+yaml");
}

http::Response fromStoreStatus(const Status& st, const ResourceType& t, const std::string& name) {
  switch (st.code()) {
    case Code::kNotFound:
      return notFound(t, name);
    case Code::kAlreadyExists:
      return alreadyExists(t, name);
    case Code::kConflict:
      return conflict(t, name);
    case Code::kBadRequest:
      return badRequest(st.message());
    case Code::kGone:
      return statusResponse(410, "Expired", st.message());
    default:
      return statusResponse(500, "InternalError", st.message());
  }
}

}  // namespace vane::apiserver
