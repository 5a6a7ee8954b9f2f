// A fixture for the dashboard tests (header-only: only the dashboard tests link vane_dashboard):
// ControllerFixture's real API server and controller, the Rollout `web` (2 replicas, canary
// setWeight 20 / pause / setWeight 60) updated once so that it waits paused at step 1, and a
// dashboard on a free loopback port with a known session token.
#pragma once

#include <memory>
#include <string>

#include "dashboard/dashboard.h"
#include "kube/http.h"
#include "support/controller_fixture.h"
#include "support/manifests.h"

namespace vane::testing {

class DashboardFixture : public ControllerFixture {
 protected:
  inline static const std::string kToken = "0123456789abcdef0123456789abcdef";

  void SetUp() override {
    ControllerFixture::SetUp();
    if (HasFatalFailure()) return;
    applyYaml(servicesYaml({"web-canary", "web-stable"}));
    applyYaml(webRolloutYaml("nginx:1"));
    ASSERT_TRUE(waitFor([&] { return phase() == "Healthy"; }, std::chrono::seconds(30)))
        << describe();
    applyYaml(webRolloutYaml("nginx:2"));
    ASSERT_TRUE(waitFor([&] { return phase() == "Paused" && rolloutStep() == 1; },
                        std::chrono::seconds(30)))
        << describe();
    startDashboard();
  }
  void TearDown() override {
    if (dashboard_) dashboard_->stop();
    ControllerFixture::TearDown();
  }

  void startDashboard() {
    dashboard::DashboardOptions opts;
    opts.port = 0;
    opts.token = kToken;
    opts.flush_interval = std::chrono::milliseconds(100);
    auto d = dashboard::Dashboard::start(*client_, opts);
    ASSERT_TRUE(d.ok()) << d.status().toString();
    dashboard_ = std::move(d.value());
    ASSERT_TRUE(dashboard_->waitForSync(std::chrono::seconds(10)));
    auto c = http::Client::create({});
    ASSERT_TRUE(c.ok());
    http_ = std::move(c.value());
  }

  static std::string webRolloutYaml(const std::string& image) {
    return webRollout(image, 2, R"(    canary:
      canaryService: web-canary
      stableService: web-stable
      steps:
      - setWeight: 20
      - pause: {}
      - setWeight: 60
)");
  }

  std::string phase() { return status("phase"); }
  int rolloutStep() {
    return rollout().value("status", nlohmann::json::object()).value("currentStepIndex", -1);
  }

  std::string port() const { return std::to_string(dashboard_->port()); }
  std::string base() const { return "http://127.0.0.1:" + port(); }
  std::pair<std::string, std::string> cookieHeader() const {
    return {"Cookie", "vane_dashboard_session=" + kToken};
  }

  http::ClientResponse send(const std::string& method, const std::string& path,
                            const std::string& body, http::Headers headers) {
    http::ClientRequest req;
    req.method = method;
    req.url = base() + path;
    req.body = body;
    req.headers = std::move(headers);
    req.timeout = std::chrono::seconds(20);
    auto r = http_->send(req);
    EXPECT_TRUE(r.ok()) << method << " " << path << ": " << r.status().toString();
    return r.ok() ? r.value() : http::ClientResponse{};
  }
  /// A GET as the page makes it (with the session cookie).
  http::ClientResponse get(const std::string& path) {
    return send("GET", path, "", {cookieHeader()});
  }
  nlohmann::json getJson(const std::string& path) {
    auto r = get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  /// A POST as the page makes it (cookie and its own Origin).
  http::ClientResponse post(const std::string& path, const std::string& body) {
    return send("POST", path, body,
                {cookieHeader(), {"Origin", base()}, {"Content-Type", "application/json"}});
  }

  std::unique_ptr<dashboard::Dashboard> dashboard_;
  std::unique_ptr<http::Client> http_;
};

}  // namespace vane::testing
