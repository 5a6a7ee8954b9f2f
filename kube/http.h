// HTTP/1.1 server and client behind plain interfaces, so that Boost.Asio/Beast are compiled only in
// kube/http_server.cc and kube/http_client.cc. Everything else in Vane (the local API server, the
// REST client, the alert hook, health and metrics endpoints, metric providers, the demo app) goes
// through these types.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/status.h"

namespace vane::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

/// Case-insensitive header lookup; nullopt when absent.
std::optional<std::string> findHeader(const Headers& headers, std::string_view name);
/// Percent-decoding of a URL component ('+' is kept as is).
std::string urlDecode(std::string_view s);
/// Percent-encoding of a query component (unreserved characters kept).
std::string urlEncode(std::string_view s);

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target, e.g. "/api/v1/namespaces?limit=5"
  std::string path;    // decoded path without the query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  Headers headers;
  std::string body;
  std::string remote;  // "127.0.0.1:53412"

  std::optional<std::string> header(std::string_view name) const {
    return findHeader(headers, name);
  }
  /// First value of a query parameter, nullopt when absent.
  std::optional<std::string> param(std::string_view name) const;
};

/// Writer for a streamed (chunked) response body, e.g. a watch. Thread-safe: any thread may write.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  /// Queues one chunk. Returns false once the stream is closed or the client has gone away.
  virtual bool write(std::string chunk) = 0;
  /// Ends the response (terminating chunk). Idempotent.
  virtual void close() = 0;
  /// False after close() or when the client disconnected.
  virtual bool isOpen() const = 0;
};

struct Response {
  int status = 200;
  Headers headers;  // Content-Type etc.; Content-Length is set by the server
  std::string body;
  /// When set, the server sends the status and headers with chunked encoding, then calls
  /// stream(writer) once; the callee keeps the writer and writes chunks (from any thread) until it
  /// closes it or isOpen() turns false. The body field is ignored.
  std::function<void(std::shared_ptr<StreamWriter>)> stream;

  static Response json(int status, std::string body) {
    Response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = std::move(body);
    return r;
  }
  static Response text(int status, std::string body) {
    Response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    r.body = std::move(body);
    return r;
  }
};

/// Handlers run on the server's worker threads and may block briefly. They must not throw; an
/// exception that escapes anyway is answered with 500 and logged, never crashing the server.
using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string listen = "127.0.0.1:0";  // host:port; port 0 picks a free port
  int threads = 2;
  std::size_t max_body_bytes = 3 * 1024 * 1024;  // larger bodies get 413 (as kube-apiserver)
  std::size_t max_header_bytes = 64 * 1024;      // larger request line + headers get 431
  std::chrono::seconds idle_timeout{120};        // keep-alive idle limit before a request starts
  /// Time to receive a whole request (headers and body) once its first byte arrived; past it the
  /// server answers 408 and closes. Streamed responses (watches, event streams) are exempt.
  std::chrono::milliseconds request_timeout{60000};
  std::optional<std::string> tls_cert_file;  // PEM; serves HTTPS when both are set
  std::optional<std::string> tls_key_file;
};

class Server {
 public:
  virtual ~Server() = default;
  /// Binds and starts serving on background threads.
  static Result<std::unique_ptr<Server>> start(ServerOptions options, Handler handler);
  virtual uint16_t port() const = 0;
  /// Stops accepting, closes open streams and connections, joins the threads. Idempotent.
  virtual void stop() = 0;
};

struct TlsOptions {
  std::string ca_file;    // PEM bundle to verify the server with
  std::string ca_pem;     // or the PEM text itself
  std::string cert_file;  // client certificate (mutual TLS)
  std::string cert_pem;
  std::string key_file;
  std::string key_pem;
  bool insecure_skip_verify = false;
  std::string server_name;  // overrides SNI / hostname verification
};

struct ClientOptions {
  TlsOptions tls;
  std::size_t max_idle_per_host = 8;  // keep-alive pool size
  std::chrono::milliseconds connect_timeout{5000};
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute: http://host:port/path?query or https://...
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};  // whole request, connect included
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
  std::optional<std::string> header(std::string_view name) const {
    return findHeader(headers, name);
  }
};

/// A streamed response body being read (watch). Not thread-safe, except cancel().
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual int status() const = 0;
  virtual const Headers& headers() const = 0;
  /// Reads the next piece of the body into out (appending). Returns false at the end of the body,
  /// on error (see error()), or after cancel(). Blocks until data arrives.
  virtual bool read(std::string& out) = 0;
  virtual Status error() const = 0;
  /// Unblocks a pending read() from another thread and closes the connection.
  virtual void cancel() = 0;
};

/// Thread-safe HTTP(S) client with a keep-alive connection pool.
class Client {
 public:
  virtual ~Client() = default;
  static Result<std::unique_ptr<Client>> create(ClientOptions options);
  /// Connection failures give kUnavailable, deadlines kTimeout; any HTTP status is a value.
  virtual Result<ClientResponse> send(const ClientRequest& request) = 0;
  /// Sends the request and returns once the response headers arrived; the body is read through
  /// the stream. request.timeout bounds only the wait for the headers.
  virtual Result<std::unique_ptr<ResponseStream>> stream(const ClientRequest& request) = 0;
};

}  // namespace vane::http
