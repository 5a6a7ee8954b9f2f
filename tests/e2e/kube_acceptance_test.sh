#!/usr/bin/env bash
# Given a fresh vane-apiserver (only the default namespaces) and real kubectl 1.32 with its own
# discovery cache, when kubectl works through discovery, CRDs, custom resources, patches,
# server-side apply, structural-schema validation, built-ins (sent as protobuf), events, watch
# and wait, and deletion with finalizers and garbage collection, using the fixtures in
# tests/data/kube-acceptance/, then each of the 98 commands exits with kube-apiserver's exit code
# and prints the lines kubectl prints against kube-apiserver 1.32.
# VANE_ACCEPT_ARGS: extra vane-apiserver flags (e.g. --simulate-workloads) for a manual run.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
fx=$data/kube-acceptance
[ -f "$fx/crd-rollouts.yaml" ] || { echo "FAIL: fixtures missing in $fx"; exit 1; }
e2e_tmp accept
# shellcheck disable=SC2086 # VANE_ACCEPT_ARGS is a list of flags
start_apiserver ${VANE_ACCEPT_ARGS:-}
kube=("$kubectl_bin" --kubeconfig "$tmp/kubeconfig" --cache-dir "$tmp/cache")
k() { "${kube[@]}" "$@"; }
checks=0
# ok NAME RC REGEX... -- ARGS...: `kubectl ARGS` exits with RC and prints a line matching each REGEX.
ok() {
  local name=$1 rc=$2; shift 2
  local res=()
  while [ "$1" != "--" ]; do res+=("$1"); shift; done
  shift
  checks=$((checks + 1))
  expect_lines "$name" "$rc" "${res[@]}" -- k "$@"
}
# ok_fn NAME RC REGEX... -- FUNCTION: the same for a shell function of this script (background
# commands, an editor, polling).
ok_fn() {
  checks=$((checks + 1))
  expect_lines "$@"
}
# until_matches SECONDS REGEX ARGS...: runs `kubectl ARGS` until its output matches REGEX (or the
# time is up) and prints the last output; kubectl's exit code is ignored.
until_matches() {
  local deadline=$((SECONDS + $1)) re=$2 out; shift 2
  while out=$(k "$@" 2>&1); ! grep -Eq -- "$re" <<<"$out" && [ $SECONDS -lt $deadline ]; do
    sleep 0.2
  done
  printf '%s\n' "$out"
}

# --- discovery -----------------------------------------------------------------------------------
ok version 0 '"gitVersion": "v1\.32\.' -- version -o json
ok no-crd-yet 1 'error: the server doesn.t have a resource type "rollouts"' -- get rollouts
ok api-versions 0 '^v1$' '^apps/v1$' '^coordination.k8s.io/v1$' '^apiextensions.k8s.io/v1$' \
  -- api-versions

# --- CRDs ----------------------------------------------------------------------------------------
for crd in rollouts analysisruns analysistemplates clusteranalysistemplates experiments \
  virtualservices destinationrules widgets; do
  ok "apply-crd-$crd" 0 "^customresourcedefinition.apiextensions.k8s.io/$crd\.[a-z.]+ created$" \
    -- apply -f "$fx/crd-$crd.yaml"
done
ok crd-established 0 'customresourcedefinition.apiextensions.k8s.io/rollouts.argoproj.io condition met' \
  -- wait --for=condition=Established crd/rollouts.argoproj.io --timeout=10s
ok crd-reapply-unchanged 0 '^customresourcedefinition.apiextensions.k8s.io/rollouts.argoproj.io unchanged$' \
  -- apply -f "$fx/crd-rollouts.yaml"
ok get-crd 0 '^NAME +CREATED AT$' '^rollouts.argoproj.io +[0-9]{4}-[0-9]{2}-[0-9]{2}T' \
  -- get crd rollouts.argoproj.io
ok api-resources 0 '^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND$' \
  '^rollouts +ro +argoproj.io/v1alpha1 +true +Rollout$' \
  '^clusteranalysistemplates +cat +argoproj.io/v1alpha1 +false +ClusterAnalysisTemplate$' \
  '^virtualservices +vs +networking.istio.io/v1beta1 +true +VirtualService$' \
  '^leases +coordination.k8s.io/v1 +true +Lease$' -- api-resources
ok explain 0 '^KIND: +Rollout$' '^VERSION: +v1alpha1$' 'spec.*<Object>' -- explain rollout
ok explain-field 0 '^FIELD: +size <integer>' 'number of parts' -- explain widget.spec.size

# --- custom resources: create, read, list ----------------------------------------------------------
ok empty-list 0 'No resources found in default namespace.' -- get rollouts
ok apply-create 0 '^rollout.argoproj.io/demo created$' -- apply -f "$fx/rollout.yaml"
ok apply-unchanged 0 '^rollout.argoproj.io/demo unchanged$' -- apply -f "$fx/rollout.yaml"
ok apply-configured 0 '^rollout.argoproj.io/demo configured$' -- apply -f "$fx/rollout-v2.yaml"
ok get-table 0 '^NAME +DESIRED +CURRENT +UP-TO-DATE +AVAILABLE +AGE$' '^demo +5 +[0-9]+s$' \
  -- get rollouts
ok get-shortname-wide 0 '^demo +5 ' -- get ro -o wide
ok get-all-ns 0 '^NAMESPACE +NAME +DESIRED' '^default +demo +5 ' -- get ro -A
ok get-labels 0 'LABELS$' 'app=demo$' -- get ro --show-labels
ok get-label-selector 0 '^demo ' -- get ro -l app=demo
ok get-label-selector-none 0 'No resources found' -- get ro -l app=other
ok get-yaml 0 '^kind: Rollout$' '^  generation: 2$' '^  resourceVersion: "[0-9]+"$' \
  '^  uid: [0-9a-f-]{36}$' '^ +- image: nginx:1.26$' -- get rollout demo -o yaml
ok get-name 0 '^rollout.argoproj.io/demo$' -- get rollout demo -o name
ok get-jsonpath 0 '^5$' -- get rollout demo -o 'jsonpath={.spec.replicas}'
ok get-notfound 1 '^Error from server \(NotFound\): rollouts.argoproj.io "nope" not found$' \
  -- get rollout nope
ok create-exists 1 '^Error from server \(AlreadyExists\): error when creating ".*rollout.yaml": rollouts.argoproj.io "demo" already exists$' \
  -- create -f "$fx/rollout.yaml"

# --- patches, subresources, edit -------------------------------------------------------------------
ok patch-merge 0 '^rollout.argoproj.io/demo patched$' \
  -- patch rollout demo --type merge -p '{"spec":{"replicas":2}}'
ok patch-json 0 '^rollout.argoproj.io/demo patched$' \
  -- patch rollout demo --type json -p '[{"op":"replace","path":"/spec/replicas","value":3}]'
ok patch-nochange 0 '^rollout.argoproj.io/demo patched \(no change\)$' \
  -- patch rollout demo --type merge -p '{"spec":{"replicas":3}}'
ok patch-smp-on-cr 1 '^error: application/strategic-merge-patch\+json is not supported by argoproj.io/v1alpha1, Kind=Rollout: the body of the request was in an unknown format - accepted media types include: application/json-patch\+json, application/merge-patch\+json, application/apply-patch\+yaml$' \
  -- patch rollout demo -p '{"spec":{"replicas":3}}'
ok patch-invalid 1 '^The Rollout "demo" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"$' \
  -- patch rollout demo --type merge -p '{"spec":{"replicas":"x"}}'
ok patch-jsonpatch-bad-path 1 '^The request is invalid: the server rejected our request due to an error in our request$' \
  -- patch rollout demo --type json -p '[{"op":"replace","path":"/spec/nope/x","value":1}]'
ok patch-status 0 '^rollout.argoproj.io/demo patched$' -- patch rollout demo --subresource=status \
  --type merge -p '{"status":{"phase":"Healthy","replicas":3,"updatedReplicas":3,"availableReplicas":3}}'
ok status-columns 0 '^demo +3 +3 +3 +3 +[0-9]+s$' -- get ro demo
ok generation-after-status 0 '^4 3 Healthy$' \
  -- get ro demo -o 'jsonpath={.metadata.generation} {.status.replicas} {.status.phase}'
ok status-ignored-on-main 0 '^rollout.argoproj.io/demo patched \(no change\)$' \
  -- patch rollout demo --type merge -p '{"status":{"phase":"Bogus"}}'
ok label 0 '^rollout.argoproj.io/demo labeled$' -- label rollout demo tier=web
ok label-no-generation-bump 0 '^4$' -- get ro demo -o 'jsonpath={.metadata.generation}'
ok annotate 0 '^rollout.argoproj.io/demo annotated$' -- annotate rollout demo note=x
ok scale-subresource 0 '^rollout.argoproj.io/demo scaled$' -- scale rollout demo --replicas=4
ok no-status-subresource 1 '^Error from server \(NotFound\): the server could not find the requested resource$' \
  -- patch ar x --subresource=status --type merge -p '{}'
# A copy of the Rollout with an old resourceVersion: replacing it must conflict.
k get rollout demo -o json | sed 's/"resourceVersion": "[0-9]*"/"resourceVersion": "1"/' \
  >"$tmp/stale.json"
ok replace-conflict 1 '^Error from server \(Conflict\): error when replacing ".*stale.json": Operation cannot be fulfilled on rollouts.argoproj.io "demo": the object has been modified; please apply your changes to the latest version and try again$' \
  -- replace -f "$tmp/stale.json"
edit_demo() { EDITOR=$1 k edit rollout demo; }  # EDITOR with a space runs under sh -c
ok_fn edit-noop 0 'Edit cancelled, no changes made.' -- edit_demo true
ok_fn edit-change 0 '^rollout.argoproj.io/demo edited$' \
  -- edit_demo 'sed -i s/replicas:\ 4/replicas:\ 6/'
ok after-edit 0 '^6$' -- get ro demo -o 'jsonpath={.spec.replicas}'
ok diff 1 '^-  replicas: 6$' '^\+  replicas: 5$' -- diff -f "$fx/rollout-v2.yaml"
ok dry-run-server 0 '^rollout.argoproj.io/demo configured \(server dry run\)$' \
  -- apply --dry-run=server -f "$fx/rollout-v2.yaml"

# --- server-side apply ---------------------------------------------------------------------------
ok ssa-create 0 '^virtualservice.networking.istio.io/demo-vsvc serverside-applied$' \
  -- apply --server-side -f "$fx/vs.yaml"
ok ssa-again 0 '^virtualservice.networking.istio.io/demo-vsvc serverside-applied$' \
  -- apply --server-side -f "$fx/vs.yaml"
ok ssa-conflict 1 'error: Apply failed with [0-9]+ conflicts?: conflicts? with "kubectl-(edit|client-side-apply|patch|scale)"' \
  'using argoproj.io/v1alpha1' '--force-conflicts' -- apply --server-side -f "$fx/rollout-v2.yaml"
ok ssa-force 0 '^rollout.argoproj.io/demo serverside-applied$' \
  -- apply --server-side --force-conflicts -f "$fx/rollout-v2.yaml"
ok ssa-managedfields 0 'manager: kubectl$' 'operation: Apply$' \
  -- get rollout demo -o yaml --show-managed-fields
ok vs-columns 0 '^NAME +GATEWAYS +HOSTS +AGE$' '^demo-vsvc +\["demo.local"\] +[0-9]+s$' -- get vs
ok vs-other-version 0 'apiVersion: networking.istio.io/v1alpha3' \
  -- get virtualservices.v1alpha3.networking.istio.io demo-vsvc -o yaml

# --- field validation against the structural schema ------------------------------------------------
ok strict-unknown 1 '^Error from server \(BadRequest\): error when creating ".*widget-unknown.yaml": Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.shape"$' \
  -- apply -f "$fx/widget-unknown.yaml"
ok warn-unknown 0 '^Warning: unknown field "spec.shape"$' '^widget.example.com/w2 created$' \
  -- apply --validate=warn -f "$fx/widget-unknown.yaml"
ok pruned 0 '^\{"size":1\}$' -- get widget w2 -o 'jsonpath={.spec}'
ok invalid-multi 1 '^The Widget "w3" is invalid: $' \
  'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"' \
  'spec.color: Unsupported value: "green": supported values: "red", "blue"' \
  -- apply -f "$fx/widget-invalid.yaml"
ok widget-columns 0 '^NAME +SIZE +PHASE +AGE$' -- get widgets

# --- built-in kinds (kubectl 1.32 sends `create namespace|configmap|secret` as protobuf) ---------
ok svc-create 0 '^service/demo created$' -- apply -f "$fx/service.yaml"
ok svc-smp 0 '^service/demo configured$' -- apply -f "$fx/service-v2.yaml"
ok svc-table 0 '^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE$' \
  '^demo +ClusterIP +[0-9.]+ +<none> +80/TCP +[0-9]+s$' -- get svc demo
ok svc-smp-result 0 '^8081 web$' \
  -- get svc demo -o 'jsonpath={.spec.ports[0].targetPort} {.metadata.labels.tier}'
ok deploy-apply 0 '^deployment.apps/web created$' -- apply -f "$fx/deploy.yaml"
ok deploy-patch-smp 0 '^deployment.apps/web patched$' -- patch deploy web \
  -p '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"B","value":"2"}]}]}}}}'
ok deploy-smp-merged 0 '^A B nginx:1.25$' -- get deploy web -o 'jsonpath={.spec.template.spec.containers[0].env[0].name} {.spec.template.spec.containers[0].env[1].name} {.spec.template.spec.containers[0].image}'
ok ns-create-protobuf 0 '^namespace/team-a created$' -- create namespace team-a
ok cm-create-protobuf 0 '^configmap/cfg created$' -- create configmap cfg --from-literal=a=1 -n team-a
ok secret-create-protobuf 0 '^secret/s1 created$' \
  -- create secret generic s1 --from-literal=p=x -n team-a
ok secret-table 0 '^s1 +Opaque +1 +[0-9]+s$' -- get secret s1 -n team-a
ok ns-missing 1 'namespaces "nope" not found' -- apply -f "$fx/rollout.yaml" -n nope
ok get-all 0 '^service/kubernetes ' '^deployment.apps/web ' -- get all
ok lease 0 '^lease.coordination.k8s.io/ctl created$' -- create -f - <<<'{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"ctl"},"spec":{"holderIdentity":"a","leaseDurationSeconds":15}}'
ok lease-table 0 '^NAME +HOLDER +AGE$' '^ctl +a +[0-9]+s$' -- get lease ctl

# --- events and describe ---------------------------------------------------------------------------
uid=$(k get ro demo -o 'jsonpath={.metadata.uid}')
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ok event-create 0 '^event/demo.1 created$' -- create -f - <<EOF
{"apiVersion": "v1", "kind": "Event", "metadata": {"name": "demo.1"},
 "involvedObject": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "demo",
                    "namespace": "default", "uid": "$uid"},
 "reason": "RolloutUpdated", "message": "Rollout updated", "type": "Normal",
 "source": {"component": "rollouts-controller"},
 "firstTimestamp": "$now", "lastTimestamp": "$now", "count": 1}
EOF
ok describe 0 '^Name: +demo$' '^Kind: +Rollout$' '^Events:$' \
  'Normal +RolloutUpdated +[0-9]+s +rollouts-controller +Rollout updated' -- describe rollout demo
ok events-table 0 '^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$' \
  'Normal +RolloutUpdated +rollout/demo +Rollout updated' -- get events
ok events-fieldselector 0 'RolloutUpdated' \
  -- get events --field-selector reason=RolloutUpdated,involvedObject.kind=Rollout
ok fieldselector-bad 1 'field label not supported: foo' -- get events --field-selector foo=bar

# --- watch and wait --------------------------------------------------------------------------------
# A 4 s `get -w` that sees the patch made 1.5 s in.
watch_a_patch() {
  timeout 4 "${kube[@]}" get ro -w --output-watch-events >"$tmp/watch.out" 2>&1 &
  local watcher=$!
  sleep 1.5
  k patch ro demo --type merge -p '{"spec":{"replicas":7}}' >/dev/null
  wait "$watcher"
  cat "$tmp/watch.out"
}
ok_fn watch 0 '^EVENT +NAME +DESIRED' '^ADDED +demo ' '^MODIFIED +demo +7 ' -- watch_a_patch
# `wait --for=jsonpath` started before the status patch that satisfies it.
wait_for_paused() {
  (sleep 1 && k patch ro demo --subresource=status --type merge \
    -p '{"status":{"phase":"Paused"}}') >/dev/null 2>&1 &
  k wait --for='jsonpath={.status.phase}=Paused' rollout/demo --timeout=10s
  local rc=$?
  wait
  return $rc
}
ok_fn wait-jsonpath 0 '^rollout.argoproj.io/demo condition met$' -- wait_for_paused

# --- deletion, finalizers, garbage collection ------------------------------------------------------
uid=$(k get ro demo -o 'jsonpath={.metadata.uid}')
k create -f - >/dev/null <<EOF
{"apiVersion": "apps/v1", "kind": "ReplicaSet",
 "metadata": {"name": "demo-abc", "labels": {"app": "demo"},
              "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                   "name": "demo", "uid": "$uid", "controller": true,
                                   "blockOwnerDeletion": true}]},
 "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "demo"}},
          "template": {"metadata": {"labels": {"app": "demo"}},
                       "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
EOF
ok rs-owned 0 '^demo-abc$' -- get rs -l app=demo -o 'jsonpath={.items[*].metadata.name}'
ok finalizer-add 0 'patched' \
  -- patch ro demo --type merge -p '{"metadata":{"finalizers":["example.com/hold"]}}'
ok delete-nowait 0 '^rollout.argoproj.io "demo" deleted$' -- delete ro demo --wait=false
ok terminating 0 '^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z \["example.com/hold"\]$' \
  -- get ro demo -o 'jsonpath={.metadata.deletionTimestamp} {.metadata.finalizers}'
# `delete` waits while the finalizer holds the object, and returns once it is removed.
delete_held_demo() {
  (sleep 1.5 && k patch ro demo --type json \
    -p '[{"op":"remove","path":"/metadata/finalizers"}]') >/dev/null 2>&1 &
  k delete ro demo --timeout=15s
  local rc=$?
  wait
  return $rc
}
ok_fn delete-waits-for-finalizer 0 '^rollout.argoproj.io "demo" deleted$' -- delete_held_demo
ok gone 1 'rollouts.argoproj.io "demo" not found' -- get ro demo
# The garbage collector removes the Rollout's ReplicaSet in the background.
ok_fn gc-background 0 '^No resources found in default namespace.$' \
  -- until_matches 10 'No resources found' get rs -l app=demo
ok delete-crd 0 'customresourcedefinition.apiextensions.k8s.io "widgets.example.com" deleted' \
  -- delete crd widgets.example.com
# With a warm discovery cache kubectl still maps widgets and the LIST gets a plain 404.
ok_fn crd-gone 0 '(doesn.t have a resource type "widgets"|Unable to list "example.com/v1, Resource=widgets": the server could not find the requested resource)' \
  -- until_matches 10 'resource type "widgets"|could not find the requested resource' get widgets
ok delete-ns 0 '^namespace "team-a" deleted$' -- delete ns team-a
ok ns-gone 1 'namespaces "team-a" not found' -- get ns team-a

echo "$checks checks, $fails failure(s)"
[ "$checks" -eq 98 ] || { echo "FAIL: expected 98 checks, ran $checks"; exit 1; }
[ $fails -eq 0 ]
