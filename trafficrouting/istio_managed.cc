// Managed header and mirror routes, route ordering and removal, DestinationRule subsets
// (istio.go reconcileVirtualServiceHeaderRoutes / MirrorRoutes, orderRoutes, removeRoute,
// RemoveManagedRoutes, UpdateHash).
#include <algorithm>
#include <set>

#include "trafficrouting/istio_transform.h"

namespace vane::trafficrouting::istio {

namespace {

std::string nameOf(const json& route) {
  if (!route.is_object()) return "";
  auto it = route.find("name");
  return it != route.end() && it->is_string() ? it->get<std::string>() : "";
}

bool hasHttp(const json& vs) {
  return vs.is_object() && vs.contains("spec") && vs["spec"].is_object() &&
         vs["spec"].contains("http") && vs["spec"]["http"].is_array();
}

/// The destinations of the first route setWeight reweights (getVirtualServiceSetWeightRoute).
Result<json> weightRouteDestinations(const json& vs, const IstioVirtualService& cfg,
                                     const Split& split) {
  const json& http = vs["spec"]["http"];
  auto idx = selectHttpRoutes(http, cfg, split.managedRoutes);
  if (!idx.ok()) return idx.status();
  if (idx->empty()) return Status(Code::kInvalid, kAmbiguousHttpRoutes);
  const json& route = http[idx->front()];
  if (!route.contains("route") || !route["route"].is_array()) return json::array();
  return route["route"];
}

/// Port of the first destination of the weight route, 0 when none (getVirtualServiceCanaryPort).
int64_t canaryPort(const json& destinations) {
  if (destinations.empty() || !destinations[0].is_object()) return 0;
  const json& d = destinations[0];
  if (!d.contains("destination") || !d["destination"].is_object()) return 0;
  const json& dest = d["destination"];
  if (!dest.contains("port") || !dest["port"].is_object()) return 0;
  const json& n = dest["port"].value("number", json());
  return n.is_number() ? n.get<int64_t>() : 0;
}

json destination(const std::string& host, int64_t port, const std::string& subset) {
  json d = {{"host", host}};
  if (port > 0) d["port"] = {{"number", port}};
  if (!subset.empty()) d["subset"] = subset;
  return d;
}

/// Shared prologue: remove the route; tells whether a new one must be added.
Result<json> removeForReplace(const json& vs, const std::string& name, bool adding,
                              const Split& split) {
  if (!hasHttp(vs)) {
    if (!adding) return vs;  // (Vane) nothing to remove is not an error
    return Status(Code::kInvalid, kSpecHttpNotFound);
  }
  if (adding && !contains(split.managedRoutes, name)) {
    // Argo rejects this at validation; a route outside managedRoutes would land after the
    // user's catch-all route and never match.
    return Status(Code::kInvalid, kStepRouteNotInManagedRoutes);
  }
  return removeRoutes(vs, {name});
}

}  // namespace

json removeRoutes(const json& vs, const std::vector<std::string>& names) {
  if (!hasHttp(vs)) return vs;
  json out = vs;
  json kept = json::array();
  for (const json& r : vs["spec"]["http"]) {
    std::string n = nameOf(r);
    if (n.empty() || !contains(names, n)) kept.push_back(r);
  }
  out["spec"]["http"] = std::move(kept);
  return out;
}

json orderRoutes(const json& vs, const std::vector<std::string>& managed_routes) {
  if (!hasHttp(vs) || managed_routes.empty()) return vs;
  const json& http = vs["spec"]["http"];
  json ordered = json::array();
  for (const std::string& m : managed_routes) {
    for (const json& r : http) {
      if (nameOf(r) == m) ordered.push_back(r);
    }
  }
  for (const json& r : http) {
    if (!contains(managed_routes, nameOf(r))) ordered.push_back(r);
  }
  json out = vs;
  out["spec"]["http"] = std::move(ordered);
  return out;
}

namespace {

/// The http route of a header route: its matches, all of it to the canary (on the weight
/// route's port).
json headerRouteJson(const json& vs, const IstioVirtualService& cfg, const Split& split,
                     const SetHeaderRoute& route, const std::string& canary_host) {
  int64_t port = 0;
  if (auto dests = weightRouteDestinations(vs, cfg, split); dests.ok()) port = canaryPort(*dests);
  json matches = json::array();
  for (const HeaderRoutingMatch& m : route.match) {
    matches.push_back({{"headers", {{m.headerName, m.headerValue.toJson()}}}});
  }
  json dest = {{"destination", destination(canary_host, port, split.canarySubset)},
               {"weight", 100}};
  return {{"name", route.name}, {"match", std::move(matches)}, {"route", json::array({dest})}};
}

/// The http route of a mirror route: its matches, the weight route's destinations (later
/// setWeight calls keep it in step) and the canary as mirror.
Result<json> mirrorRouteJson(const json& vs, const IstioVirtualService& cfg, const Split& split,
                             const SetMirrorRoute& route, const std::string& canary_host) {
  auto dests = weightRouteDestinations(vs, cfg, split);
  if (!dests.ok()) return dests.status();
  json matches = json::array();
  for (const RouteMatch& m : route.match) {
    json jm = json::object();
    if (m.method) jm["method"] = m.method->toJson();
    if (m.path) jm["uri"] = m.path->toJson();
    if (!m.headers.empty()) {
      jm["headers"] = json::object();
      for (const auto& [name, value] : m.headers) jm["headers"][name] = value.toJson();
    }
    matches.push_back(std::move(jm));
  }
  return json{
      {"name", route.name},
      {"match", std::move(matches)},
      {"route", *dests},
      {"mirror", destination(canary_host, canaryPort(*dests), split.canarySubset)},
      {"mirrorPercentage", {{"value", static_cast<double>(route.percentage.value_or(100))}}}};
}

}  // namespace

Result<json> setHeaderRoute(const json& vs, const IstioVirtualService& cfg, const Split& split,
                            const SetHeaderRoute& route, const std::string& canary_host) {
  bool adding = !route.match.empty();
  auto base = removeForReplace(vs, route.name, adding, split);
  if (!base.ok() || !adding) return base;
  json out = std::move(base).value();
  json added = headerRouteJson(out, cfg, split, route, canary_host);
  out["spec"]["http"].push_back(std::move(added));
  return orderRoutes(out, split.managedRoutes);
}

Result<json> setMirrorRoute(const json& vs, const IstioVirtualService& cfg, const Split& split,
                            const SetMirrorRoute& route, const std::string& canary_host) {
  bool adding = !route.match.empty();
  auto base = removeForReplace(vs, route.name, adding, split);
  if (!base.ok() || !adding) return base;
  json out = std::move(base).value();
  auto added = mirrorRouteJson(out, cfg, split, route, canary_host);
  if (!added.ok()) return added.status();
  json& http = out["spec"]["http"];
  http.insert(http.begin(), std::move(added).value());
  return orderRoutes(out, split.managedRoutes);
}

Result<json> syncManagedRoutes(const json& vs, const IstioVirtualService& cfg, const Split& split,
                               const std::vector<ManagedRoute>& desired,
                               const std::vector<std::string>& managed_names,
                               const std::string& canary_host) {
  std::vector<std::string> names = managed_names;
  for (const ManagedRoute& r : desired) {
    const std::string& name = managedRouteName(r);
    if (!contains(split.managedRoutes, name)) {
      return Status(Code::kInvalid, kStepRouteNotInManagedRoutes);
    }
    names.push_back(name);
  }
  if (!hasHttp(vs)) {
    if (desired.empty()) return vs;  // nothing to remove
    return Status(Code::kInvalid, kSpecHttpNotFound);
  }
  // Every route of a managed name goes, duplicates too (argo-rollouts #2769), and the desired
  // ones are built again: their content then never depends on what an earlier write left.
  json out = removeRoutes(vs, names);
  json built = json::array();
  for (const ManagedRoute& r : desired) {
    if (const auto* h = std::get_if<SetHeaderRoute>(&r)) {
      if (h->match.empty()) continue;  // a route without match is a removal
      built.push_back(headerRouteJson(out, cfg, split, *h, canary_host));
    } else if (!std::get<SetMirrorRoute>(r).match.empty()) {
      auto m = mirrorRouteJson(out, cfg, split, std::get<SetMirrorRoute>(r), canary_host);
      if (!m.ok()) return m.status();
      built.push_back(std::move(m).value());
    }
  }
  json& http = out["spec"]["http"];
  http.insert(http.begin(), built.begin(), built.end());
  return orderRoutes(out, split.managedRoutes);
}

Result<json> updateDestinationRule(const json& dr, const IstioDestinationRule& cfg,
                                   const std::string& canary_hash, const std::string& stable_hash,
                                   const std::vector<WeightDestination>& additional,
                                   const std::string& rollout_name) {
  if (!dr.is_object()) return Status(Code::kInvalid, "DestinationRule is not an object");
  json out = dr;
  out["metadata"]["annotations"][kManagedByRolloutsAnnotation] = rollout_name;
  json& spec = out["spec"];
  if (!spec.is_object()) return Status(Code::kInvalid, "expected object", "spec");
  if (!spec.contains("subsets") || spec["subsets"].is_null()) spec["subsets"] = json::array();
  json& subsets = spec["subsets"];
  if (!subsets.is_array()) return Status(Code::kInvalid, "expected array", "spec.subsets");

  auto setHash = [](json& subset, const std::string& hash) {
    if (!hash.empty()) {
      subset["labels"][kPodTemplateHashLabel] = hash;
    } else if (subset.contains("labels") && subset["labels"].is_object()) {
      subset["labels"].erase(kPodTemplateHashLabel);
    }
  };
  std::set<std::string> present;
  for (json& subset : subsets) {
    if (!subset.is_object()) continue;
    std::string name = nameOf(subset);
    present.insert(name);
    if (name == cfg.canarySubsetName) {
      setHash(subset, canary_hash);
    } else if (name == cfg.stableSubsetName) {
      setHash(subset, stable_hash);
    } else {
      for (const WeightDestination& w : additional) {
        if (!w.serviceName.empty() && w.serviceName == name) setHash(subset, w.podTemplateHash);
      }
    }  // (Vane) any other subset is the user's: untouched (#3125)
  }
  std::vector<WeightDestination> missing;
  for (const WeightDestination& w : additional) {
    if (!w.serviceName.empty() && !w.podTemplateHash.empty() && !present.count(w.serviceName)) {
      missing.push_back(w);
      present.insert(w.serviceName);
    }
  }
  std::sort(missing.begin(), missing.end(),
            [](const auto& a, const auto& b) { return a.serviceName < b.serviceName; });
  for (const WeightDestination& w : missing) {
    subsets.push_back(
        {{"name", w.serviceName}, {"labels", {{kPodTemplateHashLabel, w.podTemplateHash}}}});
  }
  return out;
}

}  // namespace vane::trafficrouting::istio
