#include "base/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

namespace vane::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void use(Format format, Level level = Level::kInfo) {
    Options o;
    o.format = format;
    o.level = level;
    o.out = &out_;
    o.clock = [] {
      return std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    };
    configure(o);
  }
  void TearDown() override { configure(Options{}); }
  std::ostringstream out_;
};

TEST_F(LogTest, TextLineWithFields) {
  use(Format::kText);
  info("reconciled", {{"rollout", "web"}, {"namespace", "prod"}, {"revision", 3}});
  EXPECT_EQ(out_.str(),
            "2023-11-14T22:13:20.000000Z info reconciled rollout=web namespace=prod revision=3\n");
}

TEST_F(LogTest, TextQuotesValuesWithSpaces) {
  use(Format::kText);
  error("sync failed", {{"error", "connection refused"}});
  EXPECT_EQ(out_.str(),
            "2023-11-14T22:13:20.000000Z error sync failed error=\"connection refused\"\n");
}

TEST_F(LogTest, JsonLineWithTypedFields) {
  use(Format::kJson);
  warn("slow \"list\"", {{"rollout", "web"}, {"revision", 3}, {"leader", true}});
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.000000Z");
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["msg"], "slow \"list\"");
  EXPECT_EQ(j["rollout"], "web");
  EXPECT_EQ(j["revision"], 3);
  EXPECT_EQ(j["leader"], true);
}

TEST_F(LogTest, LevelFilters) {
  use(Format::kText, Level::kWarn);
  debug("no");
  info("no");
  warn("yes");
  EXPECT_FALSE(enabled(Level::kInfo));
  EXPECT_TRUE(enabled(Level::kError));
  EXPECT_EQ(out_.str().find(" no"), std::string::npos);
  EXPECT_NE(out_.str().find("warning yes"), std::string::npos);
}

TEST_F(LogTest, ParsesFlagValues) {
  EXPECT_EQ(*parseLevel("debug"), Level::kDebug);
  EXPECT_EQ(*parseLevel("warning"), Level::kWarn);
  EXPECT_EQ(*parseFormat("json"), Format::kJson);
  EXPECT_NE(parseLevel("loud").status().message().find("\"loud\""), std::string::npos);
  EXPECT_NE(parseFormat("xml").status().message().find("\"xml\""), std::string::npos);
}

TEST_F(LogTest, LinesFromThreadsDoNotInterleave) {
  use(Format::kJson);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) info("line", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  std::istringstream in(out_.str());
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);  // throws on a torn line
    EXPECT_EQ(j["msg"], "line");
    ++n;
  }
  EXPECT_EQ(n, 800);
}

}  // namespace
}  // namespace vane::log
