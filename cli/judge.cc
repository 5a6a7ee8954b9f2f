#include "cli/judge.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>

#include "analysis/judge_provider.h"
#include "analysis/types.h"
#include "kube/http.h"

namespace vane::cli {

namespace {

using nlohmann::json;

constexpr const char* kJudgeUsage =
    R"(Judge a canary metric against its baseline, as the vane.dev/judge provider does
(Kayenta's NetflixACAJudge-v1.0: Mann-Whitney 98% interval, tolerance 0.25, effect-size gates).

Usage:
  kubectl vane judge --canary 1,2,3 --baseline 4,5,6 [flags]
  kubectl vane judge --canary-file c.txt --baseline-file b.txt [flags]
  kubectl vane judge --prometheus URL --query 'avg(latency{role="${role}"})' --range 10m [flags]
  kubectl vane judge --prometheus URL --canary-query Q --baseline-query Q --range 10m [flags]

Samples:
  --canary LIST, --baseline LIST    numbers separated by commas or spaces (NaN accepted)
  --canary-file F, --baseline-file F  numbers separated by commas, spaces or newlines ("-": stdin)
  --prometheus URL                  query_range over [now - range, now]
  --query Q                         one query with a ${role} placeholder (canary / baseline)
  --canary-query Q, --baseline-query Q
  --range D (default 10m), --step D (default 15s), --timeout D (default 30s)

Judge settings (Kayenta's analysisConfigurations.canary):
  --name NAME (default metric)      --direction increase|decrease|either (default either)
  --nan-strategy remove|replace     --outliers keep|remove   --outlier-factor F (default 3)
  --effect-size meanRatio|cles      --allowed-increase F     --allowed-decrease F
  --critical-increase F             --critical-decrease F    --critical   --must-have-data
  --pass SCORE (default 95)         --marginal SCORE (default 75)
  --seed N (noise for constant samples; default 1)
  -o, --output text|json

Exit status: 0 Pass, 2 Marginal or Fail, 1 error.
)";

struct JudgeArgs {
  std::map<std::string, std::string> values;
  bool critical = false, mustHaveData = false;
};

const std::vector<std::string>& valueFlags() {
  static const std::vector<std::string> flags = {"canary",
                                                 "baseline",
                                                 "canary-file",
                                                 "baseline-file",
                                                 "prometheus",
                                                 "query",
                                                 "canary-query",
                                                 "baseline-query",
                                                 "range",
                                                 "step",
                                                 "timeout",
                                                 "name",
                                                 "direction",
                                                 "nan-strategy",
                                                 "outliers",
                                                 "outlier-factor",
                                                 "effect-size",
                                                 "allowed-increase",
                                                 "allowed-decrease",
                                                 "critical-increase",
                                                 "critical-decrease",
                                                 "pass",
                                                 "marginal",
                                                 "seed",
                                                 "output"};
  return flags;
}

Result<JudgeArgs> parseJudgeArgs(const std::vector<std::string>& args) {
  JudgeArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "-o") a = "--output";
    if (a.rfind("-o=", 0) == 0) a = "--output=" + a.substr(3);
    if (a == "--critical") {
      out.critical = true;
      continue;
    }
    if (a == "--must-have-data") {
      out.mustHaveData = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) return Status(Code::kBadRequest, "unknown argument '" + a + "'");
    std::string name = a.substr(2), value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    bool known = false;
    for (const std::string& f : valueFlags()) known = known || f == name;
    if (!known) return Status(Code::kBadRequest, "unknown flag --" + name);
    if (!inline_value) {
      if (i + 1 >= args.size())
        return Status(Code::kBadRequest, "flag --" + name + " needs a value");
      value = args[++i];
    }
    out.values[name] = value;
  }
  return out;
}

Result<std::vector<double>> parseNumbers(const std::string& text, const std::string& origin) {
  std::vector<double> out;
  std::string token;
  auto flush = [&]() -> Status {
    if (token.empty()) return Status::ok();
    char* end = nullptr;
    const double v = std::strtod(token.c_str(), &end);
    if (end != token.c_str() + token.size()) {
      return Status(Code::kBadRequest, origin + ": '" + token + "' is not a number");
    }
    out.push_back(v);
    token.clear();
    return Status::ok();
  };
  for (char c : text) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (Status st = flush(); !st.isOk()) return st;
    } else {
      token += c;
    }
  }
  if (Status st = flush(); !st.isOk()) return st;
  return out;
}

Result<std::vector<double>> readNumbersFile(const std::string& path) {
  std::stringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::ifstream in(path);
    if (!in) return Status(Code::kNotFound, path + ": cannot read file");
    buffer << in.rdbuf();
  }
  return parseNumbers(buffer.str(), path);
}

Result<std::chrono::milliseconds> durationFlag(const JudgeArgs& a, const std::string& name,
                                               const std::string& def) {
  auto it = a.values.find(name);
  const std::string v = it == a.values.end() ? def : it->second;
  auto d = analysis::parseDuration(v);
  if (!d || d->count() <= 0) {
    return Status(Code::kBadRequest, "--" + name + ": '" + v + "' is not a positive duration");
  }
  return *d;
}

Result<std::optional<double>> numberFlag(const JudgeArgs& a, const std::string& name) {
  auto it = a.values.find(name);
  if (it == a.values.end()) return std::optional<double>();
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || end != it->second.c_str() + it->second.size() || !std::isfinite(v)) {
    return Status(Code::kBadRequest, "--" + name + ": '" + it->second + "' is not a number");
  }
  return std::optional<double>(v);
}

// The settings, through the provider's decoder, so flags and YAML accept the same words.
Result<judge::MetricConfig> metricConfig(const JudgeArgs& a) {
  judge::MetricConfig c;
  auto get = [&](const std::string& k) {
    auto it = a.values.find(k);
    return it == a.values.end() ? std::optional<std::string>() : it->second;
  };
  c.name = get("name").value_or("metric");
  c.groups = {c.name};
  json settings = json::object();
  if (auto v = get("direction")) settings["direction"] = *v;
  if (auto v = get("nan-strategy")) settings["nanStrategy"] = *v;
  if (auto v = get("outliers")) settings["outliers"]["strategy"] = *v;
  if (auto v = get("effect-size")) settings["effectSize"]["measure"] = *v;
  for (const auto& [flag, key] : {std::pair{"outlier-factor", "outliers.outlierFactor"},
                                  {"allowed-increase", "effectSize.allowedIncrease"},
                                  {"allowed-decrease", "effectSize.allowedDecrease"},
                                  {"critical-increase", "effectSize.criticalIncrease"},
                                  {"critical-decrease", "effectSize.criticalDecrease"}}) {
    auto n = numberFlag(a, flag);
    if (!n) return n.status();
    if (!*n) continue;
    const std::string k = key;
    settings[k.substr(0, k.find('.'))][k.substr(k.find('.') + 1)] = **n;
  }
  settings["critical"] = a.critical;
  settings["mustHaveData"] = a.mustHaveData;
  kube::Decoder d(settings, "");
  analysis::decodeJudgeSettings(d, c);
  if (!d.ok()) {
    // Field paths back to flag names: "direction" -> --direction, "outliers.strategy" -> ...
    std::string field = d.status().field();
    static const std::map<std::string, std::string> flags = {
        {"direction", "--direction"},
        {"nanStrategy", "--nan-strategy"},
        {"outliers.strategy", "--outliers"},
        {"outliers.outlierFactor", "--outlier-factor"},
        {"effectSize.measure", "--effect-size"}};
    auto it = flags.find(field);
    return Status(Code::kBadRequest,
                  (it == flags.end() ? field : it->second) + ": " + d.status().message());
  }
  return c;
}

Result<std::vector<double>> samplesFor(const JudgeArgs& a, const std::string& role,
                                       http::Client* client) {
  auto get = [&](const std::string& k) {
    auto it = a.values.find(k);
    return it == a.values.end() ? std::optional<std::string>() : it->second;
  };
  if (auto list = get(role)) return parseNumbers(*list, "--" + role);
  if (auto file = get(role + "-file")) return readNumbersFile(*file);
  auto query = get(role + "-query");
  if (!query) query = get("query");
  if (!query || !client) {
    return Status(Code::kBadRequest, "no " + role + " samples: give --" + role + ", --" + role +
                                         "-file, or --prometheus with --query / --" + role +
                                         "-query");
  }
  auto range = durationFlag(a, "range", "10m");
  if (!range) return range.status();
  auto step = durationFlag(a, "step", "15s");
  if (!step) return step.status();
  auto timeout = durationFlag(a, "timeout", "30s");
  if (!timeout) return timeout.status();
  analysis::RangeQuery q;
  q.address = *get("prometheus");
  while (!q.address.empty() && q.address.back() == '/') q.address.pop_back();
  q.query = analysis::resolveJudgeQuery(*query, role, "");
  q.end = std::chrono::system_clock::now();
  q.start = q.end - *range;
  q.step = *step;
  q.timeout = *timeout;
  auto s = analysis::fetchRangeSamples(*client, q);
  if (!s) return Status(s.status().code(), role + ": " + s.status().message());
  return s;
}

void printStats(std::ostream& out, const char* label, const judge::SampleStats& s,
                size_t received) {
  out << label << "n=" << s.count;
  if (s.count != received) out << " (of " << received << ")";
  if (s.count > 0) {
    out << " mean=" << judge::formatNumber(s.mean) << " std=" << judge::formatNumber(s.std)
        << " min=" << judge::formatNumber(s.min) << " max=" << judge::formatNumber(s.max);
  }
  out << "\n";
}

void printText(std::ostream& out, const judge::JudgeResult& r, const judge::Thresholds& t) {
  const judge::MetricResult& m = r.metrics.front();
  const judge::Classification& c = m.classification;
  out << "METRIC    " << m.name << " (direction " << judge::directionName(m.direction) << ")\n";
  out << "RESULT    " << judge::labelName(c.label) << (c.critical ? " (critical)" : "") << "\n";
  if (!c.reason.empty()) out << "REASON    " << c.reason << "\n";
  if (c.tested) {
    out << "INTERVAL  " << judge::formatNumber(m.params.confLevel * 100) << "% CI ["
        << judge::formatNumber(c.lower) << ", " << judge::formatNumber(c.upper)
        << "] of canary - baseline\n";
    out << "ESTIMATE  " << judge::formatNumber(c.estimate) << " (Hodges-Lehmann; band +-"
        << judge::formatNumber(m.params.tolerance * std::fabs(c.estimate)) << ")\n";
    out << "EFFECT    " << judge::effectSizeName(m.params.measure) << " "
        << judge::formatNumber(c.effect_size) << " (allowed increase "
        << judge::formatNumber(m.params.allowedIncrease) << ", decrease "
        << judge::formatNumber(m.params.allowedDecrease) << ")\n";
    if (c.noise_added) out << "NOTE      both samples constant: Gaussian noise added (Kayenta)\n";
  }
  printStats(out, "CANARY    ", m.canary, m.canaryRaw);
  printStats(out, "BASELINE  ", m.baseline, m.baselineRaw);
  out << "SCORE     " << judge::formatNumber(r.score) << " (" << judge::verdictName(r.verdict)
      << "; pass " << judge::formatNumber(t.pass) << ", marginal "
      << judge::formatNumber(t.marginal) << ")\n";
}

}  // namespace

int runJudge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  for (const std::string& a : args) {
    if (a == "-h" || a == "--help") {
      out << kJudgeUsage;
      return 0;
    }
  }
  auto fail = [&](const Status& st) {
    err << "error: " << st.message() << "\n";
    return 1;
  };
  auto parsed = parseJudgeArgs(args);
  if (!parsed) return fail(parsed.status());
  const JudgeArgs& a = *parsed;
  const std::string output = a.values.count("output") ? a.values.at("output") : "text";
  if (output != "text" && output != "json") {
    return fail(Status(Code::kBadRequest, "unknown output format '" + output + "' (text, json)"));
  }
  auto config = metricConfig(a);
  if (!config) return fail(config.status());
  judge::Thresholds thresholds;
  auto pass = numberFlag(a, "pass");
  auto marginal = numberFlag(a, "marginal");
  if (!pass) return fail(pass.status());
  if (!marginal) return fail(marginal.status());
  thresholds.pass = pass->value_or(thresholds.pass);
  thresholds.marginal = marginal->value_or(thresholds.marginal);
  if (thresholds.marginal > thresholds.pass) {
    return fail(Status(Code::kBadRequest, "--marginal must not exceed --pass"));
  }
  auto seed = numberFlag(a, "seed");
  if (!seed) return fail(seed.status());

  std::unique_ptr<http::Client> client;
  if (a.values.count("prometheus")) {
    auto c = http::Client::create({});
    if (!c) return fail(c.status());
    client = std::move(c).value();
  }
  auto canary = samplesFor(a, "canary", client.get());
  if (!canary) return fail(canary.status());
  auto baseline = samplesFor(a, "baseline", client.get());
  if (!baseline) return fail(baseline.status());

  std::mt19937_64 rng(static_cast<uint64_t>(seed->value_or(1)));
  std::vector<judge::MetricResult> results;
  results.push_back(judge::judgeMetric(*config, *canary, *baseline, rng));
  const judge::JudgeResult r = judge::scoreMetrics(std::move(results), {}, thresholds);
  if (output == "json") {
    out << analysis::judgeResultToJson(r, thresholds).dump(2) << "\n";
  } else {
    printText(out, r, thresholds);
  }
  return r.verdict == judge::Verdict::kPass ? 0 : 2;
}

}  // namespace vane::cli
