// `kubectl vane dashboard`: flags, the kubeconfig client, the URL to open, and serving until
// interrupted.
#include <csignal>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "base/flags.h"
#include "dashboard/dashboard.h"

namespace vane::dashboard {
namespace {

bool isLoopback(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

}  // namespace

int runDashboardCommand(const std::vector<std::string>& args, std::ostream& out,
                        std::ostream& err) {
  base::FlagSet flags(
      "kubectl vane dashboard [flags]",
      "Serve the Vane dashboard: a web UI of the Rollouts the kubeconfig's user can see, with live "
      "updates and the promote, abort, retry, pause, restart, undo and set image actions.",
      {base::FlagSpec("port", 0, base::FlagKind::kInt, "Port to listen on (0: a free port)",
                      "3100"),
       base::FlagSpec("address", 0, base::FlagKind::kString,
                      "Address to listen on; keep it loopback", "127.0.0.1"),
       base::FlagSpec("namespace", 'n', base::FlagKind::kString,
                      "Watch only this namespace (default: every namespace)"),
       base::FlagSpec("kubeconfig", 0, base::FlagKind::kString, "Path to the kubeconfig file"),
       base::FlagSpec("context", 0, base::FlagKind::kString, "Kubeconfig context to use"),
       base::FlagSpec("in-cluster", 0, base::FlagKind::kBool,
                      "Run in a cluster with the pod's service account: no session token; every "
                      "request needs the user's bearer token, and RBAC decides through "
                      "TokenReview and SubjectAccessReview (deploy/dashboard)")});
  if (Status st = flags.parse(args); !st.isOk()) {
    err << "error: " << st.message() << " (see 'kubectl vane dashboard --help')\n";
    return 1;
  }
  if (flags.help()) {
    out << flags.usage();
    return 0;
  }
  if (!flags.args().empty()) {
    err << "error: dashboard takes no arguments, got \"" << flags.args()[0] << "\"\n";
    return 1;
  }
  int64_t port = flags.integer("port");
  if (port < 0 || port > 65535) {
    err << "error: --port " << port << ": want 0-65535\n";
    return 1;
  }
  DashboardOptions opts;
  opts.port = static_cast<uint16_t>(port);
  opts.address = flags.str("address");
  opts.namespace_ = flags.str("namespace");
  std::string kubeconfig = flags.str("kubeconfig"), context = flags.str("context");
  opts.in_cluster = flags.boolean("in-cluster");
  if (!isLoopback(opts.address) && !opts.in_cluster) {
    err << "warning: --address " << opts.address
        << " is not loopback: anyone who can reach it and learns the URL acts with your "
           "credentials\n";
  }
  auto config =
      opts.in_cluster ? kube::inClusterConfig() : kube::loadKubeconfig(kubeconfig, context);
  if (!config.ok()) {
    err << "error: loading kubeconfig: " << config.status().toString() << "\n";
    return 1;
  }
  config->user_agent = "kubectl-vane-dashboard";
  auto client = kube::Client::create(config.value());
  if (!client.ok()) {
    err << "error: " << client.status().toString() << "\n";
    return 1;
  }
  // Block the signals before any thread starts, so that sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto dash = Dashboard::start(*client.value(), opts);
  if (!dash.ok()) {
    err << "error: starting the dashboard: " << dash.status().toString() << "\n";
    return 1;
  }
  out << "Vane dashboard: " << dash.value()->url() << "\n"
      << (opts.in_cluster ? "(every request needs a bearer token; Ctrl-C to stop)"
                          : "(the URL carries this session's token; press Ctrl-C to stop)")
      << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  dash.value()->stop();
  return 0;
}

}  // namespace vane::dashboard
