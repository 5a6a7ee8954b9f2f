// Helpers shared by the libFuzzer targets: the input as text and as JSON (nlohmann's
// non-throwing parse; a discarded value means "not JSON", which every target also handles).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace vane::fuzz {

inline std::string_view text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline nlohmann::json parseJson(std::string_view s) {
  return nlohmann::json::parse(s.begin(), s.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace vane::fuzz
