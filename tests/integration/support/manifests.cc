#include "support/manifests.h"

namespace vane::testing {

std::string istioCrdDir() { return std::string(VANE_SOURCE_DIR) + "/examples/istio/"; }

std::string servicesYaml(std::initializer_list<std::string> names, const std::string& app) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += "---\n";
    out += "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
           "\nspec:\n  selector:\n    app: " + app + "\n  ports:\n  - port: 80\n";
  }
  return out;
}

std::string webRollout(const std::string& image, int replicas, const std::string& strategy,
                       const std::string& extra_spec, const std::string& pod_annotations) {
  return "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\nspec:\n"
         "  replicas: " +
         std::to_string(replicas) + "\n" + extra_spec +
         "  selector:\n    matchLabels:\n      app: web\n"
         "  template:\n    metadata:\n      labels:\n        app: web\n" +
         pod_annotations +
         "    spec:\n      containers:\n      - name: web\n        image: " + image +
         "\n  strategy:\n" + strategy;
}

std::string jobAnalysisTemplate(const std::string& name, const std::string& outcome) {
  return R"(apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: )" +
         name +
         R"(
spec:
  metrics:
  - name: smoke
    provider:
      job:
        spec:
          backoffLimit: 0
          template:
            metadata:
              annotations:
                vane.dev/simulate-job: )" +
         outcome + R"(
            spec:
              restartPolicy: Never
              containers:
              - name: smoke
                image: busybox
)";
}

std::string webVirtualServiceYaml() {
  return R"(apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: web-vsvc
spec:
  hosts:
  - web
  http:
  - name: primary
    route:
    - destination:
        host: web-stable
      weight: 100
    - destination:
        host: web-canary
      weight: 0
)";
}

}  // namespace vane::testing
