// Typed errors from Kubernetes Status bodies (kube-api-local.md a.9).
#include <cstdlib>

#include "kube/client_internal.h"

namespace vane::kube {
namespace {

Code codeFor(int http_status, const std::string& reason) {
  switch (http_status) {
    case 400:
      return Code::kBadRequest;
    case 401:
      return Code::kUnauthorized;
    case 403:
      return Code::kForbidden;
    case 404:
      return Code::kNotFound;
    case 405:
    case 406:
    case 415:
      return Code::kUnsupported;
    case 409:
      return reason == "AlreadyExists" ? Code::kAlreadyExists : Code::kConflict;
    case 410:
      return Code::kGone;
    case 413:
      return Code::kTooLarge;
    case 422:
      return Code::kInvalid;
    case 429:
      return Code::kTooManyRequests;
    case 503:
      return Code::kUnavailable;
    case 504:
      return Code::kTimeout;
    default:
      break;
  }
  if (reason == "Timeout" || reason == "ServerTimeout") return Code::kTimeout;
  return http_status >= 500 ? Code::kInternal : Code::kBadRequest;
}

std::string defaultMessage(int http_status) {
  switch (http_status) {
    case 404:
      return "the server could not find the requested resource";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 429:
      return "the server has received too many requests and has asked us to try again later";
    default:
      return "the server responded with HTTP " + std::to_string(http_status);
  }
}

}  // namespace

Status statusFromResponse(int http_status, const http::Headers& headers, const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string reason, message, field;
  std::optional<int64_t> retry_after;
  int code = http_status;
  if (j.is_object() && j.value("kind", "") == "Status") {
    if (j.contains("reason") && j["reason"].is_string()) reason = j["reason"].get<std::string>();
    if (j.contains("message") && j["message"].is_string()) {
      message = j["message"].get<std::string>();
    }
    if (j.contains("code") && j["code"].is_number_integer()) code = j["code"].get<int>();
    const json& details = j.contains("details") ? j["details"] : json();
    if (details.is_object()) {
      if (details.contains("retryAfterSeconds") && details["retryAfterSeconds"].is_number()) {
        retry_after = details["retryAfterSeconds"].get<int64_t>();
      }
      const json& causes = details.contains("causes") ? details["causes"] : json();
      if (codeFor(code, reason) == Code::kInvalid && causes.is_array() && !causes.empty() &&
          causes[0].is_object()) {
        field = causes[0].value("field", "");
        std::string cause_message = causes[0].value("message", "");
        if (!cause_message.empty()) message = cause_message;
      }
    }
  } else if (!body.empty() && body.size() < 1024 && !j.is_structured()) {
    message = body;
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
      message.pop_back();
    }
  }
  if (message.empty()) message = defaultMessage(code);
  if (code < 400) code = http_status;  // a Status with a bogus code does not turn into success
  Status s(codeFor(code, reason), message, field);
  s.withHttpStatus(http_status);
  if (auto h = http::findHeader(headers, "Retry-After")) {
    char* end = nullptr;
    long v = std::strtol(h->c_str(), &end, 10);
    if (end != h->c_str() && v >= 0) retry_after = v;
  }
  if (retry_after) s.withRetryAfter(std::chrono::seconds(*retry_after));
  return s;
}

}  // namespace vane::kube
