// Helpers behind loadKubeconfig (kube/client.h) that the REST client reuses.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kube/status.h"

namespace vane::kube {

/// What an exec credential plugin printed (ExecCredential status).
struct ExecCredential {
  std::string token;              // status.token
  std::optional<int64_t> expiry;  // status.expirationTimestamp, unix seconds; none: no expiry
};

/// Runs a kubeconfig exec credential plugin (users[].user.exec: command, args, env, apiVersion)
/// and returns its ExecCredential status. Blocks until the command exits (at most 60 s).
/// Errors are kUnauthorized naming the command, with its exit code and stderr.
Result<ExecCredential> runExecCredential(const nlohmann::json& exec);

/// runExecCredential's token alone.
Result<std::string> runExecPlugin(const nlohmann::json& exec);

/// Standard base64 (padding optional, whitespace ignored); nullopt-like error on bad input.
Result<std::string> base64Decode(const std::string& in);

}  // namespace vane::kube
