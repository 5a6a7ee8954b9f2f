// A local SMTP sink for tests: accepts on 127.0.0.1 (port 0), answers the commands of a plain
// SMTP session and keeps each message (envelope and DATA) it receives.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vane::testing {

class SmtpSink {
 public:
  struct Message {
    std::string from, to, data;
  };

  SmtpSink() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 8);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~SmtpSink() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<Message> messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

 private:
  static bool readLine(int c, std::string& buf, std::string& line) {
    while (true) {
      auto nl = buf.find("\r\n");
      if (nl != std::string::npos) {
        line = buf.substr(0, nl);
        buf.erase(0, nl + 2);
        return true;
      }
      char tmp[1024];
      ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<std::size_t>(n));
    }
  }
  static void say(int c, const std::string& s) {
    std::string line = s + "\r\n";
    ::send(c, line.data(), line.size(), MSG_NOSIGNAL);
  }
  void session(int c) {
    std::string buf, line;
    Message m;
    say(c, "220 sink ESMTP");
    while (readLine(c, buf, line)) {
      if (line.rfind("EHLO", 0) == 0) {
        say(c, "250-sink");
        say(c, "250 8BITMIME");
      } else if (line.rfind("MAIL FROM:", 0) == 0) {
        m.from = line.substr(10);
        say(c, "250 ok");
      } else if (line.rfind("RCPT TO:", 0) == 0) {
        m.to = line.substr(8);
        say(c, "250 ok");
      } else if (line == "DATA") {
        say(c, "354 go ahead");
        while (readLine(c, buf, line) && line != ".") {
          m.data += (line.rfind("..", 0) == 0 ? line.substr(1) : line) + "\n";
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          messages_.push_back(m);
        }
        m = Message{};
        say(c, "250 queued");
      } else if (line == "QUIT") {
        say(c, "221 bye");
        break;
      } else {
        say(c, "502 unsupported");
      }
    }
    ::close(c);
  }
  void serve() {
    while (!stopping_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) break;
      session(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Message> messages_;
};

}  // namespace vane::testing
