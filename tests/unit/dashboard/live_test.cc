#include "dashboard/live.h"

#include <gtest/gtest.h>

#include <mutex>

namespace vane::dashboard {
namespace {

// Records what the hub writes; the test waits for a message instead of sleeping a fixed time.
class RecordingWriter : public http::StreamWriter {
 public:
  bool write(std::string chunk) override {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    text_ += chunk;
    cv_.notify_all();
    return true;
  }
  void close() override {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  bool isOpen() const override {
    std::lock_guard lock(mu_);
    return !closed_;
  }
  /// Waits until the text holds `what` (true) or 5 s pass.
  bool waitFor(const std::string& what) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5),
                        [&] { return text_.find(what) != std::string::npos; });
  }
  std::string text() const {
    std::lock_guard lock(mu_);
    return text_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  bool closed_ = false;
};

TEST(LiveHub, BatchesChangesIntoOneEventPerStream) {
  LiveHub hub(std::chrono::milliseconds(20));
  auto w = std::make_shared<RecordingWriter>();
  hub.add(w);
  EXPECT_EQ(hub.streams(), 1u);
  hub.touched("Rollout", "prod", "web");
  hub.touched("ReplicaSet", "prod", "web-abc");
  ASSERT_TRUE(w->waitFor("event: change"));
  std::string t = w->text();
  EXPECT_NE(t.find("retry: 2000"), std::string::npos);
  EXPECT_NE(t.find(R"("rollouts":["prod/web"])"), std::string::npos) << t;
  EXPECT_NE(t.find(R"("namespaces":["prod"])"), std::string::npos) << t;
  hub.stop();
  EXPECT_FALSE(w->isOpen());
}

TEST(LiveHub, AStreamSeesOnlyItsUsersNamespaces) {
  LiveHub hub(std::chrono::milliseconds(20));
  auto prod_only = std::make_shared<RecordingWriter>();
  auto everything = std::make_shared<RecordingWriter>();
  hub.add(prod_only, [](const std::string& ns) { return ns == "prod"; });
  hub.add(everything);
  hub.touched("Rollout", "dev", "secret-project");
  ASSERT_TRUE(everything->waitFor("dev/secret-project"));
  hub.touched("Rollout", "prod", "web");
  ASSERT_TRUE(prod_only->waitFor("prod/web"));
  EXPECT_EQ(prod_only->text().find("secret-project"), std::string::npos) << prod_only->text();
  EXPECT_EQ(prod_only->text().find("dev"), std::string::npos) << prod_only->text();
}

TEST(LiveHub, ClosedStreamsAreDropped) {
  LiveHub hub(std::chrono::milliseconds(20));
  auto w = std::make_shared<RecordingWriter>();
  hub.add(w);
  w->close();
  hub.touched("Rollout", "prod", "web");
  auto other = std::make_shared<RecordingWriter>();
  hub.add(other);
  hub.touched("Rollout", "prod", "api");
  ASSERT_TRUE(other->waitFor("prod/api"));
  EXPECT_EQ(hub.streams(), 1u);
}

}  // namespace
}  // namespace vane::dashboard
