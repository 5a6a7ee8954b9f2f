// Gateway API managed rules: setHeaderRoute, setMirrorRoute and their removal, the rule record,
// and the plugin block's decoding (the plugin's httproute.go, grpcroute.go; facts only, see
// gatewayapi_transform.h).
#include "trafficrouting/gatewayapi_transform.h"

#include <algorithm>
#include <map>
#include <string_view>

#include "kube/decode.h"
#include "trafficrouting/gatewayapi_rules.h"

namespace vane::trafficrouting::gatewayapi {

namespace detail {

std::string str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const json& rulesOf(const json& route) {
  static const json kEmpty = json::array();
  if (!route.is_object() || !route.contains("spec") || !route["spec"].is_object()) return kEmpty;
  const json& spec = route["spec"];
  auto it = spec.find("rules");
  return it != spec.end() && it->is_array() ? *it : kEmpty;
}

/// The annotation's record: {name: rule without weights}; {} when absent or unreadable.
json managedRecord(const json& route) {
  const json* ann = nullptr;
  if (route.is_object() && route.contains("metadata") && route["metadata"].is_object()) {
    const json& md = route["metadata"];
    if (md.contains("annotations") && md["annotations"].is_object()) ann = &md["annotations"];
  }
  if (!ann || !ann->contains(kManagedRulesAnnotation)) return json::object();
  const json& v = (*ann)[kManagedRulesAnnotation];
  if (!v.is_string()) return json::object();
  json parsed = json::parse(v.get<std::string>(), nullptr, /*allow_exceptions=*/false);
  return parsed.is_object() ? parsed : json::object();
}

void writeRecord(json& route, const json& record) {
  json& md = route["metadata"];
  if (record.empty()) {
    if (md.contains("annotations") && md["annotations"].is_object()) {
      md["annotations"].erase(kManagedRulesAnnotation);
      if (md["annotations"].empty()) md.erase("annotations");
    }
    return;
  }
  md["annotations"][kManagedRulesAnnotation] = record.dump();
}

/// A rule's identity as a managed rule: without its backendRef weights (setWeight keeps mirror
/// rules' weights in step) and without its name (a cluster whose CRD predates named rules,
/// Gateway API v1.4 standard channel, prunes it).
json identity(const json& rule) {
  json out = rule;
  if (!out.is_object()) return out;
  out.erase("name");
  if (out.contains("backendRefs") && out["backendRefs"].is_array()) {
    for (json& ref : out["backendRefs"]) {
      if (ref.is_object()) ref.erase("weight");
    }
  }
  return out;
}

/// A record entry: {"kind": "header" | "mirror", "rule": identity of the rule}.
const json& recordedRule(const json& record, const std::string& name) {
  static const json kNull;
  auto it = record.find(name);
  return it != record.end() && it->is_object() && it->contains("rule") ? (*it)["rule"] : kNull;
}

bool isMirrorRule(const json& rule) {
  return rule.is_object() && rule.contains("filters") &&
         rule["filters"].dump().find("\"RequestMirror\"") != std::string::npos;
}

/// The managed rule `name`: a rule carrying that name (as the plugin names them since its
/// issue #182, and as Vane writes them), or one equal to the recorded rule.
bool isManaged(const json& rule, const std::string& name, const json& record) {
  if (!rule.is_object()) return false;
  if (str(rule, "name") == name) return true;
  const json& recorded = recordedRule(record, name);
  return !recorded.is_null() && identity(rule) == recorded;
}

/// Which rules are managed (by any recorded or step route name); header_only: not mirror rules.
std::vector<bool> managedMask(const json& rules, const json& record, const Split& split,
                              bool header_only) {
  std::vector<std::string> names = split.managedRoutes;
  for (const auto& [n, _] : record.items()) {
    if (!contains(names, n)) names.push_back(n);
  }
  std::vector<bool> mask(rules.size(), false);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (header_only && isMirrorRule(rules[i])) continue;
    for (const std::string& n : names) mask[i] = mask[i] || isManaged(rules[i], n, record);
  }
  return mask;
}

/// Removes the managed rule `name` (and anything equal to `desired`, a rule left by a lost
/// record); records `desired` under `name` unless null; keeps managed rules first, in order.
json replaceManagedRule(const json& route, const Split& split, const std::string& name,
                        const char* kind, const json& desired) {
  json record = managedRecord(route);
  const json& rules_in = rulesOf(route);
  bool present = false;
  for (const json& r : rules_in) present = present || isManaged(r, name, record);
  if (desired.is_null() && !present && !record.contains(name)) return route;  // nothing to do
  json out = route;
  json kept = json::array();
  for (const json& r : rules_in) {
    if (isManaged(r, name, record)) continue;
    if (!desired.is_null() && identity(r) == identity(desired)) continue;
    kept.push_back(r);
  }
  record.erase(name);
  if (!desired.is_null()) record[name] = {{"kind", kind}, {"rule", identity(desired)}};
  // Managed rules first, in managedRoutes order (other recorded names after, by name); then the
  // user's rules in their order.
  std::vector<std::string> order = split.managedRoutes;
  for (const auto& [n, _] : record.items()) {
    if (!contains(order, n)) order.push_back(n);
  }
  json front = json::array();
  for (const std::string& n : order) {
    if (n == name) {
      if (!desired.is_null()) front.push_back(desired);
      continue;
    }
    for (std::size_t i = 0; i < kept.size(); ++i) {
      if (isManaged(kept[i], n, record)) {
        front.push_back(kept[i]);
        kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
  }
  for (const json& r : kept) front.push_back(r);
  out["spec"]["rules"] = std::move(front);
  writeRecord(out, record);
  return out;
}

bool refNamed(const json& ref, const std::string& name) {
  return !name.empty() && str(ref, "name") == name;
}

/// The rules (not managed) holding both the canary and the stable backendRef, first one first
/// (the plugin's getRouteRule takes only the first).
Result<std::vector<std::size_t>> baseRules(const json& rules, const std::vector<bool>& managed,
                                           const Split& split, RouteKind kind) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (managed[i] || !rules[i].is_object()) continue;
    bool canary = false, stable = false;
    for (const json& ref : rules[i].value("backendRefs", json::array())) {
      canary = canary || refNamed(ref, split.canaryService);
      stable = stable || refNamed(ref, split.stableService);
    }
    if (canary && stable) out.push_back(i);
  }
  if (out.empty()) {
    return Status(Code::kInvalid, std::string("backendRef was not found in ") + configName(kind));
  }
  return out;
}

/// A Gateway API rule name (SectionName: a lowercase RFC 1123 subdomain, at most 253 chars).
bool validRuleName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  char prev = '.';
  for (char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-' && c != '.') return false;
    if (c == '.' && (prev == '.' || prev == '-')) return false;
    if (c == '-' && prev == '.') return false;
    prev = c;
  }
  return prev != '-' && prev != '.';
}

json canaryRef(const json& base, const Split& split) {
  json ref = {{"group", ""}, {"kind", "Service"}, {"name", split.canaryService}};
  for (const json& r : base.value("backendRefs", json::array())) {
    if (refNamed(r, split.canaryService) && r.contains("port")) {
      ref["port"] = r["port"];
      break;
    }
  }
  return ref;
}

/// getHTTPHeaderRouteRuleList: exact -> Exact; prefix -> RegularExpression; regex ->
/// RegularExpression. (Vane) the plugin writes "<prefix>.*" as is, so "v1.2" also matches "v1x2"
/// and, where the regex is not anchored by the implementation, any value containing it; here
/// the prefix is escaped and anchored: "^v1\\.2.*".
json headerMatch(const std::string& name, const StringMatch& m) {
  if (!m.exact.empty()) return {{"name", name}, {"type", "Exact"}, {"value", m.exact}};
  if (!m.prefix.empty()) {
    std::string re = "^";
    for (char c : m.prefix) {
      if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) re += '\\';
      re += c;
    }
    return {{"name", name}, {"type", "RegularExpression"}, {"value", re + ".*"}};
  }
  return {{"name", name}, {"type", "RegularExpression"}, {"value", m.regex}};
}

json weightOf(const json& ref) {
  auto it = ref.find("weight");
  return it == ref.end() ? json() : *it;
}

}  // namespace detail

using namespace detail;

const char* kindName(RouteKind kind) {
  switch (kind) {
    case RouteKind::kHttp:
      return "HTTPRoute";
    case RouteKind::kGrpc:
      return "GRPCRoute";
    case RouteKind::kTcp:
      return "TCPRoute";
    case RouteKind::kTls:
      return "TLSRoute";
  }
  return "";
}

const char* configName(RouteKind kind) {
  switch (kind) {
    case RouteKind::kHttp:
      return "httpRoute";
    case RouteKind::kGrpc:
      return "grpcRoute";
    case RouteKind::kTcp:
      return "tcpRoute";
    case RouteKind::kTls:
      return "tlsRoute";
  }
  return "";
}

Result<GatewayApiTrafficRouting> decodeGatewayApiTrafficRouting(const json& config,
                                                                const std::string& path) {
  kube::Decoder d(config, path);
  GatewayApiTrafficRouting out;
  for (RouteKind kind : {RouteKind::kHttp, RouteKind::kGrpc, RouteKind::kTcp, RouteKind::kTls}) {
    const std::string single = configName(kind);
    if (d.has(single)) out.routes.push_back({kind, d.string(single), true});
    for (const kube::Decoder& r : d.array(single + "s")) {
      out.routes.push_back({kind, r.requiredString("name"), r.boolean("useHeaderRoutes")});
    }
    if (d.has(single + "Selector")) {
      return Status(Code::kUnsupported, "route discovery by label selector is not supported",
                    d.fieldPath(single + "Selector"));
    }
  }
  out.namespace_ = d.string("namespace");
  out.configMap = d.string("configMap", kDefaultConfigMap);
  out.disableInProgressLabel = d.boolean("disableInProgressLabel");
  out.inProgressLabelKey = d.string("inProgressLabelKey", kDefaultInProgressLabelKey);
  out.inProgressLabelValue = d.string("inProgressLabelValue", kDefaultInProgressLabelValue);
  if (!d.ok()) return d.status();
  if (out.routes.empty()) return Status(Code::kInvalid, kNoRoutesConfigured, path);
  return out;
}

Result<json> setHeaderRoute(const json& route, RouteKind kind, const Split& split,
                            const SetHeaderRoute& header) {
  if (header.match.empty() || (kind != RouteKind::kHttp && kind != RouteKind::kGrpc)) {
    return replaceManagedRule(route, split, header.name, "header", json());
  }
  const json& rules = rulesOf(route);
  auto bases =
      baseRules(rules, managedMask(rules, managedRecord(route), split, false), split, kind);
  if (!bases.ok()) return bases.status();
  const json& base = rules[bases->front()];
  const json base_filters = base.value("filters", json());
  json headers = json::array();
  for (const HeaderRoutingMatch& m : header.match) {
    headers.push_back(headerMatch(m.headerName, m.headerValue));
  }
  json matches = json::array();
  for (std::size_t index : *bases) {
    // (Vane) every rule that splits canary and stable gets the header, not only the first
    // (plugin issue #207), when its filters are the first one's: the managed rule has one set.
    if (rules[index].value("filters", json()) != base_filters) continue;
    // (Vane) a rule without matches matches every request; the plugin then builds a header rule
    // with no matches at all, which sends every request to the canary. Here it gets the headers.
    json base_matches = rules[index].value("matches", json::array());
    if (!base_matches.is_array() || base_matches.empty()) {
      base_matches = json::array({json::object()});
    }
    for (const json& bm : base_matches) {
      json m = json::object();
      const char* const http_keys[] = {"path", "queryParams", "method"};
      const char* const grpc_keys[] = {"method"};
      if (kind == RouteKind::kHttp) {
        for (const char* k : http_keys) {
          if (bm.is_object() && bm.contains(k)) m[k] = bm[k];
        }
      } else {
        for (const char* k : grpc_keys) {
          if (bm.is_object() && bm.contains(k)) m[k] = bm[k];
        }
      }
      // The user's own header matches stay (plugin issue #151): a request must still carry them.
      json merged = headers;
      if (bm.is_object() && bm.contains("headers") && bm["headers"].is_array()) {
        for (const json& h : bm["headers"]) merged.push_back(h);
      }
      m["headers"] = std::move(merged);
      if (std::find(matches.begin(), matches.end(), m) == matches.end()) matches.push_back(m);
    }
  }
  json rule = json::object();
  // Named after the step route, as the plugin names them since its issue #182 (rule names are
  // standard from Gateway API v1.4; an older CRD prunes the name and the record still finds it).
  if (validRuleName(header.name)) rule["name"] = header.name;
  rule["matches"] = std::move(matches);
  rule["backendRefs"] = json::array({canaryRef(base, split)});
  // Filters (rewrites, header modifiers) apply to the canary as to the base rule.
  if (base_filters.is_array() && !base_filters.empty()) rule["filters"] = base_filters;
  return replaceManagedRule(route, split, header.name, "header", rule);
}

Result<json> setMirrorRoute(const json& route, RouteKind kind, const Split& split,
                            const SetMirrorRoute& mirror) {
  if (mirror.match.empty()) return replaceManagedRule(route, split, mirror.name, "mirror", json());
  if (kind != RouteKind::kHttp) {
    // RequestMirror is an HTTPRoute filter here; other kinds keep no mirror rule.
    return replaceManagedRule(route, split, mirror.name, "mirror", json());
  }
  const json& rules = rulesOf(route);
  auto bases =
      baseRules(rules, managedMask(rules, managedRecord(route), split, false), split, kind);
  if (!bases.ok()) return bases.status();
  const json& base = rules[bases->front()];
  json matches = json::array();
  for (const RouteMatch& rm : mirror.match) {
    json m = json::object();
    if (rm.method) {
      // HTTPRouteMatch.method is an exact enum value; a prefix or regex cannot be expressed.
      if (rm.method->exact.empty()) {
        return Status(Code::kInvalid,
                      "Gateway API matches a method exactly; prefix and regex are not supported",
                      "setMirrorRoute.match[].method");
      }
      m["method"] = rm.method->exact;
    }
    if (rm.path) {
      const StringMatch& p = *rm.path;
      if (!p.exact.empty()) {
        m["path"] = {{"type", "Exact"}, {"value", p.exact}};
      } else if (!p.prefix.empty()) {
        m["path"] = {{"type", "PathPrefix"}, {"value", p.prefix}};
      } else {
        m["path"] = {{"type", "RegularExpression"}, {"value", p.regex}};
      }
    }
    if (!rm.headers.empty()) {
      m["headers"] = json::array();
      for (const auto& [name, value] : rm.headers) m["headers"].push_back(headerMatch(name, value));
    }
    matches.push_back(std::move(m));
  }
  json target = canaryRef(base, split);
  target.erase("group");
  json filter = {{"type", "RequestMirror"}, {"requestMirror", {{"backendRef", target}}}};
  if (mirror.percentage && *mirror.percentage < 100) {
    filter["requestMirror"]["percent"] = *mirror.percentage;  // Gateway API v1.2+
  }
  json rule = json::object();
  if (validRuleName(mirror.name)) rule["name"] = mirror.name;
  rule["matches"] = std::move(matches);
  rule["filters"] = json::array({std::move(filter)});
  rule["backendRefs"] = base.value("backendRefs", json::array());
  return replaceManagedRule(route, split, mirror.name, "mirror", rule);
}

Result<json> removeManagedRules(const json& route, const Split& split,
                                const std::vector<std::string>& names) {
  json out = route;
  for (const std::string& name : names) {
    out = replaceManagedRule(out, split, name, "header", json());
  }
  return out;
}

Result<json> syncManagedRules(const json& route, RouteKind kind, const Split& split,
                              const std::vector<ManagedRoute>& desired, bool use_header_routes) {
  std::vector<std::string> gone = split.managedRoutes;
  const json record = managedRecord(route);  // items() of a temporary would dangle
  for (const auto& [n, _] : record.items()) gone.push_back(n);
  std::vector<std::string> wanted;
  for (const ManagedRoute& r : desired) wanted.push_back(managedRouteName(r));
  gone.erase(std::remove_if(gone.begin(), gone.end(),
                            [&](const std::string& n) { return contains(wanted, n); }),
             gone.end());
  auto out = removeManagedRules(route, split, gone);
  for (const ManagedRoute& r : desired) {
    if (!out.ok()) return out;
    if (const auto* h = std::get_if<SetHeaderRoute>(&r)) {
      // Header rules go only to routes with useHeaderRoutes; elsewhere the name is removed.
      const SetHeaderRoute removal{h->name, {}};
      out = setHeaderRoute(*out, kind, split, use_header_routes ? *h : removal);
    } else {
      out = setMirrorRoute(*out, kind, split, std::get<SetMirrorRoute>(r));
    }
  }
  return out;
}

}  // namespace vane::trafficrouting::gatewayapi
