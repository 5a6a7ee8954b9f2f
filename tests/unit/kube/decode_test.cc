#include "kube/decode.h"

#include <gtest/gtest.h>

namespace vane::kube {
namespace {

using nlohmann::json;

TEST(DecoderTest, ReadsTypedFieldsAndDefaults) {
  json v = {{"name", "x"}, {"replicas", 3}, {"paused", true}, {"ratio", 0.5}};
  Decoder d(v, "spec");
  EXPECT_EQ(d.string("name"), "x");
  EXPECT_EQ(d.integer("replicas"), 3);
  EXPECT_TRUE(d.boolean("paused"));
  EXPECT_DOUBLE_EQ(*d.optNumber("ratio"), 0.5);
  EXPECT_EQ(d.integer("missing", 7), 7);
  EXPECT_FALSE(d.optString("missing").has_value());
  EXPECT_TRUE(d.ok());
}

TEST(DecoderTest, NullCountsAsAbsent) {
  json v = {{"replicas", nullptr}};
  Decoder d(v, "spec");
  EXPECT_FALSE(d.has("replicas"));
  EXPECT_FALSE(d.optInt("replicas").has_value());
  EXPECT_TRUE(d.ok());
}

TEST(DecoderTest, ReportsFirstBadFieldWithFullPath) {
  json v = json::parse(R"({"strategy":{"canary":{"steps":[{"setWeight":10},{"pause":{}},
      {"setWeight":"abc"},{"setWeight":true}]}}})");
  Decoder d(v, "spec");
  auto steps = d.child("strategy").child("canary").array("steps");
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(*steps[0].optInt("setWeight"), 10);
  steps[2].optInt("setWeight");
  steps[3].optInt("setWeight");  // second error: not recorded
  Status s = d.status();
  EXPECT_EQ(s.code(), Code::kInvalid);
  EXPECT_EQ(s.field(), "spec.strategy.canary.steps[2].setWeight");
  EXPECT_EQ(s.toString(), "spec.strategy.canary.steps[2].setWeight: expected integer, got string");
}

TEST(DecoderTest, RejectsFractionsButAcceptsIntegralFloats) {
  json v = {{"a", 2.0}, {"b", 2.5}};
  Decoder d(v, "");
  EXPECT_EQ(*d.optInt("a"), 2);
  EXPECT_FALSE(d.optInt("b").has_value());
  EXPECT_EQ(d.status().field(), "b");
}

TEST(DecoderTest, ChildAndArrayTypeErrors) {
  json v = {{"obj", 1}, {"arr", "x"}, {"items", json::array({1})}};
  Decoder d(v, "root");
  d.child("obj");
  EXPECT_EQ(d.status().toString(), "root.obj: expected object, got integer");
  Decoder d2(v, "root");
  d2.array("arr");
  EXPECT_EQ(d2.status().toString(), "root.arr: expected array, got string");
  Decoder d3(v, "root");
  d3.array("items");
  EXPECT_EQ(d3.status().field(), "root.items[0]");
}

TEST(DecoderTest, IntOrStringAndRequired) {
  json v = {{"maxSurge", "25%"}, {"maxUnavailable", 1}, {"bad", true}};
  Decoder d(v, "c");
  EXPECT_EQ(*d.optIntOrString("maxSurge"), "25%");
  EXPECT_EQ(*d.optIntOrString("maxUnavailable"), 1);
  EXPECT_TRUE(d.ok());
  d.requiredString("name");
  EXPECT_EQ(d.status().toString(), "c.name: Required value");
}

TEST(DecoderTest, RootMustBeObject) {
  json v = json::array();
  Decoder d(v, "spec");
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(d.status().field(), "spec");
}

}  // namespace
}  // namespace vane::kube
