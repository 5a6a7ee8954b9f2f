#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace vane::testing {

namespace {

using Clock = std::chrono::steady_clock;

std::string binDir() {
  if (const char* env = std::getenv("VANE_BIN_DIR"); env && *env) return env;
#ifdef VANE_BIN_DIR
  return VANE_BIN_DIR;
#else
  return ".";
#endif
}

std::string kubectlBinary() {
  for (const char* candidate : {"/usr/lib/google-cloud-sdk/bin/kubectl.1.32",
                                "/usr/local/bin/kubectl.1.32", "/usr/bin/kubectl.1.32"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return "kubectl.1.32";
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Waits for pid without blocking longer than the deadline; returns true once reaped.
bool reapWithin(int pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

CommandResult run(const std::string& command, std::chrono::milliseconds timeout) {
  CommandResult result;
  int fds[2];
  if (::pipe(fds) != 0) return result;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return result;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execl("/bin/bash", "bash", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  ::close(fds[1]);
  auto deadline = Clock::now() + timeout;
  bool timed_out = false;
  char buf[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 200)));
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    reapWithin(pid, std::chrono::seconds(5));
    result.exit_code = -1;
    return result;
  }
  int status = 0;
  // The output pipe closed; the shell may still be finishing.
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
  }
  ::close(fd);
  return port;
}

std::string makeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return {};
  return std::string(buf.data());
}

Process::Process(std::vector<std::string> argv, std::string log_file,
                 std::map<std::string, std::string> env)
    : log_file_(std::move(log_file)) {
  if (argv.empty()) return;
  pid_t pid = ::fork();
  if (pid < 0) return;
  if (pid == 0) {
    ::setpgid(0, 0);
    int fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  pid_ = pid;
}

Process::~Process() { terminate(std::chrono::seconds(5)); }

bool Process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    pid_ = -1;
    return false;
  }
  return true;
}

void Process::kill9() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  reapWithin(pid_, std::chrono::seconds(10));
  pid_ = -1;
}

void Process::terminate(std::chrono::milliseconds grace) {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  if (reapWithin(pid_, grace)) {
    ::kill(-pid_, SIGKILL);  // leftovers in the group, if any
    pid_ = -1;
    return;
  }
  kill9();
}

std::string Process::log() const { return readFile(log_file_); }

bool waitFor(const std::function<bool()>& fn, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (fn()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::unique_ptr<ApiServer> ApiServer::start(Options options) {
  std::unique_ptr<ApiServer> server(new ApiServer());
  server->options_ = std::move(options);
  server->data_dir_ =
      server->options_.data_dir.empty() ? makeTempDir("vane-apiserver") : server->options_.data_dir;
  server->kubeconfig_ = server->data_dir_ + "/kubeconfig";
  server->port_ = freePort();
  if (!server->launch()) return nullptr;
  return server;
}

bool ApiServer::launch() {
  std::filesystem::create_directories(data_dir_);
  std::filesystem::remove(kubeconfig_);
  std::vector<std::string> argv = {binDir() + "/vane-apiserver",
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port_),
                                   "--data-dir",
                                   data_dir_,
                                   "--kubeconfig-out",
                                   kubeconfig_};
  if (options_.simulate_workloads) {
    argv.push_back("--simulate-workloads");
    argv.push_back("--pod-ready-delay");
    argv.push_back("1s");
  }
  if (options_.tls) argv.push_back("--tls");
  if (!options_.token.empty()) {
    std::string token_file = data_dir_ + "/token";
    std::ofstream(token_file) << options_.token << "\n";
    argv.push_back("--token-file");
    argv.push_back(token_file);
  }
  for (const auto& a : options_.extra_args) argv.push_back(a);
  process_ = std::make_unique<Process>(argv, data_dir_ + "/apiserver.log");
  std::string probe = "curl -fsk --max-time 2 ";
  if (!options_.token.empty()) probe += "-H 'Authorization: Bearer " + options_.token + "' ";
  probe += url() + "/readyz";
  bool ready = waitFor(
      [&] {
        if (!process_->running()) return true;  // stop waiting; reported below
        if (!std::filesystem::exists(kubeconfig_)) return false;
        return run(probe, std::chrono::seconds(5)).exit_code == 0;
      },
      std::chrono::seconds(30));
  if (!ready || !process_->running()) {
    std::cerr << "vane-apiserver failed to start; log:\n" << process_->log() << std::endl;
    return false;
  }
  return true;
}

ApiServer::~ApiServer() {
  if (process_) process_->terminate(std::chrono::seconds(5));
}

std::string ApiServer::url() const {
  return std::string(options_.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::string ApiServer::kubeconfig() const { return kubeconfig_; }

std::string ApiServer::kubectl() const {
  return kubectlBinary() + " --kubeconfig " + kubeconfig_ + " --cache-dir " + data_dir_ +
         "/kubectl-cache ";
}

void ApiServer::kill9() {
  if (process_) process_->kill9();
}

bool ApiServer::restart() {
  if (process_) process_->terminate(std::chrono::seconds(5));
  return launch();
}

}  // namespace vane::testing
