// Tokens of the text/template subset (private to notifications/).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "notifications/gotemplate_internal.h"

namespace vane::notifications::gotmpl {

enum class Tok {
  kText,
  kLeftDelim,
  kRightDelim,
  kIdent,     // function name or keyword
  kField,     // .name
  kDot,       // .
  kVariable,  // $ or $name
  kString,    // unquoted value
  kNumber,
  kLeftParen,
  kRightParen,
  kPipe,
  kComma,
  kDeclare,  // :=
  kAssign,   // =
};

struct Token {
  Tok type;
  std::string text;
  Pos pos;
  bool spaced = false;  // preceded by white space inside the action
};

/// Splits src into text and action tokens; trim markers are applied to the text tokens.
Result<std::vector<Token>> lex(std::string_view name, std::string_view src);

}  // namespace vane::notifications::gotmpl
