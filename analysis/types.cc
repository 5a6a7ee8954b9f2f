#include "analysis/types.h"

#include <array>
#include <cctype>
#include <charconv>
#include <ctime>

namespace vane::analysis {

namespace {
int severity(Phase p) {
  switch (p) {
    case Phase::kSuccessful:
      return 0;
    case Phase::kRunning:
      return 1;
    case Phase::kPending:
      return 2;
    case Phase::kInconclusive:
      return 3;
    case Phase::kError:
      return 4;
    case Phase::kFailed:
      return 5;
  }
  return 0;
}
}  // namespace

bool isCompleted(Phase p) {
  return p == Phase::kSuccessful || p == Phase::kFailed || p == Phase::kError ||
         p == Phase::kInconclusive;
}

bool isWorse(Phase current, Phase candidate) { return severity(candidate) > severity(current); }

json Measurement::toJson() const {
  json j = json::object();
  j["phase"] = std::string(phaseName(phase));
  if (!message.empty()) j["message"] = message;
  if (startedAt) j["startedAt"] = formatTime(*startedAt);
  if (finishedAt) j["finishedAt"] = formatTime(*finishedAt);
  if (!value.empty()) j["value"] = value;
  if (!metadata.empty()) j["metadata"] = metadata;
  if (resumeAt) j["resumeAt"] = formatTime(*resumeAt);
  return j;
}

Measurement Measurement::fromJson(const json& j) {
  Measurement m;
  if (!j.is_object()) return m;
  auto str = [&](const char* k) -> std::string {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  m.phase = parsePhase(str("phase")).value_or(Phase::kRunning);
  m.value = str("value");
  m.message = str("message");
  m.startedAt = parseTime(str("startedAt"));
  m.finishedAt = parseTime(str("finishedAt"));
  m.resumeAt = parseTime(str("resumeAt"));
  if (auto it = j.find("metadata"); it != j.end() && it->is_object()) {
    for (auto e = it->begin(); e != it->end(); ++e)
      if (e->is_string()) m.metadata[e.key()] = e->get<std::string>();
  }
  return m;
}

}  // namespace vane::analysis
