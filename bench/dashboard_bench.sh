#!/usr/bin/env bash
# The dashboard with 1,000 Rollouts (issue #19 asks: the list renders in under a second, and the
# dashboard's RSS stays under 100 MB with 10 tabs open). Starts a vane-apiserver on a free loopback
# port, creates N Rollouts (no controller: their status is empty, which costs the views the same),
# runs `kubectl-vane dashboard`, then measures:
#   - the list API (GET /api/rollouts, the JSON the page renders): median/min/max of RUNS requests;
#   (the page's own render time in a browser is not measured here: `chromium --dump-dom` never
#   finishes on a page holding a live stream open);
#   - the dashboard's RSS (VmRSS, VmHWM) with 10 tabs: 10 open live streams, each having loaded the list.
# Usage: bench/dashboard_bench.sh [N] [RUNS]   (binaries from $VANE_BIN_DIR, default build/bin)
set -uo pipefail
n=${1:-1000}
runs=${2:-21}
. "$(dirname "$0")/../tests/e2e/lib.sh"
for b in vane-apiserver kubectl-vane; do
  [ -x "$bin/$b" ] || { echo "error: $bin/$b not built" >&2; exit 1; }
done
e2e_tmp dashboard-bench
dash_pid="" stream_pids=()
e2e_cleanup_extra() {
  for p in "${stream_pids[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "$dash_pid" ] && kill "$dash_pid" 2>/dev/null && wait "$dash_pid" 2>/dev/null
}
start_apiserver --no-fsync
k apply -f "$src/crds/rollout-crd.yaml" -f "$src/crds/analysis-run-crd.yaml" >/dev/null &&
  k wait --for=condition=Established crd/rollouts.argoproj.io --timeout=30s >/dev/null ||
  { echo "error: applying the CRDs" >&2; exit 1; }
python3 - "$n" >"$tmp/rollouts.yaml" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print(f"""---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {{name: app-{i:04d}, namespace: default, labels: {{team: t{i % 7}}}}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: app-{i:04d}}}}}
  template:
    metadata: {{labels: {{app: app-{i:04d}}}}}
    spec: {{containers: [{{name: app, image: "registry.local/app-{i:04d}:1.{i % 13}"}}]}}
  strategy:
    canary:
      steps: [{{setWeight: 20}}, {{pause: {{}}}}, {{setWeight: 60}}, {{pause: {{duration: 30s}}}}]""")
PY
k apply --server-side -f "$tmp/rollouts.yaml" >/dev/null || { echo "error: creating Rollouts" >&2; exit 1; }

port=$(free_port)
"$bin/kubectl-vane" dashboard --kubeconfig "$tmp/kubeconfig" --port "$port" >"$tmp/dash.log" 2>&1 &
dash_pid=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://[^ ]*token=[0-9a-f]*' "$tmp/dash.log" 2>/dev/null) && [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "error: the dashboard did not start"; cat "$tmp/dash.log"; exit 1; }
base="http://127.0.0.1:$port"
curl -s -c "$tmp/cookies" -o /dev/null "$url"
count() { curl -s -b "$tmp/cookies" "$base/api/rollouts" | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["items"]))'; }
for _ in $(seq 100); do [ "$(count)" = "$n" ] && break; sleep 0.2; done
[ "$(count)" = "$n" ] || { echo "error: the list does not show $n Rollouts"; exit 1; }

times=()
for _ in $(seq "$runs"); do
  times+=("$(curl -s -b "$tmp/cookies" -o /dev/null -w '%{time_total}' "$base/api/rollouts")")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$n" '{a[NR]=$1} END {
  printf "list API, %d Rollouts: median %.1f ms, min %.1f ms, max %.1f ms (%d runs)\n",
    n, a[int((NR+1)/2)]*1000, a[1]*1000, a[NR]*1000, NR}'
bytes=$(curl -s -b "$tmp/cookies" "$base/api/rollouts" | wc -c)
echo "list API body: $((bytes / 1024)) KiB"

for _ in $(seq 10); do  # 10 tabs: each loads the list and keeps a live stream open
  curl -s -b "$tmp/cookies" -o /dev/null "$base/api/rollouts"
  curl -s -N -b "$tmp/cookies" -o /dev/null "$base/api/stream" & stream_pids+=($!)
done
sleep 2
k patch rollout app-0001 --type merge -p '{"spec":{"paused":true}}' >/dev/null  # one live update
sleep 1
grep -E 'VmRSS|VmHWM' "/proc/$dash_pid/status" | awk '{printf "dashboard %s %.1f MiB\n", $1, $2/1024}'
echo "(with 10 open streams)"
