// analysis expr: parse and evaluate a successCondition / failureCondition. The first line is the
// expression; the rest, when it is JSON, is `result` (else a fixed vector with NaN in it).
#include <cmath>
#include <limits>

#include "analysis/expr.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vane::analysis::expr::Program;
  auto s = vane::fuzz::text(data, size);
  auto nl = s.find('\n');
  auto source = s.substr(0, nl);
  auto program = Program::compile(source);
  if (!program.ok()) return 0;
  nlohmann::json result = nlohmann::json::array(
      {0.5, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()});
  if (nl != std::string_view::npos) {
    auto parsed = vane::fuzz::parseJson(s.substr(nl + 1));
    if (!parsed.is_discarded()) result = std::move(parsed);
  }
  vane::analysis::expr::Env env{{"result", result}};
  auto value = program->eval(env);
  if (value.ok()) (void)vane::analysis::expr::formatValue(*value);
  (void)program->evalBool(env);
  return 0;
}
