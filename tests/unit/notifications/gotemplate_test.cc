// The text/template subset against Go's documented behaviour and Argo Rollouts' documented
// notification templates (manifests/notifications/*.yaml; the test configuration is our own).
#include "notifications/gotemplate.h"

#include <gtest/gtest.h>

namespace vane::notifications::gotmpl {
namespace {

using nlohmann::json;

std::string run(const std::string& text, const json& data) {
  auto t = Template::parse("t", text);
  if (!t) return "PARSE: " + t.status().message();
  auto out = t->execute(data);
  if (!out) return "EXEC: " + out.status().message();
  return *out;
}

const json kRollout = json::parse(R"({
  "rollout": {
    "metadata": {"name": "web", "namespace": "prod"},
    "spec": {
      "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}]}},
      "template": {"spec": {"containers": [
        {"name": "web", "image": "app:purple"}, {"name": "proxy", "image": "envoy:1"}]}}
    },
    "status": {"currentStepIndex": 1, "phase": "Paused", "ratio": 0.5, "big": 1000000.0}
  }
})");

TEST(GoTemplate, FieldsMissingKeysAndLiterals) {
  EXPECT_EQ(run("Rollout {{.rollout.metadata.name}} done", kRollout), "Rollout web done");
  EXPECT_EQ(run("{{ .rollout.metadata.missing }}", kRollout), "<no value>");
  EXPECT_EQ(run("{{.rollout.nothing.deeper.still}}", kRollout), "<no value>");
  EXPECT_EQ(run("{{.rollout.status.currentStepIndex}} {{.rollout.status.ratio}}", kRollout),
            "1 0.5");
  EXPECT_EQ(run("{{.rollout.status.big}}", kRollout), "1e+06");
  EXPECT_EQ(run("{{.rollout.metadata}}", kRollout), "map[name:web namespace:prod]");
  EXPECT_EQ(run("{{\"a\\tb\"}} {{`raw\\n`}} {{3}} {{true}} {{-2}}", json::object()),
            "a\tb raw\\n 3 true -2");
  EXPECT_EQ(run("{{.a.b}}", json{{"a", nullptr}}),
            "EXEC: template: t:1:3: executing \"t\" at <.a.b>: nil pointer evaluating "
            "interface {}.b");
  EXPECT_EQ(run("{{.a.b}}", json{{"a", "s"}}),
            "EXEC: template: t:1:3: executing \"t\" at <.a.b>: can't evaluate field b in type "
            "string");
}

TEST(GoTemplate, TrimMarkersAndComments) {
  EXPECT_EQ(run("a  {{- 1 -}}  \n b", json::object()), "a1b");
  EXPECT_EQ(run("a {{/* note */}}b", json::object()), "a b");
  EXPECT_EQ(run("a {{- /* note */ -}} b", json::object()), "ab");
  EXPECT_EQ(run("{{3 -}} x", json::object()), "3x");
  EXPECT_EQ(run("{{if 1 -}} a {{- else -}} b {{- end}}!", json::object()), "a!");
  EXPECT_EQ(run("[\n  {{- range .xs}}\n  {{.}}\n  {{- end}}\n]", json{{"xs", {1, 2}}}),
            "[\n  1\n  2\n]");
}

TEST(GoTemplate, ControlStructures) {
  const json d = {{"xs", {"a", "b", "c"}}, {"m", {{"k2", 2}, {"k1", 1}}}, {"n", 0}, {"s", ""}};
  EXPECT_EQ(run("{{if .n}}yes{{else if .s}}s{{else}}no{{end}}", d), "no");
  EXPECT_EQ(run("{{if .xs}}yes{{end}}{{if .missing}}m{{end}}", d), "yes");
  EXPECT_EQ(run("{{range $i, $x := .xs}}{{if $i}},{{end}}{{$i}}={{$x}}{{end}}", d), "0=a,1=b,2=c");
  EXPECT_EQ(run("{{range .m}}{{.}}{{end}}|{{range $k, $v := .m}}{{$k}}{{end}}", d), "12|k1k2");
  EXPECT_EQ(run("{{range .none}}x{{else}}empty{{end}}", d), "empty");
  EXPECT_EQ(run("{{range .xs}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", d), "a");
  EXPECT_EQ(run("{{range .xs}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}", d), "ac");
  EXPECT_EQ(run("{{with .m}}{{.k1}}{{end}}{{with .none}}x{{else}}y{{end}}", d), "1y");
  EXPECT_EQ(run("{{with .none}}x{{else with .m}}{{.k2}}{{end}}", d), "2");
  EXPECT_EQ(run("{{if $v := .xs}}{{len $v}}{{end}}", d), "3");
  EXPECT_EQ(run("{{$x := 5}}{{$x}}{{$x = 6}}{{$x}}{{range .xs}}{{$.n}}{{end}}", d), "56000");
}

TEST(GoTemplate, FunctionsAndPipelines) {
  const json d = {{"xs", {"a", "b"}}, {"n", 3}, {"f", 2.5}, {"s", "Hi"}, {"m", {{"k", "v"}}}};
  EXPECT_EQ(run("{{len .xs}} {{index .xs 1}} {{index .m \"k\"}} {{index .m \"x\"}}", d),
            "2 b v <no value>");
  EXPECT_EQ(run("{{printf \"%s-%d-%v-%.2f-%q-%5d|%-3s|\" .s .n .xs .f .s .n .s}}", d),
            "Hi-3-[a b]-2.50-\"Hi\"-    3|Hi |");
  EXPECT_EQ(run("{{printf \"%d\" .s}} {{printf \"%s\"}}", d), "%!d(string=Hi) %!s(MISSING)");
  EXPECT_EQ(run("{{.s | printf \"<%s>\" | upper}}", d), "<HI>");
  EXPECT_EQ(run("{{and 1 0 2}} {{or 0 \"\" \"x\"}} {{not .missing}} {{and .n .s}}", d),
            "0 x true Hi");
  EXPECT_EQ(run("{{eq .n 3}} {{ne .s \"Hi\"}} {{eq .s \"a\" \"Hi\"}} {{lt 1 2}} {{ge .f 2.5}}", d),
            "true false true true true");
  EXPECT_EQ(run("{{add .n 1}} {{sub 10 .n}} {{mul 2 3}} {{div 7 2}} {{add1 .n}}", d), "4 7 6 3 4");
  EXPECT_EQ(run("{{default \"none\" .missing}} {{.s | default \"x\"}} {{empty .missing}}", d),
            "none Hi true");
  EXPECT_EQ(run("{{lower .s}} {{trim \"  a \"}} {{quote .s}} {{join \",\" .xs}} {{toJson .m}}", d),
            "hi a \"Hi\" a,b {\"k\":\"v\"}");
  EXPECT_EQ(run("{{replace \"i\" \"o\" .s}} {{trunc 1 .s}} {{hasPrefix \"H\" .s}}", d),
            "Ho H true");
  EXPECT_EQ(run("{{(index .xs 0) | upper}} {{print 1 2 \"a\" \"b\"}}", d), "A 1 2ab");
}

TEST(GoTemplate, ErrorsNameTemplateAndPosition) {
  EXPECT_EQ(run("ok\n{{ nosuch .x }}", json::object()),
            "PARSE: template: t:2:4: function \"nosuch\" not defined");
  EXPECT_EQ(run("{{if .x}}open", json::object()),
            "PARSE: template: t:1:1: unexpected EOF: {{if}} without {{end}}");
  EXPECT_EQ(run("{{template \"x\"}}", json::object()),
            "PARSE: template: t:1:3: {{template}} is not supported in notification templates");
  EXPECT_EQ(run("{{call .f}}", json::object()),
            "EXEC: template: t:1:3: executing \"t\" at <call .f>: error calling call: call of nil");
  EXPECT_EQ(run("{{.x", json::object()), "PARSE: template: t:1:1: unclosed action");
  EXPECT_EQ(run("{{$y}}", json::object()), "PARSE: template: t:1:3: undefined variable \"$y\"");
  EXPECT_EQ(run("{{index .xs 5}}", json{{"xs", {1}}}),
            "EXEC: template: t:1:3: executing \"t\" at <index .xs 5>: error calling index: "
            "index out of range: 5");
  EXPECT_EQ(run("{{eq .s 1}}", json{{"s", "a"}}),
            "EXEC: template: t:1:3: executing \"t\" at <eq .s 1>: error calling eq: "
            "incompatible types for comparison");
  EXPECT_EQ(run("{{end}}", json::object()), "PARSE: template: t:1:3: unexpected {{end}}");
}

// `.time` as notifications-engine binds it (pkg/expr/time), with Go's Time and Duration methods
// and layouts: Format, Sub, Add, Unix, the RFC 3339 and Kitchen layouts, Duration's String.
TEST(GoTemplate, TimeValuesAsNotificationsEngineBindsThem) {
  json data = {{"time", timeNamespace()},
               {"rollout",
                {{"metadata", {{"creationTimestamp", "2026-12-08T02:05:09Z"}}},
                 {"status", {{"at", "2026-12-08T04:35:10.25+01:00"}}}}}};
  const std::string created = "(call .time.Parse .rollout.metadata.creationTimestamp)";
  EXPECT_EQ(run("{{ " + created + ".Format \"2006-01-02 15:04:05 Mon Jan _2 3PM\" }}", data),
            "2026-12-08 02:05:09 Tue Dec  8 2AM");
  EXPECT_EQ(run("{{ " + created + ".Format .time.RFC3339 }}", data), "2026-12-08T02:05:09Z");
  EXPECT_EQ(run("{{ " + created + ".Format .time.Kitchen }}", data), "2:05AM");
  EXPECT_EQ(run("{{ " + created + ".Unix }} {{ " + created + ".YearDay }}", data),
            "1796695509 342");
  EXPECT_EQ(run("{{ " + created + " }}", data), "2026-12-08 02:05:09 +0000 UTC");
  // An offset is kept (the instant is 03:35:10.25Z); .999 trims, .000 keeps zeros.
  const std::string at = "(call .time.Parse .rollout.status.at)";
  EXPECT_EQ(run("{{ " + at + ".UTC.Format \"15:04:05.999 Z07:00\" }}", data), "03:35:10.25 Z");
  EXPECT_EQ(run("{{ (" + at + ".Sub " + created + ").String }}", data), "1h30m1.25s");
  EXPECT_EQ(run("{{ (" + at + ".Sub " + created + ").Minutes | printf \"%.1f\" }}", data), "90.0");
  EXPECT_EQ(run("{{ (" + created + ".Add .time.Hour).Format \"15:04:05.000\" }}", data),
            "03:05:09.000");
  EXPECT_EQ(run("{{ " + created + ".Before " + at + " }} {{ .time.Minute }}", data), "true 1m0s");
  // Now is the current time.
  auto now = run("{{ (call .time.Now).Year }}", data);
  EXPECT_GE(std::stoi(now), 2026) << now;
  // Errors name the action, as Go's do.
  EXPECT_EQ(run("{{ call .time.Parse \"yesterday\" }}", data),
            "EXEC: template: t:1:4: executing \"t\" at <call .time.Parse \"yesterday\">: error "
            "calling call: parsing time \"yesterday\" as \"2006-01-02T15:04:05Z07:00\": not RFC "
            "3339");
  EXPECT_EQ(run("{{ " + created + ".Nope }}", data).substr(0, 6), "EXEC: ");
  EXPECT_NE(run("{{ " + created + ".Nope }}", data)
                .find("can't evaluate field Nope in type "
                      "time.Time"),
            std::string::npos);
}

// Argo Rollouts' documented rollout-completed / rollout-step-completed template bodies.
TEST(GoTemplate, ArgoDocumentedSlackAttachments) {
  const std::string attachments = R"([{
  "title": "{{ .rollout.metadata.name}}",
  "color": "#18be52",
  "fields": [
  {
    "title": "Strategy",
    "value": "{{if .rollout.spec.strategy.blueGreen}}BlueGreen{{end}}{{if .rollout.spec.strategy.canary}}Canary{{end}}",
    "short": true
  },
  {
    "title": "Step completed",
    "value": "{{add .rollout.status.currentStepIndex 1}}/{{len .rollout.spec.strategy.canary.steps}}",
    "short": true
  }
  {{range $index, $c := .rollout.spec.template.spec.containers}}
    {{if not $index}},{{end}}
    {{if $index}},{{end}}
    {
      "title": "{{$c.name}}",
      "value": "{{$c.image}}",
      "short": true
    }
  {{end}}
  ]
}])";
  std::string out = run(attachments, kRollout);
  json parsed = json::parse(out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << out;
  const json& fields = parsed[0]["fields"];
  ASSERT_EQ(fields.size(), 4u) << out;
  EXPECT_EQ(parsed[0]["title"], "web");
  EXPECT_EQ(fields[0]["value"], "Canary");
  EXPECT_EQ(fields[1]["value"], "2/3");
  EXPECT_EQ(fields[2]["title"], "web");
  EXPECT_EQ(fields[2]["value"], "app:purple");
  EXPECT_EQ(fields[3]["value"], "envoy:1");
  EXPECT_EQ(run("Rollout {{.rollout.metadata.name}} step number {{ add "
                ".rollout.status.currentStepIndex 1}}/{{len .rollout.spec.strategy.canary.steps}} "
                "has been completed.",
                kRollout),
            "Rollout web step number 2/3 has been completed.");
}

}  // namespace
}  // namespace vane::notifications::gotmpl
