#include "analysis/expr.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace vane::analysis::expr {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Evaluates src with `result` bound to r; the test fails on a compile or runtime error.
json run(const std::string& src, const json& r = nullptr) {
  auto p = Program::compile(src);
  EXPECT_TRUE(p.ok()) << src << ": " << p.status().message();
  if (!p) return "compile error";
  auto v = p->eval(Env{{"result", r}});
  EXPECT_TRUE(v.ok()) << src << ": " << v.status().message();
  return v ? *v : json("eval error");
}

bool cond(const std::string& src, const json& r) {
  auto p = Program::compile(src);
  EXPECT_TRUE(p.ok()) << src << ": " << p.status().message();
  if (!p) return false;
  auto v = p->evalBool(Env{{"result", r}});
  EXPECT_TRUE(v.ok()) << src << ": " << v.status().message();
  return v && *v;
}

std::string evalError(const std::string& src, const json& r = nullptr) {
  auto p = Program::compile(src);
  if (!p) return "compile: " + p.status().message();
  auto v = p->evalBool(Env{{"result", r}});
  return v ? "no error" : v.status().message();
}

std::string compileError(const std::string& src) {
  auto p = Program::compile(src);
  return p ? "no error" : p.status().message();
}

TEST(ExprTest, TypicalPrometheusConditions) {
  json r = json::array({0.97, 0.99});
  EXPECT_TRUE(cond("result[0] >= 0.95", r));
  EXPECT_FALSE(cond("result[0] >= 0.98", r));
  EXPECT_TRUE(cond("len(result) == 0 || result[0] >= 0.95", r));
  EXPECT_TRUE(cond("len(result) == 0 || result[0] >= 0.95", json::array()));
  EXPECT_TRUE(cond("all(result, {# > 0.9})", r));
  EXPECT_TRUE(cond("all(result, # > 0.9)", r));
  EXPECT_FALSE(cond("all(result, # > 0.98)", r));
  EXPECT_TRUE(cond("any(result, # > 0.98)", r));
  EXPECT_TRUE(cond("none(result, # > 1)", r));
  EXPECT_TRUE(cond("one(result, # > 0.98)", r));
  EXPECT_TRUE(cond("result == 0.5", 0.5));  // scalar result
  EXPECT_TRUE(cond("result < 1000", 17));
}

TEST(ExprTest, Arithmetic) {
  EXPECT_EQ(run("1 + 2 * 3"), json(7));
  EXPECT_EQ(run("(1 + 2) * 3"), json(9));
  EXPECT_EQ(run("7 / 2"), json(3.5));  // `/` is float division as in expr
  EXPECT_EQ(run("7 % 3"), json(1));
  EXPECT_EQ(run("2 ** 10"), json(1024.0));
  EXPECT_EQ(run("2 ^ 3 ^ 2"), json(512.0));  // right-associative
  EXPECT_EQ(run("-result + 1", 2), json(-1));
  EXPECT_EQ(run("1.5e2 + 0.5"), json(150.5));
  EXPECT_EQ(run("1_000 + 1"), json(1001));
  EXPECT_EQ(run("'ab' + \"cd\""), json("abcd"));
  EXPECT_TRUE(std::isinf(run("1 / 0").get<double>()));
  EXPECT_EQ(evalError("1 % 0 == 0"), "integer divide by zero (1:3)");
}

TEST(ExprTest, ComparisonAndLogic) {
  EXPECT_TRUE(cond("1 == 1.0", nullptr));
  EXPECT_TRUE(cond("'a' < 'b'", nullptr));
  EXPECT_TRUE(cond("true && !false", nullptr));
  EXPECT_TRUE(cond("true and not false", nullptr));
  EXPECT_TRUE(cond("false or true", nullptr));
  EXPECT_TRUE(cond("nil == nil", nullptr));
  EXPECT_TRUE(cond("result != nil", 1));
  EXPECT_TRUE(cond("1 < 2 && 2 < 3 || false", nullptr));
  // Short-circuit: the right side is not evaluated (it would fail on an empty vector).
  EXPECT_TRUE(cond("len(result) == 0 || result[0] > 5", json::array()));
  EXPECT_FALSE(cond("len(result) > 0 && result[0] > 5", json::array()));
  EXPECT_EQ(evalError("1 && true"), "invalid operation: && (mismatched type int) (1:3)");
  EXPECT_EQ(evalError("'a' < 1"), "invalid operation: < (mismatched types string and int) (1:5)");
}

TEST(ExprTest, TernaryInAndCoalesce) {
  EXPECT_EQ(run("result > 1 ? 'big' : 'small'", 5), json("big"));
  EXPECT_EQ(run("result > 1 ? 'big' : 'small'", 0), json("small"));
  EXPECT_TRUE(cond("2 in [1, 2, 3]", nullptr));
  EXPECT_TRUE(cond("4 not in [1, 2, 3]", nullptr));
  EXPECT_TRUE(cond("'a' in {a: 1}", nullptr));
  EXPECT_TRUE(cond("'x' in result", json{{"x", 1}}));
  EXPECT_EQ(run("result ?? 3"), json(3));
  EXPECT_EQ(run("result.missing ?? 'd'", json::object()), json("d"));
  EXPECT_EQ(run("result?.a?.b", nullptr), json(nullptr));
  EXPECT_TRUE(
      cond("'hello' contains 'ell' && 'hello' startsWith 'he' && 'hello' endsWith 'lo'", nullptr));
  EXPECT_TRUE(cond("'v1.2' matches '^v[0-9]+'", nullptr));
  EXPECT_EQ(run("1..3"), json::array({1, 2, 3}));
}

TEST(ExprTest, IndexingAndMembers) {
  json r = {{"data", {{"ok", true}, {"items", {1, 2, 3}}}}, {"name", "x"}};
  EXPECT_TRUE(cond("result.data.ok", r));
  EXPECT_EQ(run("result.data.items[-1]", r), json(3));
  EXPECT_EQ(run("result['data'].items[1]", r), json(2));
  EXPECT_EQ(run("result.data.items[1:]", r), json::array({2, 3}));
  EXPECT_EQ(run("result.data.items[:2]", r), json::array({1, 2}));
  EXPECT_EQ(run("result.name[0]", r), json("x"));
  EXPECT_EQ(evalError("result[0] < 0.05", json::array()),
            "index out of range: 0 (array length is 0) (1:7)");
  EXPECT_EQ(evalError("result[0] < 0.05", nullptr), "cannot index nil (result is nil) (1:7)");
  EXPECT_EQ(evalError("result.a.b == 1", json::object()), "cannot fetch b from <nil> (1:9)");
  EXPECT_EQ(evalError("foo > 1"), "unknown name foo (1:1)");
}

TEST(ExprTest, CollectionBuiltins) {
  json r = json::array({1, 5, 3});
  EXPECT_EQ(run("filter(result, # > 2)", r), json::array({5, 3}));
  EXPECT_EQ(run("map(result, {# * 2})", r), json::array({2, 10, 6}));
  EXPECT_EQ(run("count(result, # >= 3)", r), json(2));
  EXPECT_EQ(run("len(result)", r), json(3));
  EXPECT_EQ(run("len('abc')"), json(3));
  EXPECT_EQ(run("sum(result)", r), json(9));
  EXPECT_EQ(run("sum([0.5, 1])"), json(1.5));
  EXPECT_EQ(run("mean(result)", r), json(3.0));
  EXPECT_EQ(run("median(result)", r), json(3.0));
  EXPECT_EQ(run("min(result)", r), json(1));
  EXPECT_EQ(run("max(result)", r), json(5));
  EXPECT_EQ(run("max(2, 7, 4)"), json(7));
  EXPECT_EQ(run("first(result)", r), json(1));
  EXPECT_EQ(run("last(result)", r), json(3));
  EXPECT_EQ(run("filter(result, .ok)", json::array({{{"ok", true}}, {{"ok", false}}})).size(), 1u);
  EXPECT_EQ(run("keys({a: 1})"), json::array({"a"}));
  EXPECT_EQ(run("all([], # > 1)"), json(true));  // vacuous truth on an empty result
  EXPECT_EQ(run("any([], # > 1)"), json(false));
  EXPECT_EQ(run("sum([])"), json(0));
  EXPECT_EQ(evalError("min(result) > 0", json::array()),
            "min: empty array (metric result is empty) (1:1)");
  EXPECT_EQ(evalError("all(result, # > 1)", nullptr),
            "cannot iterate over nil (metric result is nil or empty) (1:1)");
}

TEST(ExprTest, MathAndStrings) {
  EXPECT_EQ(run("abs(-3)"), json(3));
  EXPECT_EQ(run("abs(-0.5)"), json(0.5));
  EXPECT_EQ(run("ceil(1.2)"), json(2.0));
  EXPECT_EQ(run("floor(1.8)"), json(1.0));
  EXPECT_EQ(run("round(1.5)"), json(2.0));
  EXPECT_EQ(run("int(2.7)"), json(2));
  EXPECT_EQ(run("float(2)"), json(2.0));
  EXPECT_EQ(run("string(0.25)"), json("0.25"));
  EXPECT_EQ(run("trim('  a ')"), json("a"));
  EXPECT_EQ(run("upper('a') + lower('B')"), json("Ab"));
  EXPECT_EQ(run("split('a,b', ',')"), json::array({"a", "b"}));
  EXPECT_EQ(run("join(['a', 'b'], '-')"), json("a-b"));
}

TEST(ExprTest, ArgoFunctions) {
  EXPECT_EQ(run("asInt('42')"), json(42));
  EXPECT_EQ(run("asInt(result)", "7"), json(7));
  EXPECT_EQ(run("asFloat('0.5')"), json(0.5));
  EXPECT_TRUE(std::isnan(run("asFloat('NaN')").get<double>()));
  EXPECT_EQ(evalError("asInt('x') == 1"),
            "asInt: strconv.ParseInt: parsing \"x\": invalid syntax (1:1)");
  EXPECT_EQ(evalError("asFloat([1]) == 1"), "asFloat: expected number, got []interface {} (1:1)");
  EXPECT_TRUE(cond("isNil(result)", nullptr));
  EXPECT_TRUE(cond("isNil(result)", json::array()));  // empty vector: no data
  EXPECT_FALSE(cond("isNil(result)", json::array({1})));
  EXPECT_EQ(run("default(result, 0)", nullptr), json(0));
  EXPECT_EQ(run("default(result, [0])[0]", json::array()), json(0));
  EXPECT_EQ(run("default(result, 0)", 5), json(5));
}

TEST(ExprTest, NaNAndInfinity) {
  json nan_vec = json::array({kNaN});
  EXPECT_TRUE(cond("isNaN(result[0])", nan_vec));
  EXPECT_FALSE(cond("result[0] < 0.05", nan_vec));  // NaN compares false
  EXPECT_FALSE(cond("result[0] >= 0.05", nan_vec));
  EXPECT_TRUE(cond("isNaN(result[0]) || result[0] < 0.01", nan_vec));
  EXPECT_TRUE(cond("result != result", kNaN));
  EXPECT_TRUE(cond("isInf(result)", kInf));
  EXPECT_TRUE(cond("isInf(result[0]) && result[0] < 0", json::array({-kInf})));
  EXPECT_FALSE(cond("isNaN(1)", nullptr));
  EXPECT_TRUE(std::isnan(run("max(result)", json::array({1.0, kNaN})).get<double>()));
  EXPECT_EQ(formatValue(json::array({0.31, kNaN, kInf, -kInf})), "[0.31,NaN,+Inf,-Inf]");
  EXPECT_EQ(formatValue(1e-7), "1e-07");
  EXPECT_EQ(formatValue(100000.0), "100000");
}

TEST(ExprTest, ParseErrorsHavePositions) {
  EXPECT_EQ(compileError("result[0] < 0.5)"), "unexpected token \")\" at 1:16");
  EXPECT_EQ(compileError("all(result, {# > 0.9)"), "unexpected token \")\" at 1:21");
  EXPECT_EQ(compileError("result[0] <"), "unexpected end of input at 1:12");
  EXPECT_EQ(compileError("result >= \n  )"), "unexpected token \")\" at 2:3");
  EXPECT_EQ(compileError("foo(1)"), "unknown func foo at 1:1");
  EXPECT_EQ(compileError("'abc"), "literal not terminated at 1:1");
  EXPECT_EQ(compileError("result @ 1"), "unrecognized character \"@\" at 1:8");
  EXPECT_EQ(compileError("# > 1"), "unexpected token \"#\" at 1:1");
  EXPECT_EQ(compileError(""), "unexpected end of input at 1:1");
}

TEST(ExprTest, NonBoolResultIsAnError) {
  EXPECT_EQ(evalError("result[0]", json::array({1})), "expected bool, but got int");
  EXPECT_EQ(evalError("result", json::array()), "expected bool, but got []interface {}");
}

TEST(ExprTest, ProgramIsReusable) {
  auto p = Program::compile("result[0] < 0.05");
  ASSERT_TRUE(p.ok());
  for (double v : {0.01, 0.2, 0.04}) {
    auto r = p->evalBool(Env{{"result", json::array({v})}});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, v < 0.05);
  }
}

}  // namespace
}  // namespace vane::analysis::expr
