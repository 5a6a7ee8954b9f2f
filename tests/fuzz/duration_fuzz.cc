// base/duration: Go's time.ParseDuration and Vane's bare-seconds form.
#include "base/duration.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto s = vane::fuzz::text(data, size);
  (void)vane::base::parseGoDuration(s);
  (void)vane::base::parseDuration(s);
  return 0;
}
