#include "notifications/smtp.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "analysis/http_auth.h"

namespace vane::notifications {
namespace {

class Conn {
 public:
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status open(const std::string& host, int port, std::chrono::milliseconds timeout) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0) {
      return Status(Code::kUnavailable, "smtp: resolve " + host + ": " + gai_strerror(rc));
    }
    for (addrinfo* a = res; a != nullptr && fd_ < 0; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
      if (fd < 0) continue;
      timeval tv{};
      tv.tv_sec = timeout.count() / 1000;
      tv.tv_usec = (timeout.count() % 1000) * 1000;
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        fd_ = fd;
      } else {
        ::close(fd);
      }
    }
    ::freeaddrinfo(res);
    if (fd_ < 0) {
      return Status(Code::kUnavailable, "smtp: connect " + host + ":" + std::to_string(port) +
                                            ": " + std::strerror(errno));
    }
    return Status::ok();
  }
  Status write(const std::string& data) {
    for (std::size_t off = 0; off < data.size();) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0)
        return Status(Code::kUnavailable, "smtp: write: " + std::string(std::strerror(errno)));
      off += static_cast<std::size_t>(n);
    }
    return Status::ok();
  }
  // One reply (multi-line "250-..." continued until "250 ..."); checks the expected code.
  Status expect(int code, const std::string& step) {
    std::string reply;
    while (true) {
      auto nl = buf_.find("\r\n");
      if (nl == std::string::npos) {
        char tmp[1024];
        ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) return Status(Code::kUnavailable, "smtp: " + step + ": connection closed");
        buf_.append(tmp, static_cast<std::size_t>(n));
        continue;
      }
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 2);
      reply += (reply.empty() ? "" : " | ") + line;
      if (line.size() < 4 || line[3] != '-') break;
    }
    int got = std::atoi(reply.substr(0, 3).c_str());
    if (got == code) return Status::ok();
    return Status(got >= 500 ? Code::kInvalid : Code::kUnavailable, "smtp: " + step + ": " + reply);
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

std::string date() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[64];
  std::strftime(b, sizeof b, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return b;
}

// Lines normalised to CRLF, a leading '.' doubled (RFC 5321 4.5.2).
std::string dotStuff(const std::string& body) {
  std::string out;
  bool bol = true;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (bol && c == '.') out += '.';
    if (c == '\n') {
      if (out.empty() || out.back() != '\r') out += '\r';
      out += '\n';
      bol = true;
      continue;
    }
    out += c;
    bol = false;
  }
  if (out.size() < 2 || out.substr(out.size() - 2) != "\r\n") out += "\r\n";
  return out;
}

// A header value on one line: a rendered subject must not start new header lines.
std::string oneLine(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

Status sendMail(const EmailMessage& m, std::chrono::milliseconds timeout) {
  Conn c;
  Status st = c.open(m.host, m.port, timeout);
  auto step = [&](const std::string& line, int code, const std::string& name) {
    if (st.isOk()) st = c.write(line + "\r\n");
    if (st.isOk()) st = c.expect(code, name);
  };
  if (st.isOk()) st = c.expect(220, "greeting");
  step("EHLO vane", 250, "EHLO");
  if (!m.username.empty()) {
    step("AUTH PLAIN " + analysis::base64Encode(std::string(1, '\0') + m.username +
                                                std::string(1, '\0') + m.password),
         235, "AUTH");
  }
  step("MAIL FROM:<" + oneLine(m.from) + ">", 250, "MAIL FROM");
  step("RCPT TO:<" + oneLine(m.to) + ">", 250, "RCPT TO");
  step("DATA", 354, "DATA");
  std::string msg =
      "From: " + oneLine(m.from) + "\r\nTo: " + oneLine(m.to) +
      "\r\nSubject: " + oneLine(m.subject) + "\r\nDate: " + date() +
      "\r\nMIME-Version: 1.0\r\nContent-Type: " + (m.html ? "text/html" : "text/plain") +
      "; charset=UTF-8\r\n\r\n" + dotStuff(m.body) + ".";
  step(msg, 250, "end of DATA");
  if (st.isOk()) c.write("QUIT\r\n");  // the reply does not matter: the message was accepted
  return st;
}

}  // namespace vane::notifications
