#!/usr/bin/env bash
# The demo as CI runs it: a canary promoted to Healthy, then a bad canary aborted by analysis,
# with assertions on the end state (scripts/demo --ci).
set -euo pipefail
exec "${VANE_SOURCE_DIR:?}/scripts/demo" --ci
