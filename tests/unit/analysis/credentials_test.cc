#include "analysis/credentials.h"

#include <gtest/gtest.h>

namespace vane::analysis {
namespace {

TEST(CredentialsTest, SplitUserinfo) {
  auto u = splitUserinfo("https://bob:p%40ss@prom.example:9090/api/prom");
  EXPECT_EQ(u.url, "https://prom.example:9090/api/prom");
  EXPECT_EQ(u.shown, "https://bob:*****@prom.example:9090/api/prom");
  EXPECT_EQ(u.user, "bob");
  EXPECT_EQ(u.password, "p@ss");
  auto user_only = splitUserinfo("http://bob@h:1");
  EXPECT_EQ(user_only.url, "http://h:1");
  EXPECT_EQ(user_only.shown, "http://bob@h:1");
  EXPECT_FALSE(user_only.password.has_value());
  auto plain = splitUserinfo("http://h:1/path@not-userinfo");
  EXPECT_EQ(plain.url, "http://h:1/path@not-userinfo");
  EXPECT_FALSE(plain.user.has_value());
}

TEST(CredentialsTest, HeaderNames) {
  for (const char* n : {"Authorization", "proxy-authorization", "X-Api-Key", "X-Auth-Token",
                        "Cookie", "X-Client-Secret"}) {
    EXPECT_TRUE(isCredentialHeader(n)) << n;
  }
  for (const char* n : {"X-Scope-OrgID", "Accept", "Content-Type"})
    EXPECT_FALSE(isCredentialHeader(n)) << n;
}

TEST(CredentialsTest, MaskKeepsSchemeAndCoversEncodings) {
  std::vector<std::string> creds;
  addCredential(creds, "Bearer abc.def");
  addCredential(creds, "pa ss word");  // not "Scheme value": masked whole
  addCredential(creds, "a&b=c");
  addCredential(creds, "");
  EXPECT_EQ(maskCredentials("Authorization: Bearer abc.def", creds), "Authorization: Bearer *****");
  EXPECT_EQ(maskCredentials("password pa ss word!", creds), "password *****!");
  EXPECT_EQ(maskCredentials("client_secret=a%26b%3Dc&x=a&b=c", creds),
            "client_secret=*****&x=*****");
  EXPECT_EQ(maskCredentials("nothing here", creds), "nothing here");
  // Longest first: a credential that contains another leaves no part behind.
  EXPECT_EQ(maskCredentials("xx-secret-long xx", {"xx", "xx-secret-long"}), "***** *****");
}

}  // namespace
}  // namespace vane::analysis
