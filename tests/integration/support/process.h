// Test support: real processes (vane-apiserver, vane-controller, prometheus, alertmanager) started
// on free loopback ports and stopped by PID, and shell commands (kubectl) with captured output.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vane::testing {

struct CommandResult {
  int exit_code = -1;  // -1: could not run or timed out
  std::string output;  // stdout and stderr combined
};

/// Runs `bash -c command` with a deadline; the process group is killed on timeout.
CommandResult run(const std::string& command,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// A free TCP port on 127.0.0.1 (bound then released).
uint16_t freePort();

/// A fresh temporary directory, removed by the caller (or left for post-mortem on failure).
std::string makeTempDir(const std::string& prefix = "vane-test");

/// A child process with its own process group; SIGTERM then SIGKILL on destruction.
class Process {
 public:
  Process(std::vector<std::string> argv, std::string log_file,
          std::map<std::string, std::string> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  bool running();
  int pid() const { return pid_; }
  void kill9();  // SIGKILL and reap
  void terminate(std::chrono::milliseconds grace = std::chrono::seconds(5));
  const std::string& logFile() const { return log_file_; }
  std::string log() const;  // the log's contents

 private:
  int pid_ = -1;
  std::string log_file_;
};

/// Polls fn every 50 ms until it returns true or the timeout passes.
bool waitFor(const std::function<bool()>& fn, std::chrono::milliseconds timeout);

/// vane-apiserver started from VANE_BIN_DIR on a free port with a temporary data dir.
class ApiServer {
 public:
  struct Options {
    bool simulate_workloads = true;
    bool tls = false;
    std::string token;     // when set, written to a token file and required
    std::string data_dir;  // empty: a fresh temporary dir
    std::vector<std::string> extra_args;
  };
  /// Starts and waits until /readyz answers; nullptr (with the log printed) on failure.
  static std::unique_ptr<ApiServer> start(Options options);
  static std::unique_ptr<ApiServer> start() { return start(Options{}); }
  ~ApiServer();

  std::string url() const;         // http(s)://127.0.0.1:PORT
  std::string kubeconfig() const;  // written by --kubeconfig-out
  uint16_t port() const { return port_; }
  const std::string& dataDir() const { return data_dir_; }
  /// "kubectl.1.32 --kubeconfig K " prefix for shell commands.
  std::string kubectl() const;
  void kill9();
  /// Starts again on the same port and data dir; true when ready.
  bool restart();
  Process* process() { return process_.get(); }

 private:
  ApiServer() = default;
  bool launch();
  Options options_;
  uint16_t port_ = 0;
  std::string data_dir_, kubeconfig_;
  std::unique_ptr<Process> process_;
};

}  // namespace vane::testing
