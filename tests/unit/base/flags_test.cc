#include "base/flags.h"

#include <gtest/gtest.h>

namespace vane::base {
namespace {

FlagSet daemonFlags() {
  return FlagSet(
      "prog [flags]", "A daemon.",
      {FlagSpec("kubeconfig", 0, FlagKind::kString, "Kubeconfig file"),
       FlagSpec("namespace", 'n', FlagKind::kString, "Namespace"),
       FlagSpec("workers", 0, FlagKind::kInt, "Workers", "2").mustBePositive(),
       FlagSpec("qps", 0, FlagKind::kNumber, "Client QPS", "40"),
       FlagSpec("lease", 0, FlagKind::kDuration, "Lease", "15s")
           .alias("leader-elect-lease-duration")
           .mustBePositive(),
       FlagSpec("delay", 0, FlagKind::kDuration, "Delay", "1s"),
       FlagSpec("log-format", 0, FlagKind::kString, "Log format", "text").oneOf({"text", "json"}),
       FlagSpec("leader-elect", 0, FlagKind::kBool, "Leader election")});
}

TEST(FlagSet, DefaultsWhenNotGiven) {
  FlagSet f = daemonFlags();
  ASSERT_TRUE(f.parse(std::vector<std::string>{}).isOk());
  EXPECT_EQ(f.integer("workers"), 2);
  EXPECT_DOUBLE_EQ(f.number("qps"), 40);
  EXPECT_EQ(f.duration("lease"), std::chrono::seconds(15));
  EXPECT_EQ(f.str("log-format"), "text");
  EXPECT_FALSE(f.boolean("leader-elect"));
  EXPECT_FALSE(f.has("qps"));
  EXPECT_FALSE(f.help());
}

TEST(FlagSet, ReadsEverySpelling) {
  FlagSet f = daemonFlags();
  Status st = f.parse({"--kubeconfig", "/k", "-n=ns", "--qps=2.5", "--workers", "8",
                       "--leader-elect", "--leader-elect-lease-duration", "1m30s", "--delay=0",
                       "--log-format", "json", "rest"});
  ASSERT_TRUE(st.isOk()) << st.message();
  EXPECT_EQ(f.str("kubeconfig"), "/k");
  EXPECT_EQ(f.str("namespace"), "ns");
  EXPECT_DOUBLE_EQ(f.number("qps"), 2.5);
  EXPECT_EQ(f.integer("workers"), 8);
  EXPECT_TRUE(f.boolean("leader-elect"));
  EXPECT_EQ(f.durationAs<std::chrono::milliseconds>("lease").count(), 90000);
  EXPECT_EQ(f.duration("delay").count(), 0);
  EXPECT_EQ(f.str("log-format"), "json");
  EXPECT_EQ(f.args(), std::vector<std::string>{"rest"});
  EXPECT_TRUE(f.has("qps"));
}

TEST(FlagSet, BadValuesNameTheFlag) {
  struct Bad {
    std::vector<std::string> argv;
    std::string message;
  };
  const Bad cases[] = {
      {{"--qps", "fast"}, "--qps fast: invalid value \"fast\": want a number"},
      {{"--qps=inf"}, "--qps inf: invalid value \"inf\": want a number"},
      {{"--workers", "two"}, "--workers two: invalid value \"two\": want a positive integer"},
      {{"--workers", "0"}, "--workers 0: invalid value \"0\": want a positive integer"},
      {{"--workers", "3x"}, "--workers 3x: invalid value \"3x\": want a positive integer"},
      {{"--lease", "soon"},
       "--lease soon: invalid value \"soon\": want a positive duration such as 30s, 1m30s, 1.5h "
       "or 500ms"},
      {{"--leader-elect-lease-duration", "0s"},
       "--leader-elect-lease-duration 0s: invalid value \"0s\": want a positive duration such as "
       "30s, 1m30s, 1.5h or 500ms"},
      {{"--delay", "-1s"},
       "--delay -1s: invalid value \"-1s\": want a duration such as 30s, 1m30s, 1.5h or 500ms"},
      {{"--log-format", "xml"}, "--log-format xml: invalid value \"xml\": want one of text, json"},
      {{"--leader-elect=maybe"},
       "--leader-elect maybe: invalid value \"maybe\": want true or false"},
      {{"--bogus"}, "unknown flag: --bogus"},
      {{"-x"}, "unknown flag: -x"},
      {{"--kubeconfig"}, "flag needs an argument: --kubeconfig"},
  };
  for (const Bad& b : cases) {
    FlagSet f = daemonFlags();
    Status st = f.parse(b.argv);
    EXPECT_EQ(st.code(), Code::kBadRequest) << b.argv[0];
    EXPECT_EQ(st.message(), b.message);
  }
}

TEST(FlagSet, HelpListsEveryFlag) {
  FlagSet f = daemonFlags();
  ASSERT_TRUE(f.parse({"--help"}).isOk());
  EXPECT_TRUE(f.help());
  FlagSet g = daemonFlags();
  ASSERT_TRUE(g.parse({"-h"}).isOk());
  EXPECT_TRUE(g.help());
  std::string usage = f.usage();
  EXPECT_EQ(usage.rfind("Usage: prog [flags]\n\nA daemon.\n", 0), 0u) << usage;
  for (const FlagSpec& spec : f.flags()) {
    EXPECT_NE(usage.find("--" + spec.name), std::string::npos) << spec.name;
  }
  EXPECT_NE(usage.find("--qps float"), std::string::npos) << usage;
  EXPECT_NE(usage.find("--lease duration"), std::string::npos) << usage;
  EXPECT_NE(usage.find("(default 15s)"), std::string::npos) << usage;
  EXPECT_NE(usage.find("(text|json)"), std::string::npos) << usage;
  EXPECT_NE(usage.find("[also --leader-elect-lease-duration]"), std::string::npos) << usage;
}

TEST(FlagSet, DoubleDashEndsFlags) {
  FlagSet f = daemonFlags();
  ASSERT_TRUE(f.parse({"--", "--qps", "x"}).isOk());
  EXPECT_EQ(f.args(), (std::vector<std::string>{"--qps", "x"}));
  EXPECT_FALSE(f.has("qps"));
}

TEST(SplitArgs, ShorthandForms) {
  std::vector<FlagSpec> table = {{"namespace", 'n', false, "ns"}, {"all", 'A', true, "all"}};
  auto lookup = [&](std::string_view name, char s) { return findFlag(table, name, s); };
  std::vector<RawFlag> flags;
  std::vector<std::string> plain;
  ASSERT_TRUE(splitArgs({"-nfoo", "-A", "word", "-n", "bar"}, lookup, flags, plain).isOk());
  ASSERT_EQ(flags.size(), 3u);
  EXPECT_EQ(flags[0].typed, "-n");
  EXPECT_EQ(flags[0].value, "foo");
  EXPECT_EQ(flags[1].value, "true");
  EXPECT_EQ(flags[2].value, "bar");
  EXPECT_EQ(plain, std::vector<std::string>{"word"});
}

}  // namespace
}  // namespace vane::base
