// Tokenizer of the condition language: numbers (1, 0.5, 1e-3, 1_000), strings ('..', "..", `..`),
// identifiers and word operators, `#`, and punctuation operators.
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "analysis/expr_ast.h"

namespace vane::analysis::expr {
namespace {

const char* const kOps2[] = {"==", "!=", "<=", ">=", "&&", "||", "??", "?.", "..", "**"};

}  // namespace

Result<std::vector<Token>> lex(std::string_view s) {
  std::vector<Token> out;
  int line = 1, col = 1;
  size_t i = 0;
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n && i < s.size(); ++k, ++i) {
      if (s[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
  };
  auto err = [&](const std::string& m) {
    return Status(Code::kInvalid, m + " at " + std::to_string(line) + ":" + std::to_string(col));
  };
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      advance(1);
      continue;
    }
    Token t;
    t.line = line;
    t.col = col;
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])) &&
         (out.empty() || out.back().type == Tok::kOp))) {
      size_t j = i;
      bool is_float = false;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      if (j + 1 < s.size() && s[j] == '.' && std::isdigit(static_cast<unsigned char>(s[j + 1]))) {
        is_float = true;
        ++j;
        while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      }
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) {
          is_float = true;
          j = k;
          while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
        }
      }
      std::string text;
      for (size_t k = i; k < j; ++k)
        if (s[k] != '_') text.push_back(s[k]);
      t.type = Tok::kNumber;
      t.text = std::string(s.substr(i, j - i));
      if (is_float) {
        t.number = std::strtod(text.c_str(), nullptr);
      } else {
        int64_t v = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc()) return err("invalid number \"" + t.text + "\"");
        t.number = v;
      }
      advance(j - i);
    } else if (c == '"' || c == '\'' || c == '`') {
      size_t j = i + 1;
      std::string val;
      while (j < s.size() && s[j] != c) {
        if (s[j] == '\\' && c != '`' && j + 1 < s.size()) {
          char e = s[++j];
          switch (e) {
            case 'n':
              val.push_back('\n');
              break;
            case 't':
              val.push_back('\t');
              break;
            case 'r':
              val.push_back('\r');
              break;
            default:
              val.push_back(e);
          }
        } else {
          val.push_back(s[j]);
        }
        ++j;
      }
      if (j >= s.size()) return err("literal not terminated");
      t.type = Tok::kString;
      t.text = val;
      advance(j + 1 - i);
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      size_t j = i;
      while (j < s.size() &&
             (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || s[j] == '$'))
        ++j;
      t.type = Tok::kIdent;
      t.text = std::string(s.substr(i, j - i));
      advance(j - i);
    } else if (c == '#') {
      t.type = Tok::kPointer;
      t.text = "#";
      advance(1);
    } else {
      t.type = Tok::kOp;
      std::string two(s.substr(i, 2));
      bool matched = false;
      for (const char* op : kOps2) {
        if (two == op) {
          t.text = two;
          matched = true;
          break;
        }
      }
      if (!matched) {
        if (std::string_view("+-*/%^!<>?:.,()[]{}").find(c) == std::string_view::npos) {
          return err(std::string("unrecognized character \"") + c + "\"");
        }
        t.text = std::string(1, c);
      }
      advance(t.text.size());
    }
    out.push_back(std::move(t));
  }
  Token eof;
  eof.line = line;
  eof.col = col;
  out.push_back(eof);
  return out;
}

}  // namespace vane::analysis::expr
