// Shared VirtualService / DestinationRule fixtures for the Istio unit tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "trafficrouting/istio_transform.h"

namespace vane::trafficrouting::testing {

using json = nlohmann::json;

/// Host mode, two named http routes; extra fields everywhere that must survive untouched.
inline json hostVs() {
  return json::parse(R"json({
    "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
    "metadata": {"name": "vsvc", "namespace": "default", "resourceVersion": "7",
                 "labels": {"team": "a"}, "annotations": {"note": "keep"}},
    "spec": {
      "gateways": ["istio-rollout-gateway"], "hosts": ["istio-rollout.dev.argoproj.io"],
      "exportTo": ["."],
      "http": [
        {"name": "primary",
         "retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx"},
         "timeout": "10s",
         "corsPolicy": {"allowOrigins": [{"exact": "https://a.example"}], "maxAge": "24h"},
         "headers": {"request": {"set": {"x-env": "prod"}}},
         "match": [{"uri": {"prefix": "/"}, "ignoreUriCase": true}],
         "route": [
           {"destination": {"host": "stable", "port": {"number": 8080}}, "weight": 100,
            "headers": {"response": {"add": {"x-served-by": "stable"}}}},
           {"destination": {"host": "canary", "port": {"number": 8080}}, "weight": 0}]},
        {"name": "secondary",
         "route": [
           {"destination": {"host": "stable.default.svc.cluster.local"}, "weight": 100},
           {"destination": {"host": "canary.default.svc.cluster.local"}, "weight": 0}]}]
    }})json");
}

/// Subset mode: one unnamed route, destinations by subset of the same host.
inline json subsetVs() {
  return json::parse(R"json({
    "apiVersion": "networking.istio.io/v1alpha3", "kind": "VirtualService",
    "metadata": {"name": "vsvc", "namespace": "default"},
    "spec": {"hosts": ["svc"],
      "http": [{"route": [
        {"destination": {"host": "svc", "subset": "stable"}, "weight": 100},
        {"destination": {"host": "svc", "subset": "canary"}, "weight": 0}]}]}})json");
}

/// TLS and TCP routes only.
inline json l4Vs() {
  return json::parse(R"json({
    "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
    "metadata": {"name": "vsvc", "namespace": "default"},
    "spec": {"hosts": ["svc"],
      "tls": [
        {"match": [{"port": 3000, "sniHosts": ["a.example", "b.example"]}],
         "route": [{"destination": {"host": "stable"}, "weight": 100},
                   {"destination": {"host": "canary"}, "weight": 0}]},
        {"match": [{"port": 3001, "sniHosts": ["a.example"]}, {"port": 3001, "sniHosts": ["c.example"]}],
         "route": [{"destination": {"host": "stable"}, "weight": 100},
                   {"destination": {"host": "canary"}, "weight": 0}]},
        {"match": [{"port": 3002, "sniHosts": ["a.example"]}, {"port": 3003, "sniHosts": ["a.example"]}],
         "route": [{"destination": {"host": "stable"}, "weight": 100},
                   {"destination": {"host": "canary"}, "weight": 0}]}],
      "tcp": [
        {"match": [{"port": 3000}],
         "route": [{"destination": {"host": "stable"}, "weight": 100},
                   {"destination": {"host": "canary"}, "weight": 0}]},
        {"match": [{"port": 3001, "sourceLabels": {"app": "x"}}],
         "route": [{"destination": {"host": "stable"}, "weight": 100},
                   {"destination": {"host": "canary"}, "weight": 0}]}]}})json");
}

inline json destinationRule() {
  return json::parse(R"json({
    "apiVersion": "networking.istio.io/v1alpha3", "kind": "DestinationRule",
    "metadata": {"name": "dr", "namespace": "default", "resourceVersion": "3"},
    "spec": {"host": "svc",
      "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"}},
      "subsets": [
        {"name": "stable", "labels": {"app": "svc"},
         "trafficPolicy": {"connectionPool": {"tcp": {"maxConnections": 10}}}},
        {"name": "canary", "labels": {"app": "svc", "rollouts-pod-template-hash": "old"}},
        {"name": "legacy", "labels": {"version": "v0"}}]}})json");
}

inline istio::Split hostSplit(std::vector<std::string> managed = {}) {
  istio::Split s;
  s.canaryService = "canary";
  s.stableService = "stable";
  s.managedRoutes = std::move(managed);
  return s;
}

inline istio::Split subsetSplit(std::vector<std::string> managed = {}) {
  istio::Split s;
  s.canarySubset = "canary";
  s.stableSubset = "stable";
  s.managedRoutes = std::move(managed);
  return s;
}

/// (host[/subset], weight) of every destination of a route.
inline std::vector<std::pair<std::string, int64_t>> weights(const json& route) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const json& d : route.at("route")) {
    std::string key = d.at("destination").value("host", "");
    if (d.at("destination").contains("subset"))
      key += "/" + d["destination"]["subset"].get<std::string>();
    out.emplace_back(key, d.value("weight", int64_t{0}));
  }
  return out;
}

inline std::vector<std::string> routeNames(const json& vs) {
  std::vector<std::string> out;
  for (const json& r : vs["spec"]["http"]) out.push_back(r.value("name", ""));
  return out;
}

}  // namespace vane::trafficrouting::testing
