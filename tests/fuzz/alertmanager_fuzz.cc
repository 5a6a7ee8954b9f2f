// controller/alert_hook: the Alertmanager webhook payload (version 4) and the label matchers of
// the abort-on-alert annotation, matched against every alert's labels.
#include "controller/alert_hook.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto s = vane::fuzz::text(data, size);
  auto payload = vane::controller::parseAlertmanagerPayload(s);
  // The first line doubles as an annotation value.
  auto matchers = vane::controller::parseLabelMatchers(s.substr(0, s.find('\n')));
  if (payload.ok() && matchers.ok()) {
    for (const auto& alert : payload->alerts) {
      for (const auto& m : *matchers) (void)m.matches(alert.labels);
    }
  }
  return 0;
}
