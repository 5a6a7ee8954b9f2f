#include "apiserver/pod_script.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace vane::apiserver {
namespace {

using json = nlohmann::json;

bool isShell(const std::string& s) {
  return s == "sh" || s == "/bin/sh" || s == "bash" || s == "/bin/bash";
}

std::optional<std::string> script(const json& container) {
  std::vector<std::string> argv;
  for (const char* key : {"command", "args"}) {
    auto it = container.find(key);
    if (it == container.end() || !it->is_array()) continue;
    for (const auto& a : *it) {
      if (!a.is_string()) return std::nullopt;
      argv.push_back(a.get<std::string>());
    }
  }
  if (argv.size() < 3 || !isShell(argv[0]) || argv[1] != "-c") return std::nullopt;
  // Options may follow -c (Argo's fixtures use `sh -c -x SCRIPT`); the script is the first
  // argument that is not one.
  for (size_t i = 2; i < argv.size(); ++i) {
    if (argv[i].empty() || argv[i][0] != '-') return argv[i];
  }
  return std::nullopt;
}

// Splits "sleep 5 && exit 1" into its commands at && and ;.
std::vector<std::string> commands(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ';' || (s[i] == '&' && i + 1 < s.size() && s[i + 1] == '&')) {
      out.push_back(cur);
      cur.clear();
      if (s[i] == '&') ++i;
      continue;
    }
    cur += s[i];
  }
  out.push_back(cur);
  return out;
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::optional<double> number(const std::string& s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  size_t pos = 0;
  double d = 0;
  try {
    d = std::stod(s, &pos);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (pos != s.size() || !(d >= 0) || std::isinf(d)) return std::nullopt;
  return d;
}

}  // namespace

std::optional<ContainerScript> parseContainerScript(const json& container) {
  auto text = script(container);
  if (!text) return std::nullopt;
  ContainerScript out;
  bool any = false, exited = false;
  for (const auto& cmd : commands(*text)) {
    auto w = words(cmd);
    if (w.empty()) continue;
    if (exited || w.size() != 2) return std::nullopt;
    // sleep takes a suffix: s, m, h (GNU and busybox sleep).
    double unit = 1;
    std::string arg = w[1];
    if (w[0] == "sleep" && !arg.empty() &&
        std::string("smh").find(arg.back()) != std::string::npos) {
      unit = arg.back() == 'm' ? 60 : arg.back() == 'h' ? 3600 : 1;
      arg.pop_back();
    }
    auto n = number(arg);
    if (!n) return std::nullopt;
    if (w[0] == "sleep") {
      out.runtime += std::chrono::milliseconds(static_cast<int64_t>(*n * unit * 1000));
    } else if (w[0] == "exit" && *n == std::floor(*n) && *n <= 255) {
      out.exit_code = static_cast<int>(*n);
      exited = true;
    } else {
      return std::nullopt;
    }
    any = true;
  }
  if (!any) return std::nullopt;
  return out;
}

bool imageUnpullable(const std::string& image, const std::vector<std::string>& unpullable) {
  std::string repo = image.substr(0, image.find_first_of(":@"));
  std::string base =
      repo.substr(repo.find_last_of('/') == std::string::npos ? 0 : repo.find_last_of('/') + 1);
  if (base.rfind("nonexistent-image", 0) == 0) return true;
  return std::any_of(unpullable.begin(), unpullable.end(),
                     [&](const std::string& u) { return !u.empty() && (u == image || u == repo); });
}

std::string unpullableImage(const json& pod_spec, const std::vector<std::string>& unpullable) {
  for (const char* key : {"initContainers", "containers"}) {
    auto it = pod_spec.find(key);
    if (it == pod_spec.end() || !it->is_array()) continue;
    for (const auto& c : *it) {
      std::string image = c.is_object() ? c.value("image", "") : "";
      if (imageUnpullable(image, unpullable)) return image;
    }
  }
  return "";
}

std::optional<ContainerScript> podScript(const json& pod_spec) {
  auto it = pod_spec.find("containers");
  if (it == pod_spec.end() || !it->is_array()) return std::nullopt;
  std::optional<ContainerScript> out;
  for (const auto& c : *it) {
    if (!c.is_object()) continue;
    auto s = parseContainerScript(c);
    if (!s) continue;
    if (!out) out = ContainerScript{};
    out->runtime = std::max(out->runtime, s->runtime);
    if (out->exit_code == 0) out->exit_code = s->exit_code;
  }
  return out;
}

}  // namespace vane::apiserver
