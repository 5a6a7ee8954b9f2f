// A subset of Go's text/template, enough for the notification templates Argo Rollouts documents
// (manifests/notifications/*.yaml, docs/generated/notification-services/*.md) over JSON data, as
// argoproj/notifications-engine executes them on map[string]interface{}:
//
//   auto t = gotmpl::Template::parse("rollout-completed", "Rollout {{.rollout.metadata.name}}");
//   if (!t) ...t.status().message()...   // `template: rollout-completed:1:10: unexpected "}"`
//   Result<std::string> text = t->execute({{"rollout", rollout_json}});
//
// Supported: text and actions with trim markers ({{- -}}), comments, field chains on maps
// (.a.b, $x.a, (pipe).a), variables ($x := ..., $x = ..., $i, $e := range), pipelines (a | b),
// if/else if/else, range (arrays, maps in key order, else, break, continue), with/else, literals
// (strings, raw strings, numbers, true/false/nil), the builtins and/or/not/len/index/print/printf/
// println/eq/ne/lt/le/gt/ge/urlquery/html/js, and the sprig functions those templates call
// (add, sub, mul, div, mod, default, empty, upper, lower, trim, quote, toJson, join, ...; the
// list is sprig() in gotemplate_funcs.cc), and Go time values: `call .time.Now`,
// `call .time.Parse s` with the time.Time and time.Duration methods templates use (Format, Sub,
// Add, Unix, UTC, Local, Minutes, ...; see timeNamespace()). define/template/block are rejected at
// parse time with an error naming the template and position.
//
// Go semantics kept: a missing map key (and JSON null) prints "<no value>" and is false; field
// access on a missing value yields a missing value, on null it is an error ("nil pointer
// evaluating interface {}.x"); truthiness is Go's (empty string/array/map, zero, false, nil are
// false); numbers print like %v (int64 as integers, float64 shortest, 1e+06 style); arrays and
// maps print as [a b] and map[k:v].
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "kube/status.h"

namespace vane::notifications::gotmpl {

using json = nlohmann::json;

struct ListNode;  // parse tree, defined in gotemplate_internal.h

class Template {
 public:
  /// Parses text. Errors: `template: <name>:<line>:<col>: <what>` (kInvalid).
  static Result<Template> parse(std::string name, std::string_view text);

  /// Executes against data (dot; usually an object). Errors name the template, the position and
  /// the failing action: `template: n:1:7: executing "n" at <index .a 5>: index out of range: 5`.
  /// Thread-safe: a Template is immutable.
  Result<std::string> execute(const json& data) const;

  const std::string& name() const { return name_; }

 private:
  Template(std::string name, std::shared_ptr<const ListNode> root)
      : name_(std::move(name)), root_(std::move(root)) {}
  std::string name_;
  std::shared_ptr<const ListNode> root_;
};

/// Formats a value as Go's fmt %v does for the types JSON decodes into (the text an action
/// prints): strings as is, int64 as integers, float64 shortest ("0.5", "1e+06"), bool, arrays as
/// "[a b]", objects as "map[a:1 b:2]", null as "<nil>".
std::string formatValue(const json& v);

/// The `.time` variable notifications-engine binds for templates: {Now, Parse} (for `call`), the
/// duration constants (Second, Minute, Hour, ...) and the layouts (RFC3339, Kitchen, ...).
json timeNamespace();

}  // namespace vane::notifications::gotmpl
