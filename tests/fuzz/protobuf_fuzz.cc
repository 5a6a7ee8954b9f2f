// apiserver/protobuf: request bodies in application/vnd.kubernetes.protobuf.
#include "apiserver/protobuf.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto s = vane::fuzz::text(data, size);
  (void)vane::apiserver::looksLikeProtobuf(s);
  auto obj = vane::apiserver::decodeProtobuf(s);
  if (obj.ok()) (void)obj->dump();
  return 0;
}
