// vane-apiserver: an embedded Kubernetes-compatible API server for local mode.
#include <signal.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "apiserver/server.h"
#include "base/flags.h"
#include "base/log.h"

namespace {

vane::base::FlagSet flagSet() {
  using vane::base::FlagKind;
  using vane::base::FlagSpec;
  return vane::base::FlagSet(
      "vane-apiserver [flags]",
      "An embedded Kubernetes-compatible API server for local mode: real kubectl, the controller\n"
      "and the tests talk to it. With --tls and no --token-file a token is generated and kept in\n"
      "the data directory, and the written kubeconfig carries it.",
      {
          FlagSpec("listen", 0, FlagKind::kString, "Address to serve on", "127.0.0.1:6443"),
          FlagSpec("data-dir", 0, FlagKind::kString,
                   "Directory for the write-ahead log and TLS files (empty: in memory)"),
          FlagSpec("kubeconfig-out", 0, FlagKind::kString,
                   "Write a kubeconfig for this server here once it serves"),
          FlagSpec("simulate-workloads", 0, FlagKind::kBool,
                   "Act as the ReplicaSet controller and kubelet (Pods for ReplicaSets)"),
          FlagSpec("pod-ready-delay", 0, FlagKind::kDuration,
                   "With --simulate-workloads: how long a Pod takes to become Ready", "1s"),
          FlagSpec("unpullable-images", 0, FlagKind::kString,
                   "With --simulate-workloads: comma-separated images whose Pods fail with "
                   "ErrImagePull (besides nonexistent-image*)"),
          FlagSpec("token-file", 0, FlagKind::kString,
                   "File with the bearer token every request must carry, or kube-apiserver's "
                   "static token CSV (token,user,uid,\"group1,group2\"; the first line's token "
                   "goes into --kubeconfig-out)"),
          FlagSpec("authorization-mode", 0, FlagKind::kString,
                   "AlwaysAllow, or RBAC: check every request against the stored Roles, "
                   "ClusterRoles and their bindings (system:masters may do anything)",
                   "AlwaysAllow")
              .oneOf({"AlwaysAllow", "RBAC"}),
          FlagSpec("tls", 0, FlagKind::kBool, "Serve HTTPS with a self-signed certificate"),
          FlagSpec("no-fsync", 0, FlagKind::kBool, "Do not fsync the write-ahead log"),
          FlagSpec("faults", 0, FlagKind::kString,
                   "YAML file of faults to inject (409, 429, 500, 503, 410, latency, watch "
                   "drops); off when unset"),
          FlagSpec("faults-seed", 0, FlagKind::kInt,
                   "Seed for --faults (overrides the file's seed:), to replay a run"),
          FlagSpec("log-format", 0, FlagKind::kString, "Log format", "text")
              .oneOf({"text", "json"}),
          FlagSpec("log-level", 0, FlagKind::kString, "Lowest level logged", "info")
              .oneOf({"debug", "info", "warn", "error"}),
      });
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
  return s;
}

int usageError(const std::string& why) {
  std::cerr << "vane-apiserver: " << why << "\nRun 'vane-apiserver --help' for the flags.\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace log = vane::log;
  vane::base::FlagSet flags = flagSet();
  if (vane::Status st = flags.parse(argc, argv); !st.isOk()) return usageError(st.message());
  if (flags.help()) {
    std::cout << flags.usage();
    return 0;
  }
  if (!flags.args().empty()) return usageError("unexpected argument " + flags.args()[0]);
  log::Options log_options;
  log_options.format = *log::parseFormat(flags.str("log-format"));
  log_options.level = *log::parseLevel(flags.str("log-level"));
  log::configure(log_options);

  vane::apiserver::ApiServerOptions options;
  options.listen = flags.str("listen");
  options.data_dir = flags.str("data-dir");
  options.simulate_workloads = flags.boolean("simulate-workloads");
  options.pod_ready_delay = flags.durationAs<std::chrono::milliseconds>("pod-ready-delay");
  for (std::string img; const char c : flags.str("unpullable-images") + ",") {
    if (c != ',') {
      img += c;
    } else {
      if (!trim(img).empty()) options.unpullable_images.push_back(trim(img));
      img.clear();
    }
  }
  options.tls = flags.boolean("tls");
  options.fsync = !flags.boolean("no-fsync");
  if (flags.has("token-file")) {
    std::ifstream in(flags.str("token-file"));
    if (!in) return usageError("--token-file: cannot read " + flags.str("token-file"));
    std::stringstream ss;
    ss << in.rdbuf();
    auto users = vane::apiserver::parseTokenFile(ss.str());
    if (!users.ok()) return usageError(users.status().message());
    options.users = users.value();
    std::string first = trim(ss.str());
    first = first.substr(0, first.find('\n'));
    options.token = trim(first.substr(0, first.find(',')));
  }
  options.rbac = flags.str("authorization-mode") == "RBAC";
  if (flags.has("faults")) {
    std::ifstream in(flags.str("faults"));
    if (!in) return usageError("--faults: cannot read " + flags.str("faults"));
    std::stringstream ss;
    ss << in.rdbuf();
    auto config = vane::apiserver::parseFaultConfig(ss.str());
    if (!config.ok())
      return usageError("--faults " + flags.str("faults") + ": " + config.status().message());
    options.faults = std::move(*config);
  }
  if (flags.has("faults-seed")) {
    if (flags.integer("faults-seed") < 0) return usageError("--faults-seed: must not be negative");
    options.faults_seed = static_cast<uint64_t>(flags.integer("faults-seed"));
  }
  const std::string kubeconfig_out = flags.str("kubeconfig-out");

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by every thread started below
  signal(SIGPIPE, SIG_IGN);
  auto server = vane::apiserver::ApiServer::start(options);
  if (!server.ok()) {
    log::error("starting the API server failed", {{"error", server.status().toString()}});
    return 1;
  }
  if (!kubeconfig_out.empty()) {
    // Written only now that the listener is bound and serving; atomically (tmp + rename).
    std::string tmp = kubeconfig_out + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      // It carries the token: owner only.
      std::filesystem::permissions(
          tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      out << (*server)->kubeconfig();
    }
    std::filesystem::rename(tmp, kubeconfig_out);
  }
  log::info("vane-apiserver listening", {{"url", (*server)->url()}});
  int sig = 0;
  sigwait(&set, &sig);
  log::info("vane-apiserver stopping", {{"signal", sig}});
  (*server)->stop();
  return 0;
}
