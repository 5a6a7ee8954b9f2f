#include "notifications/argo_loader.h"

#include "base/log.h"

namespace vane::notifications {

std::shared_ptr<const ArgoConfig> ArgoConfigLoader::load(const std::string& ns) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(ns);
    if (it != cache_.end() && now - it->second.read < refresh_) return it->second.config;
  }
  auto cm = client_.get(kube::resources::kConfigMaps, ns, kArgoConfigMap);
  auto secret = client_.get(kube::resources::kSecrets, ns, kArgoSecret);
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = cache_[ns];
  e.read = now;
  if (!cm) {
    // Absent: no notifications from this namespace. Another error keeps the last good config.
    if (cm.status().code() == Code::kNotFound) {
      e.config.reset();
      e.source.clear();
    }
    return e.config;
  }
  const json secret_obj = secret ? *secret : json();
  std::string source =
      cm->value("data", json::object()).dump() + secret_obj.value("data", json::object()).dump();
  if (source == e.source) return e.config;
  e.source = std::move(source);
  auto parsed = parseArgoConfig(*cm, secret_obj);
  if (!parsed) {
    std::string msg = "ConfigMap " + ns + "/" + kArgoConfigMap + ": " + parsed.status().toString();
    if (log_) {
      log_("error", msg);
    } else {
      vane::log::error(msg, {{"component", "notifications"}});
    }
    e.config.reset();
    return nullptr;
  }
  e.config = std::make_shared<const ArgoConfig>(std::move(*parsed));
  return e.config;
}

std::vector<std::shared_ptr<const ArgoConfig>> ArgoConfigLoader::configs(const std::string& ns) {
  std::vector<std::shared_ptr<const ArgoConfig>> out;
  if (auto c = load(controller_ns_)) out.push_back(std::move(c));
  if (self_service_ && ns != controller_ns_) {
    if (auto c = load(ns)) out.push_back(std::move(c));
  }
  return out;
}

json ArgoConfigLoader::analysisRuns(const json& rollout) {
  json out = json::array();
  const json& meta = rollout.value("metadata", json::object());
  auto list = client_.list(kube::resources::kAnalysisRuns, meta.value("namespace", ""));
  if (!list) return out;
  const std::string uid = meta.value("uid", ""), name = meta.value("name", "");
  for (const auto& run : list->value("items", json::array())) {
    for (const auto& ref : run["metadata"].value("ownerReferences", json::array())) {
      if (ref.value("kind", "") == "Rollout" &&
          (uid.empty() ? ref.value("name", "") == name : ref.value("uid", "") == uid)) {
        out.push_back(run);
        break;
      }
    }
  }
  return out;
}

}  // namespace vane::notifications
