// `kubectl vane plan -f FILE [--virtualservice FILE] [-o json]`: a Rollout's canary steps
// expanded into a timeline (weight, replica counts, cumulative timed duration) and, when the
// referenced Istio VirtualServices (or the Gateway API routes of the argoproj-labs/gatewayAPI
// plugin block) are given, their diff at each step computed with the routers' pure functions
// (trafficrouting/istio_transform.h, gatewayapi_transform.h). Offline: no API server.
//
// Replica model (argo-rollouts.md 3.1, controller/replica_math.h): with traffic routing the
// stable ReplicaSet stays at spec.replicas and the canary gets ceil(replicas*weight/100) (or the
// setCanaryScale replicas/weight; dynamicStableScale shrinks the stable); without traffic routing
// the counts are Argo's closest split for the weight, whose total may be replicas+1 when maxSurge
// allows it. Counts are the targets each step settles on, not the surge-bounded intermediates.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/status.h"

namespace vane::cli {

/// The VirtualService changes of one step: changed lines such as
/// "spec.http[primary].route[canary].weight: 0 -> 5" or "spec.http[hdr]: added {...}".
struct PlanVsChange {
  std::string virtualService;  // the object's name (a VirtualService or a Gateway API route)
  std::vector<std::string> lines;
  std::string kind = "VirtualService";  // or HTTPRoute, GRPCRoute, TCPRoute, TLSRoute
};

struct PlanStep {
  int index = -1;                 // step index; -1 for the final "promote" row
  std::string step;               // "setWeight: 30", "pause: 30s", "pause (indefinite)", ...
  int32_t weight = 0;             // canary traffic weight once the step is reached
  int32_t canary = 0;             // canary ReplicaSet replicas
  int32_t stable = 0;             // stable ReplicaSet replicas
  int64_t cumulativeSeconds = 0;  // sum of timed pauses up to and including this step
  int untimedWaits = 0;           // indefinite pauses/analyses/experiments up to and including it
  std::string wait;               // "", "waits for promotion", "analysis", "experiment", "plugin"
  std::vector<PlanVsChange> changes;
};

struct Plan {
  std::string name, namespace_;
  int32_t replicas = 1;
  bool trafficRouting = false;
  std::vector<PlanStep> steps;
  std::vector<std::string> notes;
};

/// A VirtualService or DestinationRule document the plan may use, with its origin for errors.
struct PlanObject {
  nlohmann::json object;
  std::string origin;  // "FILE doc 3"
};

/// Builds the plan of one Rollout object. Errors name the field path (decode) or the
/// VirtualService and step (router). Never throws.
Result<Plan> buildPlan(const nlohmann::json& rollout, const std::vector<PlanObject>& istio_objects);

/// Changed lines between two versions of an object (paths like "spec.http[name].route[host]";
/// arrays of named routes / destinations are matched by name / host+subset, not by index).
std::vector<std::string> diffObjects(const nlohmann::json& before, const nlohmann::json& after);

std::string renderPlanText(const Plan& plan);
nlohmann::json planToJson(const Plan& plan);
/// "30s", "1m30s", "1h".
std::string formatSeconds(int64_t seconds);

/// The command: args are those after `plan`. Returns the exit code (0 ok, 1 error).
int runPlan(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace vane::cli
