#include "analysis/http_auth.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace vane::analysis {

using nlohmann::json;

namespace {

constexpr auto kTokenExpiryDelta = std::chrono::seconds(10);

std::string tokenCacheKey(const OAuth2Config& o, bool insecure) {
  std::string key = o.token_url + '\n' + o.client_id + '\n' + o.client_secret + '\n';
  for (const auto& s : o.scopes) key += s + ' ';
  return key + (insecure ? "\ninsecure" : "");
}

std::string joinedScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

std::string base64Encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

std::string bodyExcerpt(const std::string& body) {
  std::string s = body.substr(0, 300);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "(empty body)" : s;
}

// Decodes a token endpoint's 2xx body: JSON, or a form body when the server says
// application/x-www-form-urlencoded or text/plain (as Go's oauth2 accepts).
Result<OAuth2TokenCache::Token> OAuth2TokenCache::decode(const http::ClientResponse& resp,
                                                         TimePoint now) {
  std::string content_type = http::findHeader(resp.headers, "Content-Type").value_or("");
  std::string access_token, token_type;
  std::optional<int64_t> expires_in;
  if (content_type.rfind("application/x-www-form-urlencoded", 0) == 0 ||
      content_type.rfind("text/plain", 0) == 0) {
    std::string_view body = resp.body;
    while (!body.empty()) {
      size_t amp = body.find('&');
      std::string kv(body.substr(0, amp));
      std::replace(kv.begin(), kv.end(), '+', ' ');  // form encoding; urlDecode keeps '+'
      size_t eq = kv.find('=');
      std::string k = http::urlDecode(kv.substr(0, eq));
      std::string v = eq == std::string::npos ? "" : http::urlDecode(kv.substr(eq + 1));
      if (k == "access_token") access_token = v;
      if (k == "token_type") token_type = v;
      if (k == "expires_in" && !v.empty()) {
        char* end = nullptr;
        long long n = std::strtoll(v.c_str(), &end, 10);
        if (end == v.c_str() + v.size()) expires_in = n;
      }
      body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    }
  } else {
    json doc = json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
      return Status(Code::kInternal, "answer is not a JSON token: " + bodyExcerpt(resp.body));
    }
    auto str = [&](const char* k) {
      auto it = doc.find(k);
      return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    access_token = str("access_token");
    token_type = str("token_type");
    if (auto it = doc.find("expires_in"); it != doc.end() && !it->is_null()) {
      if (it->is_number_integer()) {
        expires_in = it->get<int64_t>();
      } else if (it->is_number()) {
        expires_in = static_cast<int64_t>(it->get<double>());
      } else if (it->is_string() && !it->get_ref<const std::string&>().empty()) {
        const std::string& v = it->get_ref<const std::string&>();
        char* end = nullptr;
        long long n = std::strtoll(v.c_str(), &end, 10);
        if (end != v.c_str() + v.size()) {
          return Status(Code::kInternal, "expires_in \"" + v + "\" is not a number");
        }
        expires_in = n;
      } else {
        return Status(Code::kInternal, "expires_in is not a number: " + it->dump());
      }
    }
  }
  if (access_token.empty()) {
    return Status(Code::kInternal, "answer has no access_token: " + bodyExcerpt(resp.body));
  }
  // Go's Token.Type(): "bearer" in any case (or none) is sent as "Bearer"; other types as given.
  std::string lower = token_type;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.empty() || lower == "bearer") token_type = "Bearer";
  Token t;
  t.header = token_type + " " + access_token;
  if (expires_in && *expires_in != 0) t.expiry = now + std::chrono::seconds(*expires_in);
  return t;
}

// Fetches a token: the client credentials in a basic authorization header first, then, when the
// endpoint refuses that, in the form body (Go's AuthStyleAutoDetect).
Result<OAuth2TokenCache::Token> OAuth2TokenCache::fetch(http::Client& client, const OAuth2Config& o,
                                                        std::chrono::seconds timeout,
                                                        TimePoint now) {
  std::string form = "grant_type=client_credentials";
  if (!o.scopes.empty()) form += "&scope=" + http::urlEncode(joinedScopes(o.scopes));
  Result<http::ClientResponse> resp = Status(Code::kInternal, "no token request sent");
  for (bool in_header : {true, false}) {
    http::ClientRequest req;
    req.method = "POST";
    req.url = o.token_url;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.headers.emplace_back("Accept", "application/json");
    req.body = form;
    if (in_header) {
      req.headers.emplace_back("Authorization",
                               "Basic " + base64Encode(http::urlEncode(o.client_id) + ":" +
                                                       http::urlEncode(o.client_secret)));
    } else {
      req.body += "&client_id=" + http::urlEncode(o.client_id) +
                  "&client_secret=" + http::urlEncode(o.client_secret);
    }
    req.timeout = timeout;
    resp = client.send(req);
    if (!resp) return Status(Code::kUnavailable, "request failed: " + resp.status().message());
    if (resp->status >= 200 && resp->status < 300) break;
  }
  if (resp->status < 200 || resp->status >= 300) {
    return Status(resp->status >= 500 ? Code::kUnavailable : Code::kInvalid,
                  "HTTP " + std::to_string(resp->status) + ": " + bodyExcerpt(resp->body));
  }
  return decode(*resp, now);
}

Result<std::string> OAuth2TokenCache::authorization(http::Client& client,
                                                    const OAuth2Config& config, bool insecure,
                                                    std::chrono::seconds timeout, TimePoint now) {
  const std::string key = tokenCacheKey(config, insecure);
  {
    std::lock_guard lock(mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() &&
        (!it->second.expiry || now + kTokenExpiryDelta < *it->second.expiry)) {
      return it->second.header;
    }
  }
  // Fetched outside the lock: a slow token endpoint must not hold up other metrics. Two metrics
  // racing for the same key both fetch; the later token wins, both are valid.
  auto token = fetch(client, config, timeout, now);
  if (!token) return token.status();
  std::lock_guard lock(mu_);
  tokens_[key] = *token;
  return token->header;
}

}  // namespace vane::analysis
