// The request limits of every Vane HTTP server (kube/http_server.cc): body size (413), header
// size (431) and the time to receive a request (408), as kube-apiserver bounds them; streamed
// responses (watch, event streams) are exempt from the request-time limit. Raw sockets, so the
// test sees exactly what the server sends, with the limits made small.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "kube/http.h"

namespace vane::http {
namespace {

using namespace std::chrono_literals;

// One TCP connection to 127.0.0.1:port; reads give up after 5 s.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Everything until the server closes (or 5 s pass).
  std::string readAll() {
    std::string out;
    char buf[4096];
    while (true) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::unique_ptr<Server> start(ServerOptions opts, Handler handler = nullptr) {
  if (!handler) {
    handler = [](const Request& req) {
      return Response::text(200, "got " + std::to_string(req.body.size()));
    };
  }
  auto server = Server::start(std::move(opts), std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status().toString();
  return server.ok() ? std::move(*server) : nullptr;
}

std::string post(size_t body_size) {
  return "POST /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body_size) + "\r\n\r\n" + std::string(body_size, 'b');
}

TEST(HttpServerLimitsTest, DefaultsMatchKubeApiserver) {
  ServerOptions defaults;
  EXPECT_EQ(defaults.max_body_bytes, 3u * 1024 * 1024);
  EXPECT_EQ(defaults.max_header_bytes, 64u * 1024);
  EXPECT_EQ(defaults.request_timeout, 60s);
}

TEST(HttpServerLimitsTest, BodyOverTheLimitGets413) {
  ServerOptions opts;
  opts.max_body_bytes = 1024;
  auto server = start(opts);
  ASSERT_TRUE(server);
  RawConnection at_limit(server->port());
  ASSERT_TRUE(at_limit.send(post(1024)));
  std::string ok = at_limit.readAll();
  EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << ok;
  EXPECT_NE(ok.find("got 1024"), std::string::npos) << ok;

  RawConnection over(server->port());
  ASSERT_TRUE(over.send(post(64 * 1024)));
  std::string res = over.readAll();
  EXPECT_EQ(res.rfind("HTTP/1.1 413", 0), 0u) << res.substr(0, 200);
  EXPECT_NE(res.find(R"("reason":"RequestEntityTooLarge")"), std::string::npos) << res;
}

TEST(HttpServerLimitsTest, ChunkedBodyOverTheLimitGets413) {
  ServerOptions opts;
  opts.max_body_bytes = 1024;
  auto server = start(opts);
  ASSERT_TRUE(server);
  RawConnection c(server->port());
  std::string chunk(800, 'c');
  ASSERT_TRUE(c.send("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" +
                     chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
  std::string res = c.readAll();
  EXPECT_EQ(res.rfind("HTTP/1.1 413", 0), 0u) << res.substr(0, 200);
}

TEST(HttpServerLimitsTest, HeadersOverTheLimitGet431) {
  ServerOptions opts;
  opts.max_header_bytes = 1024;
  auto server = start(opts);
  ASSERT_TRUE(server);
  RawConnection small(server->port());
  ASSERT_TRUE(small.send("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nX-A: " +
                         std::string(500, 'a') + "\r\n\r\n"));
  std::string ok = small.readAll();
  EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << ok;

  RawConnection big(server->port());
  ASSERT_TRUE(big.send("GET / HTTP/1.1\r\nHost: h\r\nX-A: " + std::string(4096, 'a') + "\r\n\r\n"));
  std::string res = big.readAll();
  EXPECT_EQ(res.rfind("HTTP/1.1 431", 0), 0u) << res.substr(0, 200);
  EXPECT_NE(res.find(R"("code":431)"), std::string::npos) << res;
}

TEST(HttpServerLimitsTest, RequestNotReceivedInTimeGets408) {
  ServerOptions opts;
  opts.request_timeout = 300ms;
  auto server = start(opts);
  ASSERT_TRUE(server);
  // Headers that never end (a slow-loris client).
  RawConnection headers(server->port());
  ASSERT_TRUE(headers.send("GET / HTTP/1.1\r\nHost: h\r\n"));
  std::string res = headers.readAll();
  EXPECT_EQ(res.rfind("HTTP/1.1 408", 0), 0u) << res;
  EXPECT_NE(res.find(R"("code":408)"), std::string::npos) << res;
  // A body that never completes.
  RawConnection body(server->port());
  ASSERT_TRUE(body.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly part"));
  res = body.readAll();
  EXPECT_EQ(res.rfind("HTTP/1.1 408", 0), 0u) << res;
}

TEST(HttpServerLimitsTest, IdleKeepAliveConnectionIsNotARequestTimeout) {
  ServerOptions opts;
  opts.request_timeout = 200ms;
  auto server = start(opts);
  ASSERT_TRUE(server);
  RawConnection c(server->port());
  ASSERT_TRUE(c.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"));
  // Idle for longer than the request timeout between two requests on one connection.
  std::this_thread::sleep_for(600ms);
  ASSERT_TRUE(c.send("GET /2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  std::string res = c.readAll();
  EXPECT_EQ(res.rfind("HTTP/1.1 200", 0), 0u) << res;
  EXPECT_EQ(res.find("408"), std::string::npos) << res;
  auto second = res.find("HTTP/1.1 200", 1);
  EXPECT_NE(second, std::string::npos) << "both requests answered: " << res;
}

TEST(HttpServerLimitsTest, StreamedResponsesOutliveTheRequestTimeout) {
  ServerOptions opts;
  opts.request_timeout = 200ms;
  std::thread writer;
  auto server = start(opts, [&writer](const Request&) {
    Response r;
    r.headers.emplace_back("Content-Type", "application/json");
    r.stream = [&writer](std::shared_ptr<StreamWriter> w) {
      w->write(R"({"type":"ADDED"})");
      writer = std::thread([w] {
        std::this_thread::sleep_for(700ms);  // a watch event long after the request arrived
        w->write(R"({"type":"MODIFIED"})");
        w->close();
      });
    };
    return r;
  });
  ASSERT_TRUE(server);
  RawConnection c(server->port());
  ASSERT_TRUE(c.send("GET /api/v1/pods?watch=1 HTTP/1.1\r\nHost: h\r\n\r\n"));
  std::string res = c.readAll();
  if (writer.joinable()) writer.join();
  EXPECT_EQ(res.rfind("HTTP/1.1 200", 0), 0u) << res;
  EXPECT_NE(res.find("ADDED"), std::string::npos) << res;
  EXPECT_NE(res.find("MODIFIED"), std::string::npos) << res;
  EXPECT_NE(res.find("\r\n0\r\n\r\n"), std::string::npos) << "the stream ended cleanly: " << res;
}

}  // namespace
}  // namespace vane::http
