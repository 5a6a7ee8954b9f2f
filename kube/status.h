// Status, Result and Code live in base/status.h; this include keeps the old path working.
#pragma once

#include "base/status.h"  // IWYU pragma: export
