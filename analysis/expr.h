// The condition language of successCondition / failureCondition: the subset of expr-lang/expr
// (github.com/antonmedv/expr, as Argo's utils/evaluate/evaluate.go uses it) that users write.
//
//   auto program = expr::Program::compile("all(result, {# < 0.05}) || isNaN(result[0])");
//   if (!program) ...program.status().message()...   // "unexpected token ")" at 1:14"
//   Result<bool> ok = program->evalBool(expr::Env{{"result", value}});
//
// Values are nlohmann::json (arrays, objects, strings, int64, double incl. NaN/Inf, bool, null).
// Parsing happens once; a Program is immutable and safe to evaluate from many threads.
// Evaluation never throws: every runtime problem (index out of range, type mismatch) is a Status.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "kube/status.h"

namespace vane::analysis::expr {

using json = nlohmann::json;

struct Node;  // AST, defined in expr_ast.h

/// Variables visible to an expression ("result" for metric conditions).
using Env = std::map<std::string, json, std::less<>>;

class Program {
 public:
  /// Parses source. Errors carry the position: `unexpected token ")" at 1:14`.
  static Result<Program> compile(std::string_view source);

  /// Evaluates against env. Errors (type mismatches, out-of-range indexes, unknown names) are
  /// values, with the position of the failing node.
  Result<json> eval(const Env& env) const;
  /// Like eval, but the result must be a bool ("expected bool, but got <type>").
  Result<bool> evalBool(const Env& env) const;

  const std::string& source() const { return source_; }

 private:
  Program(std::string source, std::shared_ptr<const Node> root)
      : source_(std::move(source)), root_(std::move(root)) {}
  std::string source_;
  std::shared_ptr<const Node> root_;
};

/// Go-like type name of a value for messages: "nil", "bool", "int", "float64", "string",
/// "[]interface {}", "map[string]interface {}".
std::string typeName(const json& v);

/// Formats a value as the measurement `value` string: numbers like Go's %v ("0.31", "NaN",
/// "+Inf"), arrays as "[0.31,0.2]", strings unquoted.
std::string formatValue(const json& v);

}  // namespace vane::analysis::expr
