// The built-in statistical judge as a metric provider (issue 18): Kayenta's NetflixACAJudge-v1.0
// (analysis/judge/) fed from Prometheus range queries over the measurement window, canary
// against baseline. Configured through Argo's metric-provider plugin field, so Argo's CRDs accept
// it unchanged, with Argo's Kayenta field names where they exist:
//
//   provider:
//     plugin:
//       vane.dev/judge:
//         address: http://prometheus:9090        # or $ARGO_ROLLOUTS_PROMETHEUS_ADDRESS
//         window: 10m                            # range queried: [now - window, now]
//         step: 15s                              # query_range step (default 15s)
//         timeout: 30                            # seconds per query
//         insecure: false
//         headers: [{key, value}]
//         threshold: {pass: 95, marginal: 75}    # required, as in Argo's kayenta provider
//         scopes:                                # optional, Argo's kayenta shape
//         - name: default
//           controlScope: {scope: stable-hash, start: RFC3339, end: RFC3339, step: 60}
//           experimentScope: {scope: canary-hash, ...}
//         groupWeights: {latency: 60, errors: 40}
//         metrics:
//         - name: latency
//           query: 'avg(latency{role="${role}"})'   # ${role}: canary / baseline, ${scope}:
//           # or canaryQuery: ... and baselineQuery: ...   the scope of that role
//           # (Kayenta's ${...} form: Argo resolves every {{...}} as an argument first)
//           groups: [latency]                  # default: one group named after the metric
//           direction: increase                # and the other Kayenta analysisConfigurations
//           nanStrategy: remove                # .canary keys, flat or under
//           outliers: {strategy: remove, outlierFactor: 3}   # analysisConfigurations.canary
//           critical: true
//           mustHaveData: true
//           muted: false
//           effectSize: {measure: meanRatio, allowedIncrease: 1.1, criticalIncrease: 1.5}
//         canaryConfig: {...}                    # or a Kayenta canary-config document
//
// The measurement's value is the score truncated to an integer; its phase follows Argo's kayenta
// provider: score >= pass Successful, >= marginal Inconclusive, else Failed. The message explains
// every metric that did not pass (interval, estimate, effect size, sample counts); the metadata
// holds the whole judgement as JSON.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "analysis/http_clients.h"
#include "analysis/judge/judge.h"
#include "analysis/provider.h"
#include "kube/decode.h"

namespace vane::analysis {

inline constexpr std::string_view kJudgePluginName = "vane.dev/judge";

struct JudgeMetricSpec {
  judge::MetricConfig config;
  std::string canaryQuery, baselineQuery;  // placeholders resolved per role when run
  std::string scopeName;                   // which scope's values/times apply ("" = first)
};

struct JudgeRoleScope {
  std::string scope;  // value substituted for {{scope}} / ${scope}
  std::optional<TimePoint> start, end;
  std::optional<std::chrono::milliseconds> step;
};

struct JudgeScope {
  std::string name;
  JudgeRoleScope canary, baseline;  // experimentScope, controlScope
};

struct JudgeSpec {
  std::string address;
  std::chrono::milliseconds window{std::chrono::minutes(10)};
  std::chrono::milliseconds step{std::chrono::seconds(15)};
  int64_t timeout = 30;
  bool insecure = false;
  http::Headers headers;
  judge::Thresholds threshold;
  std::map<std::string, double> groupWeights;
  std::vector<JudgeScope> scopes;
  std::vector<JudgeMetricSpec> metrics;
};

/// Decodes provider.plugin["vane.dev/judge"] of a metric. Errors name the field path.
Result<JudgeSpec> decodeJudgeSpec(const json& metric);
/// Kayenta's per-metric judge keys (direction, nanStrategy, outliers, critical, mustHaveData,
/// muted, effectSize), read from d itself or from d.analysisConfigurations.canary.
void decodeJudgeSettings(const kube::Decoder& d, judge::MetricConfig& out);
/// A Kayenta canary-config document: metrics[] {name, groups, scopeName, query
/// {customInlineTemplate: "PromQL:..."} | {metricName}, analysisConfigurations.canary} and
/// classifier.groupWeights.
void decodeKayentaCanaryConfig(const kube::Decoder& d, std::vector<JudgeMetricSpec>& metrics,
                               std::map<std::string, double>& weights);

/// Substitutes ${role} and ${scope} (Kayenta's form) in a query; {{role}} and {{scope}} too, for
/// the CLI (in an AnalysisTemplate Argo's argument resolution rejects any {{...}} but args).
std::string resolveJudgeQuery(std::string query, std::string_view role, std::string_view scope);

/// One range query; the answer must hold at most one series (none: no samples).
struct RangeQuery {
  std::string address, query;
  TimePoint start, end;
  std::chrono::milliseconds step{15000};
  std::chrono::milliseconds timeout{30000};
  http::Headers headers;
};
Result<std::vector<double>> fetchRangeSamples(http::Client& client, const RangeQuery& q);
/// The samples of a /api/v1/query_range answer ("NaN", "+Inf", "-Inf" kept as doubles).
Result<std::vector<double>> parseRangeSamples(int http_status, const std::string& body);

json metricResultToJson(const judge::MetricResult& m);
json judgeResultToJson(const judge::JudgeResult& r, const judge::Thresholds& t);
/// Argo's kayenta evaluateResult on the integer score.
Phase phaseForScore(double score, const judge::Thresholds& t);

class JudgeProvider : public MetricProvider {
 public:
  /// seed feeds the noise Kayenta adds to constant samples (fixed in tests).
  explicit JudgeProvider(http::ClientOptions client_options = {}, uint64_t seed = 0x5eed);
  std::string_view type() const override { return "plugin"; }
  Measurement run(const MetricContext& ctx) override;
  Measurement resume(const MetricContext&, const Measurement& m) override { return m; }
  Measurement terminate(const MetricContext&, const Measurement& m) override { return m; }

 private:
  HttpClients clients_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

/// Argo's kayenta provider: accepted by the CRDs, refused at measurement time with an Error that
/// says what to use instead (Vane judges in process; no Kayenta service is called).
class KayentaUnsupportedProvider : public MetricProvider {
 public:
  std::string_view type() const override { return "kayenta"; }
  Measurement run(const MetricContext& ctx) override;
  Measurement resume(const MetricContext&, const Measurement& m) override { return m; }
  Measurement terminate(const MetricContext&, const Measurement& m) override { return m; }
};

}  // namespace vane::analysis
