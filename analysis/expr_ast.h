// Private: the AST shared by the expr parser (expr_parser.cc) and evaluator (expr_eval.cc).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kube/status.h"

namespace vane::analysis::expr {

enum class Kind {
  kLiteral,  // value
  kIdent,    // text = variable name
  kPointer,  // `#`, the current element inside a predicate
  kMember,   // kids[0].text (optional: `?.`)
  kIndex,    // kids[0][kids[1]]
  kSlice,    // kids[0][kids[1]:kids[2]] (absent bounds are nullptr)
  kUnary,    // text = "!", "-", "+"
  kBinary,   // text = operator ("&&", "||", "==", "in", "??", "contains", ...)
  kTernary,  // kids[0] ? kids[1] : kids[2]
  kCall,     // builtin fn(kids...)
  kArray,    // [kids...]
  kMap,      // {keys[i]: kids[i]}
  kClosure,  // predicate body kids[0], evaluated per element with `#` bound
};

enum class Builtin {
  kNone,
  kLen,
  kAll,
  kAny,
  kNone_,
  kOne,
  kFilter,
  kMap,
  kCount,
  kSum,
  kMean,
  kMedian,
  kMin,
  kMax,
  kAbs,
  kCeil,
  kFloor,
  kRound,
  kInt,
  kFloat,
  kString,
  kTrim,
  kUpper,
  kLower,
  kSplit,
  kJoin,
  kFirst,
  kLast,
  kKeys,
  kValues,
  kIsNaN,
  kIsInf,
  kIsNil,
  kDefault,
  kAsInt,
  kAsFloat,
};

struct Node {
  Kind kind = Kind::kLiteral;
  std::string text;
  nlohmann::json value;
  std::vector<std::shared_ptr<const Node>> kids;
  std::vector<std::string> keys;  // kMap
  Builtin fn = Builtin::kNone;
  bool optional = false;
  int line = 1;
  int col = 1;
};

/// A value produced during evaluation: a reference into the environment or an owned value, so
/// that `result[0]` does not copy `result`.
struct Val {
  const nlohmann::json* ref = nullptr;
  nlohmann::json own;
  const nlohmann::json& get() const { return ref ? *ref : own; }
  static Val of(nlohmann::json v) {
    Val r;
    r.own = std::move(v);
    return r;
  }
};

/// Tree-walking evaluator; one per evaluation. Errors are recorded in err (first wins) and the
/// eval functions return false.
class Evaluator {
 public:
  explicit Evaluator(const std::map<std::string, nlohmann::json, std::less<>>& env) : env_(env) {}
  bool eval(const Node& n, Val& out);
  bool fail(const Node& at, const std::string& message);
  const std::string& error() const { return error_; }

  // expr_builtins.cc
  bool call(const Node& n, Val& out);

 private:
  bool binary(const Node& n, Val& out);
  bool member(const Node& n, Val& out);
  bool index(const Node& n, Val& out);
  bool slice(const Node& n, Val& out);
  bool predicate(const Node& n, const nlohmann::json& arr, const Node& closure, Val& out);
  bool aggregate(const Node& n, const std::vector<Val>& args, Val& out);
  bool scalarFn(const Node& n, const std::vector<Val>& args, Val& out);

  const std::map<std::string, nlohmann::json, std::less<>>& env_;
  std::vector<const nlohmann::json*> pointers_;
  std::string error_;
};

/// Numeric helpers shared by the evaluator and the builtins.
inline bool isNumber(const nlohmann::json& v) { return v.is_number(); }
inline bool isInteger(const nlohmann::json& v) {
  return v.is_number_integer() || v.is_number_unsigned();
}
inline double toDouble(const nlohmann::json& v) { return v.get<double>(); }
inline int64_t toInt(const nlohmann::json& v) { return v.get<int64_t>(); }
/// expr's equality: numbers by value (1 == 1.0, NaN != NaN), otherwise deep JSON equality.
bool valuesEqual(const nlohmann::json& a, const nlohmann::json& b);

enum class Tok { kEof, kNumber, kString, kIdent, kOp, kPointer };

struct Token {
  Tok type = Tok::kEof;
  std::string text;
  nlohmann::json number;
  int line = 1, col = 1;
};

/// Splits source into tokens (the last one is kEof). Errors name the position:
/// "literal not terminated at 1:5".
Result<std::vector<Token>> lex(std::string_view source);

/// Builtin by name; kNone when unknown.
Builtin builtinByName(const std::string& name);
/// True for builtins whose second argument is a predicate (all, any, filter, ...).
bool takesPredicate(Builtin fn);

}  // namespace vane::analysis::expr
