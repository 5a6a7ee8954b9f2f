#include "dashboard/views.h"

#include <algorithm>
#include <map>

#include "cli/rollout_view.h"

namespace vane::dashboard {
namespace {

std::string str(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

const json& child(const json& obj, const char* key) {
  static const json kEmpty = json::object();
  if (!obj.is_object()) return kEmpty;
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? *it : kEmpty;
}

const json& array(const json& obj, const char* key) {
  static const json kEmpty = json::array();
  if (!obj.is_object()) return kEmpty;
  auto it = obj.find(key);
  return it != obj.end() && it->is_array() ? *it : kEmpty;
}

json templateImages(const json& rollout) {
  json images = json::array();
  for (const json& c :
       array(child(child(child(rollout, "spec"), "template"), "spec"), "containers")) {
    images.push_back(str(c, "image"));
  }
  return images;
}

std::string stepText(const json& step) {
  if (step.contains("setWeight")) return "Set weight " + str(step, "setWeight") + "%";
  if (step.contains("pause")) {
    std::string d = str(child(step, "pause"), "duration");
    return d.empty() ? "Pause (until promoted)" : "Pause " + d;
  }
  if (step.contains("analysis")) {
    std::string names;
    for (const json& t : array(child(step, "analysis"), "templates")) {
      names += (names.empty() ? "" : ", ") + str(t, "templateName") + str(t, "clusterTemplateName");
    }
    return "Analysis " + names;
  }
  if (step.contains("experiment")) return "Experiment";
  if (step.contains("setCanaryScale")) return "Set canary scale " + step["setCanaryScale"].dump();
  if (step.contains("setHeaderRoute")) return "Set header route " + step["setHeaderRoute"].dump();
  if (step.contains("setMirrorRoute")) return "Set mirror route " + step["setMirrorRoute"].dump();
  if (step.contains("plugin")) return "Plugin " + str(child(step, "plugin"), "name");
  return step.dump();
}

// Argo's defaults (analysis/analysis.go): failureLimit 0, inconclusiveLimit 0,
// consecutiveErrorLimit 4.
std::string verdict(const json& metric, const json& result) {
  std::string phase = str(result, "phase");
  int failed = result.value("failed", 0), inconclusive = result.value("inconclusive", 0),
      errors = result.value("consecutiveError", 0), count = result.value("count", 0);
  int failure_limit = metric.value("failureLimit", 0);
  int inconclusive_limit = metric.value("inconclusiveLimit", 0);
  int error_limit = metric.value("consecutiveErrorLimit", 4);
  std::string why;
  if (phase == "Failed") {
    why = failed > failure_limit ? std::to_string(failed) +
                                       " failed measurement(s), more than "
                                       "failureLimit " +
                                       std::to_string(failure_limit)
                                 : "measurements failed";
  } else if (phase == "Inconclusive") {
    why = std::to_string(inconclusive) + " inconclusive measurement(s), more than " +
          "inconclusiveLimit " + std::to_string(inconclusive_limit);
  } else if (phase == "Error") {
    why = std::to_string(errors) + " consecutive error(s), more than consecutiveErrorLimit " +
          std::to_string(error_limit);
  } else if (phase == "Successful") {
    why = std::to_string(count) + " measurement(s) taken, " + std::to_string(failed) +
          " failed (limit " + std::to_string(failure_limit) + ")";
  } else {
    why = std::to_string(count) + " measurement(s) so far";
  }
  std::string msg = str(result, "message");
  return msg.empty() ? why : why + ": " + msg;
}

}  // namespace

json rolloutRow(const json& rollout) {
  cli::RolloutView v = cli::buildRolloutView(rollout, {}, {}, {});
  const json& status = child(rollout, "status");
  bool aborted = status.value("abort", false);
  bool attention = v.status == "Degraded" || v.status == "Paused" || aborted;
  return {{"namespace", v.namespace_},
          {"name", v.name},
          {"phase", v.status},
          {"message", v.message},
          {"strategy", v.strategy},
          {"step", v.step},
          {"setWeight", v.setWeight},
          {"replicas",
           {{"desired", v.desired},
            {"current", v.current},
            {"updated", v.updated},
            {"ready", v.ready},
            {"available", v.available}}},
          {"images", templateImages(rollout)},
          {"aborted", aborted},
          {"needsAttention", attention}};
}

Row makeRow(const json& rollout) {
  json row = rolloutRow(rollout);
  Row r;
  r.namespace_ = row["namespace"];
  r.name = row["name"];
  r.phase = row["phase"];
  r.attention = row["needsAttention"];
  r.json = row.dump();
  return r;
}

std::string rolloutListJson(std::vector<const Row*> rows, const ListFilter& filter) {
  std::sort(rows.begin(), rows.end(), [](const Row* a, const Row* b) {
    return std::tie(a->namespace_, a->name) < std::tie(b->namespace_, b->name);
  });
  std::map<std::string, int> counts;
  std::vector<std::string> namespaces;
  int total = 0;
  std::string items = "[";
  for (const Row* r : rows) {
    if (namespaces.empty() || namespaces.back() != r->namespace_) {
      namespaces.push_back(r->namespace_);
    }
    if (!filter.namespace_.empty() && r->namespace_ != filter.namespace_) continue;
    ++total;
    ++counts[r->phase];
    if (!filter.phase.empty() && r->phase != filter.phase) continue;
    if (!filter.name.empty() && r->name.find(filter.name) == std::string::npos) continue;
    if (filter.attention && !r->attention) continue;
    if (items.size() > 1) items += ',';
    items += r->json;
  }
  items += ']';
  return R"({"items":)" + items + R"(,"counts":)" + json(counts).dump() + R"(,"total":)" +
         std::to_string(total) + R"(,"namespaces":)" + json(namespaces).dump() + "}";
}

json rolloutList(const std::vector<const json*>& rollouts, const ListFilter& filter) {
  std::vector<Row> rows;
  rows.reserve(rollouts.size());
  for (const json* ro : rollouts) rows.push_back(makeRow(*ro));
  std::vector<const Row*> ptrs;
  for (const Row& r : rows) ptrs.push_back(&r);
  return json::parse(rolloutListJson(ptrs, filter));
}

json stepTimeline(const json& rollout) {
  const json& canary = child(child(rollout, "spec"), "strategy");
  const json& steps = array(child(canary, "canary"), "steps");
  const json& status = child(rollout, "status");
  int current = status.value("currentStepIndex", 0);
  bool paused =
      !array(status, "pauseConditions").empty() || child(rollout, "spec").value("paused", false);
  json out = json::array();
  for (size_t i = 0; i < steps.size(); ++i) {
    int idx = static_cast<int>(i);
    std::string state = idx < current ? "done" : idx == current ? "current" : "pending";
    out.push_back({{"index", idx}, {"text", stepText(steps[i])}, {"state", state}});
  }
  return {{"steps", out},
          {"currentStepIndex", current},
          {"count", steps.size()},
          {"paused", paused},
          {"aborted", status.value("abort", false)}};
}

json virtualServiceRoutes(const json& rollout, const std::vector<const json*>& virtualservices) {
  const json& istio = child(
      child(child(child(child(rollout, "spec"), "strategy"), "canary"), "trafficRouting"), "istio");
  std::vector<std::string> names;
  if (istio.contains("virtualService"))
    names.push_back(str(child(istio, "virtualService"), "name"));
  for (const json& vs : array(istio, "virtualServices")) names.push_back(str(vs, "name"));
  std::string ns = str(child(rollout, "metadata"), "namespace");
  json out = json::array();
  for (std::string name : names) {
    std::string vs_ns = ns;
    if (auto dot = name.find('.'); dot != std::string::npos) {
      vs_ns = name.substr(dot + 1);
      name = name.substr(0, dot);
    }
    const json* found = nullptr;
    for (const json* vs : virtualservices) {
      const json& meta = child(*vs, "metadata");
      if (str(meta, "name") == name && str(meta, "namespace") == vs_ns) found = vs;
    }
    json entry = {{"name", name}, {"namespace", vs_ns}, {"routes", json::array()}};
    if (!found) {
      entry["missing"] = true;
      out.push_back(entry);
      continue;
    }
    for (const json& http : array(child(*found, "spec"), "http")) {
      json dests = json::array();
      for (const json& r : array(http, "route")) {
        const json& d = child(r, "destination");
        dests.push_back({{"host", str(d, "host")},
                         {"subset", str(d, "subset")},
                         {"weight", r.value("weight", 0)}});
      }
      entry["routes"].push_back({{"name", str(http, "name")}, {"destinations", dests}});
    }
    out.push_back(entry);
  }
  return out;
}

json analysisRunDetail(const json& run) {
  const json& status = child(run, "status");
  json metrics = json::array();
  for (const json& m : array(child(run, "spec"), "metrics")) {
    std::string name = str(m, "name");
    json result = json::object();
    for (const json& r : array(status, "metricResults")) {
      if (str(r, "name") == name) result = r;
    }
    json measurements = json::array();
    for (const json& ms : array(result, "measurements")) {
      measurements.push_back({{"phase", str(ms, "phase")},
                              {"value", str(ms, "value")},
                              {"startedAt", str(ms, "startedAt")},
                              {"message", str(ms, "message")}});
    }
    metrics.push_back({{"name", name},
                       {"successCondition", str(m, "successCondition")},
                       {"failureCondition", str(m, "failureCondition")},
                       {"failureLimit", m.value("failureLimit", 0)},
                       {"inconclusiveLimit", m.value("inconclusiveLimit", 0)},
                       {"phase", str(result, "phase")},
                       {"successful", result.value("successful", 0)},
                       {"failed", result.value("failed", 0)},
                       {"inconclusive", result.value("inconclusive", 0)},
                       {"error", result.value("error", 0)},
                       {"measurements", measurements},
                       {"verdict", verdict(m, result)}});
  }
  const json& meta = child(run, "metadata");
  return {{"name", str(meta, "name")},
          {"revision", str(child(meta, "labels"), "rollouts-pod-template-hash")},
          {"created", str(meta, "creationTimestamp")},
          {"phase", str(status, "phase")},
          {"message", str(status, "message")},
          {"metrics", metrics}};
}

json eventList(const std::vector<const json*>& events, const std::vector<std::string>& names) {
  std::vector<json> out;
  for (const json* e : events) {
    const json& involved = child(*e, "involvedObject");
    if (std::find(names.begin(), names.end(), str(involved, "name")) == names.end()) continue;
    std::string when = str(*e, "lastTimestamp");
    if (when.empty()) when = str(*e, "eventTime");
    if (when.empty()) when = str(child(*e, "metadata"), "creationTimestamp");
    out.push_back({{"type", str(*e, "type")},
                   {"reason", str(*e, "reason")},
                   {"message", str(*e, "message")},
                   {"object", str(involved, "kind") + "/" + str(involved, "name")},
                   {"count", e->value("count", 1)},
                   {"time", when}});
  }
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
    return a["time"].get_ref<const std::string&>() > b["time"].get_ref<const std::string&>();
  });
  if (out.size() > 50) out.resize(50);
  return out;
}

json rolloutDetail(const json& rollout, const std::vector<json>& replicasets,
                   const std::vector<json>& pods, const std::vector<json>& analysisruns,
                   const std::vector<const json*>& virtualservices,
                   const std::vector<const json*>& events) {
  json view = cli::rolloutViewJson(cli::buildRolloutView(rollout, replicasets, pods, analysisruns));
  view["row"] = rolloutRow(rollout);
  view["steps"] = stepTimeline(rollout);
  view["virtualServices"] = virtualServiceRoutes(rollout, virtualservices);
  std::vector<std::string> names = {str(child(rollout, "metadata"), "name")};
  json runs = json::array();
  for (const json& ar : analysisruns) {
    runs.push_back(analysisRunDetail(ar));
    names.push_back(str(child(ar, "metadata"), "name"));
  }
  std::sort(runs.begin(), runs.end(), [](const json& a, const json& b) {
    return a["created"].get_ref<const std::string&>() > b["created"].get_ref<const std::string&>();
  });
  view["analysisRunDetails"] = runs;
  for (const json& rs : replicasets) names.push_back(str(child(rs, "metadata"), "name"));
  view["events"] = eventList(events, names);
  return view;
}

}  // namespace vane::dashboard
