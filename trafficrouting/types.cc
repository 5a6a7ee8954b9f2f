#include "trafficrouting/types.h"

#include "kube/decode.h"

namespace vane::trafficrouting {

using kube::Decoder;

namespace {

std::vector<std::string> stringArray(const Decoder& d, const std::string& key) {
  std::vector<std::string> out;
  if (!d.has(key)) return out;
  const json& v = d.value().at(key);
  if (!v.is_array()) {
    d.fail(key, "expected array of strings");
    return out;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      d.fail(key + "[" + std::to_string(i) + "]", "expected string");
      return out;
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

/// Argo's hasMultipleMatchValues: exactly one of exact, regex, prefix.
StringMatch decodeStringMatch(const Decoder& parent, const std::string& key) {
  Decoder d = parent.child(key);
  StringMatch m;
  m.exact = d.string("exact");
  m.prefix = d.string("prefix");
  m.regex = d.string("regex");
  int set = int(!m.exact.empty()) + int(!m.prefix.empty()) + int(!m.regex.empty());
  if (set > 1) parent.fail(key, kStringMatchMultipleValues);
  if (set == 0) parent.fail(key, kStringMatchMissedValue);
  return m;
}

IstioVirtualService decodeVirtualService(const Decoder& d) {
  IstioVirtualService vs;
  vs.name = d.requiredString("name");
  if (d.ok() && vs.name.empty()) d.fail("name", "must not be empty");
  vs.routes = stringArray(d, "routes");
  for (const Decoder& t : d.array("tlsRoutes")) {
    TlsRoute r;
    r.port = t.integer("port");
    r.sniHosts = stringArray(t, "sniHosts");
    vs.tlsRoutes.push_back(std::move(r));
  }
  for (const Decoder& t : d.array("tcpRoutes")) vs.tcpRoutes.push_back(TcpRoute{t.integer("port")});
  return vs;
}

}  // namespace

json StringMatch::toJson() const {
  json j = json::object();
  if (!exact.empty()) j["exact"] = exact;
  if (!regex.empty()) j["regex"] = regex;
  if (!prefix.empty()) j["prefix"] = prefix;
  return j;
}

std::vector<IstioVirtualService> IstioTrafficRouting::all() const {
  if (virtualService) return {*virtualService};
  return virtualServices;
}

Result<SetHeaderRoute> decodeSetHeaderRoute(const json& step, const std::string& path) {
  Decoder d(step, path);
  SetHeaderRoute hr;
  hr.name = d.requiredString("name");
  for (const Decoder& m : d.array("match")) {
    HeaderRoutingMatch hm;
    hm.headerName = m.requiredString("headerName");
    if (!m.has("headerValue")) {
      m.fail("headerValue", kStringMatchMissedValue);
    } else {
      hm.headerValue = decodeStringMatch(m, "headerValue");
    }
    hr.match.push_back(std::move(hm));
  }
  if (!d.ok()) return d.status();
  return hr;
}

Result<SetMirrorRoute> decodeSetMirrorRoute(const json& step, const std::string& path) {
  Decoder d(step, path);
  SetMirrorRoute mr;
  mr.name = d.requiredString("name");
  for (const Decoder& m : d.array("match")) {
    RouteMatch rm;
    if (m.has("method")) rm.method = decodeStringMatch(m, "method");
    if (m.has("path")) rm.path = decodeStringMatch(m, "path");
    Decoder headers = m.child("headers");
    if (headers.value().is_object()) {
      for (const auto& [name, value] : headers.value().items()) {
        if (value.is_null()) continue;
        rm.headers[name] = decodeStringMatch(headers, name);
      }
    }
    mr.match.push_back(std::move(rm));
  }
  if (auto p = d.optInt("percentage")) {
    if (*p < 0 || *p > 100) {
      d.fail("percentage", "must be between 0 and 100");
    } else {
      mr.percentage = static_cast<int32_t>(*p);
    }
  }
  if (!d.ok()) return d.status();
  return mr;
}

Result<IstioTrafficRouting> decodeIstioTrafficRouting(const json& istio, const std::string& path) {
  Decoder d(istio, path);
  IstioTrafficRouting out;
  if (d.has("virtualService")) out.virtualService = decodeVirtualService(d.child("virtualService"));
  for (const Decoder& v : d.array("virtualServices")) {
    out.virtualServices.push_back(decodeVirtualService(v));
  }
  if (d.has("destinationRule")) {
    Decoder r = d.child("destinationRule");
    IstioDestinationRule dr;
    dr.name = r.requiredString("name");
    dr.canarySubsetName = r.requiredString("canarySubsetName");
    dr.stableSubsetName = r.requiredString("stableSubsetName");
    dr.additionalSubsetNames = stringArray(r, "additionalSubsetNames");
    out.destinationRule = std::move(dr);
  }
  if (!d.ok()) return d.status();
  if (out.virtualService && d.has("virtualServices")) {
    return Status(Code::kInvalid, "virtualService and virtualServices must not both be set",
                  d.fieldPath("virtualServices"));
  }
  if (!out.virtualService && out.virtualServices.empty()) {
    return Status(Code::kInvalid, "either virtualService or virtualServices must be set",
                  d.fieldPath("virtualService"));
  }
  return out;
}

Result<std::vector<std::string>> decodeManagedRoutes(const json& traffic_routing,
                                                     const std::string& path) {
  Decoder d(traffic_routing, path);
  std::vector<std::string> names;
  for (const Decoder& m : d.array("managedRoutes")) names.push_back(m.requiredString("name"));
  if (!d.ok()) return d.status();
  return names;
}

const std::string& managedRouteName(const ManagedRoute& route) {
  return std::visit([](const auto& r) -> const std::string& { return r.name; }, route);
}

std::pair<std::string, std::string> splitVirtualServiceName(std::string name) {
  static const std::string kSuffix = ".cluster.local";
  if (name.size() > kSuffix.size() &&
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
    name.resize(name.size() - kSuffix.size());
  }
  // A namespace cannot contain a dot, so the last one separates it (argo-rollouts #4709).
  auto dot = name.rfind('.');
  if (dot == std::string::npos) return {"", name};
  return {name.substr(dot + 1), name.substr(0, dot)};
}

}  // namespace vane::trafficrouting
