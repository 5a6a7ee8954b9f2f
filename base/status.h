// Errors as values: Status (code, message, field path) and Result<T>.
// Used at every boundary: HTTP handlers, the REST client, routers, providers, the reconciler,
// flags.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vane {

enum class Code {
  kOk = 0,
  kBadRequest,       // malformed input (400)
  kInvalid,          // well-formed but semantically invalid (422); field() names the path
  kNotFound,         // 404
  kAlreadyExists,    // 409 AlreadyExists
  kConflict,         // 409 Conflict (stale resourceVersion)
  kGone,             // 410 (watch resourceVersion too old)
  kTooManyRequests,  // 429; retryAfter() may be set
  kUnauthorized,     // 401
  kForbidden,        // 403
  kUnsupported,      // 415 / 405
  kTooLarge,         // 413
  kTimeout,          // deadline exceeded (client side or 504)
  kUnavailable,      // connection refused / reset, 503
  kInternal,         // 500 or a broken invariant
};

const char* codeName(Code c);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status ok() { return {}; }

  bool isOk() const { return code_ == Code::kOk; }
  explicit operator bool() const { return isOk(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  /// Field path of the offending input, e.g. "spec.strategy.canary.steps[2].setWeight".
  const std::string& field() const { return field_; }
  /// HTTP status of the response that produced this error, when it came from one (0 otherwise).
  int httpStatus() const { return http_status_; }
  Status& withHttpStatus(int s) {
    http_status_ = s;
    return *this;
  }
  std::optional<std::chrono::seconds> retryAfter() const { return retry_after_; }
  Status& withRetryAfter(std::chrono::seconds s) {
    retry_after_ = s;
    return *this;
  }
  /// True for errors worth retrying with backoff (429, 5xx, connection failures, timeouts).
  bool retryable() const {
    return code_ == Code::kTooManyRequests || code_ == Code::kUnavailable ||
           code_ == Code::kTimeout || (code_ == Code::kInternal && http_status_ >= 500);
  }
  /// "field: message" when a field is set, else the message.
  std::string toString() const {
    if (isOk()) return "ok";
    return field_.empty() ? message_ : field_ + ": " + message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string field_;
  int http_status_ = 0;
  std::optional<std::chrono::seconds> retry_after_;
};

inline const char* codeName(Code c) {
  switch (c) {
    case Code::kOk:
      return "Ok";
    case Code::kBadRequest:
      return "BadRequest";
    case Code::kInvalid:
      return "Invalid";
    case Code::kNotFound:
      return "NotFound";
    case Code::kAlreadyExists:
      return "AlreadyExists";
    case Code::kConflict:
      return "Conflict";
    case Code::kGone:
      return "Gone";
    case Code::kTooManyRequests:
      return "TooManyRequests";
    case Code::kUnauthorized:
      return "Unauthorized";
    case Code::kForbidden:
      return "Forbidden";
    case Code::kUnsupported:
      return "Unsupported";
    case Code::kTooLarge:
      return "TooLarge";
    case Code::kTimeout:
      return "Timeout";
    case Code::kUnavailable:
      return "Unavailable";
    case Code::kInternal:
      return "Internal";
  }
  return "Unknown";
}

/// A value or a non-ok Status. Accessing value() of an error is a broken invariant (asserts).
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).isOk() && "Result built from an ok Status");
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  /// The error; Status::ok() when a value is held.
  Status status() const { return ok() ? Status::ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace vane
