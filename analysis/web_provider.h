// The `web` metric provider: an HTTP request whose JSON answer is reduced with a JSONPath
// (Argo: metricproviders/webmetric/webmetric.go). Spec fields, as Argo names them:
//   provider.web: {url, method (GET|POST|PUT, default GET), headers: [{key, value}],
//                  body | jsonBody, timeoutSeconds (default 10), jsonPath (default "{$}"),
//                  insecure}
// A non-2xx answer, a body that is not JSON, or a JSONPath error is an Error measurement.
#pragma once

#include <memory>
#include <mutex>

#include "analysis/http_clients.h"
#include "analysis/provider.h"
#include "kube/http.h"

namespace vane::analysis {

/// Applies jsonPath to body (JSON text): one match -> that value, several -> an array of them,
/// none -> null. Errors name the problem (not JSON, bad path).
Result<json> webResult(const std::string& body, const std::string& json_path);

class WebProvider : public MetricProvider {
 public:
  explicit WebProvider(http::ClientOptions client_options = {});
  std::string_view type() const override { return "web"; }
  Measurement run(const MetricContext& ctx) override;
  Measurement resume(const MetricContext&, const Measurement& m) override { return m; }
  Measurement terminate(const MetricContext&, const Measurement& m) override { return m; }

 private:
  HttpClients clients_;
};

}  // namespace vane::analysis
