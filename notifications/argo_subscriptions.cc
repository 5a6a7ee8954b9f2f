// Subscriptions from annotations (notifications-engine pkg/subscriptions/annotations.go).
#include <algorithm>

#include "notifications/argo_config.h"
#include "notifications/yaml_json.h"

namespace vane::notifications {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// "a;b", "a,b": recipients; an empty value is one empty recipient (webhooks take none).
std::vector<std::string> recipients(const std::string& v) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : v + ";") {
    if (c == ';' || c == ',') {
      if (!trim(cur).empty()) out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (out.empty()) out.emplace_back();
  return out;
}

std::vector<std::string> defaults(const ArgoConfig& config, const std::string& service) {
  auto it = config.service_default_triggers.find(service);
  return it != config.service_default_triggers.end() ? it->second : config.default_triggers;
}

void add(std::map<std::string, std::vector<Destination>>& out, const std::string& trigger,
         const Destination& d) {
  auto& list = out[trigger];
  if (std::find(list.begin(), list.end(), d) == list.end()) list.push_back(d);
}

}  // namespace

std::map<std::string, std::vector<Destination>> subscriptions(const json& annotations,
                                                              const ArgoConfig& config) {
  std::map<std::string, std::vector<Destination>> out;
  if (!annotations.is_object()) return out;
  const std::string prefix = kSubscribePrefix;
  for (const auto& [k, v] : annotations.items()) {
    if (!v.is_string()) continue;
    if (k.rfind(prefix, 0) == 0) {
      const std::string rest = k.substr(prefix.size());
      const auto dot = rest.find('.');
      const std::string service = dot == std::string::npos ? rest : rest.substr(dot + 1);
      std::vector<std::string> triggers = dot == std::string::npos
                                              ? defaults(config, service)
                                              : std::vector<std::string>{rest.substr(0, dot)};
      for (const auto& t : triggers) {
        for (const auto& r : recipients(v.get<std::string>())) add(out, t, {service, r});
      }
    } else if (k == kSubscriptionsAnnotation) {
      auto doc = yamlToJson(v.get<std::string>());
      if (!doc || !doc->is_array()) continue;  // Argo logs and ignores a malformed list
      for (const auto& sub : *doc) {
        if (!sub.is_object()) continue;
        std::vector<std::string> triggers;
        const json trig = sub.value("trigger", json());
        if (trig.is_string()) triggers.push_back(trig.get<std::string>());
        if (trig.is_array()) {
          for (const auto& t : trig) {
            if (t.is_string()) triggers.push_back(t.get<std::string>());
          }
        }
        for (const auto& dest : sub.value("destinations", json::array())) {
          const std::string service = dest.value("service", "");
          if (service.empty()) continue;
          std::vector<std::string> rs;
          for (const auto& r : dest.value("recipients", json::array())) {
            if (r.is_string()) rs.push_back(r.get<std::string>());
          }
          if (rs.empty()) rs.emplace_back();
          for (const auto& t : triggers.empty() ? defaults(config, service) : triggers) {
            for (const auto& r : rs) add(out, t, {service, r});
          }
        }
      }
    }
  }
  return out;
}

}  // namespace vane::notifications
