#!/usr/bin/env bash
# Given vane-apiserver started with --tls and --token-file,
# when clients call it with and without the token,
# then HTTPS works with the CA from the written kubeconfig, requests without the token get 401,
# and a restart keeps the same self-signed certificate.
# Given --tls without --token-file, then the written kubeconfig carries a generated token that the
# server requires, kubectl uses it without prompting (stdin closed), and a restart keeps it.
set -eu
BIN=${VANE_BIN_DIR:?VANE_BIN_DIR}
KUBECTL=$(command -v kubectl.1.32 || echo /usr/lib/google-cloud-sdk/bin/kubectl.1.32)
DIR=$(mktemp -d /tmp/vane-sec.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
echo "s3cret-token" > "$DIR/token"
PID=
# start [DATA_DIR [FLAGS...]]: with --token-file "$DIR/token" unless other flags are given.
start() {
  local data=${1:-$DIR/data}
  shift || true
  [ $# -gt 0 ] || set -- --token-file "$DIR/token"
  rm -f "$DIR/kubeconfig"
  "$BIN/vane-apiserver" --listen "127.0.0.1:$PORT" --data-dir "$data" --tls \
    "$@" --kubeconfig-out "$DIR/kubeconfig" >>"$DIR/apiserver.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    [ -f "$DIR/kubeconfig" ] && break
    kill -0 "$PID" || { cat "$DIR/apiserver.log"; exit 1; }
    sleep 0.1
  done
}
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$DIR/apiserver.log"; exit 1; }

start
CA="$DIR/data/tls.crt"
URL="https://127.0.0.1:$PORT"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "$URL/api/v1/namespaces")
[ "$code" = 401 ] || fail "no token: got $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer wrong" "$URL/version")
[ "$code" = 401 ] || fail "wrong token: got $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer s3cret-token" "$URL/version")
[ "$code" = 200 ] || fail "good token: got $code, want 200"
grep -q 'certificate-authority-data' "$DIR/kubeconfig" || fail "kubeconfig lacks CA data"
out=$("$KUBECTL" --kubeconfig "$DIR/kubeconfig" --cache-dir "$DIR/cache" get ns default 2>&1) || fail "kubectl: $out"
echo "$out" | grep -Eq '^default +Active' || fail "kubectl output: $out"
before=$(sha256sum "$CA")
kill "$PID"; wait "$PID" || true
start
[ "$(sha256sum "$CA")" = "$before" ] || fail "certificate regenerated on restart"
"$KUBECTL" --kubeconfig "$DIR/kubeconfig" --cache-dir "$DIR/cache" get ns default >/dev/null 2>&1 || fail "kubectl after restart"
kill "$PID"; wait "$PID" || true

# --tls without --token-file: no username/password prompt (kubectl reads stdin for one when an
# https user has no credentials; stdin is closed here, so a prompt would fail the command).
start "$DIR/notoken" --no-fsync
[ -f "$DIR/notoken/token" ] || fail "no generated token in the data directory"
[ "$(stat -c %a "$DIR/notoken/token")" = 600 ] || fail "generated token file is not 0600"
[ "$(stat -c %a "$DIR/kubeconfig")" = 600 ] || fail "kubeconfig with a token is not 0600"
out=$("$KUBECTL" --kubeconfig "$DIR/kubeconfig" --cache-dir "$DIR/cache2" get ns default </dev/null 2>&1) ||
  fail "kubectl without --token-file: $out"
echo "$out" | grep -Eq '^default +Active' || fail "kubectl output without --token-file: $out"
echo "$out" | grep -qi 'username' && fail "kubectl prompted: $out"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$DIR/notoken/tls.crt" "$URL/api/v1/namespaces")
[ "$code" = 401 ] || fail "generated token not required: got $code, want 401"
token=$(cat "$DIR/notoken/token")
kill "$PID"; wait "$PID" || true
start "$DIR/notoken" --no-fsync
[ "$(cat "$DIR/notoken/token")" = "$token" ] || fail "generated token changed on restart"
"$KUBECTL" --kubeconfig "$DIR/kubeconfig" --cache-dir "$DIR/cache2" get ns default </dev/null >/dev/null 2>&1 ||
  fail "kubectl after restart without --token-file"
echo "security checks passed"
