#include "cli/options.h"

#include <algorithm>

namespace vane::cli {
namespace {

const std::vector<FlagSpec> kGlobalFlags = {
    {"namespace", 'n', false, "Namespace of the Rollout (default: the kubeconfig context's)"},
    {"context", 0, false, "Kubeconfig context to use"},
    {"kubeconfig", 0, false, "Path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config)"},
    {"help", 'h', true, "Help for the command"},
};

const FlagSpec kSelector{"selector", 'l', false,
                         "Act on every Rollout matching this label selector"};
const FlagSpec kAll{"all", 0, true, "Act on every Rollout in the namespace"};
constexpr size_t kMaxNames = 1000;  // commands taking several names (terminate)

// Second words accepted for `get`, `list`, `retry` and `terminate` (Argo's aliases: the singular,
// the plural and `ro` / `exp` / `ar`).
std::string canonicalWord(const std::string& first, const std::string& word) {
  if ((first == "get" || first == "list" || first == "retry") &&
      (word == "rollout" || word == "rollouts" || word == "ro")) {
    return first == "list" ? "rollouts" : "rollout";
  }
  if ((first == "get" || first == "list" || first == "retry" || first == "terminate") &&
      (word == "experiment" || word == "experiments" || word == "exp")) {
    return first == "list" ? "experiments" : "experiment";
  }
  if (first == "terminate" && (word == "analysisrun" || word == "analysisruns" || word == "ar")) {
    return "analysisrun";
  }
  return word;
}

Status badFlag(const std::string& flag, const CommandSpec* cmd) {
  return Status(
      Code::kBadRequest,
      "unknown flag: " + flag + (cmd ? " (see 'kubectl vane " + cmd->path + " --help')" : ""));
}

}  // namespace

bool Invocation::flag(const std::string& name) const {
  auto it = flags.find(name);
  return it != flags.end() && it->second == "true";
}

std::string Invocation::value(const std::string& name) const {
  auto it = flags.find(name);
  if (it != flags.end()) return it->second;
  if (command) {
    for (const FlagSpec& f : command->flags) {
      if (f.name == name) return f.default_value;
    }
  }
  return "";
}

const std::vector<CommandSpec>& commandTable() {
  static const std::vector<CommandSpec> kTable = {
      {"promote",
       "NAME",
       "Promote a paused Rollout to its next step (--full: to the end)",
       "kubectl vane promote guestbook\n  kubectl vane promote guestbook --full\n"
       "  kubectl vane promote -l app=guestbook",
       0,
       1,
       {{"full", 0, true, "Skip all remaining steps, pauses and analysis"}, kSelector, kAll}},
      {"abort",
       "NAME",
       "Abort an update: traffic and replicas go back to the stable version",
       "kubectl vane abort guestbook\n  kubectl vane abort --all",
       0,
       1,
       {kSelector, kAll}},
      {"retry rollout",
       "NAME",
       "Retry an aborted Rollout",
       "kubectl vane retry rollout guestbook",
       1,
       1,
       {}},
      {"retry experiment",
       "NAME...",
       "Retry Experiments (clears status so the controller starts them over)",
       "kubectl vane retry experiment my-experiment",
       1,
       kMaxNames,
       {}},
      {"pause",
       "NAME",
       "Pause a Rollout (spec.paused=true)",
       "kubectl vane pause guestbook",
       1,
       1,
       {}},
      {"restart",
       "NAME",
       "Restart the pods of a Rollout (spec.restartAt)",
       "kubectl vane restart guestbook --in 30s",
       1,
       1,
       {{"in", 'i', FlagKind::kDuration, "Delay before the restart (e.g. 30s, 5m, 1h)", "0s"}}},
      {"undo",
       "NAME",
       "Roll back to the previous (or a given) revision's pod template",
       "kubectl vane undo guestbook --to-revision=3",
       1,
       1,
       {{"to-revision", 0, FlagKind::kInt, "Revision to roll back to (0: the previous one)", "0"}}},
      {"set image",
       "NAME CONTAINER=IMAGE",
       "Update a container image (*=IMAGE for all)",
       "kubectl vane set image guestbook app=nginx:1.27",
       2,
       2,
       {}},
      {"get rollout",
       "NAME",
       "Show a Rollout with its revisions, ReplicaSets, Pods and analysis",
       "kubectl vane get rollout guestbook --watch",
       1,
       1,
       {{"watch", 'w', true, "Redraw on every change until interrupted"},
        {"no-color", 0, true, "Do not colourise the output"},
        {"output", 'o', false, "Output format: text (default) or json", ""}}},
      {"get experiment",
       "NAME",
       "Show an Experiment with its ReplicaSets, Pods and AnalysisRuns",
       "kubectl vane get experiment my-experiment --watch",
       1,
       1,
       {{"watch", 'w', true, "Redraw on every change until interrupted"},
        {"no-color", 0, true, "Do not colourise the output"}}},
      {"list rollouts",
       "",
       "List Rollouts",
       "kubectl vane list rollouts -A\n  kubectl vane list rollouts --watch",
       0,
       0,
       {{"all-namespaces", 'A', true, "List Rollouts in every namespace"},
        {"watch", 'w', true, "After the table, print a Rollout's line again whenever it changes"},
        {"name", 0, false, "Only show the Rollout with this name"},
        {"timestamps", 0, true, "Print a timestamp column"}}},
      {"list experiments",
       "",
       "List Experiments",
       "kubectl vane list experiments -A",
       0,
       0,
       {{"all-namespaces", 'A', true, "List Experiments in every namespace"}}},
      {"status",
       "NAME",
       "Show the status of a Rollout; with --watch, wait until it is done",
       "kubectl vane status guestbook --timeout 5m",
       1,
       1,
       {{"watch", 'w', true, "Watch until Healthy or Degraded", "true"},
        {"timeout", 't', FlagKind::kDuration, "Give up after this long (0: wait forever)", "0s"}}},
      {"terminate analysisrun",
       "NAME...",
       "Terminate AnalysisRuns (spec.terminate=true)",
       "kubectl vane terminate analysisrun guestbook-877894d5b-4-success-rate.1",
       1,
       kMaxNames,
       {}},
      {"terminate experiment",
       "NAME...",
       "Terminate Experiments (spec.terminate=true)",
       "kubectl vane terminate experiment my-experiment",
       1,
       kMaxNames,
       {}},
      {"lint",
       "",
       "Validate Rollout manifests offline",
       "kubectl vane lint -f rollout.yaml",
       0,
       0,
       {{"filename", 'f', false, "File to validate"}}},
      {"plan",
       "",
       "Expand a Rollout's steps into a timeline: weights, replicas, pauses, analyses, the "
       "VirtualService diff at each step (offline)",
       "kubectl vane plan -f rollout-with-virtualservice.yaml",
       0,
       0,
       {{"filename", 'f', false, "File with the Rollout (and its VirtualService)"},
        {"virtualservice", 0, false, "File with the VirtualService"},
        FlagSpec("output", 'o', false, "Output format: text (default) or json")
            .oneOf({"text", "json"})}},
      {"dashboard",
       "",
       "Serve the web dashboard on loopback with this kubeconfig (handled in dashboard/)",
       "kubectl vane dashboard --port 3100",
       0,
       0,
       {{"port", 0, false, "Port to listen on", "3100"},
        {"address", 0, false, "Address to listen on", "127.0.0.1"}}},
      {"version",
       "",
       "Print the kubectl-vane version",
       "kubectl vane version",
       0,
       0,
       {{"short", 0, true, "Print only the version number"}}},
  };
  return kTable;
}

namespace {

using base::findFlag;
using base::RawFlag;

const FlagSpec* lookupAny(const std::vector<CommandSpec>& table, std::string_view lname,
                          char shorthand) {
  if (const FlagSpec* f = findFlag(kGlobalFlags, lname, shorthand)) return f;
  for (const CommandSpec& c : table) {
    if (const FlagSpec* f = findFlag(c.flags, lname, shorthand)) return f;
  }
  return nullptr;
}

// Pass 1: flags apart from words. Whether a flag takes the next word as its value is known from
// its name alone (no two commands disagree), so the command can be resolved afterwards.
Status splitFlags(const std::vector<std::string>& argv, const std::vector<CommandSpec>& table,
                  std::vector<RawFlag>& flags, std::vector<std::string>& plain) {
  return base::splitArgs(
      argv,
      [&](std::string_view name, char shorthand) { return lookupAny(table, name, shorthand); },
      flags, plain);
}

// Pass 2: the command from the leading words; returns how many words it used.
Result<size_t> resolveCommand(const std::vector<std::string>& plain,
                              const std::vector<CommandSpec>& table, Invocation& inv) {
  if (plain.empty()) return size_t{0};
  for (const CommandSpec& c : table) {
    bool two = c.path.find(' ') != std::string::npos;
    std::string path = plain[0];
    if (two && plain.size() >= 2) path += " " + canonicalWord(plain[0], plain[1]);
    if (c.path == path) {
      inv.command = &c;
      return size_t{two ? 2u : 1u};
    }
  }
  std::string typed = plain.size() > 1 ? plain[0] + " " + plain[1] : plain[0];
  return Status(Code::kBadRequest, "unknown command \"" + typed +
                                       "\" for \"kubectl vane\" (see 'kubectl vane --help')");
}

// Pass 3: every flag must belong to the command (or be global).
Status applyFlags(const std::vector<RawFlag>& raw, Invocation& inv) {
  const std::vector<FlagSpec> none;
  const std::vector<FlagSpec>& cmd_flags = inv.command ? inv.command->flags : none;
  for (const RawFlag& rf : raw) {
    bool long_form = rf.typed.rfind("--", 0) == 0;
    std::string lname = long_form ? rf.typed.substr(2) : "";
    char shorthand = long_form ? 0 : rf.typed[1];
    const FlagSpec* spec = findFlag(cmd_flags, lname, shorthand);
    if (!spec) spec = findFlag(kGlobalFlags, lname, shorthand);
    if (!spec) return badFlag(rf.typed, inv.command);
    if (Status st = base::checkFlagValue(*spec, rf.typed, rf.value); !st.isOk()) return st;
    if (spec->name == "namespace") {
      inv.namespace_ = rf.value;
    } else if (spec->name == "context") {
      inv.context = rf.value;
    } else if (spec->name == "kubeconfig") {
      inv.kubeconfig = rf.value;
    } else if (spec->name == "help") {
      inv.help = rf.value == "true";
    } else {
      inv.flags[spec->name] = rf.value;
    }
  }
  return Status::ok();
}

Status checkArity(const Invocation& inv) {
  const CommandSpec& c = *inv.command;
  bool bulk = inv.flag("all") || inv.has("selector");
  size_t min = bulk ? 0 : std::max<size_t>(c.min_args, c.args.empty() ? 0 : 1);
  size_t max = bulk ? 0 : c.max_args;
  if (bulk && !inv.args.empty()) {
    return Status(Code::kBadRequest, "a NAME cannot be combined with --all or -l/--selector");
  }
  if (inv.args.size() < min) {
    return Status(Code::kBadRequest, "'kubectl vane " + c.path + "' requires " + c.args +
                                         " (see 'kubectl vane " + c.path + " --help')");
  }
  if (inv.args.size() > max) {
    return Status(Code::kBadRequest, "unexpected argument \"" + inv.args[max] +
                                         "\" for 'kubectl vane " + c.path + "'");
  }
  return Status::ok();
}

}  // namespace

Result<Invocation> parseArgs(const std::vector<std::string>& argv,
                             const std::vector<CommandSpec>& table) {
  Invocation inv;
  std::vector<RawFlag> raw;
  std::vector<std::string> plain;
  if (Status st = splitFlags(argv, table, raw, plain); !st.isOk()) return st;
  auto consumed = resolveCommand(plain, table, inv);
  if (!consumed.ok()) return consumed.status();
  inv.args.assign(plain.begin() + consumed.value(), plain.end());
  if (Status st = applyFlags(raw, inv); !st.isOk()) return st;
  if (inv.command && !inv.help) {
    if (Status st = checkArity(inv); !st.isOk()) return st;
  }
  return inv;
}

std::string commandHelp(const CommandSpec& c) {
  std::string out = c.summary + "\n\nUsage:\n  kubectl vane " + c.path;
  if (!c.args.empty()) out += " " + c.args;
  out += " [flags]\n\nExamples:\n  " + c.example + "\n\nFlags:\n";
  out += base::flagHelp(c.flags);
  out += "\nGlobal flags:\n";
  out += base::flagHelp(kGlobalFlags);
  return out;
}

std::string rootHelp(const std::vector<CommandSpec>& table) {
  std::string out =
      "kubectl vane: manage Argo Rollouts (argoproj.io/v1alpha1) with the Vane controller or "
      "Argo's.\n\nUsage:\n  kubectl vane COMMAND [NAME] [flags]\n\nCommands:\n";
  for (const CommandSpec& c : table) {
    std::string name = c.path;
    name.resize(std::max<size_t>(name.size() + 2, 16), ' ');
    out += "  " + name + c.summary + "\n";
  }
  // judge and plan parse their own flags (cli/judge.cc, cli/plan_command.cc): listed here too.
  out +=
      "  judge           Judge a canary metric against its baseline (Kayenta's "
      "NetflixACAJudge-v1.0, offline or from Prometheus)\n";
  out += "\nUse \"kubectl vane COMMAND --help\" for more about a command.\n";
  return out;
}

}  // namespace vane::cli
