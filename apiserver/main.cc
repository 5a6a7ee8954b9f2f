// vane-apiserver: an embedded Kubernetes-compatible API server for local mode.
//   vane-apiserver --listen 127.0.0.1:PORT --data-dir DIR --kubeconfig-out FILE
//                  [--simulate-workloads] [--pod-ready-delay 1s] [--token-file F] [--tls]
//                  [--no-fsync]
#include <signal.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "apiserver/server.h"

namespace {

int usage(const std::string& why) {
  std::cerr << "vane-apiserver: " << why
            << "\nusage: vane-apiserver --listen 127.0.0.1:PORT --data-dir DIR --kubeconfig-out "
               "FILE [--simulate-workloads] [--pod-ready-delay 1s] [--token-file F] [--tls] "
               "[--no-fsync]\n";
  return 2;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using vane::apiserver::ApiServerOptions;
  ApiServerOptions options;
  options.listen = "127.0.0.1:6443";
  std::string kubeconfig_out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
    if (a == "--listen") {
      options.listen = next();
    } else if (a == "--data-dir") {
      options.data_dir = next();
    } else if (a == "--kubeconfig-out") {
      kubeconfig_out = next();
    } else if (a == "--simulate-workloads") {
      options.simulate_workloads = true;
    } else if (a == "--pod-ready-delay") {
      auto d = vane::apiserver::parseDuration(next());
      if (!d.ok()) return usage(d.status().message());
      options.pod_ready_delay = *d;
    } else if (a == "--token-file") {
      std::ifstream in(next());
      if (!in) return usage("cannot read the token file");
      std::stringstream ss;
      ss << in.rdbuf();
      options.token = trim(ss.str());
      if (options.token.empty()) return usage("the token file is empty");
    } else if (a == "--tls") {
      options.tls = true;
    } else if (a == "--no-fsync") {
      options.fsync = false;
    } else {
      return usage("unknown argument " + a);
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by every thread started below
  signal(SIGPIPE, SIG_IGN);
  auto server = vane::apiserver::ApiServer::start(options);
  if (!server.ok()) {
    std::cerr << "vane-apiserver: " << server.status().toString() << std::endl;
    return 1;
  }
  if (!kubeconfig_out.empty()) {
    // Written only now that the listener is bound and serving; atomically (tmp + rename).
    std::string tmp = kubeconfig_out + ".tmp";
    {
      std::ofstream out(tmp);
      out << (*server)->kubeconfig();
    }
    std::filesystem::rename(tmp, kubeconfig_out);
  }
  std::cerr << "vane-apiserver listening on " << (*server)->url() << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  std::cerr << "vane-apiserver: signal " << sig << ", stopping" << std::endl;
  (*server)->stop();
  return 0;
}
