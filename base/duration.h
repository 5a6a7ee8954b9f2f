// Durations as users write them: Go's time.ParseDuration ("1h30m", "1.5h", "300ms", "2us", "-5s"),
// plus Argo's rule that a bare integer counts seconds (RolloutPause.DurationSeconds).
#pragma once

#include <chrono>
#include <string_view>

#include "base/status.h"

namespace vane::base {

/// Exactly Go's time.ParseDuration: an optional sign, then one or more <decimal><unit> parts with
/// units ns, us, µs, μs, ms, s, m, h; "0" alone needs no unit. Overflow past int64 nanoseconds is
/// an error. Errors (kInvalid) quote the input, e.g. `unknown unit "d" in duration "1d"`.
Result<std::chrono::nanoseconds> parseGoDuration(std::string_view s);

/// The one duration syntax of Vane's manifests, flags and CLI: a Go duration, or a bare integer
/// ("30", "-5") meaning seconds, as Argo reads a pause duration. Negative values are returned as
/// such; callers that need a positive duration say so in their own error.
Result<std::chrono::nanoseconds> parseDuration(std::string_view s);

}  // namespace vane::base
