// Pieces of the REST client shared by its files and unit-tested on their own.
#pragma once

#include <memory>
#include <string>

#include "kube/client.h"
#include "kube/http.h"

namespace vane::kube {

/// The typed error for a non-2xx response: code from the HTTP status and the Status body's
/// reason; message (and field, for Invalid) from the body; Retry-After from the header or
/// details.retryAfterSeconds. Non-Status bodies give a generic message.
Status statusFromResponse(int http_status, const http::Headers& headers, const std::string& body);

/// Decodes a watch response body (newline-delimited JSON events).
std::unique_ptr<WatchStream> makeWatchStream(std::unique_ptr<http::ResponseStream> stream);

/// Splits buffered watch bytes into complete lines, leaving a partial line in buffer. Returns
/// false on a malformed event (status set).
bool decodeWatchLines(std::string& buffer, std::vector<WatchEvent>& out, Status& status);

}  // namespace vane::kube
