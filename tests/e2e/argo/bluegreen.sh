#!/usr/bin/env bash
# Argo Rollouts' blue-green e2e scenarios (test/e2e/bluegreen_test.go and the blue-green tests of
# functional_test.go, 9f8d111) against vane-apiserver --simulate-workloads and vane-controller,
# driven with real kubectl and kubectl vane; delays shortened (scaleDownDelaySeconds 5 s -> 30 s: the counts are read inside the delay, on a loaded machine).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
e2e_tmp argo-bluegreen
argo_start

TestBlueGreenPreviewReplicaCount() {
  { service bluegreen-preview-replicas-active bluegreen-preview-replicas; echo ---
    service bluegreen-preview-replicas-preview bluegreen-preview-replicas; } | apply
  canary bluegreen-preview-replicas 2 '    blueGreen:
      activeService: bluegreen-preview-replicas-active
      previewService: bluegreen-preview-replicas-preview
      previewReplicaCount: 1
      scaleDownDelaySeconds: 30
      autoPromotionEnabled: false' | apply
  wait_phase bluegreen-preview-replicas Healthy
  update_image bluegreen-preview-replicas nginx:1.20-alpine
  wait_phase bluegreen-preview-replicas Paused
  expect_pods bluegreen-preview-replicas 2 1
  expect_pods bluegreen-preview-replicas 1 2
  expect_counts bluegreen-preview-replicas 2,3,1,2,2
  plugin promote bluegreen-preview-replicas
  wait_phase bluegreen-preview-replicas Healthy
  expect_counts bluegreen-preview-replicas 2,4,2,2,2
}

TestBlueGreenPreviewReplicaCountPromoteFull() {
  { service bluegreen-preview-replicas-promote-full-active bluegreen-preview-replicas-promote-full; echo ---
    service bluegreen-preview-replicas-promote-full-preview bluegreen-preview-replicas-promote-full; } | apply
  canary bluegreen-preview-replicas-promote-full 2 '    blueGreen:
      activeService: bluegreen-preview-replicas-promote-full-active
      previewService: bluegreen-preview-replicas-promote-full-preview
      previewReplicaCount: 1
      scaleDownDelaySeconds: 30
      autoPromotionEnabled: false' | apply
  wait_phase bluegreen-preview-replicas-promote-full Healthy
  update_image bluegreen-preview-replicas-promote-full nginx:1.20-alpine
  wait_phase bluegreen-preview-replicas-promote-full Paused
  expect_counts bluegreen-preview-replicas-promote-full 2,3,1,2,2
  plugin promote bluegreen-preview-replicas-promote-full --full
  wait_phase bluegreen-preview-replicas-promote-full Healthy
  expect_counts bluegreen-preview-replicas-promote-full 2,4,2,2,2
}

TestBlueGreenScaleDownDelay() {
  service bluegreen-scaledowndelay-active bluegreen-scaledowndelay | apply
  canary bluegreen-scaledowndelay 1 '    blueGreen:
      activeService: bluegreen-scaledowndelay-active
      scaleDownDelaySeconds: 86400
      scaleDownDelayRevisionLimit: 2' | apply
  wait_phase bluegreen-scaledowndelay Healthy
  local v
  for v in 2 3 4; do
    update_image bluegreen-scaledowndelay "nginx:1.2$v-alpine"
    wait_for 20 "revision $v is active" stable_is_rev bluegreen-scaledowndelay $v
    wait_phase bluegreen-scaledowndelay Healthy
    if [ $v = 2 ]; then
      expect_pods bluegreen-scaledowndelay 2 1
      expect_pods bluegreen-scaledowndelay 1 1
      expect_counts bluegreen-scaledowndelay 1,2,1,1,1
    fi
  done
  expect_pods bluegreen-scaledowndelay 4 1
  expect_pods bluegreen-scaledowndelay 3 1
  expect_pods bluegreen-scaledowndelay 2 1
  expect_replicas bluegreen-scaledowndelay 1 0
  expect_counts bluegreen-scaledowndelay 1,3,1,1,1
  kn patch ro bluegreen-scaledowndelay --type merge -p '{"spec":{"strategy":{"blueGreen":{"scaleDownDelayRevisionLimit":1}}}}' >/dev/null
  expect_replicas bluegreen-scaledowndelay 2 0
  expect_pods bluegreen-scaledowndelay 4 1
  expect_pods bluegreen-scaledowndelay 3 1
  expect_counts bluegreen-scaledowndelay 1,2,1,1,1
}

TestBlueGreenPromoteFull() {
  apply <<'YAML'
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: sleep-job}
spec:
  args:
  - {name: duration, value: "0"}
  metrics:
  - name: sleep-job
    provider:
      job:
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              containers:
              - {name: sleep-job, image: nginx:1.19-alpine, command: [sh, -c, "sleep {{args.duration}}"]}
YAML
  service bluegreen-promote-full-active bluegreen-promote-full | apply
  canary bluegreen-promote-full 3 '    blueGreen:
      activeService: bluegreen-promote-full-active
      autoPromotionEnabled: false
      prePromotionAnalysis:
        templates: [{templateName: sleep-job}]
        args: [{name: duration, value: "10"}]
      postPromotionAnalysis:
        templates: [{templateName: sleep-job}]' | apply
  wait_phase bluegreen-promote-full Healthy
  update_image bluegreen-promote-full nginx:1.20-alpine
  wait_for 30 "pre-promotion analysis Running" bash -c "[ \"\$($kubectl_bin -n $ns get analysisrun -o jsonpath='{.items[*].status.phase}')\" = Running ]"
  plugin promote bluegreen-promote-full --full
  wait_phase bluegreen-promote-full Healthy
  expect_eq "analysis runs (no post-promotion run)" "$(kn get analysisrun -o name | wc -l)" 1
  expect_eq "active on revision 2" "$(jp svc/bluegreen-promote-full-active '.spec.selector.rollouts-pod-template-hash')" "$(rs_of bluegreen-promote-full 2 | sed 's/.*-//')"
}

TestEphemeralMetadata() {
  { service ephemeral-metadata-bluegreen-active ephemeral-metadata-bluegreen; echo ---
    service ephemeral-metadata-bluegreen-preview ephemeral-metadata-bluegreen; } | apply
  canary ephemeral-metadata-bluegreen 2 '    blueGreen:
      activeService: ephemeral-metadata-bluegreen-active
      previewService: ephemeral-metadata-bluegreen-preview
      autoPromotionEnabled: false
      activeMetadata: {labels: {role: active}}
      previewMetadata: {labels: {role: preview}}' | apply
  wait_phase ephemeral-metadata-bluegreen Healthy
  expect_eq "active pods labelled" "$(kn get pods -l app=ephemeral-metadata-bluegreen -o jsonpath='{.items[*].metadata.labels.role}')" "active active"
  update_image ephemeral-metadata-bluegreen nginx:1.20-alpine
  wait_phase ephemeral-metadata-bluegreen Paused
  local h2; h2=$(rs_of ephemeral-metadata-bluegreen 2 | sed 's/.*-//')
  wait_for 10 "preview pods labelled" pods_are "rollouts-pod-template-hash=$h2" '.items[*].metadata.labels.role' "preview preview"
  kn patch ro ephemeral-metadata-bluegreen --type merge -p '{"spec":{"strategy":{"blueGreen":{"previewMetadata":{"labels":{"role":null,"role2":"preview2"}}}}}}' >/dev/null
  wait_for 10 "preview metadata changed in place" pods_are "rollouts-pod-template-hash=$h2" '.items[*].metadata.labels.role2' "preview2 preview2"
  plugin promote ephemeral-metadata-bluegreen
  wait_phase ephemeral-metadata-bluegreen Healthy
  wait_for 10 "promoted pods get the active metadata" pods_are "rollouts-pod-template-hash=$h2" '.items[*].metadata.labels.role' "active active"
}

run_scenarios TestBlueGreenPreviewReplicaCount TestBlueGreenPreviewReplicaCountPromoteFull \
  TestBlueGreenScaleDownDelay TestBlueGreenPromoteFull TestEphemeralMetadata
echo "argo blue-green scenarios: $fails failure(s)"
[ $fails -eq 0 ]
