// base/duration: Go's ParseDuration test table (src/time/time_test.go), then Vane's bare seconds.
#include "base/duration.h"

#include <gtest/gtest.h>

namespace vane::base {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

struct Case {
  const char* in;
  nanoseconds want;
};

TEST(ParseGoDuration, GoTable) {
  const int64_t kMax = INT64_MAX, kMin = INT64_MIN;
  const Case cases[] = {
      {"0", nanoseconds(0)},
      {"5s", seconds(5)},
      {"30s", seconds(30)},
      {"1478s", seconds(1478)},
      {"-5s", seconds(-5)},
      {"+5s", seconds(5)},
      {"-0", nanoseconds(0)},
      {"+0", nanoseconds(0)},
      {"5.0s", seconds(5)},
      {"5.6s", seconds(5) + milliseconds(600)},
      {"5.s", seconds(5)},
      {".5s", milliseconds(500)},
      {"1.0s", seconds(1)},
      {"1.00s", seconds(1)},
      {"1.004s", seconds(1) + milliseconds(4)},
      {"1.0040s", seconds(1) + milliseconds(4)},
      {"100.00100s", seconds(100) + milliseconds(1)},
      {"10ns", nanoseconds(10)},
      {"11us", microseconds(11)},
      {"12\xC2\xB5s", microseconds(12)},  // U+00B5
      {"12\xCE\xBCs", microseconds(12)},  // U+03BC
      {"13ms", milliseconds(13)},
      {"14s", seconds(14)},
      {"15m", minutes(15)},
      {"16h", hours(16)},
      {"3h30m", hours(3) + minutes(30)},
      {"10.5s4m", minutes(4) + seconds(10) + milliseconds(500)},
      {"-2m3.4s", -(minutes(2) + seconds(3) + milliseconds(400))},
      {"1h2m3s4ms5us6ns",
       hours(1) + minutes(2) + seconds(3) + milliseconds(4) + microseconds(5) + nanoseconds(6)},
      {"39h9m14.425s", hours(39) + minutes(9) + seconds(14) + milliseconds(425)},
      {"52763797000ns", nanoseconds(52763797000)},
      {"0.3333333333333333333h", minutes(20)},
      {"9007199254740993ns", nanoseconds((int64_t{1} << 53) + 1)},
      {"9223372036854775807ns", nanoseconds(kMax)},
      {"9223372036854775.807us", nanoseconds(kMax)},
      {"9223372036s854ms775us807ns", nanoseconds(kMax)},
      {"-9223372036854775808ns", nanoseconds(kMin)},
      {"-9223372036854775.808us", nanoseconds(kMin)},
      {"-9223372036s854ms775us808ns", nanoseconds(kMin)},
      {"-2562047h47m16.854775808s", nanoseconds(kMin)},
      {"0.100000000000000000000h", minutes(6)},
      {"0.830103483285477580700h", minutes(49) + seconds(48) + nanoseconds(372539827)},
      {"1.5h", hours(1) + minutes(30)},
      {"1m30s", seconds(90)},
  };
  for (const Case& c : cases) {
    auto d = parseGoDuration(c.in);
    ASSERT_TRUE(d.ok()) << c.in << ": " << d.status().message();
    EXPECT_EQ(d->count(), c.want.count()) << c.in;
  }
}

TEST(ParseGoDuration, GoErrorTable) {
  for (const char* in : {"",
                         "3",
                         "-",
                         "s",
                         ".",
                         "-.",
                         ".s",
                         "+.s",
                         "1d",
                         "\x85\x85",
                         "\xff"
                         "ff",
                         "hello \xff"
                         "ff world",
                         "9223372036854775808ns",
                         "9223372036854775.808us",
                         "9223372036854ms775us808ns",
                         "-9223372036854775809ns",
                         "5 minutes",
                         "1h 30m",
                         "inf",
                         "nan"}) {
    auto d = parseGoDuration(in);
    EXPECT_FALSE(d.ok()) << in;
    if (!d.ok()) {
      EXPECT_EQ(d.status().code(), Code::kInvalid);
      EXPECT_NE(d.status().message().find("\"" + std::string(in) + "\""), std::string::npos)
          << d.status().message();
    }
  }
}

TEST(ParseGoDuration, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(parseGoDuration("3").status().message(), "missing unit in duration \"3\"");
  EXPECT_NE(parseGoDuration("1d").status().message().find("unknown unit \"d\" in duration \"1d\""),
            std::string::npos);
  EXPECT_EQ(parseGoDuration("x").status().message(), "invalid duration \"x\"");
}

TEST(ParseDuration, BareIntegerIsSeconds) {
  EXPECT_EQ(*parseDuration("30"), seconds(30));
  EXPECT_EQ(*parseDuration("0"), seconds(0));
  EXPECT_EQ(*parseDuration("-5"), seconds(-5));
  EXPECT_EQ(*parseDuration("+7"), seconds(7));
  EXPECT_EQ(*parseDuration("9223372036"), seconds(9223372036));
  EXPECT_FALSE(parseDuration("9223372037").ok());  // past int64 nanoseconds
  EXPECT_FALSE(parseDuration("99999999999999999999999").ok());
}

TEST(ParseDuration, OtherwiseGo) {
  EXPECT_EQ(*parseDuration("1m30s"), seconds(90));
  EXPECT_EQ(*parseDuration("1.5h"), minutes(90));
  EXPECT_EQ(*parseDuration("300ms"), milliseconds(300));
  EXPECT_EQ(*parseDuration("2us"), microseconds(2));
  EXPECT_EQ(*parseDuration("-1s"), seconds(-1));
  EXPECT_FALSE(parseDuration("").ok());
  EXPECT_FALSE(parseDuration("-").ok());
  EXPECT_FALSE(parseDuration("soon").ok());
  EXPECT_FALSE(parseDuration("1d").ok());
  EXPECT_FALSE(parseDuration("30 ").ok());
}

}  // namespace
}  // namespace vane::base
