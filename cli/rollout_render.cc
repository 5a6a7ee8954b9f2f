// Text and JSON renderings of RolloutView and ExperimentView (Argo's cmd/get/get_rollout.go,
// get_experiment.go).
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

std::string imageLines(const std::vector<ImageView>& images, bool color) {
  std::string out;
  for (size_t i = 0; i < images.size(); ++i) {
    std::string image = images[i].image;
    if (!images[i].tags.empty()) image += " (" + joinTags(images[i].tags, color, ", ") + ")";
    out += headerLine(i == 0 ? "Images:" : "", image);
  }
  return out;
}

class TreePrinter {
 public:
  TreePrinter(int64_t now, bool color) : now_(now), color_(color) {}

  Rows rollout(const RolloutView& v) {
    rows_.push_back({"NAME", "KIND", "STATUS", "AGE", "INFO"});
    rows_.push_back({std::string(kIconRollout) + " " + v.name, "Rollout",
                     colorize(v.icon, color_) + " " + v.status, age(v.created), ""});
    std::set<int64_t, std::greater<>> revisions;
    for (const auto& rs : v.replicaSets) revisions.insert(rs.revision);
    for (const auto& exp : v.experiments) revisions.insert(exp.revision);
    for (const auto& ar : v.analysisRuns) revisions.insert(ar.revision);
    size_t i = 0;
    for (int64_t rev : revisions) {
      auto [prefix, sub] = prefixes(++i == revisions.size(), "");
      revision(v, rev, prefix, sub);
    }
    return std::move(rows_);
  }

  Rows experimentTree(const ExperimentView& exp) {
    rows_.push_back({"NAME", "KIND", "STATUS", "AGE", "INFO"});
    experiment(exp, "", "");
    return std::move(rows_);
  }

 private:
  std::string age(int64_t created) const { return created ? humanDuration(now_ - created) : ""; }

  // PrintRevision: ReplicaSets, then Experiments, then AnalysisRuns of that revision.
  void revision(const RolloutView& v, int64_t rev, const std::string& prefix,
                const std::string& sub) {
    rows_.push_back({prefix + kIconRevision + " revision:" + std::to_string(rev), "", "", "", ""});
    std::vector<const ReplicaSetView*> sets;
    std::vector<const ExperimentView*> exps;
    std::vector<const AnalysisRunView*> runs;
    for (const auto& rs : v.replicaSets) {
      if (rs.revision == rev) sets.push_back(&rs);
    }
    for (const auto& exp : v.experiments) {
      if (exp.revision == rev) exps.push_back(&exp);
    }
    for (const auto& ar : v.analysisRuns) {
      if (ar.revision == rev) runs.push_back(&ar);
    }
    size_t total = sets.size() + exps.size() + runs.size(), n = 0;
    for (const auto* rs : sets) {
      auto [p, s] = prefixes(++n == total, sub);
      replicaSet(*rs, p, s);
    }
    for (const auto* exp : exps) {
      auto [p, s] = prefixes(++n == total, sub);
      experiment(*exp, p, s);
    }
    for (const auto* ar : runs) {
      auto [p, s] = prefixes(++n == total, sub);
      analysisRun(*ar, p, s);
    }
  }

  // PrintExperimentInfo: the Experiment, then its ReplicaSets and AnalysisRuns.
  void experiment(const ExperimentView& exp, const std::string& prefix, const std::string& sub) {
    rows_.push_back({prefix + kIconExperiment + " " + exp.name, "Experiment",
                     colorize(exp.icon, color_) + " " + exp.status, age(exp.created), ""});
    size_t total = exp.replicaSets.size() + exp.analysisRuns.size(), n = 0;
    for (const auto& rs : exp.replicaSets) {
      auto [p, s] = prefixes(++n == total, sub);
      replicaSet(rs, p, s);
    }
    for (const auto& ar : exp.analysisRuns) {
      auto [p, s] = prefixes(++n == total, sub);
      analysisRun(ar, p, s);
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

  void analysisRun(const AnalysisRunView& ar, const std::string& prefix, const std::string& sub) {
    std::vector<std::string> info;
    auto count = [&](int n, const char* icon) {
      if (n > 0) info.push_back(colorize(icon, color_) + " " + std::to_string(n));
    };
    count(ar.successful, kIconOK);
    count(ar.failed, kIconBad);
    count(ar.inconclusive, kIconUnknown);
    count(ar.error, kIconWarning);
    if (!ar.judgeScore.empty()) info.push_back("score " + ar.judgeScore);
    rows_.push_back({prefix + kIconAnalysisRun + " " + ar.name, "AnalysisRun",
                     colorize(ar.icon, color_) + " " + ar.status, age(ar.created),
                     joinTags(info, false, ",")});
    // The judge's verdict per metric (issue 18: explained verdicts), under the run.
    for (size_t i = 0; i < ar.judged.size(); ++i) {
      const JudgedMetricView& m = ar.judged[i];
      auto [p, s] = prefixes(i + 1 == ar.judged.size(), sub);
      const char* icon = m.classification == "Pass" ? kIconOK
                         : m.classification == "Nodata" || m.classification == "Error"
                             ? kIconWarning
                             : kIconBad;
      rows_.push_back({p + kIconJudgement + " " + m.name, "Judgement",
                       colorize(icon, color_) + " " + m.classification, "", m.detail});
    }
  }

  int64_t now_;
  bool color_;
  Rows rows_;
};

json replicaSetsJson(const std::vector<ReplicaSetView>& sets) {
  json rs = json::array();
  for (const auto& r : sets) {
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
  return rs;
}

json analysisRunsJson(const std::vector<AnalysisRunView>& runs) {
  json ars = json::array();
  for (const auto& a : runs) {
    ars.push_back({{"name", a.name},
                   {"revision", a.revision},
                   {"status", a.status},
                   {"successful", a.successful},
                   {"failed", a.failed},
                   {"inconclusive", a.inconclusive},
                   {"error", a.error}});
    if (!a.judgeScore.empty()) {
      json judged = json::array();
      for (const auto& m : a.judged) {
        judged.push_back(
            {{"name", m.name}, {"classification", m.classification}, {"detail", m.detail}});
      }
      ars.back()["judgeScore"] = a.judgeScore;
      ars.back()["judged"] = judged;
    }
  }
  return ars;
}

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
  out += imageLines(v.images, color);
  out += "Replicas:\n";
  out += headerLine("  Desired:", std::to_string(v.desired));
  out += headerLine("  Current:", std::to_string(v.current));
  out += headerLine("  Updated:", std::to_string(v.updated));
  out += headerLine("  Ready:", std::to_string(v.ready));
  out += headerLine("  Available:", std::to_string(v.available));
  out += "\n";
  out += alignColumns(TreePrinter(now_unix, color).rollout(v), 2);
  return out;
}

std::string renderExperiment(const ExperimentView& v, int64_t now_unix, bool color) {
  std::string out;
  out += headerLine("Name:", v.name);
  out += headerLine("Namespace:", v.namespace_);
  out += headerLine("Status:", colorize(v.icon, color) + " " + v.status);
  if (!v.message.empty()) out += headerLine("Message:", v.message);
  out += imageLines(experimentImages(v), color);
  out += "\n";
  out += alignColumns(TreePrinter(now_unix, color).experimentTree(v), 2);
  return out;
}

json rolloutViewJson(const RolloutView& v) {
  json exps = json::array();
  for (const auto& e : v.experiments) {
    exps.push_back({{"name", e.name},
                    {"revision", e.revision},
                    {"status", e.status},
                    {"message", e.message},
                    {"replicaSets", replicaSetsJson(e.replicaSets)},
                    {"analysisRuns", analysisRunsJson(e.analysisRuns)}});
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
          {"replicaSets", replicaSetsJson(v.replicaSets)},
          {"analysisRuns", analysisRunsJson(v.analysisRuns)},
          {"experiments", exps}};
}

}  // namespace vane::cli
