// inClusterConfig: the API server address from the service environment variables and the
// service-account token (re-read by the client when it rotates), CA and namespace files.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kube/client.h"

namespace vane::kube {
namespace {

constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

std::string readTrimmed(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

Result<RestConfig> inClusterConfig() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    return Status(Code::kNotFound,
                  "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
                  "must be set");
  }
  // VANE_SERVICEACCOUNT_DIR lets tests point at a fake service-account directory.
  const char* dir_env = std::getenv("VANE_SERVICEACCOUNT_DIR");
  std::string dir = dir_env && *dir_env ? dir_env : kServiceAccountDir;
  RestConfig cfg;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  cfg.server = "https://" + h + ":" + port;
  cfg.token_file = dir + "/token";
  cfg.token = readTrimmed(cfg.token_file);
  if (cfg.token.empty()) {
    return Status(Code::kUnauthorized, "cannot read service-account token " + cfg.token_file);
  }
  if (std::filesystem::exists(dir + "/ca.crt")) cfg.ca_file = dir + "/ca.crt";
  cfg.namespace_ = readTrimmed(dir + "/namespace");
  if (cfg.namespace_.empty()) cfg.namespace_ = "default";
  return cfg;
}

}  // namespace vane::kube
