// Go's strconv.Quote for the text Vane quotes in messages that must read as Go's do (the API
// server's validation errors, Go template printing): ", \, \n, \t, \r escaped, other control
// bytes as \xNN, everything else (UTF-8 included) as it is.
#pragma once

#include <string>
#include <string_view>

namespace vane::base {

std::string goQuote(std::string_view s);

}  // namespace vane::base
