#!/usr/bin/env bash
# Given the three binaries, when they get --help or a flag value of the wrong kind,
# then --help lists their flags and exits 0, and a bad value exits non-zero naming the flag
# (base/flags.h: `--qps fast` used to become 0 and turn client rate limiting off).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

expect "vane-controller --help lists its flags" '--qps float.*' "$bin/vane-controller" --help
expect "vane-controller --help names leader election" '--leader-election-lease-duration duration' \
  "$bin/vane-controller" --help
expect "vane-apiserver --help lists its flags" '--pod-ready-delay duration' "$bin/vane-apiserver" --help
expect "vane-apiserver -h lists --token-file" '--token-file string' "$bin/vane-apiserver" -h
expect "kubectl-vane --help lists its commands" 'promote' "$bin/kubectl-vane" --help
expect "kubectl-vane plan --help lists its flags" '--virtualservice string' "$bin/kubectl-vane" plan --help

refuse "vane-controller --qps fast names the flag" '--qps fast: invalid value "fast": want a number' \
  "$bin/vane-controller" --qps fast
refuse "vane-controller --workers 0 names the flag" '--workers 0: invalid value' \
  "$bin/vane-controller" --workers 0
refuse "vane-controller bad lease duration names the flag" '--leader-elect-lease-duration soon' \
  "$bin/vane-controller" --leader-elect-lease-duration soon
refuse "vane-controller --log-format xml names the flag" '--log-format xml' \
  "$bin/vane-controller" --log-format xml
refuse "vane-apiserver --pod-ready-delay soon names the flag" '--pod-ready-delay soon: invalid value' \
  "$bin/vane-apiserver" --pod-ready-delay soon
refuse "vane-apiserver unknown flag" 'unknown flag: --bogus' "$bin/vane-apiserver" --bogus
refuse "kubectl-vane restart --in soon names the flag" '--in soon: invalid value' \
  "$bin/kubectl-vane" restart demo --in soon
refuse "kubectl-vane plan -o yaml names the flag" '-o yaml: invalid value "yaml": want one of text, json' \
  "$bin/kubectl-vane" plan -f x.yaml -o yaml

[ $fails -eq 0 ] && echo "binary flag checks passed"
exit $fails
