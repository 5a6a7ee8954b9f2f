// Decoding helpers shared by the kube/types*.cc files (not a public API).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kube/decode.h"
#include "kube/types.h"
#include "kube/types_analysisrun.h"

namespace vane::kube::detail {

ObjectMeta decodeMetadata(const Decoder& d);
/// An integer field that must fit int32 ("value out of range for int32" otherwise).
std::optional<int32_t> decodeInt32(const Decoder& d, const std::string& key);
/// A map of strings (labels, annotations); a non-string value is an error at its key.
Labels decodeStringMap(const Decoder& d, const std::string& key);
/// An AnalysisPhase string field; an unknown phase is an error at its key.
std::optional<AnalysisPhase> decodePhase(const Decoder& d, const std::string& key);
/// metadata as the API writes it (empty fields left out) over `base` (the metadata as read, so
/// fields the struct does not hold survive).
nlohmann::json metadataJson(const ObjectMeta& m, nlohmann::json base = nlohmann::json::object());

}  // namespace vane::kube::detail
