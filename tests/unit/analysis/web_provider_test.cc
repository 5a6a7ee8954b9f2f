// The web provider against a real vane::http::Server on 127.0.0.1, port 0.
#include "analysis/web_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "analysis/analysis_run.h"

namespace vane::analysis {
namespace {

using ::testing::HasSubstr;

class WebProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = http::Server::start({}, [this](const http::Request& r) {
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
      }
      if (r.path == "/fail") return http::Response::text(503, "down for maintenance");
      if (r.path == "/html") return http::Response::text(200, "<html>");
      return http::Response::json(200, R"({"data":{"ok":true,"rate":0.01,"items":[3,4]}})");
    });
    ASSERT_TRUE(s.ok()) << s.status().message();
    server_ = std::move(s).value();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  Measurement measure(json web, json conditions = json::object()) {
    json metric = {{"name", "w"}, {"provider", {{"web", web}}}};
    metric.update(conditions);
    MetricContext ctx{metric, "default", "run", "uid", std::chrono::system_clock::now()};
    return provider_.run(ctx);
  }

  WebProvider provider_;
  std::unique_ptr<http::Server> server_;
  std::string base_;
  std::mutex mu_;
  std::vector<http::Request> requests_;
};

TEST_F(WebProviderTest, JsonPathValueJudged) {
  auto m = measure({{"url", base_ + "/status"}, {"jsonPath", "{$.data.rate}"}},
                   {{"successCondition", "result < 0.05"}});
  EXPECT_EQ(m.phase, Phase::kSuccessful) << m.message;
  EXPECT_EQ(m.value, "0.01");
  auto f = measure({{"url", base_ + "/status"}, {"jsonPath", "{$.data.items}"}},
                   {{"successCondition", "all(result, # > 3)"}});
  EXPECT_EQ(f.phase, Phase::kFailed);
  EXPECT_EQ(f.message, "result [3,4] failed \"all(result, # > 3)\"");
}

TEST_F(WebProviderTest, PostWithHeadersAndJsonBody) {
  auto m = measure({{"url", base_ + "/check"},
                    {"method", "POST"},
                    {"headers", {{{"key", "X-Token"}, {"value", "abc"}}}},
                    {"jsonBody", {{"q", 1}}},
                    {"jsonPath", "{$.data.ok}"}},
                   {{"successCondition", "result == true"}});
  EXPECT_EQ(m.phase, Phase::kSuccessful) << m.message;
  std::lock_guard lock(mu_);
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].method, "POST");
  EXPECT_EQ(requests_[0].header("X-Token"), "abc");
  EXPECT_EQ(requests_[0].body, R"({"q":1})");
}

TEST_F(WebProviderTest, ErrorsAreErrorMeasurements) {
  auto down = measure({{"url", base_ + "/fail"}});
  EXPECT_EQ(down.phase, Phase::kError);
  EXPECT_EQ(down.message, "received non 2xx response code: 503 down for maintenance");
  auto html = measure({{"url", base_ + "/html"}});
  EXPECT_EQ(html.phase, Phase::kError);
  EXPECT_THAT(html.message, HasSubstr("response is not JSON"));
  auto bad_method = measure({{"url", base_ + "/x"}, {"method", "DELETE"}});
  EXPECT_EQ(bad_method.phase, Phase::kError);
  auto refused = measure({{"url", "http://127.0.0.1:1/x"}});
  EXPECT_EQ(refused.phase, Phase::kError);
}

TEST_F(WebProviderTest, DrivesAnAnalysisRun) {
  ProviderRegistry registry;
  registry.add(std::make_unique<WebProvider>());
  json run = {{"metadata", {{"name", "r"}, {"namespace", "default"}}},
              {"spec",
               {{"metrics",
                 {{{"name", "health"},
                   {"successCondition", "result.ok && result.rate < 0.05"},
                   {"provider",
                    {{"web", {{"url", base_ + "/{{args.path}}"}, {"jsonPath", "{$.data}"}}}}}}}},
                {"args", {{{"name", "path"}, {"value", "status"}}}}}}};
  auto out = reconcileAnalysisRun(run, std::chrono::system_clock::now(), registry);
  EXPECT_EQ(out.status["phase"], "Successful") << out.status.dump(2);
}

}  // namespace
}  // namespace vane::analysis
