// vane::http::Server on Boost.Beast with C++20 coroutines: one session coroutine per connection
// (plain TCP or TLS), handlers run on a separate worker pool so that a slow handler never stalls
// the I/O threads, and streamed (chunked) responses are fed from any thread through StreamWriter.
// This is one of the two translation units allowed to include Asio/Beast.
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "base/log.h"
#include "kube/http.h"

namespace vane::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

class StreamState;

// Shared between the server and every writer: tells writers the I/O context is gone, and lets the
// server release the writers' timers before its io_context is destroyed (a writer may outlive the
// server: its destructor must not touch a dead io_context).
struct Control {
  std::mutex mu;
  bool stopped = false;
  std::vector<std::weak_ptr<StreamState>> streams;
};

// The session side of a streamed response: chunks queued by writers, drained by the session.
class StreamState : public StreamWriter, public std::enable_shared_from_this<StreamState> {
 public:
  StreamState(asio::any_io_executor ex, std::shared_ptr<Control> control)
      : timer_(std::make_unique<asio::steady_timer>(ex)), control_(std::move(control)) {
    timer_->expires_at(asio::steady_timer::time_point::max());
  }

  bool write(std::string chunk) override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      if (!chunk.empty()) queue_.push_back(std::move(chunk));
    }
    wake();
    return true;
  }
  void close() override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    wake();
  }
  bool isOpen() const override {
    std::lock_guard lock(mu_);
    return !closed_;
  }

  // Called on the session's thread: takes every queued chunk; false when closed and drained.
  bool take(std::deque<std::string>& out) {
    std::lock_guard lock(mu_);
    out.swap(queue_);
    return !(closed_ && out.empty());
  }
  asio::steady_timer& timer() { return *timer_; }
  // Called by the server after its threads are joined, before its io_context goes away.
  void releaseTimer() { timer_.reset(); }

 private:
  void wake() {
    std::lock_guard control_lock(control_->mu);
    if (control_->stopped) return;
    asio::post(timer_->get_executor(), [self = shared_from_this()] { self->timer_->cancel(); });
  }

  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  bool closed_ = false;
  std::unique_ptr<asio::steady_timer> timer_;
  std::shared_ptr<Control> control_;
};

std::vector<std::pair<std::string, std::string>> parseQuery(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string k(part.substr(0, eq));
    std::string v(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    for (auto* s : {&k, &v}) {
      for (auto& c : *s) {
        if (c == '+') c = ' ';
      }
    }
    out.emplace_back(urlDecode(k), urlDecode(v));
  }
  return out;
}

Request toRequest(bhttp::request<bhttp::string_body>&& msg, const std::string& remote) {
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  auto qpos = req.target.find('?');
  req.path = urlDecode(std::string_view(req.target).substr(0, qpos));
  if (qpos != std::string::npos)
    req.query = parseQuery(std::string_view(req.target).substr(qpos + 1));
  for (const auto& field : msg) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  req.body = std::move(msg.body());
  req.remote = remote;
  return req;
}

Response callHandler(const Handler& handler, const Request& req) {
  try {
    return handler(req);
  } catch (const std::exception& e) {
    log::error("http: handler threw",
               {{"method", req.method}, {"target", req.target}, {"error", e.what()}});
  } catch (...) {
    log::error("http: handler threw", {{"method", req.method}, {"target", req.target}});
  }
  return Response::json(500, R"({"kind":"Status","apiVersion":"v1","metadata":{},)"
                             R"("status":"Failure","message":"internal error","code":500})");
}

bhttp::response<bhttp::string_body> toBeast(Response& r, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  for (auto& [k, v] : r.headers) res.insert(k, v);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

class ServerImpl;

struct SessionContext {
  ServerImpl* server;
  std::string remote;
};

class ServerImpl : public Server {
 public:
  ServerImpl(ServerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        ioc_(std::max(1, options_.threads)),
        pool_(std::max(4, options_.threads * 2)),
        acceptor_(ioc_),
        control_(std::make_shared<Control>()) {}
  ~ServerImpl() override { stop(); }

  Status init();
  uint16_t port() const override { return port_; }
  void stop() override;

  awaitable<void> acceptLoop();
  template <class Stream>
  awaitable<void> session(Stream& stream, std::string remote);
  template <class Stream>
  awaitable<bool> streamBody(Stream& stream, Response& r, unsigned version);

  ServerOptions options_;
  Handler handler_;
  asio::io_context ioc_;
  asio::thread_pool pool_;
  tcp::acceptor acceptor_;
  std::optional<ssl::context> tls_;
  std::shared_ptr<Control> control_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::once_flag stop_once_;
};

Status ServerImpl::init() {
  std::string host = "127.0.0.1", port_str = "0";
  auto colon = options_.listen.rfind(':');
  if (colon != std::string::npos) {
    host = options_.listen.substr(0, colon);
    port_str = options_.listen.substr(colon + 1);
  } else {
    port_str = options_.listen;
  }
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return Status(Code::kInvalid, "bad listen address " + options_.listen, "listen");
  unsigned long port_num = 0;
  try {
    port_num = std::stoul(port_str);
  } catch (...) {
    return Status(Code::kInvalid, "bad listen port " + options_.listen, "listen");
  }
  if (port_num > 65535) return Status(Code::kInvalid, "bad listen port", "listen");
  if (options_.tls_cert_file && options_.tls_key_file) {
    tls_.emplace(ssl::context::tls_server);
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls_->use_certificate_chain_file(*options_.tls_cert_file, ec);
    if (!ec) tls_->use_private_key_file(*options_.tls_key_file, ssl::context::pem, ec);
    if (ec) return Status(Code::kInvalid, "loading TLS certificate/key: " + ec.message());
  }
  tcp::endpoint ep(addr, static_cast<uint16_t>(port_num));
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status(Code::kUnavailable, "listen on " + options_.listen + ": " + ec.message());
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(ioc_, acceptLoop(), asio::detached);
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
  return Status::ok();
}

void ServerImpl::stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard lock(control_->mu);
      control_->stopped = true;
    }
    asio::post(ioc_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    ioc_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    pool_.stop();
    pool_.join();
    std::lock_guard lock(control_->mu);
    for (auto& weak : control_->streams) {
      if (auto stream = weak.lock()) stream->releaseTimer();
    }
    control_->streams.clear();
  });
}

awaitable<void> ServerImpl::acceptLoop() {
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(ioc_), kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      continue;  // e.g. EMFILE: keep accepting
    }
    std::string remote;
    boost::system::error_code rec;
    auto rep = socket.remote_endpoint(rec);
    if (!rec) remote = rep.address().to_string() + ":" + std::to_string(rep.port());
    if (tls_) {
      asio::co_spawn(
          socket.get_executor(),
          [this, s = std::move(socket), remote]() mutable -> awaitable<void> {
            beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(s)), *tls_);
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
            auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
            if (hec) co_return;
            co_await session(stream, remote);
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
            co_await stream.async_shutdown(kNoThrow);
          },
          asio::detached);
    } else {
      asio::co_spawn(
          socket.get_executor(),
          [this, s = std::move(socket), remote]() mutable -> awaitable<void> {
            beast::tcp_stream stream(std::move(s));
            co_await session(stream, remote);
            boost::system::error_code sec;
            stream.socket().shutdown(tcp::socket::shutdown_send, sec);
          },
          asio::detached);
    }
  }
}

// A Status body for the errors the server itself answers (413, 431, 408), in the
// apiserver's shape so that kubectl prints the message.
Response limitResponse(int code, const char* reason, const char* message) {
  return Response::json(code, std::string(R"({"kind":"Status","apiVersion":"v1","metadata":{},)") +
                                  R"("status":"Failure","message":")" + message +
                                  R"(","reason":")" + reason + R"(","code":)" +
                                  std::to_string(code) + "}");
}

// Closing a socket with unread input makes the kernel send a reset, which can destroy the
// answer just written before the client reads it: stop sending, then discard what the client is
// still sending for a short while.
template <class Stream>
awaitable<void> drain(Stream& stream) {
  boost::system::error_code ec;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  std::array<char, 16 * 1024> sink;
  for (std::size_t total = 0; total < 16 * 1024 * 1024;) {
    auto [rec, n] =
        co_await beast::get_lowest_layer(stream).async_read_some(asio::buffer(sink), kNoThrow);
    if (rec) break;
    total += n;
  }
}

template <class Stream>
awaitable<void> ServerImpl::session(Stream& stream, std::string remote) {
  beast::flat_buffer buffer;
  while (true) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(static_cast<uint32_t>(options_.max_header_bytes));
    // An idle keep-alive connection waits for the first byte under idle_timeout; from there the
    // whole request must arrive within request_timeout (a slow-loris client gets 408).
    if (buffer.size() == 0) {
      beast::get_lowest_layer(stream).expires_after(options_.idle_timeout);
      auto [iec, in] = co_await stream.async_read_some(buffer.prepare(16 * 1024), kNoThrow);
      if (iec) co_return;  // closed or idle too long
      buffer.commit(in);
    }
    // Not the stream's own expiry: that closes the socket, and the client would never see 408.
    // The deadline cancels the read instead; the stream's expiry stays as a backstop.
    beast::get_lowest_layer(stream).expires_after(options_.request_timeout +
                                                  std::chrono::seconds(10));
    asio::steady_timer deadline(co_await asio::this_coro::executor);
    bool timed_out = false;
    deadline.expires_after(options_.request_timeout);
    deadline.async_wait([&timed_out, &stream](boost::system::error_code tec) {
      if (tec) return;  // cancelled: the request arrived (the captures may be gone by now)
      timed_out = true;
      beast::get_lowest_layer(stream).cancel();
    });
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
    deadline.cancel();
    std::optional<Response> refusal;
    if (ec == bhttp::error::body_limit) {
      refusal = limitResponse(413, "RequestEntityTooLarge", "the request body is too large");
    } else if (ec == bhttp::error::header_limit) {
      refusal = limitResponse(431, "RequestHeaderFieldsTooLarge",
                              "the request header fields are too large");
    } else if (ec && timed_out) {
      refusal = limitResponse(408, "Timeout", "the request was not received in time");
    }
    if (refusal) {
      auto res = toBeast(*refusal, parser.get().version() ? parser.get().version() : 11, false);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
      auto [wec, wn] = co_await bhttp::async_write(stream, res, kNoThrow);
      if (!wec) co_await drain(stream);
      co_return;
    }
    if (ec) co_return;  // closed, timed out or malformed: drop the connection
    auto msg = parser.release();
    unsigned version = msg.version();
    bool keep_alive = msg.keep_alive();
    Request req = toRequest(std::move(msg), remote);
    Response r = co_await asio::co_spawn(
        pool_, [this, &req]() -> awaitable<Response> { co_return callHandler(handler_, req); },
        use_awaitable);
    if (r.stream) {
      co_await streamBody(stream, r, version);
      co_return;  // a streamed response ends the connection
    }
    auto res = toBeast(r, version, keep_alive);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
    auto [wec, wn] = co_await bhttp::async_write(stream, res, kNoThrow);
    if (wec || !keep_alive) co_return;
  }
}

template <class Stream>
awaitable<bool> ServerImpl::streamBody(Stream& stream, Response& r, unsigned version) {
  bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(r.status), version};
  for (auto& [k, v] : r.headers) head.insert(k, v);
  head.chunked(true);
  head.keep_alive(false);
  bhttp::response_serializer<bhttp::empty_body> sr{head};
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  auto [hec, hn] = co_await bhttp::async_write_header(stream, sr, kNoThrow);
  if (hec) co_return false;
  auto state = std::make_shared<StreamState>(co_await asio::this_coro::executor, control_);
  {
    std::lock_guard lock(control_->mu);
    std::erase_if(control_->streams, [](const auto& w) { return w.expired(); });
    control_->streams.push_back(state);
  }
  // Detect the client going away: any read completion (EOF, reset) closes the stream.
  // Parameters, not captures: a coroutine lambda's captures die with the lambda object.
  auto reader = [](std::shared_ptr<StreamState> state, Stream& stream) -> awaitable<void> {
    char byte[64];
    while (true) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(byte), kNoThrow);
      if (ec) break;
    }
    state->close();
  };
  beast::get_lowest_layer(stream).expires_never();
  asio::co_spawn(co_await asio::this_coro::executor, reader(state, stream), asio::detached);
  // The callee may write from any thread, starting now.
  auto stream_fn = std::move(r.stream);
  try {
    stream_fn(state);
  } catch (...) {
    state->close();
  }
  std::deque<std::string> chunks;
  bool ok = true;
  while (true) {
    // take() and async_wait() run in one strand segment, so a writer's wake-up (posted to the
    // same strand) cannot slip in between and be lost.
    bool more = state->take(chunks);
    if (chunks.empty() && more) {
      beast::get_lowest_layer(stream).expires_never();
      state->timer().expires_at(asio::steady_timer::time_point::max());
      co_await state->timer().async_wait(kNoThrow);
      continue;
    }
    for (auto& c : chunks) {
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
      auto [wec, wn] =
          co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(c)), kNoThrow);
      if (wec) {
        ok = false;
        break;
      }
    }
    chunks.clear();
    if (!ok) {
      state->close();
      break;
    }
    if (!more) {
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      co_await asio::async_write(stream, bhttp::make_chunk_last(), kNoThrow);
      break;
    }
  }
  // Stop the reader coroutine.
  boost::system::error_code ec;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(stream).cancel();
  co_return ok;
}

}  // namespace

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, Handler handler) {
  try {
    auto server = std::make_unique<ServerImpl>(std::move(options), std::move(handler));
    Status st = server->init();
    if (!st.isOk()) return st;
    return std::unique_ptr<Server>(std::move(server));
  } catch (const std::exception& e) {
    return Status(Code::kInternal, std::string("starting HTTP server: ") + e.what());
  }
}

}  // namespace vane::http
