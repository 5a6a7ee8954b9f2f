// Exec credential plugins (client.authentication.k8s.io ExecCredential): run the configured
// command with its env and KUBERNETES_EXEC_INFO, read the token (and its expiry) from stdout.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "kube/kubeconfig.h"
#include "kube/types.h"

namespace vane::kube {
namespace {

using json = nlohmann::json;

struct ExecOutput {
  int exit_code = -1;
  std::string out, err;
};

// Reads stdout and stderr of the child until both close or the deadline passes.
void drain(int out_fd, int err_fd, ExecOutput& result, std::chrono::steady_clock::time_point end) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open = 2;
  char buf[4096];
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) return;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

Result<ExecOutput> runCommand(const std::vector<std::string>& argv,
                              const std::vector<std::pair<std::string, std::string>>& env) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Status(Code::kInternal, "pipe failed");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return Status(Code::kInternal, "pipe failed");
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ExecOutput result;
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return Status(Code::kInternal, "fork failed");
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  drain(out_pipe[0], err_pipe[0], result, deadline);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int wstatus = 0;
  pid_t waited = 0;
  // The pipes close slightly before the child is reapable.
  while ((waited = ::waitpid(pid, &wstatus, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    ::usleep(2000);
  }
  if (waited == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &wstatus, 0);
    return Status(Code::kTimeout, "exec plugin " + argv[0] + " timed out");
  }
  result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  return result;
}

}  // namespace

Result<ExecCredential> runExecCredential(const json& exec) {
  std::vector<std::string> argv;
  std::string command = exec.value("command", "");
  if (command.empty()) return Status(Code::kInvalid, "exec plugin has no command", "command");
  argv.push_back(command);
  if (auto it = exec.find("args"); it != exec.end() && it->is_array()) {
    for (const auto& a : *it) {
      if (a.is_string()) argv.push_back(a.get<std::string>());
    }
  }
  std::string api_version = exec.value("apiVersion", "client.authentication.k8s.io/v1");
  std::vector<std::pair<std::string, std::string>> env;
  if (auto it = exec.find("env"); it != exec.end() && it->is_array()) {
    for (const auto& e : *it) {
      if (e.is_object()) env.emplace_back(e.value("name", ""), e.value("value", ""));
    }
  }
  json info = {
      {"apiVersion", api_version}, {"kind", "ExecCredential"}, {"spec", {{"interactive", false}}}};
  env.emplace_back("KUBERNETES_EXEC_INFO", info.dump());
  auto run = runCommand(argv, env);
  if (!run) return run.status();
  if (run->exit_code != 0) {
    return Status(Code::kUnauthorized, "exec plugin " + command + " exited with " +
                                           std::to_string(run->exit_code) + ": " + run->err);
  }
  json cred = json::parse(run->out, nullptr, /*allow_exceptions=*/false);
  if (!cred.is_object()) {
    return Status(Code::kUnauthorized,
                  "exec plugin " + command + " printed no ExecCredential JSON");
  }
  auto status = cred.find("status");
  if (status == cred.end() || !status->is_object() || !status->contains("token") ||
      !(*status)["token"].is_string()) {
    return Status(Code::kUnauthorized, "exec plugin " + command + ": status.token missing",
                  "status.token");
  }
  ExecCredential out;
  out.token = (*status)["token"].get<std::string>();
  if (auto exp = status->find("expirationTimestamp"); exp != status->end() && !exp->is_null()) {
    auto t = exp->is_string() ? parseTime(exp->get<std::string>()) : std::nullopt;
    if (!t) {
      return Status(Code::kUnauthorized,
                    "exec plugin " + command + ": expirationTimestamp is not an RFC 3339 time",
                    "status.expirationTimestamp");
    }
    out.expiry = *t;
  }
  return out;
}

Result<std::string> runExecPlugin(const json& exec) {
  auto cred = runExecCredential(exec);
  if (!cred) return cred.status();
  return std::move(cred->token);
}

}  // namespace vane::kube
