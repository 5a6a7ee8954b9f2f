// Executor of the text/template subset (Go's text/template/exec.go semantics over JSON values).
#include <algorithm>

#include "notifications/gotemplate_internal.h"

namespace vane::notifications::gotmpl {
namespace {

enum class Flow { kNormal, kBreak, kContinue };

class Exec {
 public:
  Exec(const std::string& name, std::string& out) : name_(name), out_(out) {}

  Status run(const ListNode& root, const json& data) {
    vars_.push_back({"$", Value{data, false}});
    Value dot{data, false};
    walkList(root, dot);
    return status_;
  }

 private:
  // Errors carry Go's shape: template: n:1:7: executing "n" at <.a.b>: message.
  void fail(Pos p, const std::string& source, const std::string& what) {
    if (!ok_) return;
    ok_ = false;
    status_ = Status(Code::kInvalid, "template: " + name_ + ":" + std::to_string(p.line) + ":" +
                                         std::to_string(p.col) + ": executing \"" + name_ +
                                         "\" at <" + source + ">: " + what);
  }

  Flow walkList(const ListNode& list, const Value& dot) {
    for (const Node& n : list.nodes) {
      if (!ok_) return Flow::kNormal;
      Flow f = walk(n, dot);
      if (f != Flow::kNormal) return f;
    }
    return Flow::kNormal;
  }

  Flow walk(const Node& n, const Value& dot) {
    switch (n.kind) {
      case Node::Kind::kText:
        out_ += n.text;
        return Flow::kNormal;
      case Node::Kind::kAction: {
        Value v = evalPipe(n.pipe, dot);
        if (ok_ && n.pipe.decl.empty()) out_ += print(v);
        return Flow::kNormal;
      }
      case Node::Kind::kBreak:
        return Flow::kBreak;
      case Node::Kind::kContinue:
        return Flow::kContinue;
      case Node::Kind::kIf:
      case Node::Kind::kWith: {
        const std::size_t mark = vars_.size();
        Value v = evalPipe(n.pipe, dot);
        Flow f = Flow::kNormal;
        if (ok_ && truth(v)) {
          f = walkList(*n.list, n.kind == Node::Kind::kWith ? v : dot);
        } else if (ok_ && n.else_list) {
          f = walkList(*n.else_list, dot);
        }
        vars_.resize(mark);
        return f;
      }
      case Node::Kind::kRange:
        return walkRange(n, dot);
    }
    return Flow::kNormal;
  }

  Flow walkRange(const Node& n, const Value& dot) {
    const std::size_t mark = vars_.size();
    Pipe header = n.pipe;
    header.decl.clear();  // the declared variables take each element, not the whole value
    Value v = evalPipe(header, dot);
    if (!ok_) return Flow::kNormal;
    auto body = [&](const Value& key, const Value& elem) {
      vars_.resize(mark);
      if (n.pipe.decl.size() == 1) vars_.push_back({n.pipe.decl[0], elem});
      if (n.pipe.decl.size() == 2) {
        vars_.push_back({n.pipe.decl[0], key});
        vars_.push_back({n.pipe.decl[1], elem});
      }
      return walkList(*n.list, elem);
    };
    std::size_t count = 0;
    if (v.missing || v.v.is_null()) {
      // Go: ranging over nil runs the else branch.
    } else if (v.v.is_array()) {
      for (std::size_t i = 0; i < v.v.size() && ok_; ++i, ++count) {
        if (body(Value{static_cast<int64_t>(i)}, Value{v.v[i]}) == Flow::kBreak) break;
      }
    } else if (v.v.is_object()) {
      for (const auto& [k, e] : v.v.items()) {  // nlohmann's object is a sorted map, as Go's
        if (!ok_) break;
        ++count;
        if (body(Value{k}, Value{e}) == Flow::kBreak) break;
      }
    } else if (v.v.is_number_integer()) {
      for (int64_t i = 0; i < v.v.get<int64_t>() && ok_; ++i, ++count) {
        if (body(Value{i}, Value{i}) == Flow::kBreak) break;
      }
    } else {
      fail(n.pos, n.pipe.source, "range can't iterate over " + formatValue(v.v));
    }
    vars_.resize(mark);
    if (ok_ && count == 0 && n.else_list) walkList(*n.else_list, dot);
    return Flow::kNormal;
  }

  Value evalPipe(const Pipe& p, const Value& dot) {
    Value v;
    bool have = false;
    for (const Command& c : p.cmds) {
      v = evalCommand(c, dot, have ? &v : nullptr, p.source);
      have = true;
      if (!ok_) return Value::none();
    }
    if (p.assign) {
      for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
        if (it->first == p.decl[0]) {
          it->second = v;
          return v;
        }
      }
      fail(p.pos, p.source, "undefined variable: " + p.decl[0]);
    } else if (!p.decl.empty()) {
      vars_.push_back({p.decl[0], v});
    }
    return v;
  }

  Value evalCommand(const Command& c, const Value& dot, const Value* piped,
                    const std::string& source) {
    const Arg& first = c.args[0];
    if (first.kind == Arg::Kind::kIdent) return call(first, c, dot, piped, source);
    if (c.args.size() > 1 || piped != nullptr) {
      if (first.fields.empty() || first.kind == Arg::Kind::kLiteral) {
        fail(c.pos, source, "can't give argument to non-function " + describe(first));
        return Value::none();
      }
      // A method with arguments: (call .time.Now).Format "2006-01-02".
      std::vector<Value> args;
      for (std::size_t i = 1; i < c.args.size(); ++i) {
        args.push_back(evalArg(c.args[i], dot, source));
        if (!ok_) return Value::none();
      }
      if (piped != nullptr) args.push_back(*piped);
      return evalArg(first, dot, source, &args);
    }
    return evalArg(first, dot, source);
  }

  static std::string describe(const Arg& a) {
    switch (a.kind) {
      case Arg::Kind::kVariable:
        return a.name;
      case Arg::Kind::kLiteral:
        return a.is_nil ? "nil" : a.literal.dump();
      default: {
        std::string s = a.kind == Arg::Kind::kDot && a.fields.empty() ? "." : "";
        for (const auto& f : a.fields) s += "." + f;
        return s;
      }
    }
  }

  Value call(const Arg& fn, const Command& c, const Value& dot, const Value* piped,
             const std::string& source) {
    std::vector<const Arg*> rest;
    for (std::size_t i = 1; i < c.args.size(); ++i) rest.push_back(&c.args[i]);
    if (fn.name == "and" || fn.name == "or") {
      // Evaluated left to right, stopping at the first false (and) or true (or) argument.
      const std::size_t n = rest.size() + (piped != nullptr ? 1 : 0);
      if (n == 0) {
        fail(c.pos, source, "wrong number of args for " + fn.name + ": want at least 1 got 0");
        return Value::none();
      }
      Value v;
      for (std::size_t i = 0; i < n; ++i) {
        v = i < rest.size() ? evalArg(*rest[i], dot, source) : *piped;
        if (!ok_) return Value::none();
        if (truth(v) == (fn.name == "or")) return v;
      }
      return v;
    }
    std::vector<Value> args;
    for (const Arg* a : rest) {
      args.push_back(evalArg(*a, dot, source));
      if (!ok_) return Value::none();
    }
    if (piped != nullptr) args.push_back(*piped);
    auto r = (*findFunction(fn.name))(args);
    if (!r) {
      fail(c.pos, source, "error calling " + fn.name + ": " + r.status().message());
      return Value::none();
    }
    return std::move(*r);
  }

  /// final_args: the arguments of a method call on the last field of the chain.
  Value evalArg(const Arg& a, const Value& dot, const std::string& source,
                const std::vector<Value>* final_args = nullptr) {
    Value base;
    switch (a.kind) {
      case Arg::Kind::kDot:
      case Arg::Kind::kField:
        base = dot;
        break;
      case Arg::Kind::kVariable: {
        auto it = std::find_if(vars_.rbegin(), vars_.rend(),
                               [&](const auto& kv) { return kv.first == a.name; });
        if (it == vars_.rend()) {
          fail(a.pos, source, "undefined variable: " + a.name);
          return Value::none();
        }
        base = it->second;
        break;
      }
      case Arg::Kind::kLiteral:
        return a.is_nil ? Value{json(nullptr)} : Value{a.literal};
      case Arg::Kind::kPipe:
        base = evalPipe(*a.pipe, dot);
        break;
      case Arg::Kind::kIdent: {  // a function as an operand: called without arguments
        Command c;
        c.args.push_back(a);
        c.pos = a.pos;
        return call(a, c, dot, nullptr, source);
      }
    }
    for (std::size_t i = 0; i < a.fields.size(); ++i) {
      const std::string& f = a.fields[i];
      if (!ok_ || base.missing) return Value::none();
      const bool last = i + 1 == a.fields.size();
      // Methods of time.Time and time.Duration values.
      if (auto type = specialTypeName(base.v)) {
        auto r = callGoMethod(base, f, last && final_args ? *final_args : std::vector<Value>{});
        if (!r) {
          fail(a.pos, source, "can't evaluate field " + f + " in type " + *type);
          return Value::none();
        }
        if (!r->ok()) {
          fail(a.pos, source, "error calling " + f + ": " + r->status().message());
          return Value::none();
        }
        base = std::move(**r);
        continue;
      }
      if (last && final_args != nullptr) {
        fail(a.pos, source, "can't give argument to non-function " + describe(a));
        return Value::none();
      }
      if (base.v.is_null()) {
        fail(a.pos, source, "nil pointer evaluating interface {}." + f);
        return Value::none();
      }
      if (!base.v.is_object()) {
        fail(a.pos, source, "can't evaluate field " + f + " in type " + typeName(base.v));
        return Value::none();
      }
      auto it = base.v.find(f);
      base = it == base.v.end() ? Value::none() : Value{*it};
    }
    return base;
  }

  static std::string typeName(const json& v) {
    if (v.is_string()) return "string";
    if (v.is_boolean()) return "bool";
    if (v.is_number_float()) return "float64";
    if (v.is_number()) return "int64";
    if (v.is_array()) return "[]interface {}";
    return "interface {}";
  }

  const std::string& name_;
  std::string& out_;
  std::vector<std::pair<std::string, Value>> vars_;
  bool ok_ = true;
  Status status_;
};

}  // namespace

bool truth(const Value& v) {
  if (v.missing) return false;
  const json& j = v.v;
  switch (j.type()) {
    case json::value_t::null:
      return false;
    case json::value_t::boolean:
      return j.get<bool>();
    case json::value_t::string:
      return !j.get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object:
      return !j.empty();
    case json::value_t::number_float:
      return j.get<double>() != 0;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return j.get<int64_t>() != 0;
    default:
      return true;
  }
}

Result<std::string> Template::execute(const json& data) const {
  std::string out;
  Status st = Exec(name_, out).run(*root_, data);
  if (!st.isOk()) return st;
  return out;
}

}  // namespace vane::notifications::gotmpl
