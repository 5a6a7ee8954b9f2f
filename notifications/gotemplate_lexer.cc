// Lexer of the text/template subset: text, {{ }} delimiters with trim markers, comments, and the
// tokens inside actions (Go's text/template/parse/lex.go, reduced).
#include "notifications/gotemplate_lexer.h"

#include <cctype>

namespace vane::notifications::gotmpl {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
 public:
  Lexer(std::string_view name, std::string_view src) : name_(name), src_(src) {}

  Result<std::vector<Token>> run() {
    while (i_ < src_.size()) {
      std::size_t open = src_.find("{{", i_);
      std::string text(src_.substr(i_, open == std::string_view::npos ? open : open - i_));
      bool trim_left = open != std::string_view::npos && open + 3 < src_.size() &&
                       src_[open + 2] == '-' && isSpace(src_[open + 3]);
      if (trim_left) {
        while (!text.empty() && isSpace(text.back())) text.pop_back();
      }
      if (trim_next_) {
        std::size_t k = 0;
        while (k < text.size() && isSpace(text[k])) ++k;
        text.erase(0, k);
        trim_next_ = false;
      }
      if (!text.empty()) push(Tok::kText, text, i_);
      if (open == std::string_view::npos) break;
      i_ = open + 2 + (trim_left ? 2 : 0);
      Status st = action(open);
      if (!st.isOk()) return st;
    }
    return std::move(out_);
  }

 private:
  Status error(std::size_t at, const std::string& what) const {
    Pos p = posOf(at);
    return Status(Code::kInvalid, "template: " + std::string(name_) + ":" + std::to_string(p.line) +
                                      ":" + std::to_string(p.col) + ": " + what);
  }
  Pos posOf(std::size_t at) const {
    Pos p;
    for (std::size_t k = 0; k < at && k < src_.size(); ++k) {
      if (src_[k] == '\n') {
        ++p.line;
        p.col = 1;
      } else {
        ++p.col;
      }
    }
    return p;
  }
  void push(Tok t, std::string text, std::size_t at, bool spaced = false) {
    out_.push_back({t, std::move(text), posOf(at), spaced});
  }

  // Closing delimiter at i_ ("}}" or " -}}" / "-}}" after a space)? Consumes it.
  bool closeDelim(bool spaced) {
    if (src_.substr(i_, 2) == "}}") {
      i_ += 2;
      return true;
    }
    if (spaced && src_.substr(i_, 3) == "-}}") {
      i_ += 3;
      trim_next_ = true;
      return true;
    }
    return false;
  }

  Status action(std::size_t open) {
    push(Tok::kLeftDelim, "{{", open);
    const std::size_t start = i_;
    if (src_.substr(i_, 2) == "/*") {  // comment: {{/* ... */}}
      std::size_t end = src_.find("*/", i_ + 2);
      if (end == std::string_view::npos) return error(open, "unclosed comment");
      i_ = end + 2;
      bool spaced = i_ < src_.size() && isSpace(src_[i_]);
      while (i_ < src_.size() && isSpace(src_[i_])) ++i_;
      if (!closeDelim(spaced)) return error(open, "comment ends before closing delimiter");
      out_.pop_back();  // a comment produces nothing
      return Status::ok();
    }
    bool spaced = false;
    while (true) {
      if (i_ >= src_.size()) return error(open, "unclosed action");
      if (closeDelim(spaced || i_ == start)) {
        push(Tok::kRightDelim, "}}", i_ - 2);
        return Status::ok();
      }
      char c = src_[i_];
      if (isSpace(c)) {
        ++i_;
        spaced = true;
        continue;
      }
      if (c == '\n') return error(i_, "unclosed action");
      Status st = token(spaced);
      if (!st.isOk()) return st;
      spaced = false;
    }
  }

  Status token(bool spaced) {
    const std::size_t at = i_;
    char c = src_[i_];
    auto simple = [&](Tok t, std::size_t n) {
      push(t, std::string(src_.substr(i_, n)), at, spaced);
      i_ += n;
      return Status::ok();
    };
    if (c == '(') return simple(Tok::kLeftParen, 1);
    if (c == ')') return simple(Tok::kRightParen, 1);
    if (c == '|') return simple(Tok::kPipe, 1);
    if (c == ',') return simple(Tok::kComma, 1);
    if (c == ':' && src_.substr(i_, 2) == ":=") return simple(Tok::kDeclare, 2);
    if (c == '=') return simple(Tok::kAssign, 1);
    if (c == '"' || c == '`' || c == '\'') return quoted(c, spaced);
    if (c == '.' &&
        !(i_ + 1 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[i_ + 1])))) {
      std::size_t k = i_ + 1;
      while (k < src_.size() && isAlnum(src_[k])) ++k;
      if (k == i_ + 1) return simple(Tok::kDot, 1);
      return simple(Tok::kField, k - i_);
    }
    if (c == '$') {
      std::size_t k = i_ + 1;
      while (k < src_.size() && isAlnum(src_[k])) ++k;
      return simple(Tok::kVariable, k - i_);
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
        ((c == '-' || c == '+') && i_ + 1 < src_.size() &&
         std::isdigit(static_cast<unsigned char>(src_[i_ + 1])))) {
      std::size_t k = i_ + 1;
      while (k < src_.size() &&
             (isAlnum(src_[k]) || src_[k] == '.' ||
              ((src_[k] == '-' || src_[k] == '+') && (src_[k - 1] == 'e' || src_[k - 1] == 'E')))) {
        ++k;
      }
      return simple(Tok::kNumber, k - i_);
    }
    if (isAlnum(c)) {
      std::size_t k = i_;
      while (k < src_.size() && isAlnum(src_[k])) ++k;
      return simple(Tok::kIdent, k - i_);
    }
    return error(at, std::string("unexpected \"") + c + "\" in command");
  }

  Status quoted(char q, bool spaced) {
    const std::size_t at = i_;
    std::string value;
    std::size_t k = i_ + 1;
    for (; k < src_.size() && src_[k] != q; ++k) {
      if (q == '`') {
        value += src_[k];
        continue;
      }
      if (src_[k] == '\n') return error(at, "unterminated quoted string");
      if (src_[k] != '\\') {
        value += src_[k];
        continue;
      }
      if (++k >= src_.size()) break;
      switch (src_[k]) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case '\\':
          value += '\\';
          break;
        case '"':
          value += '"';
          break;
        case '\'':
          value += '\'';
          break;
        default:
          return error(k, std::string("unknown escape sequence \\") + src_[k]);
      }
    }
    if (k >= src_.size()) return error(at, "unterminated quoted string");
    i_ = k + 1;
    if (q == '\'') {
      if (value.size() != 1) return error(at, "malformed character constant");
      push(Tok::kNumber, std::to_string(static_cast<unsigned char>(value[0])), at, spaced);
      return Status::ok();
    }
    push(Tok::kString, std::move(value), at, spaced);
    return Status::ok();
  }

  std::string_view name_, src_;
  std::size_t i_ = 0;
  bool trim_next_ = false;
  std::vector<Token> out_;
};

}  // namespace

Result<std::vector<Token>> lex(std::string_view name, std::string_view src) {
  return Lexer(name, src).run();
}

}  // namespace vane::notifications::gotmpl
