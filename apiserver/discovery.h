// API discovery (aggregated apidiscovery.k8s.io v2/v2beta1 and legacy APIVersions,
// APIGroupList, APIGroup, APIResourceList) and OpenAPI v3 documents, built from the Registry.
#pragma once

#include <optional>

#include "apiserver/registry.h"
#include "kube/http.h"

namespace vane::apiserver {

/// Handles /api, /apis, /api/v1, /apis/<g>, /apis/<g>/<v>; nullopt when the path is not one.
std::optional<http::Response> serveDiscovery(const Registry& registry, const http::Request& req,
                                             const std::string& server_address);

/// Handles /openapi/v3 and /openapi/v3/<gv>; nullopt when the path is not one.
std::optional<http::Response> serveOpenApi(const Registry& registry, const http::Request& req);

/// True when the Accept header lists media type `type` with every given parameter, e.g.
/// acceptsMedia(accept, "application/json", {{"as","Table"},{"g","meta.k8s.io"}}).
bool acceptsMedia(const std::string& accept, const std::string& type,
                  const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace vane::apiserver
