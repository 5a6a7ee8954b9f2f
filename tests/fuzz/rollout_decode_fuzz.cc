// kube/decode + kube/types: the typed decoders of Rollout, ReplicaSet, Service and AnalysisRun.
#include "fuzz_input.h"
#include "kube/types.h"
#include "kube/types_analysisrun.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto obj = vane::fuzz::parseJson(vane::fuzz::text(data, size));
  if (obj.is_discarded()) return 0;
  (void)vane::kube::decodeRollout(obj);
  (void)vane::kube::decodeReplicaSet(obj);
  (void)vane::kube::decodeService(obj);
  (void)vane::kube::decodeAnalysisRun(obj);
  if (obj.is_object() && obj.contains("status")) {
    (void)vane::kube::decodeRolloutStatus(obj["status"]);
    (void)vane::kube::decodeAnalysisRunStatus(obj["status"]);
  }
  return 0;
}
