#!/usr/bin/env bash
# bench/analysis_runs_bench.sh [--runs N] [--window S] [--bin DIR] [-- CONTROLLER_FLAGS...]:
# the controller's CPU per Prometheus measurement with N standalone AnalysisRuns (default 1,000)
# running at a 10 s interval. Starts a real Prometheus (own data dir, free port, no scrape
# targets: the query is `vector(1)`), vane-apiserver (own data dir, --no-fsync, no workload
# simulation), applies the CRDs, creates N AnalysisRuns (one prometheus metric each: interval
# 10s, successCondition result[0] == 1, a count that outlasts the bench), starts vane-controller
# (any flags after `--` are passed to it), waits until every run is Running with a measurement,
# waits one interval more, then measures over S seconds (default 60):
#   the controller's CPU time (utime+stime of /proc/PID/stat) and VmRSS,
#   the measurements taken (sum of status.metricResults[].count over all runs, start and end),
#   the query rate Prometheus served (its own prometheus_http_requests_total for /api/v1/query),
#   the API server's CPU time.
# Prints one result line. Loopback only; every process it starts is stopped by PID on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=1000 window=60 bin=${VANE_BIN_DIR:-$root/build/bin}
ctl_flags=()
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --) shift; ctl_flags=("$@"); break ;;
    *) echo "usage: $0 [--runs N] [--window S] [--bin DIR] [-- CONTROLLER_FLAGS...]" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs: want a positive integer, got '$runs'" >&2; exit 2; }
[[ $window =~ ^[1-9][0-9]*$ ]] || { echo "--window: want a positive integer, got '$window'" >&2; exit 2; }
KUBECTL=$(command -v kubectl.1.32 || command -v /usr/lib/google-cloud-sdk/bin/kubectl.1.32 || echo kubectl)
for b in vane-apiserver vane-controller; do
  [ -x "$bin/$b" ] || { echo "$bin/$b not built" >&2; exit 1; }
done
for b in prometheus curl python3; do
  command -v "$b" >/dev/null || { echo "$b not installed" >&2; exit 1; }
done

work=$(mktemp -d /tmp/vane-ar-bench.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
start() { local log=$work/$1.log; shift; "$@" >"$log" 2>&1 & pids+=($!); }
k() { "$KUBECTL" --kubeconfig "$work/kubeconfig" "$@"; }
waitfor() {  # waitfor SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "timed out after $SECONDS s waiting for $what" >&2
      tail -20 "$work/controller.log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 1
  done
}
tck=$(getconf CLK_TCK)
cpu_ms() { awk -v t="$tck" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / t) }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

# Prometheus: no scrape targets; `vector(1)` needs no data.
prom_port=$(freeport)
mkdir -p "$work/prom"
printf 'global: {scrape_interval: 15s, evaluation_interval: 15s}\n' >"$work/prometheus.yml"
start prometheus prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
  --web.listen-address="127.0.0.1:$prom_port"
prom_queries() {  # requests Prometheus has served on /api/v1/query so far
  curl -sf "http://127.0.0.1:$prom_port/metrics" |
    awk '/^prometheus_http_requests_total\{/ && /handler="\/api\/v1\/query"/ { s += $NF } END { print s + 0 }'
}

api_port=$(freeport)
start apiserver "$bin/vane-apiserver" --listen "127.0.0.1:$api_port" --data-dir "$work/data" \
  --kubeconfig-out "$work/kubeconfig" --no-fsync
api_pid=${pids[-1]}
waitfor 30 "the API server" k get --raw /readyz
waitfor 30 "Prometheus" curl -sf "http://127.0.0.1:$prom_port/-/ready"
k apply -k "$root/crds/" >/dev/null
waitfor 30 "the AnalysisRun CRD" k get analysisruns

# N runs, written as multi-document files of 250 and created with one kubectl call each.
python3 - "$runs" "$prom_port" "$work" <<'EOF'
import sys
n, port, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
doc = """apiVersion: argoproj.io/v1alpha1
kind: AnalysisRun
metadata: {name: bench-%05d, namespace: default}
spec:
  metrics:
  - name: ok
    interval: 10s
    count: 100000
    successCondition: result[0] == 1
    provider:
      prometheus: {address: 'http://127.0.0.1:%s', query: 'vector(1)'}
"""
for c in range(0, n, 250):
    with open("%s/runs-%05d.yaml" % (work, c), "w") as f:
        f.write("---\n".join(doc % (i, port) for i in range(c, min(n, c + 250))))
EOF
t=$(now_ms)
for f in "$work"/runs-*.yaml; do k create -f "$f" >/dev/null; done
create_s=$(( ($(now_ms) - t) / 1000 ))

# The counts straight from the API server (kubectl's start-up and printing would blur the window).
runs_url="http://127.0.0.1:$api_port/apis/argoproj.io/v1alpha1/namespaces/default/analysisruns"
summary() {  # "RUNNING MEASURED TOTAL_COUNT"
  curl -sf "$runs_url" | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
running = sum(1 for r in items if r.get("status", {}).get("phase") == "Running")
measured = sum(1 for r in items if any(m.get("count", 0) > 0 for m in r.get("status", {}).get("metricResults", [])))
total = sum(m.get("count", 0) for r in items for m in r.get("status", {}).get("metricResults", []))
print(running, measured, total)'
}
all_running() { read -r r m _ <<<"$(summary)"; [ "$r" -eq "$runs" ] && [ "$m" -eq "$runs" ]; }

t=$(now_ms)
start controller "$bin/vane-controller" --kubeconfig "$work/kubeconfig" \
  --metrics-addr "127.0.0.1:$(freeport)" --health-addr "127.0.0.1:$(freeport)" "${ctl_flags[@]}"
ctl_pid=${pids[-1]}
waitfor 600 "all $runs runs Running with a measurement" all_running
ready_s=$(( ($(now_ms) - t) / 1000 ))
sleep 10  # one interval more: past the start-up burst

c0=$(cpu_ms "$ctl_pid") a0=$(cpu_ms "$api_pid") q0=$(prom_queries) t0=$(now_ms)
read -r _ _ n0 <<<"$(summary)"
sleep "$window"
c1=$(cpu_ms "$ctl_pid") a1=$(cpu_ms "$api_pid") q1=$(prom_queries) t1=$(now_ms)
read -r r1 _ n1 <<<"$(summary)"
rss=$(rss_kib "$ctl_pid") api_rss=$(rss_kib "$api_pid")

python3 - <<EOF
runs, wall = $runs, ($t1 - $t0) / 1000
cpu, api, n, q = $c1 - $c0, $a1 - $a0, $n1 - $n0, $q1 - $q0
per = "%.2f ms" % (cpu / n) if n else "n/a"
print("runs=%d window=%.1fs measurements=%d (%.1f/s, ideal %.1f/s) controller_cpu=%d ms (%.1f%% of a core) "
      "cpu_per_measurement=%s controller_rss=%.1f MiB prometheus_queries=%.1f/s apiserver_cpu=%.1f%% "
      "apiserver_rss=%.1f MiB running_at_end=%d create=%ds all_running_after=%ds"
      % (runs, wall, n, n / wall, runs / 10, cpu, 100 * cpu / 1000 / wall, per, $rss / 1024, q / wall,
         100 * api / 1000 / wall, $api_rss / 1024, $r1, $create_s, $ready_s))
EOF
