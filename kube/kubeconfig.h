// Helpers behind loadKubeconfig (kube/client.h) that the REST client reuses.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kube/status.h"

namespace vane::kube {

/// Runs a kubeconfig exec credential plugin (users[].user.exec: command, args, env, apiVersion)
/// and returns ExecCredential status.token. Blocks until the command exits (at most 60 s).
/// Errors are kUnauthorized naming the command, with its exit code and stderr.
Result<std::string> runExecPlugin(const nlohmann::json& exec);

/// Standard base64 (padding optional, whitespace ignored); nullopt-like error on bad input.
Result<std::string> base64Decode(const std::string& in);

}  // namespace vane::kube
