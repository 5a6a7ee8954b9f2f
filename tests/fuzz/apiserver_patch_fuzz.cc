// apiserver: the three PATCH content types exactly as rest_patch.cc applies them to a stored
// object: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch. The first
// byte picks the patch type and the base object; the rest is the patch body.
#include "apiserver/strategic_merge.h"
#include "fuzz_input.h"

namespace {

using nlohmann::json;

struct Base {
  const char* apiVersion;
  const char* kind;
  json object;
};

const std::vector<Base>& bases() {
  static const std::vector<Base> all = {
      {"apps/v1", "Deployment", json::parse(R"({
        "apiVersion":"apps/v1","kind":"Deployment",
        "metadata":{"name":"web","namespace":"default","labels":{"app":"web"},
          "finalizers":["a","b"],"resourceVersion":"7"},
        "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
          "template":{"metadata":{"labels":{"app":"web"}},"spec":{
            "containers":[{"name":"app","image":"nginx:1","ports":[{"containerPort":80}],
              "env":[{"name":"A","value":"1"}],"volumeMounts":[{"name":"v","mountPath":"/v"}]}],
            "volumes":[{"name":"v","emptyDir":{}}],"tolerations":[{"key":"k"}]}}}})")},
      {"v1", "Service", json::parse(R"({
        "apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},
        "spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"protocol":"TCP"}]}})")},
      {"v1", "Pod", json::parse(R"({
        "apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},
        "spec":{"containers":[{"name":"c","image":"busybox","args":["x","y"]}]},
        "status":{"conditions":[{"type":"Ready","status":"True"}]}})")},
      {"v1", "ConfigMap", json::parse(R"({
        "apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"default"},
        "data":{"k":"v"}})")},
  };
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Base& base = bases()[(data[0] >> 2) % bases().size()];
  json patch = vane::fuzz::parseJson(vane::fuzz::text(data + 1, size - 1));
  if (patch.is_discarded()) return 0;
  switch (data[0] % 3) {
    case 0:
      if (patch.is_object()) {
        json result = base.object;
        result.merge_patch(patch);
      }
      break;
    case 1:
      if (patch.is_array()) {
        try {
          (void)base.object.patch(patch);
        } catch (const json::exception&) {
          // The server answers 422 (rest_patch.cc rejected()).
        }
      }
      break;
    default: {
      auto r = vane::apiserver::strategicMergePatch(base.object, patch, base.apiVersion, base.kind);
      if (r.ok()) (void)r->dump();
    }
  }
  return 0;
}
