// setWeight: route selection, validation and destination weights (istio.go generate/process
// patches, getHttp/Tls/TcpRouteIndexesToPatch, validateVirtualServiceRouteDestinations).
#include <algorithm>
#include <map>
#include <set>
#include <type_traits>

#include "trafficrouting/istio_transform.h"

namespace vane::trafficrouting::istio {

namespace {

std::string str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t weightOf(const json& dest) {
  auto it = dest.find("weight");
  if (it == dest.end() || !it->is_number()) return 0;
  return it->is_number_float() ? static_cast<int64_t>(it->get<double>()) : it->get<int64_t>();
}

int64_t portOf(const json& match) {
  auto it = match.find("port");
  return it != match.end() && it->is_number() ? it->get<int64_t>() : 0;
}

const json& section(const json& vs, const char* key) {
  static const json kEmpty = json::array();
  auto spec = vs.find("spec");
  if (spec == vs.end() || !spec->is_object()) return kEmpty;
  auto it = spec->find(key);
  return it != spec->end() && it->is_array() ? *it : kEmpty;
}

bool hasSection(const json& vs, const char* key) {
  return vs.contains("spec") && vs["spec"].is_object() && vs["spec"].contains(key) &&
         vs["spec"][key].is_array();
}

/// Ports and SNI hosts of all match blocks together (searchTlsRoute / searchTcpRoute).
bool l4Matches(const json& route, int64_t port, const std::vector<std::string>* sni) {
  std::set<int64_t> ports;
  std::set<std::string> hosts;
  if (route.contains("match") && route["match"].is_array()) {
    for (const json& m : route["match"]) {
      if (!m.is_object()) continue;
      ports.insert(portOf(m));
      if (sni && m.contains("sniHosts") && m["sniHosts"].is_array()) {
        for (const json& h : m["sniHosts"]) {
          if (h.is_string()) hosts.insert(h.get<std::string>());
        }
      }
    }
  }
  if (ports.size() > 1) return false;  // a route with several ports never matches
  int64_t route_port = ports.empty() ? 0 : *ports.begin();
  if (route_port != port) return false;
  return !sni || hosts == std::set<std::string>(sni->begin(), sni->end());
}

template <class Entry>
Result<std::vector<std::size_t>> selectL4(const json& routes, const std::vector<Entry>& wanted,
                                          const char* not_found, const char* ambiguous) {
  std::vector<std::size_t> out;
  if (wanted.empty()) {
    if (routes.size() > 1) return Status(Code::kInvalid, ambiguous);
    if (routes.size() == 1) out.push_back(0);
    return out;
  }
  for (const Entry& e : wanted) {
    bool found = false;
    for (std::size_t i = 0; i < routes.size(); ++i) {
      const std::vector<std::string>* sni = nullptr;
      if constexpr (std::is_same_v<Entry, TlsRoute>) sni = &e.sniHosts;
      if (!routes[i].is_object() || !l4Matches(routes[i], e.port, sni)) continue;
      found = true;
      if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
    }
    if (!found) return Status(Code::kInvalid, not_found);
  }
  return out;
}

/// validateVirtualServiceRouteDestinations + validateDestinationRule.
Status validateDestinations(const json& route, const Split& split) {
  bool canary = false, stable = false;
  if (route.contains("route") && route["route"].is_array()) {
    for (const json& d : route["route"]) {
      const json& dest = d.is_object() && d.contains("destination") ? d["destination"] : json();
      std::string host = shortHost(str(dest, "host"));
      std::string subset = str(dest, "subset");
      if (split.subsetMode()) {
        canary = canary || (!split.canarySubset.empty() && subset == split.canarySubset);
        stable = stable || (!split.stableSubset.empty() && subset == split.stableSubset);
      } else {
        canary = canary || (!split.canaryService.empty() && host == split.canaryService);
        stable = stable || (!split.stableService.empty() && host == split.stableService);
      }
    }
  }
  if (split.subsetMode()) {
    if (!canary) {
      return Status(Code::kInvalid, "Canary DestinationRule subset '" + split.canarySubset +
                                        "' not found in route");
    }
    if (!stable) {
      return Status(Code::kInvalid, "Stable DestinationRule subset '" + split.stableSubset +
                                        "' not found in route");
    }
  } else {
    if (!canary) {
      return Status(Code::kInvalid,
                    "Canary Service '" + split.canaryService + "' not found in route");
    }
    if (!stable) {
      return Status(Code::kInvalid,
                    "Stable Service '" + split.stableService + "' not found in route");
    }
  }
  return Status::ok();
}

void setWeightIfDifferent(json& dest, int64_t weight) {
  if (weightOf(dest) != weight) dest["weight"] = weight;
}

/// processRoutes for one route's destinations. Returns the sum of the resulting weights.
int64_t reweight(json& route, const Split& split, int32_t desired,
                 const std::vector<WeightDestination>& additional) {
  if (!route.contains("route") || !route["route"].is_array()) route["route"] = json::array();
  json& dests = route["route"];
  std::map<std::string, int32_t> extra;  // sorted: appended in host order
  int64_t stable_weight = 100 - desired;
  for (const WeightDestination& w : additional) {
    if (w.serviceName.empty()) continue;  // (Vane) #4890: never write an empty host
    extra[w.serviceName] = w.weight;
    stable_weight -= w.weight;
  }
  for (const json& d : dests) {
    std::string subset = d.is_object() ? str(d.value("destination", json()), "subset") : "";
    if (!subset.empty() && contains(split.additionalSubsetNames, subset)) {
      stable_weight -= weightOf(d);
    }
  }
  stable_weight = std::max<int64_t>(stable_weight, 0);  // Istio rejects negative weights

  json out = json::array();
  for (json d : dests) {
    if (!d.is_object()) continue;
    const json dest = d.value("destination", json::object());
    const std::string raw_host = str(dest, "host");
    if (raw_host.empty()) continue;  // (Vane) #4890: an empty host black-holes its share
    const std::string host = shortHost(raw_host);
    const std::string subset = str(dest, "subset");
    if (host.empty()) {
      out.push_back(std::move(d));
    } else if (host == split.canaryService || (!subset.empty() && subset == split.canarySubset)) {
      setWeightIfDifferent(d, desired);
      out.push_back(std::move(d));
    } else if (host == split.stableService || (!subset.empty() && subset == split.stableSubset)) {
      setWeightIfDifferent(d, stable_weight);
      out.push_back(std::move(d));
    } else if (auto it = extra.find(host); it != extra.end()) {
      setWeightIfDifferent(d, it->second);
      extra.erase(it);
      out.push_back(std::move(d));
    } else if (!subset.empty() && contains(split.additionalSubsetNames, subset)) {
      out.push_back(std::move(d));
    }  // else: a destination nobody owns any more (a finished experiment) is deleted
  }
  for (const auto& [host, weight] : extra) {
    out.push_back({{"destination", {{"host", host}}}, {"weight", weight}});
  }
  int64_t sum = 0;
  for (const json& d : out) sum += weightOf(d);
  dests = std::move(out);
  return sum;
}

struct Selected {
  const char* section;
  std::vector<std::size_t> indices;
};

Result<std::vector<Selected>> selectAll(const json& vs, const IstioVirtualService& cfg,
                                        const Split& split) {
  std::vector<Selected> all;
  const json& http = section(vs, "http");
  if (!cfg.routes.empty() && !hasSection(vs, "http")) {
    return Status(Code::kInvalid, httpRouteNotFound(cfg.routes.front()));
  }
  auto h = selectHttpRoutes(http, cfg, split.managedRoutes);
  if (!h.ok()) return h.status();
  auto t = selectL4(section(vs, "tls"), cfg.tlsRoutes, kNoMatchingTlsRoutes, kAmbiguousTlsRoutes);
  if (!t.ok()) return t.status();
  auto c = selectL4(section(vs, "tcp"), cfg.tcpRoutes, kNoMatchingTcpRoutes, kAmbiguousTcpRoutes);
  if (!c.ok()) return c.status();
  all = {{"http", *h}, {"tls", *t}, {"tcp", *c}};
  for (const Selected& s : all) {
    for (std::size_t i : s.indices) {
      Status st = validateDestinations(section(vs, s.section)[i], split);
      if (!st.isOk()) return st;
    }
  }
  // Managed mirror routes follow the split (generateVirtualServicePatches).
  for (std::size_t i = 0; i < http.size(); ++i) {
    if (http[i].is_object() && http[i].contains("mirror") &&
        contains(split.managedRoutes, str(http[i], "name")) &&
        std::find(all[0].indices.begin(), all[0].indices.end(), i) == all[0].indices.end()) {
      all[0].indices.push_back(i);
    }
  }
  return all;
}

}  // namespace

std::string httpRouteNotFound(const std::string& name) {
  return "HTTP Route '" + name + "' is not found in the defined Virtual Service.";
}

std::string shortHost(const std::string& host) {
  auto dot = host.find('.');
  if (dot == std::string::npos) return host;
  return host.substr(0, dot);  // "" when the host starts with '.'
}

Split Split::from(const RouterContext& context, const IstioTrafficRouting& istio) {
  Split s;
  s.canaryService = context.canaryService;
  s.stableService = context.stableService;
  if (istio.destinationRule) {
    s.canarySubset = istio.destinationRule->canarySubsetName;
    s.stableSubset = istio.destinationRule->stableSubsetName;
    s.additionalSubsetNames = istio.destinationRule->additionalSubsetNames;
  }
  s.managedRoutes = context.managedRoutes;
  return s;
}

Result<std::vector<std::size_t>> selectHttpRoutes(const json& http, const IstioVirtualService& cfg,
                                                  const std::vector<std::string>& managed_routes) {
  std::vector<std::size_t> out;
  if (!cfg.routes.empty()) {
    for (const std::string& name : cfg.routes) {
      std::size_t i = 0;
      while (i < http.size() && str(http[i], "name") != name) ++i;
      if (i == http.size()) return Status(Code::kInvalid, httpRouteNotFound(name));
      out.push_back(i);
    }
    return out;
  }
  // (Vane) #4741: infer the one route that is not managed, or fail; never patch nothing.
  for (std::size_t i = 0; i < http.size(); ++i) {
    if (http[i].is_object() && !contains(managed_routes, str(http[i], "name"))) out.push_back(i);
  }
  if (out.size() > 1) return Status(Code::kInvalid, kAmbiguousHttpRoutes);
  return out;
}

Result<json> setWeight(const json& vs, const IstioVirtualService& cfg, const Split& split,
                       int32_t desired, const std::vector<WeightDestination>& additional) {
  if (desired < 0 || desired > 100) {
    return Status(Code::kInvalid,
                  "desired weight " + std::to_string(desired) + " is outside 0..100");
  }
  auto selected = selectAll(vs, cfg, split);
  if (!selected.ok()) return selected.status();
  bool any = false;
  json out = vs;
  for (const Selected& s : *selected) {
    for (std::size_t i : s.indices) {
      any = true;
      json& route = out["spec"][s.section][i];
      int64_t sum = reweight(route, split, desired, additional);
      if (sum != 100) {
        return Status(Code::kInvalid,
                      "weights of the route would sum to " + std::to_string(sum) +
                          ", not 100 (desired " + std::to_string(desired) + ")",
                      std::string("spec.") + s.section + "[" + std::to_string(i) + "].route");
      }
    }
  }
  if (!any) return Status(Code::kInvalid, kNoRoutes);
  if (out == vs) return out;
  return split.managedRoutes.empty() ? out : orderRoutes(out, split.managedRoutes);
}

}  // namespace vane::trafficrouting::istio
