// Terminal output helpers: tabwriter-style column alignment (UTF-8 and ANSI-colour aware), ANSI
// colours for status icons and tags, and Kubernetes' human-readable ages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vane::cli {

/// Aligns rows like Go's text/tabwriter (minwidth 0, padding `padding`, pad with spaces): every
/// cell but the last of a row is padded to its column's widest cell; the last cell is left as is.
std::string alignColumns(const std::vector<std::vector<std::string>>& rows, int padding = 2);

/// Display width: UTF-8 code points, ANSI escape sequences excluded.
size_t displayWidth(const std::string& s);

/// Wraps an icon or tag in its ANSI colour (Argo's colour mapping) when color is true.
std::string colorize(const std::string& icon_or_tag, bool color);

/// k8s.io/apimachinery/pkg/util/duration.HumanDuration: "45s", "3m20s", "5h", "7d", "2y10d".
std::string humanDuration(int64_t seconds);

}  // namespace vane::cli
