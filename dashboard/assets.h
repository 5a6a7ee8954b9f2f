// The dashboard's pages, embedded in the binary: one HTML shell, one stylesheet and one script,
// written by hand (no front-end build step, nothing fetched from elsewhere, works offline).
#pragma once

#include <string>

#include "kube/http.h"

namespace vane::dashboard {

/// The named asset ("index.html", "app.js", "app.css") with its content type; 404 otherwise.
http::Response asset(const std::string& name);

}  // namespace vane::dashboard
