#include "analysis/credentials.h"

#include <algorithm>
#include <cctype>

#include "analysis/types.h"
#include "kube/http.h"

namespace vane::analysis {

UrlUserinfo splitUserinfo(const std::string& url) {
  UrlUserinfo out{url, url, std::nullopt, std::nullopt};
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return out;
  size_t start = scheme + 3;
  size_t end = std::min(url.find_first_of("/?#", start), url.size());
  size_t at = url.rfind('@', end);
  if (at == std::string::npos || at < start) return out;
  std::string info = url.substr(start, at - start);
  size_t colon = info.find(':');
  out.user = http::urlDecode(info.substr(0, colon));
  if (colon != std::string::npos) out.password = http::urlDecode(info.substr(colon + 1));
  out.url = url.substr(0, start) + url.substr(at + 1);
  out.shown = url.substr(0, start) + info.substr(0, colon) +
              (out.password ? ":" + std::string(kMaskedSecret) : "") + url.substr(at);
  return out;
}

bool isCredentialHeader(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const char* word : {"auth", "token", "key", "secret", "pass", "cookie", "session"})
    if (lower.find(word) != std::string::npos) return true;
  return false;
}

void addCredential(std::vector<std::string>& out, const std::string& credential) {
  if (credential.empty()) return;
  size_t space = credential.find(' ');
  bool scheme_form = space != std::string::npos && space > 0 && space + 1 < credential.size() &&
                     credential.find(' ', space + 1) == std::string::npos;
  std::string value = scheme_form ? credential.substr(space + 1) : credential;
  out.push_back(value);
  out.push_back(http::urlEncode(value));
}

std::string maskCredentials(std::string text, std::vector<std::string> credentials) {
  std::sort(credentials.begin(), credentials.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& c : credentials) {
    if (c.empty()) continue;
    for (size_t pos = text.find(c); pos != std::string::npos;
         pos = text.find(c, pos + kMaskedSecret.size())) {
      text.replace(pos, c.size(), kMaskedSecret);
    }
  }
  return text;
}

}  // namespace vane::analysis
