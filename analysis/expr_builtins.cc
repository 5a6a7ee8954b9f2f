// Builtin functions: expr's collection builtins (predicates with `#`), math and string helpers,
// and Argo's additions from utils/evaluate/evaluate.go (isNaN, isInf, isNil, default, asInt,
// asFloat).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "analysis/expr.h"
#include "analysis/expr_ast.h"

namespace vane::analysis::expr {
namespace {

// "No data": nil, or an empty vector from a metric provider. isNil and default treat both alike
// so that Argo's documented `default(result, 0)` also covers an empty Prometheus result.
bool isNilOrEmpty(const json& v) { return v.is_null() || (v.is_array() && v.empty()); }

std::optional<double> parseFloat(const std::string& s) {
  if (s == "NaN") return std::nan("");
  if (s == "+Inf" || s == "Inf" || s == "inf" || s == "+inf") return HUGE_VAL;
  if (s == "-Inf" || s == "-inf") return -HUGE_VAL;
  const char* b = s.c_str();
  char* e = nullptr;
  double d = std::strtod(b, &e);
  if (s.empty() || e != b + s.size()) return std::nullopt;
  return d;
}

const char* arity(Builtin fn) {
  switch (fn) {
    case Builtin::kAll:
    case Builtin::kAny:
    case Builtin::kNone_:
    case Builtin::kOne:
    case Builtin::kFilter:
    case Builtin::kMap:
    case Builtin::kDefault:
    case Builtin::kJoin:
    case Builtin::kSplit:
      return "2";
    case Builtin::kMin:
    case Builtin::kMax:
    case Builtin::kCount:
    case Builtin::kSum:
      return "";  // variadic / optional
    default:
      return "1";
  }
}

}  // namespace

bool Evaluator::call(const Node& n, Val& out) {
  std::string want = arity(n.fn);
  if (!want.empty() && n.kids.size() != static_cast<size_t>(std::stoi(want)) &&
      !(n.fn == Builtin::kJoin && n.kids.size() == 1)) {
    return fail(n, "invalid number of arguments for " + n.text + " (expected " + want + ", got " +
                       std::to_string(n.kids.size()) + ")");
  }
  if (n.kids.empty()) return fail(n, "not enough arguments to call " + n.text);
  if (takesPredicate(n.fn)) {
    Val arr;
    if (!eval(*n.kids[0], arr)) return false;
    const json& a = arr.get();
    if (!a.is_array()) {
      if (a.is_null()) return fail(n, "cannot iterate over nil (metric result is nil or empty)");
      return fail(n, "cannot iterate over " + typeName(a));
    }
    if (n.kids.size() == 1) {  // count(bools)
      int64_t c = 0;
      for (const auto& e : a) c += e.is_boolean() && e.get<bool>();
      out = Val::of(c);
      return true;
    }
    return predicate(n, a, *n.kids[1], out);
  }
  std::vector<Val> args(n.kids.size());
  for (size_t i = 0; i < n.kids.size(); ++i) {
    if (!eval(*n.kids[i], args[i])) return false;
  }
  switch (n.fn) {
    case Builtin::kSum:
    case Builtin::kMean:
    case Builtin::kMedian:
    case Builtin::kMin:
    case Builtin::kMax:
    case Builtin::kFirst:
    case Builtin::kLast:
    case Builtin::kKeys:
    case Builtin::kValues:
    case Builtin::kLen:
      return aggregate(n, args, out);
    default:
      return scalarFn(n, args, out);
  }
}

bool Evaluator::predicate(const Node& n, const json& a, const Node& closure, Val& out) {
  const Node& body = *closure.kids[0];
  int64_t matches = 0;
  json collected = json::array();
  for (const auto& e : a) {
    pointers_.push_back(&e);
    Val v;
    bool ok = eval(body, v);
    pointers_.pop_back();
    if (!ok) return false;
    if (n.fn == Builtin::kMap) {
      collected.push_back(v.get());
      continue;
    }
    if (!v.get().is_boolean()) {
      return fail(body, "predicate of " + n.text + " must return bool, got " + typeName(v.get()));
    }
    bool b = v.get().get<bool>();
    if (b) ++matches;
    if (n.fn == Builtin::kFilter && b) collected.push_back(e);
    // Short-circuit like expr: all stops at the first false, any/none at the first true.
    if (n.fn == Builtin::kAll && !b) break;
    if ((n.fn == Builtin::kAny || n.fn == Builtin::kNone_) && b) break;
  }
  switch (n.fn) {
    case Builtin::kAll:
      out = Val::of(matches == static_cast<int64_t>(a.size()));
      break;
    case Builtin::kAny:
      out = Val::of(matches > 0);
      break;
    case Builtin::kNone_:
      out = Val::of(matches == 0);
      break;
    case Builtin::kOne:
      out = Val::of(matches == 1);
      break;
    case Builtin::kCount:
      out = Val::of(matches);
      break;
    default:
      out = Val::of(std::move(collected));
      break;
  }
  return true;
}

bool Evaluator::aggregate(const Node& n, const std::vector<Val>& args, Val& out) {
  const json& a0 = args[0].get();
  if (n.fn == Builtin::kLen) {
    if (a0.is_array() || a0.is_object()) {
      out = Val::of(static_cast<int64_t>(a0.size()));
    } else if (a0.is_string()) {
      out = Val::of(static_cast<int64_t>(a0.get_ref<const std::string&>().size()));
    } else {
      return fail(n, "invalid argument for len (type " + typeName(a0) + ")");
    }
    return true;
  }
  if (n.fn == Builtin::kKeys || n.fn == Builtin::kValues) {
    if (!a0.is_object()) return fail(n, n.text + ": expected map, got " + typeName(a0));
    json arr = json::array();
    for (auto it = a0.begin(); it != a0.end(); ++it)
      arr.push_back(n.fn == Builtin::kKeys ? json(it.key()) : it.value());
    out = Val::of(std::move(arr));
    return true;
  }
  // min/max accept either one array or several numbers.
  json items = json::array();
  if (args.size() == 1 && a0.is_array()) {
    items = a0;
  } else if (n.fn == Builtin::kMin || n.fn == Builtin::kMax) {
    for (const auto& v : args) items.push_back(v.get());
  } else {
    if (a0.is_null()) return fail(n, n.text + ": metric result is nil or empty");
    return fail(n, n.text + ": expected array, got " + typeName(a0));
  }
  if (n.fn == Builtin::kFirst || n.fn == Builtin::kLast) {
    out = Val::of(items.empty() ? json(nullptr)
                                : (n.fn == Builtin::kFirst ? items.front() : items.back()));
    return true;
  }
  bool all_int = true;
  std::vector<double> nums;
  for (const auto& e : items) {
    if (!isNumber(e)) return fail(n, n.text + ": expected numbers, got " + typeName(e));
    all_int = all_int && isInteger(e);
    nums.push_back(toDouble(e));
  }
  if (nums.empty()) {
    if (n.fn == Builtin::kSum || n.fn == Builtin::kMean || n.fn == Builtin::kMedian) {
      out = Val::of(n.fn == Builtin::kSum ? json(0) : json(0.0));
      return true;
    }
    return fail(n, n.text + ": empty array (metric result is empty)");
  }
  switch (n.fn) {
    case Builtin::kSum: {
      if (all_int) {
        int64_t s = 0;
        for (const auto& e : items) s += toInt(e);
        out = Val::of(s);
      } else {
        double s = 0;
        for (double d : nums) s += d;
        out = Val::of(s);
      }
      return true;
    }
    case Builtin::kMean: {
      double s = 0;
      for (double d : nums) s += d;
      out = Val::of(s / static_cast<double>(nums.size()));
      return true;
    }
    case Builtin::kMedian: {
      std::sort(nums.begin(), nums.end());
      size_t m = nums.size() / 2;
      out = Val::of(nums.size() % 2 ? nums[m] : (nums[m - 1] + nums[m]) / 2);
      return true;
    }
    default: {  // min, max: NaN propagates as in Go's math.Min/Max
      size_t best = 0;
      for (size_t i = 0; i < nums.size(); ++i) {
        if (std::isnan(nums[i])) {
          best = i;
          break;
        }
        if (n.fn == Builtin::kMin ? nums[i] < nums[best] : nums[i] > nums[best]) best = i;
      }
      out = Val::of(items[best]);
      return true;
    }
  }
}

bool Evaluator::scalarFn(const Node& n, const std::vector<Val>& args, Val& out) {
  const json& x = args[0].get();
  auto needNumber = [&]() {
    return fail(n, n.text + ": expected number, got " + typeName(x) +
                       (isNilOrEmpty(x) ? " (metric result is nil or empty)" : ""));
  };
  auto needString = [&]() { return fail(n, n.text + ": expected string, got " + typeName(x)); };
  switch (n.fn) {
    case Builtin::kIsNil:
      out = Val::of(isNilOrEmpty(x));
      return true;
    case Builtin::kDefault:
      out = isNilOrEmpty(x) ? args[1] : args[0];
      return true;
    case Builtin::kIsNaN:
      if (!isNumber(x)) return needNumber();
      out = Val::of(!isInteger(x) && std::isnan(toDouble(x)));
      return true;
    case Builtin::kIsInf:
      if (!isNumber(x)) return needNumber();
      out = Val::of(!isInteger(x) && std::isinf(toDouble(x)));
      return true;
    case Builtin::kAbs:
      if (!isNumber(x)) return needNumber();
      out = isInteger(x) ? Val::of(std::llabs(toInt(x))) : Val::of(std::fabs(toDouble(x)));
      return true;
    case Builtin::kCeil:
    case Builtin::kFloor:
    case Builtin::kRound: {
      if (!isNumber(x)) return needNumber();
      double d = toDouble(x);
      out = Val::of(n.fn == Builtin::kCeil    ? std::ceil(d)
                    : n.fn == Builtin::kFloor ? std::floor(d)
                                              : std::round(d));
      return true;
    }
    case Builtin::kInt:
    case Builtin::kAsInt: {
      if (isInteger(x)) {
        out = Val::of(toInt(x));
      } else if (isNumber(x)) {
        double d = toDouble(x);
        if (n.fn == Builtin::kAsInt && std::trunc(d) != d) {
          return fail(n, "asInt: " + formatValue(x) + " is not an integer");
        }
        if (!std::isfinite(d)) return fail(n, n.text + ": cannot convert " + formatValue(x));
        out = Val::of(static_cast<int64_t>(d));
      } else if (x.is_string()) {
        const auto& s = x.get_ref<const std::string&>();
        int64_t v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || p != s.data() + s.size()) {
          return fail(n, n.text + ": strconv.ParseInt: parsing \"" + s + "\": invalid syntax");
        }
        out = Val::of(v);
      } else {
        return needNumber();
      }
      return true;
    }
    case Builtin::kFloat:
    case Builtin::kAsFloat: {
      if (isNumber(x)) {
        out = Val::of(toDouble(x));
      } else if (x.is_string()) {
        auto d = parseFloat(x.get<std::string>());
        if (!d) {
          return fail(n, n.text + ": strconv.ParseFloat: parsing \"" + x.get<std::string>() +
                             "\": invalid syntax");
        }
        out = Val::of(*d);
      } else {
        return needNumber();
      }
      return true;
    }
    case Builtin::kString:
      out = Val::of(formatValue(x));
      return true;
    case Builtin::kTrim:
    case Builtin::kUpper:
    case Builtin::kLower: {
      if (!x.is_string()) return needString();
      std::string s = x.get<std::string>();
      if (n.fn == Builtin::kTrim) {
        auto sp = [](unsigned char c) { return std::isspace(c); };
        s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), sp));
        s.erase(std::find_if_not(s.rbegin(), s.rend(), sp).base(), s.end());
      } else {
        for (char& c : s)
          c = static_cast<char>(n.fn == Builtin::kUpper
                                    ? std::toupper(static_cast<unsigned char>(c))
                                    : std::tolower(static_cast<unsigned char>(c)));
      }
      out = Val::of(std::move(s));
      return true;
    }
    case Builtin::kSplit: {
      const json& sep = args[1].get();
      if (!x.is_string() || !sep.is_string() || sep.get_ref<const std::string&>().empty()) {
        return needString();
      }
      const auto& s = x.get_ref<const std::string&>();
      const auto& d = sep.get_ref<const std::string&>();
      json arr = json::array();
      size_t start = 0, pos;
      while ((pos = s.find(d, start)) != std::string::npos) {
        arr.push_back(s.substr(start, pos - start));
        start = pos + d.size();
      }
      arr.push_back(s.substr(start));
      out = Val::of(std::move(arr));
      return true;
    }
    case Builtin::kJoin: {
      if (!x.is_array()) return fail(n, "join: expected array, got " + typeName(x));
      std::string sep =
          args.size() > 1 && args[1].get().is_string() ? args[1].get().get<std::string>() : "";
      std::string s;
      for (size_t i = 0; i < x.size(); ++i) s += (i ? sep : "") + formatValue(x[i]);
      out = Val::of(std::move(s));
      return true;
    }
    default:
      return fail(n, "unsupported builtin " + n.text);
  }
}

}  // namespace vane::analysis::expr
