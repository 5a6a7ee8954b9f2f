// kubectl-vane: the kubectl plugin (`kubectl vane ...`). Parses the command line, loads the
// kubeconfig and hands over to cli/commands.h.
#include <unistd.h>

#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/judge.h"
#include "cli/options.h"
#include "cli/plan.h"
#include "dashboard/dashboard.h"

int main(int argc, char** argv) {
  using namespace vane;
  std::vector<std::string> args(argv + 1, argv + argc);
  // plan works offline: no kubeconfig needed.
  if (!args.empty() && args[0] == "plan") {
    return cli::runPlan({args.begin() + 1, args.end()}, std::cout, std::cerr);
  }
  if (!args.empty() && args[0] == "judge") {  // offline too
    return cli::runJudge({args.begin() + 1, args.end()}, std::cout, std::cerr);
  }
  if (!args.empty() && args[0] == "dashboard") {  // serves until interrupted (dashboard/)
    return dashboard::runDashboardCommand({args.begin() + 1, args.end()}, std::cout, std::cerr);
  }
  auto inv = cli::parseArgs(args);
  if (!inv.ok()) {
    std::cerr << "error: " << inv.status().message() << "\n";
    return 1;
  }
  if (!inv->command) {
    std::cout << cli::rootHelp();
    return inv->help || args.empty() ? 0 : 1;
  }
  if (inv->help) {
    std::cout << cli::commandHelp(*inv->command);
    return 0;
  }
  if (Status st = cli::checkArgs(*inv); !st.isOk()) {
    std::cerr << "error: " << st.message() << "\n";
    return 1;
  }
  cli::CommandContext ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.now = [] { return static_cast<int64_t>(std::time(nullptr)); };
  ctx.tty = isatty(STDOUT_FILENO) != 0;
  const std::string& path = inv->command->path;
  if (path == "lint" || path == "version") return cli::runCommand(*inv, ctx);

  auto config = kube::loadKubeconfig(inv->kubeconfig, inv->context);
  if (!config.ok()) {
    std::cerr << "error: loading kubeconfig: " << config.status().toString() << "\n";
    return 1;
  }
  config->user_agent = std::string("kubectl-vane/") + cli::kVersion;
  auto client = kube::Client::create(config.value());
  if (!client.ok()) {
    std::cerr << "error: " << client.status().toString() << "\n";
    return 1;
  }
  ctx.client = client.value().get();
  ctx.namespace_ = !inv->namespace_.empty()      ? inv->namespace_
                   : !config->namespace_.empty() ? config->namespace_
                                                 : "default";
  return cli::runCommand(*inv, ctx);
}
