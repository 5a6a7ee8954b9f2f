#include "kube/kubeconfig.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "kube/client.h"

namespace vane::kube {
namespace {

namespace fs = std::filesystem;

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vane-kubeconfig-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "certs");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

constexpr const char* kTwoContexts = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority: certs/ca.crt
    tls-server-name: api.local
- name: prod
  cluster:
    server: https://prod:443
    certificate-authority-data: aGVsbG8gY2E=
    insecure-skip-tls-verify: true
contexts:
- name: dev
  context: {cluster: dev, user: dev-user, namespace: team-a}
- name: prod
  context: {cluster: prod, user: prod-user}
users:
- name: dev-user
  user:
    client-certificate: certs/client.crt
    client-key: /abs/client.key
- name: prod-user
  user:
    client-certificate-data: Y2VydA==
    client-key-data: a2V5
    token: "secret-token"
)";

TEST_F(KubeconfigTest, CurrentContextWithRelativePaths) {
  auto cfg = loadKubeconfig(write("config", kTwoContexts));
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443");
  EXPECT_EQ(cfg->ca_file, (dir_ / "certs/ca.crt").string());
  EXPECT_EQ(cfg->tls_server_name, "api.local");
  EXPECT_EQ(cfg->cert_file, (dir_ / "certs/client.crt").string());
  EXPECT_EQ(cfg->key_file, "/abs/client.key");
  EXPECT_EQ(cfg->namespace_, "team-a");
  EXPECT_FALSE(cfg->insecure_skip_verify);
}

TEST_F(KubeconfigTest, ExplicitContextWithDataFields) {
  auto cfg = loadKubeconfig(write("config", kTwoContexts), "prod");
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->server, "https://prod:443");
  EXPECT_EQ(cfg->ca_pem, "hello ca");
  EXPECT_EQ(cfg->cert_pem, "cert");
  EXPECT_EQ(cfg->key_pem, "key");
  EXPECT_EQ(cfg->token, "secret-token");
  EXPECT_TRUE(cfg->insecure_skip_verify);
  EXPECT_EQ(cfg->namespace_, "default");
}

TEST_F(KubeconfigTest, KubeconfigEnvIsUsedWhenPathEmpty) {
  std::string path = write("config", kTwoContexts);
  ::setenv("KUBECONFIG", path.c_str(), 1);
  auto cfg = loadKubeconfig("");
  ::unsetenv("KUBECONFIG");
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->namespace_, "team-a");
}

// KUBECONFIG with several files, merged as kubectl does (clientcmd's loading rules).
constexpr const char* kFirst = R"(apiVersion: v1
kind: Config
current-context: a
clusters:
- name: shared
  cluster:
    server: https://first:6443
    certificate-authority: ca.crt
contexts:
- name: a
  context: {cluster: shared, user: shared-user, namespace: first-ns}
users:
- name: shared-user
  user: {token: first-token}
)";

constexpr const char* kSecond = R"(apiVersion: v1
kind: Config
current-context: b
clusters:
- name: shared
  cluster: {server: https://second:6443}
- name: other
  cluster:
    server: https://other:6443
    certificate-authority: ca.crt
contexts:
- name: a
  context: {cluster: other, namespace: second-ns}
- name: b
  context: {cluster: shared, user: second-user}
- name: c
  context: {cluster: other, user: shared-user}
users:
- name: shared-user
  user: {token: second-token}
- name: second-user
  user: {tokenFile: token}
)";

class KubeconfigListTest : public KubeconfigTest {
 protected:
  void SetUp() override {
    KubeconfigTest::SetUp();
    fs::create_directories(dir_ / "one");
    fs::create_directories(dir_ / "two");
    first_ = write("one/config", kFirst);
    second_ = write("two/config", kSecond);
    write("two/token", "second-file-token\n");
  }
  void TearDown() override {
    ::unsetenv("KUBECONFIG");
    KubeconfigTest::TearDown();
  }
  Result<RestConfig> load(const std::string& list, const std::string& context = "") {
    ::setenv("KUBECONFIG", list.c_str(), 1);
    return loadKubeconfig("", context);
  }
  std::string first_, second_;
};

TEST_F(KubeconfigListTest, FirstFileWinsCurrentContextAndEachName) {
  auto cfg = load(first_ + ":" + second_);
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  // current-context "a" from the first file, and context "a" as the first file defines it.
  EXPECT_EQ(cfg->server, "https://first:6443");
  EXPECT_EQ(cfg->ca_file, (dir_ / "one/ca.crt").string());
  EXPECT_EQ(cfg->token, "first-token");
  EXPECT_EQ(cfg->namespace_, "first-ns");
}

TEST_F(KubeconfigListTest, OrderDecides) {
  auto cfg = load(second_ + ":" + first_);
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  // current-context "b" from the (now first) second file: cluster "shared" and its user there.
  EXPECT_EQ(cfg->server, "https://second:6443");
  EXPECT_EQ(cfg->token, "second-file-token");
  EXPECT_EQ(cfg->namespace_, "default");
}

TEST_F(KubeconfigListTest, EntriesFromDifferentFilesCombineWithTheirOwnPaths) {
  // Context "c" (second file) names cluster "other" (second file) and user "shared-user" (first
  // file wins); relative paths resolve against the directory of the file defining each entry.
  auto cfg = load(first_ + ":" + second_, "c");
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->server, "https://other:6443");
  EXPECT_EQ(cfg->ca_file, (dir_ / "two/ca.crt").string());
  EXPECT_EQ(cfg->token, "first-token");
  // Context "b" exists only in the second file; its user's tokenFile is relative to two/.
  auto b = load(first_ + ":" + second_, "b");
  ASSERT_TRUE(b.ok()) << b.status().toString();
  EXPECT_EQ(b->server, "https://first:6443");
  EXPECT_EQ(b->token, "second-file-token");
}

TEST_F(KubeconfigListTest, CurrentContextFromTheFirstFileThatSetsIt) {
  std::string none = write("none", "apiVersion: v1\nkind: Config\nclusters: []\n");
  auto cfg = load(none + ":" + second_ + ":" + first_);
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->server, "https://second:6443");  // context "b"
}

TEST_F(KubeconfigListTest, MissingFilesAreSkippedButNoneExistingIsAnError) {
  auto cfg = load((dir_ / "missing").string() + "::" + first_);
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->server, "https://first:6443");
  auto none = load((dir_ / "missing").string() + ":" + (dir_ / "gone").string());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kNotFound);
}

TEST_F(KubeconfigListTest, ExplicitPathIgnoresTheList) {
  ::setenv("KUBECONFIG", (first_ + ":" + second_).c_str(), 1);
  auto cfg = loadKubeconfig(second_);
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->server, "https://second:6443");
}

TEST_F(KubeconfigListTest, ABadFileInTheListIsAnErrorNamingIt) {
  std::string bad = write("bad", "clusters: {not: a list}\n");
  auto cfg = load(first_ + ":" + bad);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().toString().find(bad), std::string::npos) << cfg.status().toString();
  EXPECT_NE(cfg.status().toString().find("clusters"), std::string::npos);
}

TEST_F(KubeconfigTest, TokenFileAndBasicAuth) {
  write("token", "file-token\n");
  auto cfg = loadKubeconfig(write("config", R"(
current-context: c
clusters: [{name: k, cluster: {server: "http://127.0.0.1:8080"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {tokenFile: token, username: admin, password: "p w"}}]
)"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->token_file, (dir_ / "token").string());
  EXPECT_EQ(cfg->token, "file-token");
  EXPECT_EQ(cfg->username, "admin");
  EXPECT_EQ(cfg->password, "p w");
}

TEST_F(KubeconfigTest, ExecPluginGivesToken) {
  std::string script = write("plugin.sh", R"(#!/bin/sh
case "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) echo "no exec info" >&2; exit 3;; esac
echo "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"$PREFIX-$1\"}}"
)");
  ::chmod(script.c_str(), 0755);
  auto cfg = loadKubeconfig(write("config", R"(
current-context: c
clusters: [{name: k, cluster: {server: "http://127.0.0.1:8080"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh
      args: [arg1]
      env: [{name: PREFIX, value: tok}]
)"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->token, "tok-arg1");
  EXPECT_EQ(cfg->exec["command"], script);
}

TEST_F(KubeconfigTest, ExecPluginExpirationTimestampIsKept) {
  std::string script = write("plugin.sh", R"(#!/bin/sh
echo '{"kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"2030-01-02T03:04:05Z"}}'
)");
  ::chmod(script.c_str(), 0755);
  auto cfg = loadKubeconfig(write("config", R"(
current-context: c
clusters: [{name: k, cluster: {server: "http://127.0.0.1:8080"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {exec: {command: ./plugin.sh}}}]
)"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->token, "t");
  ASSERT_TRUE(cfg->token_expiry.has_value());
  EXPECT_EQ(*cfg->token_expiry, 1893553445);  // date -d 2030-01-02T03:04:05Z +%s
}

TEST_F(KubeconfigTest, ExecPluginFailureNamesTheField) {
  std::string script = write("fail.sh", "#!/bin/sh\necho boom >&2\nexit 2\n");
  ::chmod(script.c_str(), 0755);
  auto cfg = loadKubeconfig(write("config", R"(
current-context: c
clusters: [{name: k, cluster: {server: "http://x"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {exec: {command: ./fail.sh}}}]
)"));
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().field(), "users[u].user.exec");
  EXPECT_NE(cfg.status().message().find("boom"), std::string::npos) << cfg.status().message();
}

TEST_F(KubeconfigTest, ErrorsNameTheField) {
  auto missing_ctx = loadKubeconfig(write("config", kTwoContexts), "nope");
  ASSERT_FALSE(missing_ctx.ok());
  EXPECT_NE(missing_ctx.status().message().find("nope"), std::string::npos);

  auto no_server = loadKubeconfig(write("c2", R"(
current-context: c
clusters: [{name: k, cluster: {}}]
contexts: [{name: c, context: {cluster: k}}]
)"));
  ASSERT_FALSE(no_server.ok());
  EXPECT_EQ(no_server.status().field(), "clusters[k].cluster.server");

  auto bad_data = loadKubeconfig(write("c3", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://x", certificate-authority-data: "!!!"}}]
contexts: [{name: c, context: {cluster: k}}]
)"));
  ASSERT_FALSE(bad_data.ok());
  EXPECT_EQ(bad_data.status().field(), "clusters[k].cluster.certificate-authority-data");

  auto no_user = loadKubeconfig(write("c4", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://x"}}]
contexts: [{name: c, context: {cluster: k, user: ghost}}]
)"));
  ASSERT_FALSE(no_user.ok());
  EXPECT_EQ(no_user.status().field(), "contexts[c].context.user");

  auto bad_yaml = loadKubeconfig(write("c5", "clusters: [unterminated\n"));
  ASSERT_FALSE(bad_yaml.ok());
  EXPECT_EQ(bad_yaml.status().code(), Code::kInvalid);

  EXPECT_EQ(loadKubeconfig((dir_ / "absent").string()).status().code(), Code::kNotFound);
}

TEST_F(KubeconfigTest, InClusterConfigFromServiceAccountDir) {
  write("token", "sa-token\n");
  write("namespace", "ops");
  write("ca.crt", "pem");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  ::setenv("VANE_SERVICEACCOUNT_DIR", dir_.c_str(), 1);
  auto cfg = inClusterConfig();
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ::unsetenv("VANE_SERVICEACCOUNT_DIR");
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_EQ(cfg->server, "https://10.0.0.1:443");
  EXPECT_EQ(cfg->token, "sa-token");
  EXPECT_EQ(cfg->token_file, (dir_ / "token").string());
  EXPECT_EQ(cfg->ca_file, (dir_ / "ca.crt").string());
  EXPECT_EQ(cfg->namespace_, "ops");
  EXPECT_EQ(inClusterConfig().status().code(), Code::kNotFound);
}

TEST(Base64Test, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(*base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(*base64Decode("aGVsbG8"), "hello");
  EXPECT_EQ(*base64Decode("aGVs\nbG8="), "hello");
  EXPECT_FALSE(base64Decode("a*b").ok());
}

}  // namespace
}  // namespace vane::kube
