// What the dashboard's JSON API returns, computed from cached API objects alone (no I/O), so the
// pages and the tests read the same shapes. Builds on cli/rollout_view.h (the `get rollout` view).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vane::dashboard {

using nlohmann::json;

/// One row of the Rollout list: namespace, name, phase, message, strategy, step, setWeight,
/// replicas, images (the template's), needsAttention (Degraded, Paused, or aborted). The actual
/// weight needs the ReplicaSets: only the Rollout page shows it.
json rolloutRow(const json& rollout);

struct ListFilter {
  std::string namespace_;  // "": all
  std::string phase;       // "": any
  std::string name;        // substring of the name; "": any
  bool attention = false;  // only rows needing attention
};

/// A row with what the filters read, and its JSON already serialised (the server keeps rows per
/// resourceVersion, so a list of 1,000 Rollouts is mostly string concatenation).
struct Row {
  std::string namespace_, name, phase;
  bool attention = false;
  std::string json;  // rolloutRow(rollout).dump()
};
Row makeRow(const json& rollout);

/// {"items":[rows sorted by namespace/name], "counts":{phase: n} (of the namespace's rollouts,
/// before the phase/name/attention filters), "total": n, "namespaces":[...]}, serialised.
std::string rolloutListJson(std::vector<const Row*> rows, const ListFilter& filter);
/// The same, from the Rollouts themselves (parsed back; for tests and small lists).
json rolloutList(const std::vector<const json*>& rollouts, const ListFilter& filter);

/// The steps of the canary strategy, each {index, text, state: done|current|pending}, and where
/// the Rollout stands (currentStepIndex, paused, message).
json stepTimeline(const json& rollout);

/// The HTTP routes of the VirtualServices the Rollout names (canary.trafficRouting.istio):
/// [{name, namespace, routes:[{name, destinations:[{host, subset, weight}]}]}]; missing ones are
/// listed with "missing": true.
json virtualServiceRoutes(const json& rollout, const std::vector<const json*>& virtualservices);

/// One AnalysisRun with each metric's condition, limits, measurements and the verdict explained.
json analysisRunDetail(const json& run);

/// Events about the named objects, newest first (at most 50).
json eventList(const std::vector<const json*>& events, const std::vector<std::string>& names);

/// The Rollout page: rolloutViewJson (revisions, ReplicaSets, pods, images) plus "row",
/// "steps", "virtualServices", "analysisRuns" (detailed), "events", "revisions" (undo targets).
json rolloutDetail(const json& rollout, const std::vector<json>& replicasets,
                   const std::vector<json>& pods, const std::vector<json>& analysisruns,
                   const std::vector<const json*>& virtualservices,
                   const std::vector<const json*>& events);

}  // namespace vane::dashboard
