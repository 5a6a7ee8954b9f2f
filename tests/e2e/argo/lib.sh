# Shared by the argo_*_test.sh scenario scripts (sourced after lib.sh): one vane-apiserver
# --simulate-workloads and one vane-controller per script, each scenario in a namespace of its own,
# all scenarios of a script running at once (they mostly wait on pods and pauses). A scenario is a
# shell function named after the Argo e2e test it mirrors (argo-rollouts test/e2e/*_test.go at
# 9f8d111); its Argo fixture is inlined with pauses and delays shortened, semantics kept.

# argo_start [APISERVER ARGS...]: the server, CRDs (Argo's and Istio's), the plugin and the controller.
argo_start() {
  use_plugin
  start_apiserver --simulate-workloads --pod-ready-delay 500ms "$@"
  export KUBECONFIG="$tmp/kubeconfig"
  "$kubectl_bin" apply -k "$src/crds" >/dev/null &&
    "$kubectl_bin" apply -f "$src/examples/istio/" >/dev/null 2>&1
  "$kubectl_bin" wait --for=condition=Established crd/rollouts.argoproj.io --timeout=30s >/dev/null ||
    { echo "FAIL: CRDs"; exit 1; }
  start_controller --qps 0
}

# Inside a scenario ($ns is its namespace): kubectl in the namespace, and checks that end the
# scenario (its subshell) at the first failure with a message.
kn() { "$kubectl_bin" -n "$ns" "$@"; }
die() { echo "  at: $*"; echo "  rollouts: $(kn get ro -o jsonpath='{range .items[*]}{.metadata.name}: {.status.phase} {.status.message} step={.status.currentStepIndex}{"\n"}{end}' 2>&1)"; exit 1; }
apply() { kn apply -f - >/dev/null || die "kubectl apply"; }
# jp KIND/NAME JSONPATH: a field of an object ("" when absent).
jp() { kn get "$1" -o jsonpath="{$2}" 2>/dev/null; }
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds, for
# SECONDS times ARGO_SLOW (default 3: the limits only matter when something is wrong, and a
# loaded 2-core machine runs kubectl slowly).
wait_for() {
  local limit=$(($1 * ${ARGO_SLOW:-3})) what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what (not after ${limit}s)"
    sleep 0.2
  done
  echo "  ok: $what"
}
is() { [ "$(jp "$1" "$2")" = "$3" ]; }
# pods_are SELECTOR JSONPATH VALUE: a field of the matching pods, joined by spaces.
pods_are() { [ "$(kn get pods -l "$1" -o jsonpath="{$2}")" = "$3" ]; }
# wait_phase ROLLOUT PHASE [SECONDS]: status.phase reaches PHASE.
wait_phase() { wait_for "${3:-40}" "rollout $1 phase $2" is "ro/$1" .status.phase "$2"; }
# expect_eq DESCRIPTION ACTUAL WANT
expect_eq() { [ "$2" = "$3" ] || die "$1: got '$2', want '$3'"; }
# rs_of ROLLOUT REVISION: the name of the ReplicaSet of that revision.
rs_of() {
  kn get rs -l "app=$1" -o jsonpath="{range .items[?(@.metadata.annotations.rollout\.argoproj\.io/revision==\"$2\")]}{.metadata.name}{end}"
}
# pods_of ROLLOUT REVISION: the number of Ready pods of that revision's ReplicaSet.
pods_of() {
  local rs; rs=$(rs_of "$1" "$2")
  [ -n "$rs" ] || { echo 0; return; }
  local hash=${rs##*-}
  kn get pods -l "rollouts-pod-template-hash=$hash" -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    grep -c True
}
# expect_pods ROLLOUT REVISION N: N Ready pods (waits for it, as Argo's ExpectRevisionPodCount
# runs after the rollout settled).
expect_pods() { wait_for 20 "revision $2 of $1 has $3 ready pods" pods_eq "$@"; }
pods_eq() { [ "$(pods_of "$1" "$2")" = "$3" ]; }
# hash_of ROLLOUT REVISION: the pod-template hash of that revision ("" while it has no ReplicaSet).
hash_of() { local rs; rs=$(rs_of "$1" "$2"); [ -n "$rs" ] && echo "${rs##*-}"; }
# svc_on_rev SERVICE ROLLOUT REVISION / stable_is_rev ROLLOUT REVISION: evaluated at each poll.
svc_on_rev() { local h; h=$(hash_of "$2" "$3") && [ -n "$h" ] && is "svc/$1" '.spec.selector.rollouts-pod-template-hash' "$h"; }
stable_is_rev() { local h; h=$(hash_of "$1" "$2") && [ -n "$h" ] && is "ro/$1" .status.stableRS "$h"; }
# rs_replicas ROLLOUT REVISION: spec.replicas of that revision's ReplicaSet.
rs_replicas() { local rs; rs=$(rs_of "$1" "$2"); [ -n "$rs" ] && jp "rs/$rs" .spec.replicas; }
# expect_replicas ROLLOUT REVISION N: that revision's ReplicaSet is scaled to N (waits for it).
expect_replicas() { wait_for 20 "revision $2 of $1 scaled to $3" replicas_eq "$@"; }
replicas_eq() { [ "$(rs_replicas "$1" "$2")" = "$3" ]; }
# update_image ROLLOUT IMAGE: a new revision, as Argo's UpdateSpec does.
update_image() { kn patch ro "$1" --type json -p "[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"$2\"}]" >/dev/null || die "update $1"; }
plugin() { kubectl vane "$@" -n "$ns" >/dev/null || die "kubectl vane $*"; }

# canary NAME REPLICAS STRATEGY-YAML [TEMPLATE-ANNOTATIONS-YAML] [EXTRA-SPEC-YAML]: a Rollout as
# Argo's fixtures write them (image nginx:1.19-alpine, requests 16Mi/1m).
canary() {
  cat <<YAML
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: $1}
spec:
  replicas: $2
${5:-}
  strategy:
$3
  selector: {matchLabels: {app: $1}}
  template:
    metadata:
      labels: {app: $1}
      annotations: {${4:-}}
    spec:
      containers:
      - name: $1
        image: nginx:1.19-alpine
        resources: {requests: {memory: 16Mi, cpu: 1m}}
YAML
}
# service NAME APP: a Service selecting app=APP, as Argo's newService.
service() {
  cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: $1}
spec:
  selector: {app: $2}
  ports: [{port: 80, targetPort: 8080, name: http}]
YAML
}
# counts ROLLOUT: spec.replicas,status.replicas,updatedReplicas,readyReplicas,availableReplicas
# (Argo's ExpectReplicaCounts: desired, current, updated, ready, available).
counts() { jp "ro/$1" '.spec.replicas},{.status.replicas},{.status.updatedReplicas},{.status.readyReplicas},{.status.availableReplicas'; }
expect_counts() { wait_for 20 "replica counts of $1 are $2" counts_eq "$1" "$2"; }
counts_eq() { [ "$(counts "$1")" = "$2" ]; }

# run_scenarios FUNCTION...: each in its own namespace (the function name, lower case), all at
# once; PASS/FAIL per scenario, with the scenario's log on failure.
declare -A scenario_pid
# ARGO_SCENARIOS="A B" runs only those.
run_scenarios() {
  local f
  if [ -n "${ARGO_SCENARIOS:-}" ]; then set -- $(printf '%s\n' "$@" | grep -xF -f <(tr ' ' '\n' <<<"$ARGO_SCENARIOS")); fi
  for f in "$@"; do
    (
      ns=$(tr 'A-Z_' 'a-z-' <<<"$f" | cut -c1-63)
      "$kubectl_bin" create namespace "$ns" >/dev/null || die "create namespace"
      "$f"
    ) >"$tmp/$f.log" 2>&1 &
    scenario_pid[$f]=$!
  done
  for f in "$@"; do
    if wait "${scenario_pid[$f]}"; then pass "$f"; else fail "$f"; sed 's/^/    /' "$tmp/$f.log"; fi
  done
}
# skip_scenario FUNCTION REASON: a scenario written but not run yet (e.g. pending another branch).
skip_scenario() { echo "SKIP: $1 ($2)"; }
