// Exec credential plugins against a real vane-apiserver with token auth: on a 401 with the
// plugin's token, the client runs the plugin again once and retries (client-go's behaviour), for
// plain requests and for watches; a credential past its expirationTimestamp is renewed before the
// next request. The plugin is a small script that counts its runs and prints, on run N, line N of
// a tokens file ("TOKEN [EXPIRATION]"; the last line once past the end).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "kube/client.h"
#include "support/process.h"

namespace vane::kube {
namespace {

using namespace std::chrono_literals;
using vane::testing::ApiServer;

constexpr const char* kGood = "good-token";

constexpr const char* kPlugin = R"(#!/bin/sh
dir=$(dirname "$0")
n=$(( $(cat "$dir/runs" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$dir/runs"
line=$(sed -n "${n}p" "$dir/tokens")
[ -n "$line" ] || line=$(tail -n 1 "$dir/tokens")
set -- $line
exp=""
[ -z "$2" ] || exp=",\"expirationTimestamp\":\"$2\""
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"%s}}\n' "$1" "$exp"
)";

class KubeExecPluginIT : public ::testing::Test {
 protected:
  void SetUp() override {
    ApiServer::Options opts;
    opts.simulate_workloads = false;
    opts.token = kGood;
    server_ = ApiServer::start(opts);
    ASSERT_TRUE(server_);
    dir_ = vane::testing::makeTempDir("vane-exec");
    std::ofstream(dir_ + "/plugin.sh") << kPlugin;
    std::filesystem::permissions(dir_ + "/plugin.sh", std::filesystem::perms::owner_all);
    std::ofstream(dir_ + "/kubeconfig")
        << "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n"
        << "  cluster: {server: \"" << server_->url() << "\"}\ncontexts:\n- name: test\n"
        << "  context: {cluster: test, user: plugin}\nusers:\n- name: plugin\n  user:\n"
        << "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
        << "      command: ./plugin.sh\n";
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  /// The plugin prints these tokens on its runs 1, 2, ... (the last one after that); a line may
  /// give an expirationTimestamp after a space.
  void tokens(const std::vector<std::string>& list) {
    std::ofstream out(dir_ + "/tokens");
    for (const auto& t : list) out << t << "\n";
    std::filesystem::remove(dir_ + "/runs");
  }
  int runs() {
    std::ifstream in(dir_ + "/runs");
    int n = 0;
    in >> n;
    return n;
  }
  /// Loads the kubeconfig (which runs the plugin once) and makes a client.
  std::unique_ptr<Client> client() {
    auto cfg = loadKubeconfig(dir_ + "/kubeconfig");
    EXPECT_TRUE(cfg.ok()) << cfg.status().toString();
    if (!cfg.ok()) return nullptr;
    cfg->qps = 0;
    auto c = Client::create(*cfg);
    EXPECT_TRUE(c.ok()) << c.status().toString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  std::unique_ptr<ApiServer> server_;
  std::string dir_;
};

TEST_F(KubeExecPluginIT, RequestRejectedWithAnExpiredTokenRunsThePluginOnceAndRetries) {
  tokens({"expired-token", kGood});
  auto c = client();
  ASSERT_TRUE(c);
  EXPECT_EQ(runs(), 1);
  auto ns = c->get(resources::kNamespaces, "", "default");
  ASSERT_TRUE(ns.ok()) << ns.status().toString();
  EXPECT_EQ(runs(), 2);
  // The fresh token is kept: later requests run nothing.
  ASSERT_TRUE(c->list(resources::kConfigMaps, "default").ok());
  ASSERT_TRUE(
      c->create(
           resources::kConfigMaps, "default",
           {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "after-refresh"}}}})
          .ok());
  EXPECT_EQ(runs(), 2);
}

TEST_F(KubeExecPluginIT, WatchRejectedWithAnExpiredTokenRunsThePluginOnceAndRetries) {
  tokens({"expired-token", kGood});
  auto c = client();
  ASSERT_TRUE(c);
  ListOptions lo;
  lo.timeout_seconds = 30;
  auto w = c->watch(resources::kConfigMaps, "default", lo);
  ASSERT_TRUE(w.ok()) << w.status().toString();
  EXPECT_EQ(runs(), 2);
  // The watch is live: a create made with the refreshed token arrives on it.
  ASSERT_TRUE(
      c->create(resources::kConfigMaps, "default",
                {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "w"}}}})
          .ok());
  auto e = (*w)->next();
  ASSERT_TRUE(e.has_value()) << (*w)->error().toString();
  EXPECT_EQ(e->type, "ADDED");
  EXPECT_EQ(e->object["metadata"]["name"], "w");
  (*w)->cancel();
  EXPECT_EQ(runs(), 2);
}

TEST_F(KubeExecPluginIT, StillRejectedAfterOneRerunIsUnauthorized) {
  tokens({"expired-token", "revoked-token"});
  auto c = client();
  ASSERT_TRUE(c);
  auto ns = c->get(resources::kNamespaces, "", "default");
  ASSERT_FALSE(ns.ok());
  EXPECT_EQ(ns.status().code(), Code::kUnauthorized) << ns.status().toString();
  EXPECT_EQ(runs(), 2);  // one rerun per rejected request, no loop
  auto w = c->watch(resources::kConfigMaps, "default", {});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Code::kUnauthorized) << w.status().toString();
  EXPECT_EQ(runs(), 3);
}

TEST_F(KubeExecPluginIT, ExpiredCredentialIsRenewedBeforeTheNextRequest) {
  // Both tokens are accepted: the second run can only come from the expirationTimestamp.
  tokens(
      {std::string(kGood) + " 2020-01-01T00:00:00Z", std::string(kGood) + " 2999-01-01T00:00:00Z"});
  auto c = client();
  ASSERT_TRUE(c);
  EXPECT_EQ(runs(), 1);
  ASSERT_TRUE(c->get(resources::kNamespaces, "", "default").ok());
  EXPECT_EQ(runs(), 2);
  ASSERT_TRUE(c->get(resources::kNamespaces, "", "default").ok());
  auto w = c->watch(resources::kConfigMaps, "default", {});
  ASSERT_TRUE(w.ok()) << w.status().toString();
  (*w)->cancel();
  EXPECT_EQ(runs(), 2);  // not expired any more
}

TEST_F(KubeExecPluginIT, BadExpirationTimestampNamesTheField) {
  tokens({std::string(kGood) + " yesterday"});
  auto cfg = loadKubeconfig(dir_ + "/kubeconfig");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), Code::kUnauthorized);
  EXPECT_NE(cfg.status().toString().find("expirationTimestamp"), std::string::npos)
      << cfg.status().toString();
  EXPECT_NE(cfg.status().toString().find("users[plugin].user.exec"), std::string::npos)
      << cfg.status().toString();
}

TEST_F(KubeExecPluginIT, ConcurrentRejectionsShareOneRerun) {
  tokens({"expired-token", kGood});
  auto c = client();
  ASSERT_TRUE(c);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] { ok += c->get(resources::kNamespaces, "", "default").ok(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 4);
  // Requests that failed with the token another request already replaced retry with the new one.
  EXPECT_EQ(runs(), 2);
}

}  // namespace
}  // namespace vane::kube
