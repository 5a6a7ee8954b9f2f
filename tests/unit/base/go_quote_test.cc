#include "base/go_quote.h"

#include <gtest/gtest.h>

namespace vane::base {
namespace {

// The values Go's strconv.Quote gives for the same inputs.
TEST(GoQuote, EscapesAsGoDoes) {
  EXPECT_EQ(goQuote(""), R"("")");
  EXPECT_EQ(goQuote("web"), R"("web")");
  EXPECT_EQ(goQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(goQuote("l1\nl2\tx\r"), R"("l1\nl2\tx\r")");
  EXPECT_EQ(goQuote(std::string("\x01\x1f\x7f", 3)), R"("\x01\x1f\x7f")");
  EXPECT_EQ(goQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

}  // namespace
}  // namespace vane::base
