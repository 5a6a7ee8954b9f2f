#!/usr/bin/env bash
# Argo Rollouts' e2e tests mirrored (tests/README.md has the table): runs every tests/e2e/argo/*.sh
# at once, each with its own vane-apiserver and vane-controller. They mostly wait on pods, pauses
# and delays, so one ctest slot holds them all; the suite takes about as long as its slowest
# scenario. ARGO_SUITES="istio analysis" runs some suites only.
set -uo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/argo"
suites=${ARGO_SUITES:-$(cd "$dir" && ls *.sh | grep -vx lib.sh | sed 's/\.sh$//')}
out=$(mktemp -d /tmp/vane-argo-scenarios.XXXXXX)
declare -A pid
start=$SECONDS
for s in $suites; do
  bash "$dir/$s.sh" >"$out/$s.log" 2>&1 &
  pid[$s]=$!
done
failed=""
for s in $suites; do
  wait "${pid[$s]}" || failed+=" $s"
  echo "=== $s"
  grep -E '^(PASS|FAIL|SKIP|    )|failure' "$out/$s.log"
done
echo "argo scenarios: $((SECONDS - start)) s; $(cat "$out"/*.log | grep -c '^PASS') passed, $(cat "$out"/*.log | grep -c '^FAIL') failed, $(cat "$out"/*.log | grep -c '^SKIP') skipped"
if [ -n "$failed" ]; then echo "failed suites:$failed (logs in $out)"; exit 1; fi
rm -rf "$out"
