// `list rollouts` and `list experiments` tables (Argo's cmd/list/rollloutinfo.go,
// list_experiments.go): each value padded to Argo's minimum width, then aligned like tabwriter.
#include "cli/rollout_view.h"
#include "cli/table.h"
#include "kube/types.h"

namespace vane::cli {
namespace {

using nlohmann::json;
using Rows = std::vector<std::vector<std::string>>;

// fmt's %-Ns: left-justified, padded with spaces to N characters.
std::string pad(std::string s, size_t width) {
  size_t w = displayWidth(s);
  if (w < width) s.append(width - w, ' ');
  return s;
}

}  // namespace

std::vector<std::string> rolloutListRow(const json& ro, bool all_namespaces) {
  RolloutView v = buildRolloutView(ro, {}, {}, {});
  std::string strategy = v.strategy.empty() ? "unknown" : v.strategy;
  std::string step = v.step.empty() ? "-" : v.step;
  std::string weight = v.strategy == "Canary" ? v.setWeight : "-";
  std::vector<std::string> row = {pad(v.name, 10),
                                  pad(strategy, 9),
                                  pad(v.status, 12),
                                  pad(step, 4),
                                  pad(weight, 10),
                                  pad(std::to_string(v.ready) + "/" + std::to_string(v.current), 5),
                                  pad(std::to_string(v.desired), 7),
                                  pad(std::to_string(v.updated), 10),
                                  pad(std::to_string(v.available), 9)};
  if (all_namespaces) row.insert(row.begin(), pad(v.namespace_, 9));
  return row;
}

std::string renderRolloutList(const std::vector<json>& rollouts, bool all_namespaces) {
  Rows rows;
  std::vector<std::string> header = {"NAME",  "STRATEGY", "STATUS",     "STEP",     "SET-WEIGHT",
                                     "READY", "DESIRED",  "UP-TO-DATE", "AVAILABLE"};
  if (all_namespaces) header.insert(header.begin(), "NAMESPACE");
  rows.push_back(header);
  for (const json& ro : rollouts) rows.push_back(rolloutListRow(ro, all_namespaces));
  return alignColumns(rows, 2);
}

std::string renderExperimentList(const std::vector<json>& experiments, bool all_namespaces,
                                 int64_t now_unix) {
  Rows rows;
  std::vector<std::string> header = {"NAME", "STATUS", "DURATION", "REMAINING", "AGE"};
  if (all_namespaces) header.insert(header.begin(), "NAMESPACE");
  rows.push_back(header);
  for (const json& exp : experiments) {
    ExperimentView v = buildExperimentView(exp, {}, {}, {}, now_unix);
    std::string age = v.created ? humanDuration(now_unix - v.created) : "";
    std::vector<std::string> row = {pad(v.name, 10), pad(v.status, 6), pad(v.duration, 8),
                                    pad(v.remaining, 9), pad(age, 3)};
    if (all_namespaces) row.insert(row.begin(), pad(v.namespace_, 9));
    rows.push_back(row);
  }
  return alignColumns(rows, 2);
}

}  // namespace vane::cli
