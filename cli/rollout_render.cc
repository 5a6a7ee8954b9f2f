// Text and JSON renderings of RolloutView (Argo's cmd/get/get_rollout.go, cmd/list).
#include <cstdio>
#include <set>

#include "cli/rollout_view.h"
#include "cli/table.h"
#include "kube/types.h"

namespace vane::cli {
namespace {

using nlohmann::json;
using Rows = std::vector<std::vector<std::string>>;

std::string headerLine(const std::string& key, const std::string& value) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%-17s", key.c_str());
  return std::string(buf) + value + "\n";
}

// getPrefixes in get.go.
std::pair<std::string, std::string> prefixes(bool last, const std::string& sub) {
  return last ? std::make_pair(sub + "└──", sub + "   ") : std::make_pair(sub + "├──", sub + "│  ");
}

std::string joinTags(const std::vector<std::string>& tags, bool color, const char* sep) {
  std::string out;
  for (const std::string& t : tags) {
    if (!out.empty()) out += sep;
    out += colorize(t, color);
  }
  return out;
}

class TreePrinter {
 public:
  TreePrinter(const RolloutView& v, int64_t now, bool color) : v_(v), now_(now), color_(color) {}

  Rows rows() {
    rows_.push_back({"NAME", "KIND", "STATUS", "AGE", "INFO"});
    rows_.push_back({std::string(kIconRollout) + " " + v_.name, "Rollout",
                     colorize(v_.icon, color_) + " " + v_.status, age(v_.created), ""});
    std::set<int64_t, std::greater<>> revisions;
    for (const auto& rs : v_.replicaSets) revisions.insert(rs.revision);
    for (const auto& ar : v_.analysisRuns) revisions.insert(ar.revision);
    size_t i = 0;
    for (int64_t rev : revisions) {
      auto [prefix, sub] = prefixes(++i == revisions.size(), "");
      revision(rev, prefix, sub);
    }
    return std::move(rows_);
  }

 private:
  std::string age(int64_t created) const { return created ? humanDuration(now_ - created) : ""; }

  void revision(int64_t rev, const std::string& prefix, const std::string& sub) {
    rows_.push_back({prefix + kIconRevision + " revision:" + std::to_string(rev), "", "", "", ""});
    std::vector<const ReplicaSetView*> sets;
    std::vector<const AnalysisRunView*> runs;
    for (const auto& rs : v_.replicaSets) {
      if (rs.revision == rev) sets.push_back(&rs);
    }
    for (const auto& ar : v_.analysisRuns) {
      if (ar.revision == rev) runs.push_back(&ar);
    }
    size_t total = sets.size() + runs.size(), n = 0;
    for (const auto* rs : sets) {
      auto [p, s] = prefixes(++n == total, sub);
      replicaSet(*rs, p, s);
    }
    for (const auto* ar : runs) {
      auto [p, s] = prefixes(++n == total, sub);
      analysisRun(*ar, p);
    }
  }

  void replicaSet(const ReplicaSetView& rs, const std::string& prefix, const std::string& sub) {
    std::vector<std::string> info;
    if (rs.stable) info.push_back(colorize("stable", color_));
    if (rs.canary) {
      info.push_back(colorize("canary", color_));
    } else if (rs.active) {
      info.push_back(colorize("active", color_));
    } else if (rs.preview) {
      info.push_back(colorize("preview", color_));
    }
    if (!rs.scaleDownDeadline.empty()) info.push_back("delay:" + scaleDownDelay(rs));
    rows_.push_back({prefix + kIconReplicaSet + " " + rs.name, "ReplicaSet",
                     colorize(rs.icon, color_) + " " + rs.status, age(rs.created),
                     joinTags(info, false, ",")});
    for (size_t i = 0; i < rs.pods.size(); ++i) {
      const PodView& pod = rs.pods[i];
      std::string pod_info = "ready:" + pod.ready;
      if (pod.restarts > 0) pod_info += ",restarts:" + std::to_string(pod.restarts);
      rows_.push_back({prefixes(i + 1 == rs.pods.size(), sub).first + kIconPod + " " + pod.name,
                       "Pod", colorize(pod.icon, color_) + " " + pod.status, age(pod.created),
                       pod_info});
    }
  }

  std::string scaleDownDelay(const ReplicaSetView& rs) const {
    auto deadline = kube::parseTime(rs.scaleDownDeadline);
    if (!deadline) return "";
    return *deadline < now_ ? "passed" : humanDuration(*deadline - now_);
  }

  void analysisRun(const AnalysisRunView& ar, const std::string& prefix) {
    std::vector<std::string> info;
    auto count = [&](int n, const char* icon) {
      if (n > 0) info.push_back(colorize(icon, color_) + " " + std::to_string(n));
    };
    count(ar.successful, kIconOK);
    count(ar.failed, kIconBad);
    count(ar.inconclusive, kIconUnknown);
    count(ar.error, kIconWarning);
    rows_.push_back({prefix + kIconAnalysisRun + " " + ar.name, "AnalysisRun",
                     colorize(ar.icon, color_) + " " + ar.status, age(ar.created),
                     joinTags(info, false, ",")});
  }

  const RolloutView& v_;
  int64_t now_;
  bool color_;
  Rows rows_;
};

}  // namespace

std::string renderRollout(const RolloutView& v, int64_t now_unix, bool color) {
  std::string out;
  out += headerLine("Name:", v.name);
  out += headerLine("Namespace:", v.namespace_);
  out += headerLine("Status:", colorize(v.icon, color) + " " + v.status);
  if (!v.message.empty()) out += headerLine("Message:", v.message);
  out += headerLine("Strategy:", v.strategy);
  if (v.strategy == "Canary") {
    out += headerLine("  Step:", v.step);
    out += headerLine("  SetWeight:", v.setWeight);
    out += headerLine("  ActualWeight:", v.actualWeight);
  }
  for (size_t i = 0; i < v.images.size(); ++i) {
    std::string image = v.images[i].image;
    if (!v.images[i].tags.empty()) image += " (" + joinTags(v.images[i].tags, color, ", ") + ")";
    out += headerLine(i == 0 ? "Images:" : "", image);
  }
  out += "Replicas:\n";
  out += headerLine("  Desired:", std::to_string(v.desired));
  out += headerLine("  Current:", std::to_string(v.current));
  out += headerLine("  Updated:", std::to_string(v.updated));
  out += headerLine("  Ready:", std::to_string(v.ready));
  out += headerLine("  Available:", std::to_string(v.available));
  out += "\n";
  out += alignColumns(TreePrinter(v, now_unix, color).rows(), 2);
  return out;
}

json rolloutViewJson(const RolloutView& v) {
  json rs = json::array();
  for (const auto& r : v.replicaSets) {
    json pods = json::array();
    for (const auto& p : r.pods) {
      pods.push_back(
          {{"name", p.name}, {"status", p.status}, {"ready", p.ready}, {"restarts", p.restarts}});
    }
    rs.push_back({{"name", r.name},
                  {"revision", r.revision},
                  {"status", r.status},
                  {"stable", r.stable},
                  {"canary", r.canary},
                  {"active", r.active},
                  {"preview", r.preview},
                  {"replicas", r.replicas},
                  {"available", r.available},
                  {"images", r.images},
                  {"scaleDownDeadline", r.scaleDownDeadline},
                  {"pods", pods}});
  }
  json ars = json::array();
  for (const auto& a : v.analysisRuns) {
    ars.push_back({{"name", a.name},
                   {"revision", a.revision},
                   {"status", a.status},
                   {"successful", a.successful},
                   {"failed", a.failed},
                   {"inconclusive", a.inconclusive},
                   {"error", a.error}});
  }
  json images = json::array();
  for (const auto& i : v.images) images.push_back({{"image", i.image}, {"tags", i.tags}});
  return {{"name", v.name},
          {"namespace", v.namespace_},
          {"status", v.status},
          {"message", v.message},
          {"strategy", v.strategy},
          {"step", v.step},
          {"setWeight", v.setWeight},
          {"actualWeight", v.actualWeight},
          {"images", images},
          {"replicas",
           {{"desired", v.desired},
            {"current", v.current},
            {"updated", v.updated},
            {"ready", v.ready},
            {"available", v.available}}},
          {"replicaSets", rs},
          {"analysisRuns", ars}};
}

std::string renderRolloutList(const std::vector<json>& rollouts, bool all_namespaces) {
  Rows rows;
  std::vector<std::string> header = {"NAME",  "STRATEGY", "STATUS",     "STEP",     "SET-WEIGHT",
                                     "READY", "DESIRED",  "UP-TO-DATE", "AVAILABLE"};
  if (all_namespaces) header.insert(header.begin(), "NAMESPACE");
  rows.push_back(header);
  for (const json& ro : rollouts) {
    RolloutView v = buildRolloutView(ro, {}, {}, {});
    std::string strategy = v.strategy.empty() ? "unknown" : v.strategy;
    std::string step = v.step.empty() ? "-" : v.step;
    std::string weight = v.strategy == "Canary" ? v.setWeight : "-";
    std::vector<std::string> row = {v.name,
                                    strategy,
                                    v.status,
                                    step,
                                    weight,
                                    std::to_string(v.ready) + "/" + std::to_string(v.current),
                                    std::to_string(v.desired),
                                    std::to_string(v.updated),
                                    std::to_string(v.available)};
    if (all_namespaces) row.insert(row.begin(), v.namespace_);
    rows.push_back(row);
  }
  return alignColumns(rows, 2);
}

}  // namespace vane::cli
