#include "apiserver/schema.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace vane::apiserver {
namespace {

using json = nlohmann::json;

json toJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = toJson(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(toJson(e));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted
      if (s == "true" || s == "false") return s == "true";
      if (s == "null" || s == "~") return nullptr;
      try {
        size_t used = 0;
        long long i = std::stoll(s, &used);
        if (used == s.size()) return i;
        double d = std::stod(s, &used);
        if (used == s.size()) return d;
      } catch (...) {
      }
      return s;
    }
    default:
      return nullptr;
  }
}

// A fixture of the kubectl acceptance suite (tests/data/README.md); a missing or unreadable file
// fails the test naming the path and yields null, which no assertion below accepts.
json fixture(const std::string& name) {
  const std::string path = std::string(VANE_TEST_DATA_DIR) + "/kube-acceptance/" + name;
  try {
    return toJson(YAML::LoadFile(path));
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << "fixture " << path << ": " << e.what();
    return nullptr;
  }
}

json widgetSchema() {
  return fixture("crd-widgets.yaml")["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
}

TEST(SchemaTest, ValidWidgetHasNoCauses) {
  EXPECT_TRUE(validateAgainstSchema(fixture("widget.yaml"), widgetSchema()).empty());
}

TEST(SchemaTest, InvalidWidgetCausesMatchKubeApiserver) {
  json w = fixture("widget-invalid.yaml");
  auto causes = validateAgainstSchema(w, widgetSchema());
  ASSERT_EQ(causes.size(), 2u);
  // Properties are visited in key order: color, then size.
  EXPECT_EQ(causes[0].reason, "FieldValueNotSupported");
  EXPECT_EQ(causes[0].field, "spec.color");
  EXPECT_EQ(causes[0].message, R"(Unsupported value: "green": supported values: "red", "blue")");
  EXPECT_EQ(causes[1].reason, "FieldValueTypeInvalid");
  EXPECT_EQ(causes[1].field, "spec.size");
  EXPECT_EQ(causes[1].message,
            R"(Invalid value: "string": spec.size in body must be of type integer: "string")");

  json status = invalidStatus("Widget", "example.com", "w3", causes);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["code"], 422);
  EXPECT_EQ(status["reason"], "Invalid");
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_EQ(status["details"]["kind"], "Widget");
  EXPECT_EQ(status["details"]["group"], "example.com");
  EXPECT_EQ(status["details"]["name"], "w3");
  EXPECT_EQ(status["details"]["causes"][1]["reason"], "FieldValueTypeInvalid");
  EXPECT_EQ(status["details"]["causes"][1]["field"], "spec.size");
  EXPECT_EQ(status["message"],
            R"(Widget.example.com "w3" is invalid: [spec.color: Unsupported value: "green": )"
            R"(supported values: "red", "blue", spec.size: Invalid value: "string": spec.size in )"
            R"(body must be of type integer: "string"])");
}

TEST(SchemaTest, SingleCauseMessageHasNoBrackets) {
  std::vector<SchemaCause> causes = {
      {"FieldValueTypeInvalid", "spec.replicas",
       R"(Invalid value: "string": spec.replicas in body must be of type integer: "string")"}};
  json status = invalidStatus("Rollout", "argoproj.io", "demo", causes);
  EXPECT_EQ(status["message"],
            R"(Rollout.argoproj.io "demo" is invalid: spec.replicas: Invalid value: "string": )"
            R"(spec.replicas in body must be of type integer: "string")");
  json core = invalidStatus("Pod", "", "p", causes);
  EXPECT_FALSE(core["details"].contains("group"));
  EXPECT_EQ(core["message"].get<std::string>().rfind("Pod \"p\" is invalid: spec.replicas", 0), 0u);
}

TEST(SchemaTest, RequiredField) {
  json w = {{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"spec", {{"color", "red"}}}};
  auto causes = validateAgainstSchema(w, widgetSchema());
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].reason, "FieldValueRequired");
  EXPECT_EQ(causes[0].field, "spec.size");
  EXPECT_EQ(causes[0].message, "Required value");
}

TEST(SchemaTest, PruneUnknownWidgetField) {
  json w = fixture("widget-unknown.yaml");
  auto pruned = pruneUnknownFields(w, widgetSchema());
  ASSERT_EQ(pruned, std::vector<std::string>{"spec.shape"});
  EXPECT_EQ(w["spec"], json({{"size", 1}}));
  EXPECT_EQ(w["metadata"]["name"], "w2");
  EXPECT_EQ(strictDecodingMessage("Widget", "v1", pruned),
            R"(Widget in version "v1" cannot be handled as a Widget: strict decoding error: )"
            R"(unknown field "spec.shape")");
  EXPECT_EQ(unknownFieldWarning("spec.shape"), R"(unknown field "spec.shape")");
}

json containersSchema() {
  return json::parse(R"({
    "type": "object",
    "properties": {
      "spec": {"type": "object", "properties": {
        "replicas": {"type": "integer", "minimum": 0, "maximum": 10},
        "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
        "ratio": {"type": "number", "exclusiveMinimum": true, "minimum": 0},
        "port": {"x-kubernetes-int-or-string": true},
        "tags": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "note": {"type": "string", "nullable": true},
        "mode": {"type": "string", "default": "auto"},
        "opts": {"type": "object", "default": {}, "properties": {
          "level": {"type": "integer", "default": 3}}},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                 "properties": {"inner": {"type": "object", "properties": {"a": {"type": "string"}}}}},
        "template": {"type": "object", "properties": {"spec": {"type": "object", "properties": {
          "containers": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}}}}}}}},
        "embedded": {"type": "object", "x-kubernetes-embedded-resource": true,
                     "properties": {"spec": {"type": "object"}}}
      }}
    }
  })");
}

TEST(SchemaTest, NumericStringAndArrayBounds) {
  json obj = {{"spec",
               {{"replicas", 11},
                {"name", "ABCDEFG"},
                {"ratio", 0},
                {"tags", json::array({"a", "b", "c"})},
                {"port", true}}}};
  auto causes = validateAgainstSchema(obj, containersSchema());
  std::vector<std::string> got;
  for (const auto& c : causes) got.push_back(c.field + ": " + c.reason + ": " + c.message);
  std::vector<std::string> want = {
      "spec.name: FieldValueTooLong: Too long: may not be more than 5 bytes",
      R"(spec.name: FieldValueInvalid: Invalid value: "ABCDEFG": spec.name in body should match '^[a-z]+$')",
      R"(spec.port: FieldValueTypeInvalid: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean")",
      "spec.ratio: FieldValueInvalid: Invalid value: 0: spec.ratio in body should be greater than "
      "0",
      "spec.replicas: FieldValueInvalid: Invalid value: 11: spec.replicas in body should be less "
      "than or equal to 10",
      "spec.tags: FieldValueTooMany: Too many: 3: must have at most 2 items",
  };
  EXPECT_EQ(got, want);

  json ok = {{"spec",
              {{"replicas", 0},
               {"name", "ab"},
               {"ratio", 0.5},
               {"port", "http"},
               {"tags", {"x"}},
               {"note", nullptr},
               {"labels", {{"a", "b"}}}}}};
  EXPECT_TRUE(validateAgainstSchema(ok, containersSchema()).empty());
  ok["spec"]["port"] = 8080;
  EXPECT_TRUE(validateAgainstSchema(ok, containersSchema()).empty());
}

TEST(SchemaTest, MinimumMinLengthMinItemsAndNested) {
  json obj = {{"spec",
               {{"replicas", -1},
                {"name", "a"},
                {"tags", json::array()},
                {"labels", {{"x", 5}}},
                {"mode", nullptr},
                {"template", {{"spec", {{"containers", {{{"name", 7}}}}}}}}}}};
  auto causes = validateAgainstSchema(obj, containersSchema());
  std::vector<std::string> got;
  for (const auto& c : causes) got.push_back(c.field + ": " + c.message);
  std::vector<std::string> want = {
      R"(spec.labels.x: Invalid value: "integer": spec.labels.x in body must be of type string: "integer")",
      R"(spec.mode: Invalid value: "null": spec.mode in body must be of type string: "null")",
      R"(spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long)",
      "spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to "
      "0",
      "spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items",
      R"(spec.template.spec.containers[0].name: Invalid value: "integer": spec.template.spec.containers[0].name in body must be of type string: "integer")",
  };
  EXPECT_EQ(got, want);
}

TEST(SchemaTest, FractionIsNotAnInteger) {
  json obj = {{"spec", {{"replicas", 1.5}}}};
  auto causes = validateAgainstSchema(obj, containersSchema());
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].message,
            R"(Invalid value: "number": spec.replicas in body must be of type integer: "number")");
}

TEST(SchemaTest, PruningNestedPreserveAndEmbedded) {
  json obj = json::parse(R"({
    "apiVersion": "x/v1", "kind": "K", "metadata": {"name": "n", "labels": {"a": "b"}},
    "bogus": 1,
    "spec": {
      "bogusField": true,
      "free": {"anything": [1, 2], "inner": {"a": "x", "b": "pruned"}},
      "labels": {"k": "v"},
      "template": {"spec": {"containers": [{"name": "c", "imagePullPolicyX": "Always"}]}},
      "embedded": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"x": 1}, "extra": 2}
    }
  })");
  auto pruned = pruneUnknownFields(obj, containersSchema());
  std::vector<std::string> want = {"bogus",
                                   "spec.bogusField",
                                   "spec.embedded.extra",
                                   "spec.embedded.spec.x",
                                   "spec.free.inner.b",
                                   "spec.template.spec.containers[0].imagePullPolicyX"};
  std::sort(pruned.begin(), pruned.end());
  EXPECT_EQ(pruned, want);
  EXPECT_EQ(obj["spec"]["free"]["anything"], json({1, 2}));
  EXPECT_EQ(obj["spec"]["free"]["inner"], json({{"a", "x"}}));
  EXPECT_EQ(obj["spec"]["labels"]["k"], "v");
  EXPECT_EQ(obj["spec"]["embedded"]["kind"], "Pod");
  EXPECT_EQ(obj["spec"]["embedded"]["metadata"]["name"], "p");
  EXPECT_EQ(obj["metadata"]["labels"]["a"], "b");
  EXPECT_FALSE(obj["spec"]["template"]["spec"]["containers"][0].contains("imagePullPolicyX"));
  std::string msg = strictDecodingMessage(
      "Rollout", "v1alpha1",
      {"spec.bogusField", "spec.template.spec.containers[0].imagePullPolicyX"});
  EXPECT_EQ(msg, R"(Rollout in version "v1alpha1" cannot be handled as a Rollout: strict decoding )"
                 R"(error: unknown field "spec.bogusField", unknown field )"
                 R"("spec.template.spec.containers[0].imagePullPolicyX")");
}

TEST(SchemaTest, Defaulting) {
  json obj = {{"spec", {{"note", nullptr}, {"mode", nullptr}}}};
  applyDefaults(obj, containersSchema());
  EXPECT_EQ(obj["spec"]["mode"], "auto");                // null on non-nullable: defaulted
  EXPECT_TRUE(obj["spec"]["note"].is_null());            // nullable: kept
  EXPECT_EQ(obj["spec"]["opts"], json({{"level", 3}}));  // default {} then nested default
  json set = {{"spec", {{"mode", "manual"}, {"opts", {{"level", 1}}}}}};
  applyDefaults(set, containersSchema());
  EXPECT_EQ(set["spec"]["mode"], "manual");
  EXPECT_EQ(set["spec"]["opts"]["level"], 1);
  EXPECT_TRUE(validateAgainstSchema(obj, containersSchema()).empty());
}

TEST(SchemaTest, IntegerEnumAndFloatBounds) {
  json schema = json::parse(R"({"type":"object","properties":{"spec":{"type":"object",
      "properties":{"n":{"type":"integer","enum":[1,2]},"f":{"type":"number","maximum":1.5}}}}})");
  json obj = {{"spec", {{"n", 3}, {"f", 2.25}}}};
  auto causes = validateAgainstSchema(obj, schema);
  ASSERT_EQ(causes.size(), 2u);
  EXPECT_EQ(causes[0].message,
            "Invalid value: 2.25: spec.f in body should be less than or equal to 1.5");
  EXPECT_EQ(causes[1].message, R"(Unsupported value: 3: supported values: "1", "2")");
}

TEST(SchemaTest, OneOfAnyOfAllOfNot) {
  // The shape Istio's CRDs use for mutually exclusive fields.
  json schema = json::parse(R"({"type":"object","properties":{"spec":{"type":"object",
      "properties":{"m":{"type":"object","properties":{"exact":{"type":"string"},
        "prefix":{"type":"string"}},
        "oneOf":[{"not":{"anyOf":[{"required":["exact"]},{"required":["prefix"]}]}},
                 {"required":["exact"]},{"required":["prefix"]}]},
      "a":{"type":"object","properties":{"x":{"type":"integer"},"y":{"type":"integer"}},
        "anyOf":[{"required":["x"]},{"required":["y"]}],
        "allOf":[{"properties":{"x":{"maximum":5}}}]}}}}})");
  json ok = {{"spec", {{"m", {{"exact", "a"}}}, {"a", {{"y", 1}}}}}};
  EXPECT_TRUE(validateAgainstSchema(ok, schema).empty());
  json none = {{"spec", {{"m", json::object()}}}};
  EXPECT_TRUE(validateAgainstSchema(none, schema).empty());

  json both = {{"spec", {{"m", {{"exact", "a"}, {"prefix", "b"}}}}}};
  auto causes = validateAgainstSchema(both, schema);
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].field, "<nil>");
  EXPECT_EQ(causes[0].reason, "FieldValueInvalid");
  EXPECT_EQ(causes[0].message,
            R"(Invalid value: "": "spec.m" must validate one and only one schema (oneOf). )"
            R"(Found 2 valid alternatives)");

  json neither = {{"spec", {{"a", {{"z", 1}}}}}};
  causes = validateAgainstSchema(neither, schema);
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].message,
            R"(Invalid value: "": "spec.a" must validate at least one schema (anyOf))");

  json big = {{"spec", {{"a", {{"x", 9}}}}}};
  causes = validateAgainstSchema(big, schema);
  ASSERT_EQ(causes.size(), 2u);
  EXPECT_EQ(causes[0].message,
            "Invalid value: 9: spec.a.x in body should be less than or equal to 5");
  EXPECT_EQ(causes[1].message,
            R"(Invalid value: "": "spec.a" must validate all the schemas (allOf). None validated)");
}

}  // namespace
}  // namespace vane::apiserver
