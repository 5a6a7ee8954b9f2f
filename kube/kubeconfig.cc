// loadKubeconfig: kubeconfig YAML -> RestConfig, following kubectl's rules (KUBECONFIG lists
// merged, current-context, *-data fields over files, paths relative to the file that defined the
// entry, exec credential plugins).
#include "kube/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "kube/client.h"

namespace vane::kube {
namespace {

namespace fs = std::filesystem;

json yamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yamlToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yamlToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() != "!") {  // plain (unquoted) scalars may be booleans
        if (s == "true" || s == "True") return true;
        if (s == "false" || s == "False") return false;
      }
      return s;
    }
    default:
      return nullptr;
  }
}

// The entry of a named list (clusters, contexts, users) whose name matches.
const json* findNamed(const json& root, const std::string& list, const std::string& name,
                      const std::string& inner) {
  auto it = root.find(list);
  if (it == root.end() || !it->is_array()) return nullptr;
  for (const auto& e : *it) {
    if (e.is_object() && e.value("name", "") == name) {
      auto in = e.find(inner);
      static const json kEmpty = json::object();
      return (in != e.end() && in->is_object()) ? &*in : &kEmpty;
    }
  }
  return nullptr;
}

std::string str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

bool boolean(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  return it->is_string() && it->get<std::string>() == "true";
}

std::string resolvePath(const std::string& p, const fs::path& dir) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (dir / p).lexically_normal().string();
}

// Reads a "*-data" field (base64) into out; the error names the field.
Status decodeData(const json& obj, const char* key, const std::string& prefix, std::string& out) {
  std::string b64 = str(obj, key);
  if (b64.empty()) return Status::ok();
  auto decoded = base64Decode(b64);
  if (!decoded) return Status(Code::kInvalid, "invalid base64 data", prefix + "." + key);
  out = std::move(*decoded);
  return Status::ok();
}

Status fillCluster(const json& c, const std::string& prefix, const fs::path& dir, RestConfig& cfg) {
  cfg.server = str(c, "server");
  if (cfg.server.empty()) return Status(Code::kInvalid, "server is required", prefix + ".server");
  while (!cfg.server.empty() && cfg.server.back() == '/') cfg.server.pop_back();
  cfg.ca_file = resolvePath(str(c, "certificate-authority"), dir);
  if (Status s = decodeData(c, "certificate-authority-data", prefix, cfg.ca_pem); !s) return s;
  cfg.insecure_skip_verify = boolean(c, "insecure-skip-tls-verify");
  cfg.tls_server_name = str(c, "tls-server-name");
  return Status::ok();
}

Status fillUser(const json& u, const std::string& prefix, const fs::path& dir, RestConfig& cfg) {
  cfg.cert_file = resolvePath(str(u, "client-certificate"), dir);
  if (Status s = decodeData(u, "client-certificate-data", prefix, cfg.cert_pem); !s) return s;
  cfg.key_file = resolvePath(str(u, "client-key"), dir);
  if (Status s = decodeData(u, "client-key-data", prefix, cfg.key_pem); !s) return s;
  cfg.token = str(u, "token");
  cfg.token_file = resolvePath(str(u, "tokenFile"), dir);
  if (!cfg.token_file.empty() && cfg.token.empty()) {
    std::ifstream in(cfg.token_file);
    if (!in) return Status(Code::kInvalid, "cannot read " + cfg.token_file, prefix + ".tokenFile");
    std::stringstream ss;
    ss << in.rdbuf();
    cfg.token = ss.str();
    while (!cfg.token.empty() && std::isspace(static_cast<unsigned char>(cfg.token.back()))) {
      cfg.token.pop_back();
    }
  }
  cfg.username = str(u, "username");
  cfg.password = str(u, "password");
  if (auto it = u.find("exec"); it != u.end() && it->is_object()) {
    cfg.exec = *it;
    std::string cmd = str(*it, "command");
    if (cmd.empty()) return Status(Code::kInvalid, "command is required", prefix + ".exec.command");
    // kubectl resolves a command with a path separator against the kubeconfig's directory.
    if (cmd.find('/') != std::string::npos) cfg.exec["command"] = resolvePath(cmd, dir);
    auto cred = runExecCredential(cfg.exec);
    if (!cred) return Status(cred.status().code(), cred.status().message(), prefix + ".exec");
    cfg.token = cred->token;
    cfg.token_expiry = cred->expiry;
  }
  if (!cfg.cert_file.empty() && !cfg.cert_pem.empty()) {
    return Status(Code::kInvalid, "client-certificate and client-certificate-data are both set",
                  prefix + ".client-certificate-data");
  }
  return Status::ok();
}

Result<json> readKubeconfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(Code::kNotFound, "cannot read kubeconfig " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    json root = yamlToJson(YAML::Load(ss.str()));
    if (!root.is_object()) return Status(Code::kInvalid, "kubeconfig " + path + " is not a map");
    return root;
  } catch (const std::exception& e) {
    return Status(Code::kInvalid, "kubeconfig " + path + ": " + e.what());
  }
}

// A kubeconfig merged from one or more files, with the directory of the file that defined each
// named entry (relative paths resolve against it, as clientcmd's ResolvePaths does per file).
struct MergedKubeconfig {
  json root = json::object();
  std::map<std::string, fs::path> dirs;  // "clusters/NAME" -> directory of its file
};

// clientcmd's merge of the KUBECONFIG list: the first file to set current-context wins, and the
// first file to define a cluster, context or user of a given name wins (later ones are ignored).
Status mergeInto(MergedKubeconfig& merged, const json& root, const std::string& path) {
  fs::path dir = fs::absolute(fs::path(path)).parent_path();
  if (str(merged.root, "current-context").empty() && !str(root, "current-context").empty()) {
    merged.root["current-context"] = str(root, "current-context");
  }
  for (const char* list : {"clusters", "contexts", "users"}) {
    auto it = root.find(list);
    if (it == root.end() || it->is_null()) continue;
    if (!it->is_array()) {
      return Status(Code::kInvalid, "kubeconfig " + path + ": expected a list", list);
    }
    json& out = merged.root[list];
    if (!out.is_array()) out = json::array();
    for (const auto& e : *it) {
      std::string name = e.is_object() ? e.value("name", "") : "";
      if (name.empty()) continue;
      std::string key = std::string(list) + "/" + name;
      if (merged.dirs.count(key)) continue;  // an earlier file has it
      merged.dirs[key] = dir;
      out.push_back(e);
    }
  }
  return Status::ok();
}

// The files to load: an explicit path alone; else KUBECONFIG's colon-separated list (files that do
// not exist are skipped, as kubectl does); else ~/.kube/config.
Result<MergedKubeconfig> loadMerged(const std::string& explicit_path) {
  std::vector<std::string> files;
  bool from_env = false;
  if (!explicit_path.empty()) {
    files.push_back(explicit_path);
  } else if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    from_env = true;
    std::stringstream ss{std::string(env)};
    std::string item;
    while (std::getline(ss, item, ':')) {
      if (!item.empty() && std::find(files.begin(), files.end(), item) == files.end()) {
        files.push_back(item);
      }
    }
  } else {
    const char* home = std::getenv("HOME");
    files.push_back(std::string(home ? home : "") + "/.kube/config");
  }
  MergedKubeconfig merged;
  int loaded = 0;
  for (const auto& path : files) {
    if (from_env && !fs::exists(path)) continue;
    auto root = readKubeconfigFile(path);
    if (!root) return root.status();
    if (Status s = mergeInto(merged, *root, path); !s) return s;
    ++loaded;
  }
  if (loaded == 0) {
    return Status(Code::kNotFound,
                  "cannot read kubeconfig " + (files.empty() ? std::string("(KUBECONFIG is empty)")
                                               : from_env    ? "(no file of KUBECONFIG exists)"
                                                             : files.front()));
  }
  return merged;
}

}  // namespace

Result<RestConfig> loadKubeconfig(const std::string& path, const std::string& context) {
  auto merged = loadMerged(path);
  if (!merged) return merged.status();
  const json& root = merged->root;
  std::string ctx_name = context.empty() ? str(root, "current-context") : context;
  if (ctx_name.empty()) return Status(Code::kInvalid, "no context set", "current-context");
  const json* ctx = findNamed(root, "contexts", ctx_name, "context");
  if (!ctx) {
    return Status(Code::kInvalid, "context \"" + ctx_name + "\" not found",
                  context.empty() ? "current-context" : "contexts");
  }
  std::string ctx_prefix = "contexts[" + ctx_name + "].context";
  std::string cluster_name = str(*ctx, "cluster");
  const json* cluster = findNamed(root, "clusters", cluster_name, "cluster");
  if (!cluster) {
    return Status(Code::kInvalid, "cluster \"" + cluster_name + "\" not found",
                  ctx_prefix + ".cluster");
  }
  RestConfig cfg;
  if (Status s = fillCluster(*cluster, "clusters[" + cluster_name + "].cluster",
                             merged->dirs["clusters/" + cluster_name], cfg);
      !s) {
    return s;
  }
  std::string user_name = str(*ctx, "user");
  if (!user_name.empty()) {
    const json* user = findNamed(root, "users", user_name, "user");
    if (!user) {
      return Status(Code::kInvalid, "user \"" + user_name + "\" not found", ctx_prefix + ".user");
    }
    if (Status s = fillUser(*user, "users[" + user_name + "].user",
                            merged->dirs["users/" + user_name], cfg);
        !s) {
      return s;
    }
  }
  cfg.namespace_ = str(*ctx, "namespace");
  if (cfg.namespace_.empty()) cfg.namespace_ = "default";
  return cfg;
}

Result<std::string> base64Decode(const std::string& in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=' || std::isspace(static_cast<unsigned char>(c)))
      continue;
    else
      return Status(Code::kInvalid, "invalid base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace vane::kube
