#!/usr/bin/env bash
# bench/simulate_workloads_bench.sh [--replicasets N] [--bin DIR] [--timeout S] [-- APISERVER_FLAGS...]:
# how fast `vane-apiserver --simulate-workloads` turns N ReplicaSets of 1 replica (default 1,000)
# into Ready Pods. Starts vane-apiserver on a free loopback port (own data dir, so fsync is on
# unless `-- --no-fsync` is given; `-- --in-memory` drops the data dir), creates the N ReplicaSets
# through the API (multi-document files of 250, one `kubectl create -f` each), then polls the API
# every 2 s (one list of ReplicaSets and one of Pods, straight over HTTP) until there are N Pods and
# every ReplicaSet reports readyReplicas=availableReplicas=1. Prints one line: the time to create
# the ReplicaSets, the time from the first create until all N Pods exist and until all N
# ReplicaSets are ready, the API server's CPU time over that span and its VmRSS/VmHWM at the end.
# Loopback only; every process it starts is stopped by PID on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=1000 timeout=1800 bin=${VANE_BIN_DIR:-$root/build/bin}
api_flags=() in_memory=0
while [ $# -gt 0 ]; do
  case $1 in
    --replicasets) n=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --) shift; api_flags=("$@"); break ;;
    *) echo "usage: $0 [--replicasets N] [--bin DIR] [--timeout S] [-- APISERVER_FLAGS...]" >&2; exit 2 ;;
  esac
done
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "--replicasets: want a positive integer, got '$n'" >&2; exit 2; }
[[ $timeout =~ ^[1-9][0-9]*$ ]] || { echo "--timeout: want a positive integer, got '$timeout'" >&2; exit 2; }
flags=()
for f in "${api_flags[@]}"; do
  if [ "$f" = --in-memory ]; then in_memory=1; else flags+=("$f"); fi
done
KUBECTL=$(command -v kubectl.1.32 || command -v /usr/lib/google-cloud-sdk/bin/kubectl.1.32 || echo kubectl)
[ -x "$bin/vane-apiserver" ] || { echo "$bin/vane-apiserver not built" >&2; exit 1; }
for b in curl python3; do
  command -v "$b" >/dev/null || { echo "$b not installed" >&2; exit 1; }
done

work=$(mktemp -d /tmp/vane-sim-bench.XXXXXX)
api_pid=
cleanup() {
  if [ -n "$api_pid" ]; then
    kill "$api_pid" 2>/dev/null || true
    sleep 0.5
    kill -9 "$api_pid" 2>/dev/null || true
    wait "$api_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
k() { "$KUBECTL" --kubeconfig "$work/kubeconfig" "$@"; }
tck=$(getconf CLK_TCK)
cpu_ms() { awk -v t="$tck" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / t) }' "/proc/$1/stat"; }
status_kib() { awk -v f="^$2:" '$0 ~ f { print $2 }' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

port=$(freeport)
data=(--data-dir "$work/data")
[ "$in_memory" = 1 ] && data=()
"$bin/vane-apiserver" --listen "127.0.0.1:$port" "${data[@]}" --kubeconfig-out "$work/kubeconfig" \
  --simulate-workloads "${flags[@]}" >"$work/apiserver.log" 2>&1 &
api_pid=$!
for _ in $(seq 300); do [ -f "$work/kubeconfig" ] && break; sleep 0.1; done
k get --raw /readyz >/dev/null || { echo "vane-apiserver did not start" >&2; cat "$work/apiserver.log" >&2; exit 1; }

python3 - "$n" "$work" <<'EOF'
import sys
n, work = int(sys.argv[1]), sys.argv[2]
doc = """apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: bench-%05d, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: bench-%05d}}
  template:
    metadata: {labels: {app: bench-%05d}}
    spec: {containers: [{name: app, image: 'registry.example/bench:v1'}]}
"""
for c in range(0, n, 250):
    with open("%s/rs-%05d.yaml" % (work, c), "w") as f:
        f.write("---\n".join(doc % (i, i, i) for i in range(c, min(n, c + 250))))
EOF

cpu0=$(cpu_ms "$api_pid")
t0=$(now_ms)
for f in "$work"/rs-*.yaml; do k create -f "$f" >/dev/null; done
create_ms=$(( $(now_ms) - t0 ))

# Polls until done; prints "PODS_MS READY_MS" (milliseconds since t0) or exits 1 on timeout.
read -r pods_ms ready_ms < <(python3 - "$n" "$port" "$t0" "$timeout" <<'EOF'
import json, sys, time, urllib.request
n, port, t0, timeout = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
base = "http://127.0.0.1:%s" % port
def items(path):
    with urllib.request.urlopen(base + path, timeout=120) as r:
        return json.load(r)["items"]
pods_ms = None
while True:
    now = time.time() * 1000 - t0
    pods = sum(1 for p in items("/api/v1/namespaces/default/pods")
               if p["metadata"]["name"].startswith("bench-"))
    if pods_ms is None and pods >= n:
        pods_ms = now
    rss = items("/apis/apps/v1/namespaces/default/replicasets")
    ready = sum(1 for r in rss if r.get("status", {}).get("readyReplicas") == 1
                and r.get("status", {}).get("availableReplicas") == 1)
    print("t=%.0fs pods=%d ready=%d/%d" % (now / 1000, pods, ready, n), file=sys.stderr)
    if pods_ms is not None and ready >= n:
        print("%.0f %.0f" % (pods_ms, now))
        sys.exit(0)
    if now > timeout * 1000:
        sys.exit(1)
    time.sleep(2)
EOF
) || { echo "timed out after $timeout s" >&2; exit 1; }
cpu1=$(cpu_ms "$api_pid")
mode=$([ "$in_memory" = 1 ] && echo in-memory || echo "data-dir")
echo "replicasets=$n mode=$mode flags=[${flags[*]}] create=$((create_ms / 1000)).$(( (create_ms % 1000) / 100 ))s" \
  "all_pods_after=$((pods_ms / 1000)).$(( (pods_ms % 1000) / 100 ))s" \
  "all_ready_after=$((ready_ms / 1000)).$(( (ready_ms % 1000) / 100 ))s" \
  "apiserver_cpu=$(( (cpu1 - cpu0) / 1000 ))s" \
  "apiserver_rss_mib=$(( $(status_kib "$api_pid" VmRSS) / 1024 ))" \
  "apiserver_hwm_mib=$(( $(status_kib "$api_pid" VmHWM) / 1024 ))"
