#include "apiserver/protobuf.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace vane::apiserver {
namespace {

using json = nlohmann::json;

// The bytes kubectl 1.32 sent (tests/data/README.md). A missing or short file fails the test
// that reads it, naming the path; the tests below then stop before touching the bytes.
std::string readVector(const std::string& name) {
  std::string path = std::string(VANE_TEST_DATA_DIR) + "/pb-vectors/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) {
    ADD_FAILURE() << "test vector " << path << " cannot be read";
    return "";
  }
  std::stringstream ss;
  ss << in.rdbuf();
  // Every vector holds at least the "k8s\0" magic and a TypeMeta.
  if (ss.str().size() <= 4) ADD_FAILURE() << "test vector " << path << " is empty or truncated";
  return ss.str();
}

json decodeVector(const std::string& name) {
  auto r = decodeProtobuf(readVector(name));
  EXPECT_TRUE(r.ok()) << r.status().toString();
  return r.ok() ? *r : json();
}

TEST(ProtobufTest, NamespaceVector) {
  json ns = decodeVector("Namespace.pb");
  EXPECT_EQ(ns["apiVersion"], "v1");
  EXPECT_EQ(ns["kind"], "Namespace");
  EXPECT_EQ(ns["metadata"], json({{"name", "team-a"}}));
  EXPECT_FALSE(ns.contains("spec"));  // empty NamespaceSpec
}

TEST(ProtobufTest, ConfigMapVector) {
  json cm = decodeVector("ConfigMap.pb");
  EXPECT_EQ(cm["kind"], "ConfigMap");
  EXPECT_EQ(cm["metadata"]["name"], "cfg");
  EXPECT_EQ(cm["metadata"]["namespace"], "team-a");
  EXPECT_EQ(cm["data"], json({{"a", "1"}}));
  EXPECT_FALSE(cm["metadata"].contains("creationTimestamp"));
  EXPECT_FALSE(cm["metadata"].contains("generation"));
}

TEST(ProtobufTest, SecretVectorIsBase64AndOpaque) {
  json s = decodeVector("Secret.pb");
  EXPECT_EQ(s["kind"], "Secret");
  EXPECT_EQ(s["metadata"]["name"], "s1");
  EXPECT_EQ(s["data"]["p"], "eA==");  // "x"
  EXPECT_EQ(s["type"], "Opaque");
}

TEST(ProtobufTest, DeploymentVector) {
  json d = decodeVector("Deployment.pb");
  EXPECT_EQ(d["apiVersion"], "apps/v1");
  EXPECT_EQ(d["kind"], "Deployment");
  EXPECT_EQ(d["metadata"]["name"], "d1");
  EXPECT_EQ(d["metadata"]["labels"], json({{"app", "d1"}}));
  EXPECT_EQ(d["spec"]["replicas"], 1);
  EXPECT_EQ(d["spec"]["selector"]["matchLabels"], json({{"app", "d1"}}));
  EXPECT_EQ(d["spec"]["template"]["metadata"]["labels"], json({{"app", "d1"}}));
  const json& c = d["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["name"], "nginx");
  EXPECT_EQ(c[0]["image"], "nginx");
  EXPECT_FALSE(c[0].contains("resources"));  // empty ResourceRequirements
  EXPECT_FALSE(d["spec"].contains("paused"));
}

TEST(ProtobufTest, ServiceVector) {
  json s = decodeVector("Service.pb");
  EXPECT_EQ(s["kind"], "Service");
  EXPECT_EQ(s["metadata"]["name"], "svc1");
  EXPECT_EQ(s["metadata"]["labels"], json({{"app", "svc1"}}));
  const json& p = s["spec"]["ports"];
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]["name"], "80-8080");
  EXPECT_EQ(p[0]["protocol"], "TCP");
  EXPECT_EQ(p[0]["port"], 80);
  EXPECT_EQ(p[0]["targetPort"], 8080);
  EXPECT_FALSE(p[0].contains("nodePort"));
  EXPECT_EQ(s["spec"]["selector"], json({{"app", "svc1"}}));
  EXPECT_EQ(s["spec"]["type"], "ClusterIP");
  EXPECT_FALSE(s["spec"].contains("clusterIP"));
}

// Hand-built encoder for round trips of fields the vectors do not cover.
std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}
std::string len(uint32_t field, const std::string& payload) {
  return varint((field << 3) | 2) + varint(payload.size()) + payload;
}
std::string num(uint32_t field, uint64_t v) { return varint(field << 3) + varint(v); }
std::string entry(const std::string& k, const std::string& v) { return len(1, k) + len(2, v); }
std::string envelope(const std::string& api, const std::string& kind, const std::string& raw) {
  return std::string("k8s\0", 4) + len(1, len(1, api) + len(2, kind)) + len(2, raw);
}

TEST(ProtobufTest, ServiceTargetPortStringNodePortAndOwnerReferences) {
  std::string owner = len(5, "apps/v1") + len(1, "ReplicaSet") + len(3, "rs") + len(4, "u-1") +
                      num(6, 1) + num(7, 0);
  std::string meta = len(2, "gen-") + len(12, entry("a/b", "c")) + len(13, owner);
  std::string port =
      len(1, "http") + num(3, 443) + len(4, num(1, 1) + len(3, "web")) + num(5, 30001);
  std::string spec = len(1, port) + len(4, "NodePort") + len(3, "10.0.0.1") + num(99, 7);
  auto r = decodeProtobuf(envelope("v1", "Service", len(1, meta) + len(2, spec)));
  ASSERT_TRUE(r.ok()) << r.status().toString();
  const json& s = *r;
  EXPECT_EQ(s["metadata"]["generateName"], "gen-");
  EXPECT_EQ(s["metadata"]["annotations"]["a/b"], "c");
  EXPECT_EQ(s["metadata"]["ownerReferences"][0], json({{"apiVersion", "apps/v1"},
                                                       {"kind", "ReplicaSet"},
                                                       {"name", "rs"},
                                                       {"uid", "u-1"},
                                                       {"controller", true},
                                                       {"blockOwnerDeletion", false}}));
  EXPECT_EQ(s["spec"]["ports"][0]["targetPort"], "web");
  EXPECT_EQ(s["spec"]["ports"][0]["nodePort"], 30001);
  EXPECT_EQ(s["spec"]["type"], "NodePort");
  EXPECT_EQ(s["spec"]["clusterIP"], "10.0.0.1");
}

TEST(ProtobufTest, DeploymentContainerDetailsAndStrategy) {
  std::string env = len(1, "A") + len(2, "1");
  std::string res = len(1, entry("cpu", len(1, "100m"))) + len(2, entry("memory", len(1, "64Mi")));
  std::string container = len(1, "web") + len(2, "img:1") + len(3, "/bin/sh") + len(4, "-c") +
                          len(4, "sleep 1") + len(6, num(3, 8080) + len(4, "TCP")) + len(7, env) +
                          len(8, res);
  std::string podspec = len(2, container);
  std::string strategy =
      len(1, "RollingUpdate") + len(2, len(1, num(1, 1) + len(3, "25%")) + len(2, num(2, 0)));
  std::string spec = num(1, 0) + len(3, len(2, podspec)) + len(4, strategy) + num(6, 3);
  auto r = decodeProtobuf(envelope("apps/v1", "Deployment", len(1, len(1, "d")) + len(2, spec)));
  ASSERT_TRUE(r.ok()) << r.status().toString();
  const json& sp = (*r)["spec"];
  EXPECT_EQ(sp["replicas"], 0);  // pointer field: an explicit 0 is kept
  EXPECT_EQ(sp["revisionHistoryLimit"], 3);
  EXPECT_EQ(sp["strategy"]["type"], "RollingUpdate");
  EXPECT_EQ(sp["strategy"]["rollingUpdate"]["maxUnavailable"], "25%");
  EXPECT_EQ(sp["strategy"]["rollingUpdate"]["maxSurge"], 0);
  const json& c = sp["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["command"], json({"/bin/sh"}));
  EXPECT_EQ(c["args"], json({"-c", "sleep 1"}));
  EXPECT_EQ(c["ports"][0], json({{"containerPort", 8080}, {"protocol", "TCP"}}));
  EXPECT_EQ(c["env"][0], json({{"name", "A"}, {"value", "1"}}));
  EXPECT_EQ(c["resources"]["limits"]["cpu"], "100m");
  EXPECT_EQ(c["resources"]["requests"]["memory"], "64Mi");
}

TEST(ProtobufTest, CreationTimestampAndNegativeInt) {
  std::string meta = len(1, "x") + len(8, num(1, 1700000000)) + num(7, uint64_t(-2));
  auto r = decodeProtobuf(envelope("v1", "ConfigMap", len(1, meta)));
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ((*r)["metadata"]["creationTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ((*r)["metadata"]["generation"], -2);
}

TEST(ProtobufTest, RejectsMissingMagic) {
  auto r = decodeProtobuf("{\"kind\":\"Namespace\"}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBadRequest);
  EXPECT_FALSE(decodeProtobuf("").ok());
  EXPECT_FALSE(decodeProtobuf(std::string("k8s", 3)).ok());
}

TEST(ProtobufTest, UnknownKindIsUnsupported) {
  auto r = decodeProtobuf(envelope("v1", "Frobnicator", ""));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
}

TEST(ProtobufTest, EveryTruncationOfEveryVectorFailsCleanlyOrDecodes) {
  for (const char* name :
       {"Namespace.pb", "ConfigMap.pb", "Secret.pb", "Deployment.pb", "Service.pb"}) {
    std::string body = readVector(name);
    if (body.size() <= 4) continue;  // readVector reported it
    for (size_t n = 0; n < body.size(); ++n) {
      auto r = decodeProtobuf(std::string_view(body).substr(0, n));
      if (!r.ok()) {
        EXPECT_TRUE(r.status().code() == Code::kBadRequest) << name << " at " << n;
      }
    }
  }
  // A truncated nested length always fails: cut inside the Deployment's spec.
  std::string d = readVector("Deployment.pb");
  ASSERT_GT(d.size(), 5u);
  auto r = decodeProtobuf(std::string_view(d).substr(0, d.size() - 5));
  EXPECT_FALSE(r.ok());
}

TEST(ProtobufTest, GarbageNeverCrashes) {
  std::mt19937 rng(42);
  std::string base = readVector("Deployment.pb");
  ASSERT_GT(base.size(), 4u) << "flips land after the 4 magic bytes";
  int failures = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string body = base;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int j = 0; j < flips; ++j) body[4 + rng() % (body.size() - 4)] = static_cast<char>(rng());
    auto r = decodeProtobuf(body);
    if (!r.ok()) ++failures;
  }
  EXPECT_GT(failures, 0);
  std::string junk = std::string("k8s\0", 4) + std::string(64, '\xff');
  auto r = decodeProtobuf(junk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBadRequest);
}

TEST(ProtobufTest, WrongWireTypeIsBadRequest) {
  // metadata (field 1) encoded as a varint instead of a message.
  auto r = decodeProtobuf(envelope("v1", "Namespace", num(1, 5)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBadRequest);
}

}  // namespace
}  // namespace vane::apiserver
