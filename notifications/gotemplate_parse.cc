// Parser of the text/template subset: tokens -> ListNode (Go's text/template/parse/parse.go,
// reduced to the constructs documented notification templates use).
#include <cstdlib>

#include "notifications/gotemplate_internal.h"
#include "notifications/gotemplate_lexer.h"

namespace vane::notifications::gotmpl {
namespace {

bool isKeyword(const std::string& s) {
  return s == "if" || s == "else" || s == "end" || s == "range" || s == "with" || s == "define" ||
         s == "template" || s == "block" || s == "break" || s == "continue";
}

class Parser {
 public:
  Parser(std::string name, std::vector<Token> toks) : name_(std::move(name)), t_(std::move(toks)) {}

  Result<std::shared_ptr<ListNode>> run() {
    std::string end;
    auto list = parseList(&end);
    if (!ok_) return status_;
    if (!end.empty()) return fail(last_, "unexpected {{" + end + "}}");
    return list;
  }

 private:
  Status fail(Pos p, const std::string& what) {
    if (ok_) {
      status_ = Status(Code::kInvalid, "template: " + name_ + ":" + std::to_string(p.line) + ":" +
                                           std::to_string(p.col) + ": " + what);
      ok_ = false;
    }
    return status_;
  }
  bool atEnd() const { return i_ >= t_.size(); }
  const Token& peek(std::size_t ahead = 0) const {
    static const Token kEof{Tok::kRightDelim, "EOF", Pos{}, false};
    return i_ + ahead < t_.size() ? t_[i_ + ahead] : kEof;
  }
  const Token& next() {
    const Token& t = peek();
    last_ = t.pos;
    ++i_;
    return t;
  }
  bool expect(Tok type, const std::string& what) {
    if (peek().type == type) {
      next();
      return true;
    }
    fail(peek().pos, "unexpected \"" + peek().text + "\" in " + what);
    return false;
  }

  // Parses nodes until {{end}} or {{else}} (whose keyword is stored in *end, the {{ and the
  // keyword consumed) or the end of input (*end empty).
  std::shared_ptr<ListNode> parseList(std::string* end) {
    auto list = std::make_shared<ListNode>();
    end->clear();
    while (ok_ && !atEnd()) {
      const Token& t = next();
      if (t.type == Tok::kText) {
        Node n;
        n.text = t.text;
        n.pos = t.pos;
        list->nodes.push_back(std::move(n));
        continue;
      }
      const Pos at = t.pos;
      const Token& kw = peek();
      if (kw.type == Tok::kIdent && (kw.text == "end" || kw.text == "else")) {
        *end = next().text;
        return list;
      }
      Node n;
      n.pos = at;
      if (kw.type == Tok::kIdent && (kw.text == "if" || kw.text == "range" || kw.text == "with")) {
        next();
        parseControl(kw.text, n);
      } else if (kw.type == Tok::kIdent && (kw.text == "break" || kw.text == "continue")) {
        n.kind = next().text == "break" ? Node::Kind::kBreak : Node::Kind::kContinue;
        if (range_depth_ == 0) fail(at, "{{" + kw.text + "}} outside {{range}}");
        expect(Tok::kRightDelim, kw.text);
      } else if (kw.type == Tok::kIdent && isKeyword(kw.text)) {
        fail(kw.pos, "{{" + kw.text + "}} is not supported in notification templates");
      } else {
        n.kind = Node::Kind::kAction;
        n.pipe = parsePipe("command", Tok::kRightDelim);
      }
      list->nodes.push_back(std::move(n));
    }
    return list;
  }

  // After {{if / {{range / {{with: pipeline, body, optional else (or else if/with), end.
  void parseControl(const std::string& kw, Node& n) {
    n.kind = kw == "if" ? Node::Kind::kIf : kw == "range" ? Node::Kind::kRange : Node::Kind::kWith;
    n.pipe = parsePipe(kw, Tok::kRightDelim);
    if (!ok_) return;
    if (kw == "range") ++range_depth_;
    std::string end;
    n.list = parseList(&end);
    if (kw == "range") --range_depth_;
    if (!ok_) return;
    if (end.empty()) {
      fail(n.pos, "unexpected EOF: {{" + kw + "}} without {{end}}");
      return;
    }
    if (end == "else") {
      if (kw != "range" && peek().type == Tok::kIdent && peek().text == kw) {
        // {{else if ...}} / {{else with ...}}: a nested control sharing our {{end}}.
        Node inner;
        inner.pos = next().pos;
        parseControl(kw, inner);
        n.else_list = std::make_shared<ListNode>();
        n.else_list->nodes.push_back(std::move(inner));
        return;
      }
      if (!expect(Tok::kRightDelim, "else")) return;
      n.else_list = parseList(&end);
      if (ok_ && end != "end") {
        fail(n.pos, "expected {{end}} after {{else}} of {{" + kw + "}}");
        return;
      }
    }
    expect(Tok::kRightDelim, "end");
  }

  // A pipeline up to the closing token (consumed): declarations, then commands joined by '|'.
  Pipe parsePipe(const std::string& context, Tok close) {
    Pipe p;
    p.pos = peek().pos;
    const std::size_t first = i_;
    if (peek().type == Tok::kVariable) {
      if (peek(1).type == Tok::kDeclare || peek(1).type == Tok::kAssign) {
        p.decl.push_back(next().text);
        p.assign = next().type == Tok::kAssign;
      } else if (context == "range" && peek(1).type == Tok::kComma &&
                 peek(2).type == Tok::kVariable && peek(3).type == Tok::kDeclare) {
        p.decl.push_back(next().text);
        next();
        p.decl.push_back(next().text);
        next();
      }
    }
    for (const auto& v : p.decl) {
      if (!p.assign) vars_.push_back(v);
    }
    while (ok_) {
      Command c = parseCommand(close);
      if (!ok_) break;
      if (c.args.empty()) {
        fail(peek().pos, "missing value for " + context);
        break;
      }
      p.cmds.push_back(std::move(c));
      if (peek().type == Tok::kPipe) {
        next();
        continue;
      }
      if (peek().type == close) {
        next();
        break;
      }
      fail(peek().pos, "unexpected \"" + peek().text + "\" in " + context);
    }
    for (std::size_t k = first; k + 1 < i_ && k < t_.size(); ++k) {
      if (!p.source.empty() && t_[k].spaced) p.source += ' ';
      p.source += t_[k].type == Tok::kString ? "\"" + t_[k].text + "\"" : t_[k].text;
    }
    return p;
  }

  Command parseCommand(Tok close) {
    Command c;
    c.pos = peek().pos;
    while (ok_ && peek().type != Tok::kPipe && peek().type != close &&
           peek().type != Tok::kRightDelim) {
      Arg a = parseOperand();
      if (!ok_) break;
      c.args.push_back(std::move(a));
    }
    return c;
  }

  Arg parseOperand() {
    Arg a;
    const Token& t = next();
    a.pos = t.pos;
    switch (t.type) {
      case Tok::kDot:
        a.kind = Arg::Kind::kDot;
        break;
      case Tok::kField:
        a.kind = Arg::Kind::kField;
        a.fields.push_back(t.text.substr(1));
        break;
      case Tok::kVariable:
        a.kind = Arg::Kind::kVariable;
        a.name = t.text;
        if (!declared(a.name)) fail(t.pos, "undefined variable \"" + a.name + "\"");
        break;
      case Tok::kString:
        a.kind = Arg::Kind::kLiteral;
        a.literal = t.text;
        break;
      case Tok::kNumber:
        a.kind = Arg::Kind::kLiteral;
        a.literal = number(t);
        break;
      case Tok::kLeftParen:
        a.kind = Arg::Kind::kPipe;
        a.pipe = std::make_shared<Pipe>(parsePipe("parenthesized pipeline", Tok::kRightParen));
        break;
      case Tok::kIdent:
        ident(t, a);
        break;
      default:
        fail(t.pos, "unexpected \"" + t.text + "\" in operand");
    }
    while (ok_ && peek().type == Tok::kField && !peek().spaced && a.kind != Arg::Kind::kLiteral &&
           a.kind != Arg::Kind::kIdent) {
      a.fields.push_back(next().text.substr(1));
    }
    return a;
  }

  void ident(const Token& t, Arg& a) {
    a.kind = Arg::Kind::kLiteral;
    if (t.text == "true" || t.text == "false") {
      a.literal = t.text == "true";
    } else if (t.text == "nil") {
      a.is_nil = true;
    } else if (isKeyword(t.text)) {
      fail(t.pos, "unexpected {{" + t.text + "}} in operand");
    } else if (t.text != "and" && t.text != "or" && findFunction(t.text) == nullptr) {
      fail(t.pos, "function \"" + t.text + "\" not defined");
    } else {
      a.kind = Arg::Kind::kIdent;
      a.name = t.text;
    }
  }

  json number(const Token& t) {
    const char* b = t.text.c_str();
    char* e = nullptr;
    bool is_float =
        t.text.find_first_of(".eE") != std::string::npos && t.text.find("0x") == std::string::npos;
    if (!is_float) {
      long long v = std::strtoll(b, &e, 0);
      if (e == b + t.text.size()) return static_cast<int64_t>(v);
    } else {
      double d = std::strtod(b, &e);
      if (e == b + t.text.size()) return d;
    }
    fail(t.pos, "bad number syntax: \"" + t.text + "\"");
    return nullptr;
  }

  bool declared(const std::string& v) const {
    if (v == "$") return true;
    for (const auto& d : vars_) {
      if (d == v) return true;
    }
    return false;
  }

  std::string name_;
  std::vector<Token> t_;
  std::size_t i_ = 0;
  Pos last_;
  int range_depth_ = 0;
  std::vector<std::string> vars_;  // declared so far (scoping is checked at execution)
  bool ok_ = true;
  Status status_;
};

}  // namespace

Result<Template> Template::parse(std::string name, std::string_view text) {
  auto toks = lex(name, text);
  if (!toks) return toks.status();
  auto root = Parser(name, std::move(*toks)).run();
  if (!root) return root.status();
  return Template(std::move(name), std::move(*root));
}

}  // namespace vane::notifications::gotmpl
