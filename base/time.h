// RFC 3339 timestamps as Kubernetes writes them: metav1.Time ("2006-01-02T15:04:05Z", whole
// seconds, UTC) and metav1.MicroTime ("2006-01-02T15:04:05.000000Z").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vane::base {

using TimePoint = std::chrono::system_clock::time_point;

/// metav1.Time: UTC, whole seconds (the fraction is dropped, rounding down).
std::string formatRfc3339(TimePoint t);
std::string formatRfc3339(int64_t unix_seconds);
/// metav1.MicroTime: UTC with six fractional digits.
std::string formatRfc3339Micro(TimePoint t);

/// "YYYY-MM-DDTHH:MM:SS" with an optional fraction (kept to the microsecond) and a zone ("Z" or
/// "+hh:mm"/"-hh:mm"; none is read as UTC). "t" or a space may stand for "T". nullopt otherwise.
std::optional<TimePoint> parseRfc3339(std::string_view s);
/// The same, as Unix seconds (rounded down).
std::optional<int64_t> parseRfc3339Seconds(std::string_view s);

}  // namespace vane::base
