// metav1.Status bodies with the exact reasons and messages of kube-apiserver
// (k8s.io/apimachinery/pkg/api/errors constructors), and small JSON response helpers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "apiserver/registry.h"
#include "kube/http.h"

namespace vane::apiserver {

using json = nlohmann::json;

/// {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",...}
json statusBody(int code, const std::string& reason, const std::string& message,
                json details = nullptr);
http::Response statusResponse(int code, const std::string& reason, const std::string& message,
                              json details = nullptr);
http::Response jsonResponse(int code, const json& body,
                            const std::string& content_type = "application/json");

/// 404 `the server could not find the requested resource`.
http::Response pathNotFound();
http::Response notFound(const ResourceType& t, const std::string& name);
http::Response alreadyExists(const ResourceType& t, const std::string& name);
http::Response conflict(const ResourceType& t, const std::string& name);
http::Response badRequest(const std::string& message);
http::Response methodNotAllowed();
/// 422 with one cause; details.kind is t.kind (NewInvalid).
http::Response invalid(const ResourceType& t, const std::string& name, const std::string& field,
                       const std::string& reason, const std::string& message);
/// 403 `<qualified> "<name>" is forbidden: <why>`.
http::Response forbidden(const ResourceType& t, const std::string& name, const std::string& why,
                         json causes = nullptr);
http::Response unsupportedPatch();
/// Maps a store Status to a response for the given object.
http::Response fromStoreStatus(const Status& st, const ResourceType& t, const std::string& name);

}  // namespace vane::apiserver
