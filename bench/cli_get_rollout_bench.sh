#!/usr/bin/env bash
# Wall time of `kubectl-vane get rollout` for a Rollout with 10 revisions (issue #9 asks for well
# under a second; Argo's plugin takes over 3 s, argo-rollouts #2078). Starts a vane-apiserver on a
# free loopback port, creates one Rollout, its 10 ReplicaSets (the two newest with 5 pods each),
# an AnalysisRun per revision and an Experiment, then runs the plugin binary RUNS times (after one
# warm-up run) and prints the median, minimum and maximum.
# Usage: bench/cli_get_rollout_bench.sh [RUNS]   (binaries from $VANE_BIN_DIR, default build/bin)
set -uo pipefail
runs=${1:-21}
. "$(dirname "$0")/../tests/e2e/lib.sh"
for b in vane-apiserver kubectl-vane; do
  [ -x "$bin/$b" ] || { echo "error: $bin/$b not built" >&2; exit 1; }
done
e2e_tmp cli-bench
start_apiserver
k apply -k "$src/crds" >/dev/null &&
  k wait --for=condition=Established crd/rollouts.argoproj.io crd/experiments.argoproj.io \
    --timeout=30s >/dev/null || { echo "error: applying the CRDs" >&2; exit 1; }

revisions=10 pods_per_set=5
cat <<YAML | k apply -f - >/dev/null || exit 1
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: bench, namespace: default}
spec:
  replicas: 5
  selector: {matchLabels: {app: bench}}
  template:
    metadata: {labels: {app: bench}}
    spec: {containers: [{name: app, image: "bench:v$revisions"}]}
  strategy:
    canary:
      steps: [{setWeight: 20}, {pause: {}}, {setWeight: 60}, {pause: {duration: 30s}}]
YAML
uid=$(k get ro bench -o jsonpath='{.metadata.uid}')
owner() {  # owner KIND NAME UID
  printf '  ownerReferences:\n  - {apiVersion: %s, kind: %s, name: %s, uid: %s, controller: true}\n' \
    "$([ "$1" = ReplicaSet ] && echo apps/v1 || echo argoproj.io/v1alpha1)" "$1" "$2" "$3"
}
{
  for r in $(seq 1 $revisions); do
    replicas=$([ $r -ge $((revisions - 1)) ] && echo $pods_per_set || echo 0)
    cat <<YAML
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: bench-h$r
  labels: {app: bench, rollouts-pod-template-hash: h$r}
  annotations: {rollout.argoproj.io/revision: "$r"}
$(owner Rollout bench "$uid")
spec:
  replicas: $replicas
  selector: {matchLabels: {app: bench, rollouts-pod-template-hash: h$r}}
  template:
    metadata: {labels: {app: bench, rollouts-pod-template-hash: h$r}}
    spec: {containers: [{name: app, image: "bench:v$r"}]}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisRun
metadata:
  name: bench-h$r-success-rate
  annotations: {rollout.argoproj.io/revision: "$r"}
$(owner Rollout bench "$uid")
spec:
  metrics: [{name: success-rate, provider: {prometheus: {address: "http://127.0.0.1:1", query: up}}}]
---
YAML
  done
  cat <<YAML
apiVersion: argoproj.io/v1alpha1
kind: Experiment
metadata:
  name: bench-h$revisions-$revisions-0
  annotations: {rollout.argoproj.io/revision: "$revisions"}
$(owner Rollout bench "$uid")
spec:
  templates:
  - name: baseline
    selector: {matchLabels: {app: bench, exp: baseline}}
    template: {metadata: {labels: {app: bench, exp: baseline}}, spec: {containers: [{name: app, image: "bench:v1"}]}}
YAML
} | k apply -f - >/dev/null || { echo "error: creating the ReplicaSets" >&2; exit 1; }
{
  for r in $((revisions - 1)) $revisions; do
    rs_uid=$(k get rs "bench-h$r" -o jsonpath='{.metadata.uid}')
    for p in $(seq 1 $pods_per_set); do
      cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: bench-h$r-p$p
  labels: {app: bench, rollouts-pod-template-hash: h$r}
$(owner ReplicaSet "bench-h$r" "$rs_uid")
spec: {containers: [{name: app, image: "bench:v$r"}]}
---
YAML
    done
  done
} | k apply -f - >/dev/null || { echo "error: creating the pods" >&2; exit 1; }
k patch ro bench --subresource=status --type merge -p "{\"status\":{\"phase\":\"Paused\",
  \"currentStepIndex\":1,\"currentPodHash\":\"h$revisions\",\"stableRS\":\"h$((revisions - 1))\",
  \"replicas\":10,\"updatedReplicas\":5,\"readyReplicas\":10,\"availableReplicas\":10}}" >/dev/null

echo "objects: 1 Rollout, $revisions ReplicaSets, $((2 * pods_per_set)) Pods," \
  "$revisions AnalysisRuns, 1 Experiment"
python3 - "$bin" "$kubectl_bin" "$tmp/kubeconfig" "$runs" <<'PY'
import os, statistics, subprocess, sys, time
bindir, kubectl, kubeconfig, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], KUBECONFIG=kubeconfig)
args = ["get", "rollout", "bench", "--no-color"]
for label, cmd in [("kubectl-vane " + " ".join(args), [bindir + "/kubectl-vane"] + args),
                   ("kubectl vane " + " ".join(args), [kubectl, "vane"] + args)]:
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    assert "revision:10" in out and "revision:1\n" in out.replace(" ", ""), out  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label}, {runs} runs: median {statistics.median(times):.1f} ms, "
          f"min {min(times):.1f} ms, max {max(times):.1f} ms")
PY
