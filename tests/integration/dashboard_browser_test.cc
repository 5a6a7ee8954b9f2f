// The dashboard in a real browser: headless Chromium (Debian's `chromium`) driven over the
// DevTools protocol. Clicks go through the page's own JavaScript (element.click()), and what the
// test checks is what the page shows, updated live. A screenshot of each page is kept under
// <build>/test-artifacts/dashboard/.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/dashboard_fixture.h"
#include "support/dashboard_rbac_fixture.h"

namespace vane::dashboard {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using vane::testing::waitFor;
namespace beast = boost::beast;
namespace asio = boost::asio;

std::string chromiumBinary() {
  for (const char* c :
       {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (::access(c, X_OK) == 0) return c;
  }
  return "";
}

std::string artifactDir() {
  const char* bin = std::getenv("VANE_BIN_DIR");
  std::string dir = std::string(bin ? bin : VANE_BIN_DIR) + "/../test-artifacts/dashboard";
  std::filesystem::create_directories(dir);
  return dir;
}

std::string base64Decode(const std::string& in) {
  static const std::string kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    auto pos = kChars.find(c);
    if (pos == std::string::npos) break;
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// Headless Chromium and one page's DevTools session (synchronous; a watchdog kills the browser
// when a test overruns, which ends any blocked read).
class Browser {
 public:
  bool start(const std::string& dir) {
    std::string bin = chromiumBinary();
    if (bin.empty()) return false;
    process_ = std::make_unique<vane::testing::Process>(
        std::vector<std::string>{bin, "--headless=new", "--no-sandbox", "--disable-gpu",
                                 "--no-first-run", "--disable-extensions",
                                 "--remote-debugging-port=0", "--window-size=1280,900",
                                 "--user-data-dir=" + dir + "/profile", "about:blank"},
        dir + "/chromium.log");
    std::string port;
    bool up = waitFor(
        [&] {
          std::string log = process_->log();
          auto at = log.find("DevTools listening on ws://127.0.0.1:");
          if (at == std::string::npos) return false;
          at += std::string("DevTools listening on ws://127.0.0.1:").size();
          port = log.substr(at, log.find('/', at) - at);
          return true;
        },
        seconds(15));
    if (!up) return false;
    auto client = http::Client::create({});
    http::ClientRequest req;
    req.url = "http://127.0.0.1:" + port + "/json/list";
    std::string ws_path;
    waitFor(
        [&] {
          auto r = client.value()->send(req);
          if (!r.ok() || r->status != 200) return false;
          for (const json& t : json::parse(r->body, nullptr, false)) {
            if (t.value("type", "") == "page" && t.value("url", "") == "about:blank") {
              std::string url = t.value("webSocketDebuggerUrl", "");
              ws_path = url.substr(url.find('/', 5));
              return true;
            }
          }
          return false;
        },
        seconds(10));
    if (ws_path.empty()) return false;
    try {
      asio::ip::tcp::resolver resolver(ioc_);
      asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", port));
      ws_.handshake("127.0.0.1:" + port, ws_path);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "DevTools connect: " << e.what();
      return false;
    }
    watchdog_ = std::thread([this] {
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, seconds(55), [this] { return done_; })) {
        ADD_FAILURE() << "browser test overran; killing Chromium";
        process_->kill9();
        beast::error_code ec;
        ws_.next_layer().close(ec);
      }
    });
    return call("Page.enable").contains("result");
  }
  ~Browser() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
    beast::error_code ec;
    ws_.next_layer().close(ec);
    if (process_) process_->terminate(std::chrono::seconds(2));
  }

  /// Sends a DevTools command and returns its response (events before it are skipped).
  json call(const std::string& method, json params = json::object()) {
    int id = next_id_++;
    try {
      ws_.write(asio::buffer(json{{"id", id}, {"method", method}, {"params", params}}.dump()));
      while (true) {
        beast::flat_buffer buf;
        ws_.read(buf);
        json msg = json::parse(beast::buffers_to_string(buf.data()), nullptr, false);
        if (msg.value("id", -1) == id) return msg;
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << method << ": " << e.what();
      return json::object();
    }
  }
  /// The value of a JavaScript expression evaluated in the page (awaiting promises).
  json eval(const std::string& expression) {
    json r = call("Runtime.evaluate",
                  {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
    return r["result"]["result"].value("value", json());
  }
  /// Polls the expression until it is true.
  bool waitTrue(const std::string& expression, seconds timeout = seconds(15)) {
    return waitFor([&] { return eval(expression) == json(true); }, timeout);
  }
  void navigate(const std::string& url) { call("Page.navigate", {{"url", url}}); }
  void click(const std::string& selector) {
    EXPECT_EQ(eval("(() => { const e = document.querySelector(" + json(selector).dump() +
                   "); if (!e) return false; e.click(); return true; })()"),
              json(true))
        << "no element " << selector;
  }
  void screenshot(const std::string& name) {
    json r = call("Page.captureScreenshot", {{"format", "png"}});
    std::string data = r["result"].value("data", "");
    ASSERT_FALSE(data.empty()) << "screenshot " << name;
    std::ofstream(artifactDir() + "/" + name + ".png", std::ios::binary) << base64Decode(data);
  }
  std::string text(const std::string& selector) {
    json v = eval("document.querySelector(" + json(selector).dump() + ")?.textContent ?? ''");
    return v.is_string() ? v.get<std::string>() : "";
  }

 private:
  std::unique_ptr<vane::testing::Process> process_;
  asio::io_context ioc_;
  beast::websocket::stream<asio::ip::tcp::socket> ws_{ioc_};
  int next_id_ = 1;
  std::thread watchdog_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

json seededRollout(const std::string& name) {
  return json::parse(R"({"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout",
    "metadata":{"name":")" +
                     name + R"(","namespace":"default"},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":")" +
                     name + R"("}},
      "template":{"metadata":{"labels":{"app":")" +
                     name + R"("}},
        "spec":{"containers":[{"name":"app","image":"registry.local/)" +
                     name + R"(:1.0"}]}},
      "strategy":{"canary":{"steps":[{"setWeight":50},{"pause":{"duration":"1h"}}]}}}})");
}

class DashboardBrowserTest : public vane::testing::DashboardFixture {
 protected:
  void SetUp() override {
    if (chromiumBinary().empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup)";
    DashboardFixture::SetUp();
  }
};

TEST_F(DashboardBrowserTest, ListPromoteSetImageAndAbortThroughThePage) {
  for (const char* name : {"api", "cart"}) {
    ASSERT_TRUE(client_->create(kube::resources::kRollouts, "default", seededRollout(name)).ok());
  }
  Browser browser;
  ASSERT_TRUE(browser.start(dir_)) << "Chromium did not start";
  browser.navigate(dashboard_->url());  // ?token= is traded for the session cookie
  ASSERT_TRUE(browser.waitTrue(
      "document.querySelectorAll('#rollouts tbody tr').length === 3 && "
      "!!document.querySelector('tr[data-rollout=\"default/web\"][data-phase=\"Paused\"]')"))
      << browser.text("#main");
  EXPECT_EQ(browser.text("button[data-phase=Paused]"), "Paused 1");
  EXPECT_NE(browser.text("tr[data-rollout=\"default/web\"]").find("nginx:2"), std::string::npos);
  ASSERT_TRUE(
      browser.waitTrue("document.querySelectorAll('#rollouts tbody tr.attention').length >= 1"));
  browser.screenshot("rollout-list");
  // The name filter, through the page's own input.
  browser.eval(
      "(() => { const i = document.querySelector('#filter-name'); i.value = 'car'; "
      "i.dispatchEvent(new Event('change')); })()");
  EXPECT_TRUE(
      browser.waitTrue("document.querySelectorAll('#rollouts tbody tr').length === 1 && "
                       "!!document.querySelector('tr[data-rollout=\"default/cart\"]')"));

  // The Rollout page: paused at step 2 of 3.
  browser.navigate(base() + "/rollouts/default/web");
  ASSERT_TRUE(
      browser.waitTrue("!!document.querySelector('#action-promote') && "
                       "document.querySelector('#steps li.current')?.dataset.state === "
                       "'current' && document.querySelectorAll('#revisions .card').length >= 2"))
      << browser.text("#main");
  EXPECT_NE(browser.text("#steps li.current").find("Pause"), std::string::npos);
  browser.screenshot("rollout-page-paused");

  browser.click("#action-promote");
  ASSERT_TRUE(browser.waitTrue("document.querySelector('#action-result')?.className === 'ok'"))
      << browser.text("#action-result");
  // Live: the page follows the controller to the end without a reload.
  EXPECT_TRUE(browser.waitTrue("document.querySelector('#phase')?.dataset.phase === 'Healthy'",
                               seconds(25)))
      << browser.text("#main") << "\n"
      << describe();
  EXPECT_GE(rolloutStep(), 2);

  // Set image through the page's inputs, then abort the new revision.
  browser.eval(
      "(() => { document.querySelector('#image-container').value = 'web'; "
      "document.querySelector('#image-value').value = 'nginx:3'; })()");
  browser.click("#action-set-image");
  ASSERT_TRUE(
      browser.waitTrue("document.querySelector('#phase')?.dataset.phase === 'Paused'", seconds(25)))
      << browser.text("#main") << "\n"
      << describe();
  browser.click("#action-abort");
  EXPECT_TRUE(browser.waitTrue("document.querySelector('#phase')?.dataset.phase === 'Degraded'",
                               seconds(25)))
      << browser.text("#main") << "\n"
      << describe();
  EXPECT_EQ(phase(), "Degraded");
  browser.screenshot("rollout-page-aborted");
}

class DashboardBrowserRbacTest : public vane::testing::DashboardRbacFixture {
 protected:
  void SetUp() override {
    if (chromiumBinary().empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup)";
    DashboardRbacFixture::SetUp();
  }
};

TEST_F(DashboardBrowserRbacTest, AUserWithoutTheRightSeesTheRefusal) {
  Browser browser;
  ASSERT_TRUE(browser.start(dir_)) << "Chromium did not start";
  browser.navigate(base() + "/");
  ASSERT_TRUE(browser.waitTrue("!!document.querySelector('#login-token')"))
      << browser.text("#main");
  browser.screenshot("sign-in");
  browser.eval("document.querySelector('#login-token').value = 'bob-token'");
  browser.click("#login button");
  ASSERT_TRUE(browser.waitTrue("document.querySelectorAll('#rollouts tbody tr').length === 1"))
      << browser.text("#main");
  EXPECT_TRUE(browser.waitTrue("!!document.querySelector('tr[data-rollout=\"prod/web\"]')"));
  browser.navigate(base() + "/rollouts/prod/web");
  ASSERT_TRUE(browser.waitTrue("!!document.querySelector('#action-abort')"))
      << browser.text("#main");
  browser.click("#action-abort");
  ASSERT_TRUE(browser.waitTrue("document.querySelector('#action-result')?.className === 'refused'"))
      << browser.text("#action-result");
  std::string shown = browser.text("#action-result");
  EXPECT_NE(shown.find("403"), std::string::npos) << shown;
  EXPECT_NE(shown.find("User \"bob\" cannot patch rollouts/status"), std::string::npos) << shown;
  EXPECT_FALSE(webStatus().value("abort", false));
  browser.screenshot("refused");
}

}  // namespace
}  // namespace vane::dashboard
