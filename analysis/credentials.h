// Credentials kept out of messages. Providers quote servers, proxies and token endpoints in Error
// measurements, and those can echo what they were sent (an Authorization header, a form body), so
// every message a provider builds is masked with the credentials of its spec.
//
//   std::vector<std::string> creds;
//   addCredential(creds, "Bearer abc");   // masks "abc" (and its form-encoding)
//   maskCredentials("got Bearer abc", creds) == "got Bearer *****"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vane::analysis {

/// A URL without its userinfo, as Go's http.Client sends it.
struct UrlUserinfo {
  std::string url;    // "http://host:9090/x" (unchanged when there is no userinfo)
  std::string shown;  // for messages: "http://user:*****@host:9090/x", as Go's URL.Redacted()
  std::optional<std::string> user;      // percent-decoded; nullopt without userinfo
  std::optional<std::string> password;  // percent-decoded; nullopt without ":password"
};
UrlUserinfo splitUserinfo(const std::string& url);

/// True for header names that carry credentials: Authorization, cookies, and any name with
/// "auth", "token", "key", "secret", "pass" or "session" in it (X-Api-Key, X-Auth-Token, ...).
bool isCredentialHeader(std::string_view name);

/// Adds a credential to a mask list in the forms it travels in: as is and form-encoded; of a
/// "Scheme value" header value only the value, so that messages keep "Bearer *****".
void addCredential(std::vector<std::string>& out, const std::string& credential);

/// text with every credential replaced by "*****" (longest first, so no part of a longer one is
/// left behind by masking a shorter one inside it).
std::string maskCredentials(std::string text, std::vector<std::string> credentials);

}  // namespace vane::analysis
