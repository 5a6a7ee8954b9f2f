// The `prometheus` metric provider: an instant query against /api/v1/query (Argo:
// metricproviders/prometheus/prometheus.go). Spec fields, as Argo names them:
//   provider.prometheus: {address, query, timeout (seconds, default 30), insecure,
//                         headers: [{key, value}], authentication: {basicAuth: {username,
//                         password}, oauth2: {tokenUrl, clientId, clientSecret, scopes}},
//                         rangeQuery: {start, end, step}}
// oauth2 is the client-credentials grant; its token is sent as "Bearer ..." and kept until it
// expires. rangeQuery uses /api/v1/query_range; start and end are time expressions (now(),
// date("..."), duration("5m"), + and -), step a duration.
// The address falls back to $ARGO_ROLLOUTS_PROMETHEUS_ADDRESS. A bearer token is sent as a header
// ({key: Authorization, value: "Bearer ..."}), as Argo users do; user:password@ in the address is
// sent as basic auth. An instant query must answer a vector or a scalar, a range query a matrix;
// any other answer, a timeout, a 5xx or a non-JSON body is an Error measurement whose message
// never contains a credential (passwords, secret header values, oauth2 secret and token).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "analysis/http_auth.h"
#include "analysis/http_clients.h"
#include "analysis/provider.h"
#include "kube/http.h"

namespace vane::analysis {

/// A decoded /api/v1/query answer: vector and matrix -> array of floats (all samples
/// flattened), scalar -> float, string -> string; "NaN", "+Inf", "-Inf" become doubles.
struct PrometheusResult {
  json value;
  std::string result_type;
  std::vector<std::string> warnings;
};

/// Decodes a response. Errors carry the server's message: a JSON error body gives
/// "bad_data: invalid parameter ..." (kInvalid for 400/422, kUnavailable for 5xx), a non-JSON
/// body (a not-ready server's plain "Service Unavailable", a proxy page) gives
/// "HTTP 503: Service Unavailable".
Result<PrometheusResult> parsePrometheusResponse(int http_status, const std::string& body);

class PrometheusProvider : public MetricProvider {
 public:
  /// client_options are used for https addresses (insecure spec fields override verification).
  explicit PrometheusProvider(http::ClientOptions client_options = {});
  ~PrometheusProvider() override;
  std::string_view type() const override { return "prometheus"; }
  Measurement run(const MetricContext& ctx) override;
  Measurement resume(const MetricContext&, const Measurement& m) override { return m; }
  Measurement terminate(const MetricContext&, const Measurement& m) override { return m; }
  std::map<std::string, std::string> metricMetadata(const json& metric) const override;

 private:
  HttpClients clients_;
  std::unique_ptr<OAuth2TokenCache> tokens_;  // authentication.oauth2, until expiry
};

}  // namespace vane::analysis
