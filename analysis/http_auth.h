// HTTP authentication for metric providers: basic-auth encoding and Argo's
// `authentication.oauth2`, the client-credentials grant (golang.org/x/oauth2/clientcredentials).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/types.h"
#include "kube/http.h"
#include "kube/status.h"

namespace vane::analysis {

/// Base64 (standard alphabet, padded), for basic authentication headers.
std::string base64Encode(std::string_view in);

/// The first 300 bytes of a response body without trailing blanks, or "(empty body)", for errors.
std::string bodyExcerpt(const std::string& body);

/// authentication.oauth2 of a metric.
struct OAuth2Config {
  std::string token_url;
  std::string client_id;
  std::string client_secret;
  std::vector<std::string> scopes;
};

/// Tokens of the client-credentials grant, cached per (tokenUrl, clientId, clientSecret, scopes,
/// insecure) until they expire, as oauth2.ReuseTokenSource does: a token counts as expired 10 s
/// early (Go's expiryDelta) and one without expires_in never expires. Thread-safe.
class OAuth2TokenCache {
 public:
  /// The Authorization header value ("Bearer abc"): the cached token while it is valid, else a
  /// new one from config.token_url, fetched with client. The error says why the fetch failed.
  Result<std::string> authorization(http::Client& client, const OAuth2Config& config, bool insecure,
                                    std::chrono::seconds timeout, TimePoint now);

 private:
  struct Token {
    std::string header;
    std::optional<TimePoint> expiry;
  };
  static Result<Token> fetch(http::Client& client, const OAuth2Config& config,
                             std::chrono::seconds timeout, TimePoint now);
  static Result<Token> decode(const http::ClientResponse& resp, TimePoint now);

  std::mutex mu_;
  std::map<std::string, Token> tokens_;
};

}  // namespace vane::analysis
