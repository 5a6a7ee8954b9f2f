// `kubectl vane plan`: argument parsing, reading the (multi-document) files, and the text / JSON
// renderings of the plan built in plan.cc.
#include <fstream>
#include <ostream>
#include <sstream>
#include <utility>

#include "cli/options.h"
#include "cli/plan.h"
#include "cli/table.h"
#include "cli/yaml_docs.h"

namespace vane::cli {

using nlohmann::json;

namespace {

struct PlanArgs {
  std::string file, virtualServiceFile, output = "text";
};

// The flags of `plan` are those of its entry in the command table (cli/options.cc).
Result<PlanArgs> planArgs(const Invocation& inv) {
  PlanArgs out;
  out.file = inv.value("filename");
  out.virtualServiceFile = inv.value("virtualservice");
  if (inv.has("output")) out.output = inv.value("output");
  if (out.file.empty()) return Status(Code::kBadRequest, "-f FILE is required");
  return out;
}

struct Loaded {
  std::vector<PlanObject> rollouts, istio;
};

// Reads every document of `file`; kinds other than Rollout, VirtualService, DestinationRule and
// the Gateway API routes (Services, ...) are skipped.
Status loadFile(const std::string& file, bool rollouts_allowed, Loaded& out) {
  std::ifstream in(file);
  if (!in) return Status(Code::kNotFound, file + ": cannot read file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  for (const YamlDocument& doc : splitYamlDocuments(buffer.str())) {
    const std::string origin = file + " doc " + std::to_string(doc.index + 1);
    auto obj = yamlToJson(doc.text);
    if (!obj.ok()) {
      return Status(Code::kBadRequest, origin + " (line " + std::to_string(doc.first_line) +
                                           "): " + obj.status().toString());
    }
    if (!obj->is_object()) continue;
    const json kind = obj->value("kind", json());
    if (!kind.is_string()) continue;
    if (kind == "Rollout" && rollouts_allowed) out.rollouts.push_back({*obj, origin});
    if (kind == "VirtualService" || kind == "DestinationRule" || kind == "HTTPRoute" ||
        kind == "GRPCRoute" || kind == "TCPRoute" || kind == "TLSRoute") {
      out.istio.push_back({*obj, origin});
    }
  }
  return Status::ok();
}

std::string elapsedText(const PlanStep& s) {
  return formatSeconds(s.cumulativeSeconds) + (s.untimedWaits > 0 ? " + waits" : "");
}

}  // namespace

std::string renderPlanText(const Plan& plan) {
  std::ostringstream out;
  out << "Rollout " << plan.namespace_ << "/" << plan.name << ": " << plan.replicas
      << " replicas, ";
  if (plan.trafficRouting) {
    out << "traffic routing (stable stays at " << plan.replicas << ", canary = ceil("
        << plan.replicas << " x weight / 100) unless setCanaryScale)\n";
  } else {
    out << "no traffic routing (weight approximated by replica counts; the total may reach "
           "replicas + 1 within maxSurge)\n";
  }
  std::vector<std::vector<std::string>> rows{
      {"STEP", "ACTION", "WEIGHT", "CANARY", "STABLE", "ELAPSED", "WAIT"}};
  for (const PlanStep& s : plan.steps) {
    rows.push_back({s.index >= 0 ? std::to_string(s.index) : "-", s.step, std::to_string(s.weight),
                    std::to_string(s.canary), std::to_string(s.stable), elapsedText(s), s.wait});
  }
  std::istringstream table(alignColumns(rows));
  std::string line;
  std::getline(table, line);
  out << line << "\n";
  for (const PlanStep& s : plan.steps) {
    std::getline(table, line);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
    for (const PlanVsChange& c : s.changes) {
      out << "      " << c.kind << " " << c.virtualService << ":\n";
      for (const std::string& l : c.lines) out << "        " << l << "\n";
    }
  }
  out << "ELAPSED sums timed pauses only; scaling, analyses and indefinite pauses add to it. "
         "A first deploy (no stable revision) skips all steps.\n";
  for (const std::string& n : plan.notes) out << "Note: " << n << "\n";
  return out.str();
}

json planToJson(const Plan& plan) {
  json steps = json::array();
  for (const PlanStep& s : plan.steps) {
    json changes = json::array();
    for (const PlanVsChange& c : s.changes) {
      changes.push_back(
          {{"virtualService", c.virtualService}, {"kind", c.kind}, {"changes", c.lines}});
    }
    steps.push_back({{"index", s.index >= 0 ? json(s.index) : json()},
                     {"step", s.step},
                     {"weight", s.weight},
                     {"replicas", {{"canary", s.canary}, {"stable", s.stable}}},
                     {"cumulativeSeconds", s.cumulativeSeconds},
                     {"untimedWaits", s.untimedWaits},
                     {"wait", s.wait},
                     {"virtualServiceChanges", changes}});
  }
  return {{"rollout", plan.name},
          {"namespace", plan.namespace_},
          {"replicas", plan.replicas},
          {"trafficRouting", plan.trafficRouting},
          {"steps", steps},
          {"notes", plan.notes}};
}

int runPlan(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> argv = {"plan"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto inv = parseArgs(argv);
  if (inv.ok() && inv->help) {
    out << commandHelp(*inv->command);
    return 0;
  }
  auto parsed = inv.ok() ? planArgs(*inv) : Result<PlanArgs>(inv.status());
  if (!parsed.ok()) {
    err << "error: " << parsed.status().message() << "\n(see 'kubectl vane plan --help')\n";
    return 1;
  }
  Loaded loaded;
  Status s = loadFile(parsed->file, true, loaded);
  if (s && !parsed->virtualServiceFile.empty()) {
    s = loadFile(parsed->virtualServiceFile, false, loaded);
  }
  if (!s) {
    err << "error: " << s.message() << "\n";
    return 1;
  }
  if (loaded.rollouts.empty()) {
    err << "error: " << parsed->file << ": no Rollout found\n";
    return 1;
  }
  std::vector<Plan> plans;
  for (const PlanObject& r : loaded.rollouts) {
    auto plan = buildPlan(r.object, loaded.istio);
    if (!plan.ok()) {
      const json meta = r.object.value("metadata", json());
      const json name_value = meta.is_object() ? meta.value("name", json()) : json();
      std::string name = name_value.is_string() ? name_value.get<std::string>() : "";
      err << "error: " << r.origin << " (Rollout " << name << "): " << plan.status().toString()
          << "\n";
      return 1;
    }
    plans.push_back(std::move(plan).value());
  }
  if (parsed->output == "json") {
    json items = json::array();
    for (const Plan& p : plans) items.push_back(planToJson(p));
    out << (items.size() == 1 ? items[0] : json{{"kind", "List"}, {"items", items}}).dump(2)
        << "\n";
    return 0;
  }
  for (std::size_t i = 0; i < plans.size(); ++i) out << (i ? "\n" : "") << renderPlanText(plans[i]);
  return 0;
}

}  // namespace vane::cli
