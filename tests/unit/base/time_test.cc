#include "base/time.h"

#include <gtest/gtest.h>

namespace vane::base {
namespace {

using namespace std::chrono;

TEST(Rfc3339, FormatsWholeSecondsInUtc) {
  EXPECT_EQ(formatRfc3339(int64_t{0}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatRfc3339(int64_t{1700000000}), "2023-11-14T22:13:20Z");
  TimePoint t = TimePoint(seconds(1700000000)) + milliseconds(999);
  EXPECT_EQ(formatRfc3339(t), "2023-11-14T22:13:20Z");  // rounded down
}

TEST(Rfc3339, FormatsMicroTime) {
  TimePoint t = TimePoint(seconds(1700000000)) + microseconds(42);
  EXPECT_EQ(formatRfc3339Micro(t), "2023-11-14T22:13:20.000042Z");
  EXPECT_EQ(formatRfc3339Micro(TimePoint(seconds(1))), "1970-01-01T00:00:01.000000Z");
}

TEST(Rfc3339, ParsesWhatKubernetesWrites) {
  EXPECT_EQ(parseRfc3339Seconds("2023-11-14T22:13:20Z"), 1700000000);
  EXPECT_EQ(parseRfc3339Seconds("2023-11-14t22:13:20z"), 1700000000);
  EXPECT_EQ(parseRfc3339Seconds("2023-11-14T22:13:20"), 1700000000);  // no zone: UTC
  EXPECT_EQ(parseRfc3339Seconds("2023-11-14T23:13:20+01:00"), 1700000000);
  EXPECT_EQ(parseRfc3339Seconds("2023-11-14T21:43:20-00:30"), 1700000000);
  auto micro = parseRfc3339("2023-11-14T22:13:20.000042Z");
  ASSERT_TRUE(micro);
  EXPECT_EQ(duration_cast<microseconds>(micro->time_since_epoch()).count(),
            1700000000LL * 1000000 + 42);
  auto frac = parseRfc3339("2023-11-14T22:13:20.5Z");
  ASSERT_TRUE(frac);
  EXPECT_EQ(duration_cast<milliseconds>(frac->time_since_epoch()).count() % 1000, 500);
}

TEST(Rfc3339, RoundTrips) {
  TimePoint t = TimePoint(seconds(1765150000)) + microseconds(123456);
  EXPECT_EQ(parseRfc3339(formatRfc3339Micro(t)), t);
  EXPECT_EQ(parseRfc3339Seconds(formatRfc3339(int64_t{1765150000})), 1765150000);
}

TEST(Rfc3339, RefusesMalformed) {
  for (const char* s : {"", "2023", "2023-11-14", "2023-11-14T22:13", "2023/11/14T22:13:20Z",
                        "2023-13-14T22:13:20Z", "2023-11-14T22:13:20Zjunk", "2023-11-14T22:13:20.Z",
                        "2023-11-14T22:13:20+0100", "soon"}) {
    EXPECT_FALSE(parseRfc3339(s)) << s;
  }
}

// An exec credential may expire in year 2999: seconds are exact there, where a nanosecond
// time_point (system_clock on Linux) stops at 2262 and is refused rather than wrapped.
TEST(Rfc3339, SecondsBeyondTheNanosecondClock) {
  EXPECT_EQ(parseRfc3339Seconds("2999-01-01T00:00:00Z"), int64_t{32472144000});
  EXPECT_EQ(parseRfc3339Seconds("9999-12-31T23:59:59Z"), int64_t{253402300799});
  EXPECT_FALSE(parseRfc3339("2999-01-01T00:00:00Z").has_value());
  EXPECT_TRUE(parseRfc3339("2200-01-01T00:00:00Z").has_value());
}

}  // namespace
}  // namespace vane::base
