# Shared by the e2e scripts (sourced, not run): paths, PASS/FAIL bookkeeping, and a fresh
# vane-apiserver on a free loopback port that is stopped by PID when the script exits.
src=${VANE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
data=${VANE_TEST_DATA_DIR:-$src/tests/data}
bin=${VANE_BIN_DIR:-$src/build/bin}
kubectl_bin=$(command -v kubectl.1.32 || echo /usr/lib/google-cloud-sdk/bin/kubectl.1.32)

fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect DESCRIPTION REGEX COMMAND...: the command succeeds and its output matches REGEX.
expect() {
  local what=$1 re=$2; shift 2
  local out; out=$("$@" 2>&1); local rc=$?
  if [ $rc -eq 0 ] && grep -Eq -- "$re" <<<"$out"; then pass "$what"; else fail "$what (rc=$rc): $out"; fi
}
# refuse DESCRIPTION REGEX COMMAND...: the command fails and its output matches REGEX.
refuse() {
  local what=$1 re=$2; shift 2
  local out; out=$("$@" 2>&1); local rc=$?
  if [ $rc -ne 0 ] && grep -Eq -- "$re" <<<"$out"; then pass "$what"; else fail "$what (rc=$rc): $out"; fi
}
# expect_lines DESCRIPTION RC REGEX... -- COMMAND...: the command exits with RC and each REGEX
# matches some line of its output (stdout and stderr together).
expect_lines() {
  local what=$1 want=$2; shift 2
  local res=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do res+=("$1"); shift; done
  shift
  local out; out=$("$@" 2>&1); local rc=$?
  local re missing=""
  for re in "${res[@]}"; do grep -Eq -- "$re" <<<"$out" || missing+=" '$re'"; done
  if [ $rc -eq "$want" ] && [ -z "$missing" ]; then pass "$what"; else
    fail "$what (rc=$rc, want $want; no line matches:${missing:- -}): $(head -n 20 <<<"$out")"
  fi
}

# e2e_tmp NAME: a scratch directory, kept for post-mortem when a check failed.
e2e_tmp() { tmp=$(mktemp -d "/tmp/vane-$1-e2e.XXXXXX"); }

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

server_pid="" controller_pid=""
e2e_cleanup() {
  if declare -F e2e_cleanup_extra >/dev/null; then e2e_cleanup_extra; fi
  if [ -n "$controller_pid" ]; then
    kill "$controller_pid" 2>/dev/null; wait "$controller_pid" 2>/dev/null
    [ $fails -eq 0 ] || tail -n 40 "$tmp/controller.log"
  fi
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  if [ $fails -eq 0 ]; then rm -rf "$tmp"; else echo "logs kept in $tmp"; fi
}

# start_apiserver [EXTRA ARGS...]: vane-apiserver with its data and kubeconfig in $tmp, ready.
start_apiserver() {
  [ -x "$bin/vane-apiserver" ] || { echo "FAIL: $bin/vane-apiserver not built"; exit 1; }
  local port
  port=$(free_port)
  "$bin/vane-apiserver" --listen "127.0.0.1:$port" --data-dir "$tmp/data" \
    --kubeconfig-out "$tmp/kubeconfig" "$@" >"$tmp/apiserver.log" 2>&1 &
  server_pid=$!
  trap e2e_cleanup EXIT
  local deadline=$((SECONDS + 30))
  until [ -s "$tmp/kubeconfig" ] &&
    "$kubectl_bin" --kubeconfig "$tmp/kubeconfig" get --raw /readyz >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$server_pid" 2>/dev/null; then
      echo "FAIL: vane-apiserver did not become ready"; cat "$tmp/apiserver.log"; exit 1
    fi
    sleep 0.1
  done
}
k() { "$kubectl_bin" --kubeconfig "$tmp/kubeconfig" "$@"; }

# use_plugin: kubectl-vane on PATH, so that `kubectl vane ...` finds it as a plugin.
use_plugin() {
  [ -x "$bin/kubectl-vane" ] || { echo "FAIL: $bin/kubectl-vane not built"; exit 1; }
  mkdir -p "$tmp/plugins"
  ln -sf "$bin/kubectl-vane" "$tmp/plugins/kubectl-vane"
  export PATH="$tmp/plugins:$PATH"
}

# start_controller [ARGS...]: vane-controller against the server (metrics and health on free
# ports), logging to $tmp/controller.log, stopped when the script exits.
start_controller() {
  [ -x "$bin/vane-controller" ] || { echo "FAIL: $bin/vane-controller not built"; exit 1; }
  "$bin/vane-controller" --kubeconfig "$tmp/kubeconfig" --metrics-addr "127.0.0.1:$(free_port)" \
    --health-addr "127.0.0.1:$(free_port)" "$@" >"$tmp/controller.log" 2>&1 &
  controller_pid=$!
}
