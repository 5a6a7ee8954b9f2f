// Parse tree and value model of the text/template subset (private to notifications/).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "notifications/gotemplate.h"

namespace vane::notifications::gotmpl {

struct Pos {
  int line = 1, col = 1;
};

struct Pipe;

/// One operand of a command.
struct Arg {
  enum class Kind { kDot, kField, kVariable, kIdent, kLiteral, kPipe };
  Kind kind = Kind::kDot;
  std::string name;                 // variable ("$x", "$") or function name
  std::vector<std::string> fields;  // chain after the base: .a.b
  json literal;                     // kLiteral (nil is json null with is_nil)
  bool is_nil = false;
  std::shared_ptr<Pipe> pipe;  // kPipe: (pipeline)
  Pos pos;
};

struct Command {
  std::vector<Arg> args;
  Pos pos;
};

struct Pipe {
  std::vector<std::string> decl;  // "$x" or "$i", "$e"
  bool assign = false;            // $x = (not :=)
  std::vector<Command> cmds;
  Pos pos;
  std::string source;  // the action's text, for error messages: <index .a 5>
};

struct Node {
  enum class Kind { kText, kAction, kIf, kRange, kWith, kBreak, kContinue };
  Kind kind = Kind::kText;
  std::string text;  // kText
  Pipe pipe;         // kAction, kIf, kRange, kWith
  std::shared_ptr<ListNode> list, else_list;
  Pos pos;
};

struct ListNode {
  std::vector<Node> nodes;
};

/// A value during execution: a JSON value, or Go's invalid reflect.Value ("missing": a map key
/// that is absent), which prints "<no value>".
struct Value {
  json v;
  bool missing = false;
  static Value none() { return {json(), true}; }
  bool isNil() const { return missing || v.is_null(); }
};

/// Go's truth: false for missing/nil, false, 0, "", empty arrays and maps.
bool truth(const Value& v);

/// A function callable from a template; returns a value or an error message (no position: the
/// caller adds it).
using Function = std::function<Result<Value>(const std::vector<Value>& args)>;

/// The builtins (except and/or, evaluated lazily by the executor) and the sprig subset; nullptr
/// when unknown.
const Function* findFunction(const std::string& name);

/// Go's fmt.Sprintf for the verbs templates use (%s %d %v %q %f %.2f %x %t %%, width/precision).
std::string sprintf(const std::string& format, const std::vector<Value>& args);

/// %v of a Value: "<no value>" when missing.
std::string print(const Value& v);

/// The sprig subset (gotemplate_sprig.cc).
std::map<std::string, Function> sprigFunctions();

// Argument conversion shared by the function sets, as text/template converts arguments.
using Args = std::vector<Value>;
std::string typeOf(const Value& v);          // Go's type name: "string", "int64", ...
Status arity(const Args& a, std::size_t n);  // "wrong number of args: want n got m"
Result<std::string> str(const Value& v);     // a string parameter ("" for nil)
Result<int64_t> integer(const Value& v);     // an int parameter
std::string strval(const Value& v);          // sprig's strval (%v, nil as "<nil>")
int64_t toInt64(const Value& v);             // spf13/cast.ToInt64
double toFloat64(const Value& v);            // spf13/cast.ToFloat64
bool isEmpty(const Value& v);                // sprig's empty
Value val(json j);
std::string replaceAll(std::string s, const std::string& from, const std::string& to);

// Go time values (gotemplate_time.cc): `.time` (Now, Parse, constants), `call`, and methods.
/// The `.time` variable: {Now, Parse, Second..Hour, RFC3339 and the other layouts}.
json timeNamespace();
/// `call fn args...` where fn is .time.Now or .time.Parse.
Result<Value> callGoFunc(const Value& fn, const Args& args);
/// A method of a time.Time or time.Duration value (recv.Format "...", .Sub, .Minutes, ...);
/// nullopt when recv is neither or has no such method.
std::optional<Result<Value>> callGoMethod(const Value& recv, const std::string& method,
                                          const Args& args);
/// %v of a time.Time, time.Duration or func value; nullopt for plain JSON.
std::optional<std::string> formatSpecial(const json& v);
/// "time.Time", "time.Duration", "func"; nullopt for plain JSON.
std::optional<std::string> specialTypeName(const json& v);
std::string formatGoTime(const json& t, const std::string& layout);
std::string formatGoDuration(int64_t nanos);

/// Result<Value> from an error message.
inline Status funcError(std::string message) { return Status(Code::kInvalid, std::move(message)); }

}  // namespace vane::notifications::gotmpl
