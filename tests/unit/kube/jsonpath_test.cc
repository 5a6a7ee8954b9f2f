#include "kube/jsonpath.h"

#include <gtest/gtest.h>

namespace vane::kube {
namespace {

using json = nlohmann::json;

json obj() {
  return json::parse(R"({
    "metadata": {"name": "demo", "labels": {"app.kubernetes.io/name": "web"},
                 "annotations": {"a.b/c": "x"}},
    "spec": {"replicas": 3, "items": [{"n": 1, "name": "a"}, {"n": 5, "name": "b"}, {"n": 9, "name": "c"}]},
    "status": {"conditions": [
      {"type": "Ready", "status": "True"},
      {"type": "Progressing", "status": "False", "reason": "Timeout"}]},
    "data": {"ok": "yes"}
  })");
}

std::vector<json> eval(const std::string& expr) {
  auto r = evalJsonPath(obj(), expr);
  EXPECT_TRUE(r.ok()) << expr << ": " << r.status().toString();
  return r.ok() ? *r : std::vector<json>{};
}

TEST(JsonPathTest, PrinterColumnForm) {
  EXPECT_EQ(eval(".spec.replicas"), std::vector<json>{3});
  EXPECT_EQ(eval(".metadata.name"), std::vector<json>{"demo"});
  EXPECT_EQ(eval(".status.phase"), std::vector<json>{});  // missing: no result, no error
}

TEST(JsonPathTest, TemplateFormAndRoot) {
  EXPECT_EQ(eval("{.spec.replicas}"), std::vector<json>{3});
  EXPECT_EQ(eval("{$.data.ok}"), std::vector<json>{"yes"});
  EXPECT_EQ(eval("{$}").size(), 1u);
  EXPECT_EQ(eval("{.}")[0]["metadata"]["name"], "demo");
}

TEST(JsonPathTest, FilterOnConditions) {
  EXPECT_EQ(eval(R"({.status.conditions[?(@.type=="Ready")].status})"), std::vector<json>{"True"});
  EXPECT_EQ(eval(R"({.status.conditions[?(@.type != 'Ready')].reason})"),
            std::vector<json>{"Timeout"});
  EXPECT_EQ(eval(R"({.status.conditions[?(@.reason)].type})"), std::vector<json>{"Progressing"});
  EXPECT_EQ(eval(R"({.status.conditions[?(@.type=="Nope")].status})"), std::vector<json>{});
}

TEST(JsonPathTest, NumericAndStringComparisons) {
  EXPECT_EQ(eval("{.spec.items[?(@.n > 2)].name}"), (std::vector<json>{"b", "c"}));
  EXPECT_EQ(eval("{.spec.items[?(@.n < 5)].name}"), std::vector<json>{"a"});
  EXPECT_EQ(eval("{.spec.items[?(@.n >= 5)].name}"), (std::vector<json>{"b", "c"}));
  EXPECT_EQ(eval("{.spec.items[?(@.n == 9)].name}"), std::vector<json>{"c"});
  EXPECT_EQ(eval("{.spec.items[?(@.name > 'a')].n}"), (std::vector<json>{5, 9}));
}

TEST(JsonPathTest, IndexesSlicesAndWildcards) {
  EXPECT_EQ(eval("{.spec.items[0].name}"), std::vector<json>{"a"});
  EXPECT_EQ(eval("{.spec.items[-1].name}"), std::vector<json>{"c"});
  EXPECT_EQ(eval("{.spec.items[7].name}"), std::vector<json>{});
  EXPECT_EQ(eval("{.spec.items[0:2].name}"), (std::vector<json>{"a", "b"}));
  EXPECT_EQ(eval("{.spec.items[1:].n}"), (std::vector<json>{5, 9}));
  EXPECT_EQ(eval("{.spec.items[*].n}"), (std::vector<json>{1, 5, 9}));
  EXPECT_EQ(eval("{.spec.items.*.name}"), (std::vector<json>{"a", "b", "c"}));
}

TEST(JsonPathTest, RecursiveDescent) {
  EXPECT_EQ(eval("{..name}"), (std::vector<json>{"demo", "a", "b", "c"}));
  EXPECT_EQ(eval("{.spec..n}"), (std::vector<json>{1, 5, 9}));
}

TEST(JsonPathTest, EscapedAndQuotedKeys) {
  EXPECT_EQ(eval(R"({.metadata.labels.app\.kubernetes\.io/name})"), std::vector<json>{"web"});
  EXPECT_EQ(eval(R"({.metadata.annotations['a.b/c']})"), std::vector<json>{"x"});
  EXPECT_EQ(eval(R"({.metadata.labels["app.kubernetes.io/name"]})"), std::vector<json>{"web"});
}

TEST(JsonPathTest, NestedFiltersAndDeepDocuments) {
  json doc = json::parse(R"({"a":[{"b":[{"c":1},{"c":2}],"n":"x"},{"b":[{"c":3}],"n":"y"}]})");
  auto r = evalJsonPath(doc, "{.a[?(@.b[?(@.c==3)])].n}");
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ(*r, std::vector<json>{"y"});
  std::string deep_expr = "{.a";
  for (int i = 0; i < 40; ++i) deep_expr += "[?(@.a";
  EXPECT_FALSE(evalJsonPath(doc, deep_expr).ok());
  json deep = json::object();
  json* cur = &deep;
  for (int i = 0; i < 1000; ++i) cur = &((*cur)["k"] = json::object());
  auto all = evalJsonPath(deep, "{..k}");  // recursive descent stops at depth 256
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 257u);
}

TEST(JsonPathTest, SyntaxErrors) {
  for (const char* bad : {"{.spec.items[}", "{.spec.items[abc]}", "{.spec", "",
                          "{.status.conditions[?(@.type==\"x)]}", "{.a[?(b)]}", "spec"}) {
    auto r = evalJsonPath(obj(), bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kBadRequest) << bad;
    }
  }
}

}  // namespace
}  // namespace vane::kube
