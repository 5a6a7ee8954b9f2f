// What the process-level benches share: a free loopback port, a child process in its own process
// group (stopped on destruction), a process's memory from /proc, the kubectl matching
// vane-apiserver's reported version, and the checkout's root (for crds/).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace vane::bench {

inline uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// A child in its own process group, stdout and stderr to log; SIGTERM (then SIGKILL after 5 s)
/// to the group on destruction.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      std::_Exit(127);
    }
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 50 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  int pid() const { return pid_; }
  bool exited() const { return ::waitpid(pid_, nullptr, WNOHANG) != 0; }

 private:
  int pid_ = -1;
};

/// A /proc/<pid>/status field given in kB (VmRSS, VmHWM) in MiB; -1 when unreadable.
inline double procMiB(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream ss(line.substr(field.size() + 1));
      double kib = 0;
      ss >> kib;
      return kib / 1024.0;
    }
  }
  return -1;
}

/// kubectl 1.32 (vane-apiserver reports v1.32.x), straight rather than through the dispatcher.
inline std::string kubectl() {
  for (const char* c : {"/usr/lib/google-cloud-sdk/bin/kubectl.1.32", "/usr/local/bin/kubectl.1.32",
                        "/usr/bin/kubectl.1.32"}) {
    if (::access(c, X_OK) == 0) return c;
  }
  return "kubectl";
}

/// The checkout holding crds/: $VANE_SOURCE_DIR, else the nearest parent of this program's
/// directory that has crds/rollout-crd.yaml, else ".".
inline std::string sourceDir() {
  namespace fs = std::filesystem;
  if (const char* s = std::getenv("VANE_SOURCE_DIR")) return s;
  for (fs::path p = fs::read_symlink("/proc/self/exe").parent_path(); !p.empty();
       p = p.parent_path()) {
    if (fs::exists(p / "crds" / "rollout-crd.yaml")) return p.string();
    if (p == p.root_path()) break;
  }
  return ".";
}

}  // namespace vane::bench
