// vane::http::Client over Boost.Beast: HTTP/1.1 keep-alive pool per host, HTTPS with OpenSSL
// (CA file or PEM, client certificates, SNI, hostname or IP verification), deadlines, and
// streamed bodies for watches. Each connection owns a small io_context that the calling thread
// runs, so every blocking call is an async operation bounded by the tcp_stream's expiry.
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <map>
#include <mutex>
#include <variant>

#include "kube/http.h"

namespace vane::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Url {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string target;
  std::string hostHeader() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    bool default_port = (tls && port == "443") || (!tls && port == "80");
    return default_port ? h : h + ":" + port;
  }
  std::string poolKey() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

Result<Url> parseUrl(const std::string& s) {
  Url u;
  std::string_view rest = s;
  if (rest.starts_with("https://")) {
    u.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return Status(Code::kBadRequest, "unsupported URL (want http:// or https://): " + s);
  }
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.starts_with("[")) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status(Code::kBadRequest, "bad URL host: " + s);
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      u.port = authority.substr(close + 2);
    }
  } else {
    std::size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) u.port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return Status(Code::kBadRequest, "URL without host: " + s);
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  return u;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct Connection {
  asio::io_context ioc;  // first: destroyed after the streams
  std::variant<std::monostate, beast::tcp_stream, TlsStream> stream;
  beast::flat_buffer buffer;
  std::string key;
  bool reused = false;

  beast::tcp_stream& lowest() {
    if (auto* t = std::get_if<TlsStream>(&stream)) return beast::get_lowest_layer(*t);
    return std::get<beast::tcp_stream>(stream);
  }
  // Runs the async operation started by start(handler) to completion on this thread.
  template <class Start>
  beast::error_code run(Start&& start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
  template <class Fn>
  beast::error_code withStream(Fn&& fn) {
    if (auto* t = std::get_if<TlsStream>(&stream)) return fn(*t);
    return fn(std::get<beast::tcp_stream>(stream));
  }
};

Status ioError(const beast::error_code& ec, const std::string& what, const Url& url) {
  std::string msg = what + " " + url.poolKey() + ": " + ec.message();
  if (ec == beast::error::timeout) return Status(Code::kTimeout, msg);
  if (ec.category() == asio::error::get_ssl_category() ||
      ec.category() == asio::ssl::error::get_stream_category()) {
    if (ec != asio::ssl::error::stream_truncated) return Status(Code::kInternal, msg);
  }
  return Status(Code::kUnavailable, msg);
}

bool isIpAddress(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

Headers toHeaders(const bhttp::fields& fields) {
  Headers out;
  for (const auto& f : fields) out.emplace_back(f.name_string(), f.value());
  return out;
}

class ClientImpl : public Client {
 public:
  explicit ClientImpl(ClientOptions options) : options_(std::move(options)) {}

  Status init() {
    try {
      tls_ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3);
      const TlsOptions& t = options_.tls;
      if (t.insecure_skip_verify) {
        tls_ctx_.set_verify_mode(ssl::verify_none);
      } else {
        tls_ctx_.set_verify_mode(ssl::verify_peer);
        if (!t.ca_file.empty()) tls_ctx_.load_verify_file(t.ca_file);
        if (!t.ca_pem.empty()) tls_ctx_.add_certificate_authority(asio::buffer(t.ca_pem));
        if (t.ca_file.empty() && t.ca_pem.empty()) tls_ctx_.set_default_verify_paths();
      }
      if (!t.cert_file.empty()) tls_ctx_.use_certificate_chain_file(t.cert_file);
      if (!t.cert_pem.empty()) tls_ctx_.use_certificate_chain(asio::buffer(t.cert_pem));
      if (!t.key_file.empty()) tls_ctx_.use_private_key_file(t.key_file, ssl::context::pem);
      if (!t.key_pem.empty()) tls_ctx_.use_private_key(asio::buffer(t.key_pem), ssl::context::pem);
    } catch (const std::exception& e) {
      return Status(Code::kInvalid, std::string("TLS configuration: ") + e.what());
    }
    return Status::ok();
  }

  Result<ClientResponse> send(const ClientRequest& request) override;
  Result<std::unique_ptr<ResponseStream>> stream(const ClientRequest& request) override;

  void release(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mu_);
    auto& idle = idle_[conn->key];
    if (idle.size() < options_.max_idle_per_host) {
      conn->reused = true;
      idle.push_back(std::move(conn));
    }
  }

 private:
  Result<std::unique_ptr<Connection>> acquire(const Url& url, Clock::time_point deadline);
  Result<std::unique_ptr<Connection>> connect(const Url& url, Clock::time_point deadline);
  bhttp::request<bhttp::string_body> buildRequest(const ClientRequest& req, const Url& url);
  Result<std::unique_ptr<Connection>> writeWithRetry(
      const ClientRequest& req, const Url& url, Clock::time_point deadline,
      ClientResponse* full_response, bhttp::response_parser<bhttp::buffer_body>* header_parser);

  ClientOptions options_;
  ssl::context tls_ctx_{ssl::context::tls_client};
  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

Result<std::unique_ptr<Connection>> ClientImpl::acquire(const Url& url,
                                                        Clock::time_point deadline) {
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(url.poolKey());
    if (it != idle_.end() && !it->second.empty()) {
      auto conn = std::move(it->second.back());
      it->second.pop_back();
      return conn;
    }
  }
  return connect(url, deadline);
}

Result<std::unique_ptr<Connection>> ClientImpl::connect(const Url& url,
                                                        Clock::time_point deadline) {
  auto conn = std::make_unique<Connection>();
  conn->key = url.poolKey();
  beast::error_code ec;
  tcp::resolver resolver(conn->ioc);
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return ioError(ec, "resolving", url);
  if (url.tls) {
    conn->stream.emplace<TlsStream>(conn->ioc, tls_ctx_);
  } else {
    conn->stream.emplace<beast::tcp_stream>(conn->ioc);
  }
  auto connect_deadline = std::min(deadline, Clock::now() + options_.connect_timeout);
  conn->lowest().expires_at(connect_deadline);
  ec = conn->run([&](auto handler) { conn->lowest().async_connect(endpoints, handler); });
  if (ec) return ioError(ec, "connecting to", url);
  conn->lowest().socket().set_option(tcp::no_delay(true), ec);
  if (auto* t = std::get_if<TlsStream>(&conn->stream)) {
    const std::string& name =
        options_.tls.server_name.empty() ? url.host : options_.tls.server_name;
    SSL* ssl_handle = t->native_handle();
    if (!isIpAddress(name)) SSL_set_tlsext_host_name(ssl_handle, name.c_str());
    if (!options_.tls.insecure_skip_verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (isIpAddress(name)) {
        X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      } else {
        X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
      }
    }
    ec = conn->run([&](auto handler) { t->async_handshake(ssl::stream_base::client, handler); });
    if (ec) return ioError(ec, "TLS handshake with", url);
  }
  return conn;
}

bhttp::request<bhttp::string_body> ClientImpl::buildRequest(const ClientRequest& req,
                                                            const Url& url) {
  bhttp::request<bhttp::string_body> r;
  r.method_string(req.method);
  r.target(url.target);
  r.version(11);
  r.set(bhttp::field::host, url.hostHeader());
  for (const auto& [k, v] : req.headers) r.set(k, v);
  if (r.find(bhttp::field::user_agent) == r.end()) r.set(bhttp::field::user_agent, "vane");
  r.keep_alive(true);
  r.body() = req.body;
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    r.prepare_payload();
  }
  return r;
}

// Writes the request and reads either the whole response (full_response) or only its header
// (header_parser). A reused keep-alive connection that the server closed meanwhile is retried
// once on a fresh connection. Returns the connection for reuse or streaming.
Result<std::unique_ptr<Connection>> ClientImpl::writeWithRetry(
    const ClientRequest& req, const Url& url, Clock::time_point deadline,
    ClientResponse* full_response, bhttp::response_parser<bhttp::buffer_body>* header_parser) {
  auto request = buildRequest(req, url);
  for (int attempt = 0;; ++attempt) {
    // A retry always takes a fresh connection: other idle ones may be just as stale.
    auto acquired = attempt == 0 ? acquire(url, deadline) : connect(url, deadline);
    if (!acquired) return acquired.status();
    std::unique_ptr<Connection> conn = std::move(*acquired);
    conn->lowest().expires_at(deadline);
    beast::error_code ec = conn->withStream([&](auto& s) {
      return conn->run([&](auto handler) { bhttp::async_write(s, request, handler); });
    });
    bool wrote = !ec;
    if (!ec && full_response) {
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      if (req.method == "HEAD") parser.skip(true);
      ec = conn->withStream([&](auto& s) {
        return conn->run([&](auto h) { bhttp::async_read(s, conn->buffer, parser, h); });
      });
      if (!ec) {
        auto& msg = parser.get();
        full_response->status = static_cast<int>(msg.result_int());
        full_response->headers = toHeaders(msg.base());
        full_response->body = std::move(msg.body());
        if (!msg.keep_alive()) conn.reset();
      }
    } else if (!ec) {
      ec = conn->withStream([&](auto& s) {
        return conn->run(
            [&](auto h) { bhttp::async_read_header(s, conn->buffer, *header_parser, h); });
      });
    }
    if (!ec) return conn;
    bool stale = conn->reused && attempt == 0 && ec != beast::error::timeout &&
                 (!wrote || ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                  ec == asio::error::connection_reset || ec == asio::error::broken_pipe);
    if (!stale) return ioError(ec, wrote ? "reading response from" : "writing request to", url);
  }
}

Result<ClientResponse> ClientImpl::send(const ClientRequest& request) {
  auto url = parseUrl(request.url);
  if (!url) return url.status();
  Clock::time_point deadline = Clock::now() + request.timeout;
  ClientResponse response;
  try {
    auto conn = writeWithRetry(request, *url, deadline, &response, nullptr);
    if (!conn) return conn.status();
    if (*conn) release(std::move(*conn));
  } catch (const std::exception& e) {
    return Status(Code::kInternal, std::string("HTTP client: ") + e.what());
  }
  return response;
}

class StreamImpl : public ResponseStream {
 public:
  StreamImpl(std::unique_ptr<Connection> conn,
             std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser)
      : conn_(std::move(conn)), parser_(std::move(parser)) {
    status_ = static_cast<int>(parser_->get().result_int());
    headers_ = toHeaders(parser_->get().base());
  }
  int status() const override { return status_; }
  const Headers& headers() const override { return headers_; }
  Status error() const override {
    std::lock_guard lock(mu_);
    return error_;
  }

  bool read(std::string& out) override {
    if (cancelled_ || finished_) return false;
    conn_->lowest().expires_never();
    char buf[16384];
    while (!parser_->is_done()) {
      parser_->get().body().data = buf;
      parser_->get().body().size = sizeof buf;
      beast::error_code ec = conn_->withStream([&](auto& s) {
        return conn_->run([&](auto h) { bhttp::async_read_some(s, conn_->buffer, *parser_, h); });
      });
      std::size_t n = sizeof buf - parser_->get().body().size;
      if (ec == bhttp::error::need_buffer) ec = {};
      if (n > 0) {
        out.append(buf, n);
        if (ec) fail(ec);  // report the data now, the error on the next call
        return true;
      }
      if (ec) {
        fail(ec);
        return false;
      }
      if (cancelled_) return false;
    }
    finished_ = true;
    return false;
  }

  void cancel() override {
    if (cancelled_.exchange(true)) return;
    Connection* c = conn_.get();
    asio::post(c->ioc, [c] {
      beast::error_code ignored;
      c->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      c->lowest().socket().close(ignored);
    });
  }

 private:
  void fail(const beast::error_code& ec) {
    finished_ = true;
    std::lock_guard lock(mu_);
    if (cancelled_) {
      error_ = Status(Code::kUnavailable, "stream cancelled");
    } else if (ec == bhttp::error::partial_message || ec == asio::error::eof) {
      error_ = Status(Code::kUnavailable, "stream ended early: " + ec.message());
    } else {
      error_ = Status(ec == beast::error::timeout ? Code::kTimeout : Code::kUnavailable,
                      "reading stream: " + ec.message());
    }
  }

  std::unique_ptr<Connection> conn_;
  std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser_;
  int status_ = 0;
  Headers headers_;
  std::atomic<bool> cancelled_{false};
  bool finished_ = false;
  mutable std::mutex mu_;
  Status error_;
};

Result<std::unique_ptr<ResponseStream>> ClientImpl::stream(const ClientRequest& request) {
  auto url = parseUrl(request.url);
  if (!url) return url.status();
  Clock::time_point deadline = Clock::now() + request.timeout;
  auto parser = std::make_unique<bhttp::response_parser<bhttp::buffer_body>>();
  parser->body_limit(std::numeric_limits<std::uint64_t>::max());
  try {
    auto conn = writeWithRetry(request, *url, deadline, nullptr, parser.get());
    if (!conn) return conn.status();
    return std::unique_ptr<ResponseStream>(
        std::make_unique<StreamImpl>(std::move(*conn), std::move(parser)));
  } catch (const std::exception& e) {
    return Status(Code::kInternal, std::string("HTTP client: ") + e.what());
  }
}

}  // namespace

Result<std::unique_ptr<Client>> Client::create(ClientOptions options) {
  auto client = std::make_unique<ClientImpl>(std::move(options));
  if (Status s = client->init(); !s) return s;
  return std::unique_ptr<Client>(std::move(client));
}

}  // namespace vane::http
