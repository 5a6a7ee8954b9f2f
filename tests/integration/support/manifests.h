// Manifests and paths the integration scenarios share: the Services a strategy names, an
// AnalysisTemplate whose metric is a Job the local server completes, and Istio's CRDs.
#pragma once

#include <initializer_list>
#include <string>

namespace vane::testing {

/// The folder holding Istio's published CRDs with their full schemas, with a trailing slash:
/// virtualservice.crd.yaml and destinationrule.crd.yaml (examples/istio/README.md).
std::string istioCrdDir();

/// Services selecting app=<app> on port 80, one document each, e.g. {"web-canary", "web-stable"}.
std::string servicesYaml(std::initializer_list<std::string> names, const std::string& app = "web");

/// The Rollout `web` (selector and pod labels app=web, one container `web` running image).
/// extra_spec: more spec lines (2-space indent); pod_annotations: lines under the pod
/// template's metadata (6-space indent, starting with "annotations:"); strategy: the lines under
/// spec.strategy (4-space indent, e.g. "    canary:\n      steps: []\n").
std::string webRollout(const std::string& image, int replicas, const std::string& strategy,
                       const std::string& extra_spec = "", const std::string& pod_annotations = "");

/// The VirtualService `web-vsvc` for host `web`: one http route `primary` with all traffic on
/// web-stable and none on web-canary.
std::string webVirtualServiceYaml();

/// An AnalysisTemplate `name` whose one metric, `smoke`, is a Job that vane-apiserver
/// --simulate-workloads completes with `outcome` ("succeed" or "fail").
std::string jobAnalysisTemplate(const std::string& name, const std::string& outcome);

}  // namespace vane::testing
