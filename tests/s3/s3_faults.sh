#!/usr/bin/env bash
# Helper of test_s3_faults (not a test by itself): lancepool writes to the RGW bucket through a loopback
# proxy that fails requests on cue (fault_proxy.mjs): storms of 503 and 500, connections reset, 412 on every
# manifest PUT, slow answers. A short storm is ridden out by the bounded retries; a long one ends in a clear
# error naming the HTTP status and S3 error code, and nothing of the failed write is visible: the versions
# are those before it, and LanceDB and lancepool read exactly the rows of the acknowledged writes.
# Usage: s3_faults.sh s3://bucket/db WORKDIR   (settings from the AWS_* and LP_S3_* variables)
set -euo pipefail
db=$1 W=$2
: "${LANCEPOOL:?} ${LP_NODE_DIR:?} ${LP_S3_ENDPOINT:?}"
L=$LANCEPOOL
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$W" && mkdir -p "$W"
row() { echo "{\"id\":$1,\"text\":\"f$1\",\"vec\":[1,2,3,4,5,6,7,8]}"; }
bucket=${db#s3://}
bucket=${bucket%%/*}

node "$here/fault_proxy.mjs" "$LP_S3_ENDPOINT" "$W/port" & proxy=$!
trap 'kill "$proxy" 2> /dev/null || true; wait "$proxy" 2> /dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.1; done
[ -s "$W/port" ] || fail "the fault proxy did not start"
P=http://127.0.0.1:$(cat "$W/port")
arm() { curl -sf "$P/__fault?$1" > /dev/null || fail "cannot arm the proxy with $1"; }
# lancepool through the proxy (fewer, shorter retries than the defaults, so a storm ends soon)
viaproxy() { "$L" "$@" --storage-option "endpoint=$P" --storage-option max_retries=3; }

"$L" create "$db" t --schema "id:int64 not null, text:utf8, vec:vector(8)" > /dev/null
: > "$W/acked"
next=1
# add_ok LABEL: one append through the proxy must succeed
add_ok() {
  row $next | viaproxy add "$db" t --jsonl - > /dev/null 2> "$W/err" || fail "$1: the append failed: $(cat "$W/err")"
  echo $next >> "$W/acked"
  next=$((next + 1))
}
# add_fails LABEL PATTERN...: one append through the proxy must fail with a message holding every pattern,
# and leave the versions as they were
add_fails() {
  local label=$1; shift
  local before; before=$("$L" versions "$db" t | cut -f1 | paste -sd,)
  if row $next | viaproxy add "$db" t --jsonl - > /dev/null 2> "$W/err"; then fail "$label: the append succeeded"; fi
  for p in "$@"; do grep -q -- "$p" "$W/err" || fail "$label: message lacks '$p': $(cat "$W/err")"; done
  arm mode=off
  [ "$("$L" versions "$db" t | cut -f1 | paste -sd,)" = "$before" ] || fail "$label: the versions changed after a failed append"
  echo "$label: $(head -c 240 "$W/err")"
  next=$((next + 1))
}

arm "mode=503&n=2";               add_ok "503 x2"
arm "mode=503&n=1000";            add_fails "503 storm" "HTTP 503" "SlowDown"
arm "mode=500&n=2&match=PUT";     add_ok "500 x2 on PUTs"
arm "mode=500&n=1000&match=PUT";  add_fails "500 storm on PUTs" "HTTP 500" "InternalError"
arm "mode=reset&n=2";             add_ok "2 connections reset"
arm "mode=reset&n=1000";          add_fails "every connection reset" "s3"
arm "mode=412&n=3&match=PUT%20/$bucket/db/t.lance/_versions/"; add_ok "412 x3 on the manifest PUT"
arm "mode=412&n=100000&match=PUT%20/$bucket/db/t.lance/_versions/"
add_fails "412 storm on the manifest PUT" "gave up after 100 attempts" "$db/t.lance"
arm "mode=delay&n=6&ms=300";      add_ok "6 answers delayed 300 ms"
arm "mode=delay&n=1000&ms=2500"
if row $next | viaproxy add "$db" t --jsonl - --storage-option timeout=1 > /dev/null 2> "$W/err"; then
  fail "an append with a 1 s timeout succeeded through 2.5 s answers"
fi
arm mode=off
echo "2.5 s answers, 1 s timeout: $(head -c 200 "$W/err")"
next=$((next + 1))
curl -sf "$P/__fault/stats" > "$W/stats"

# only the acknowledged appends are there, for both readers
sort -n "$W/acked" > "$W/want"
node "$LP_NODE_DIR/write_peer.mjs" ids "$db" t 2> /dev/null > "$W/lancedb_ids"
"$L" dump "$db" t --columns id | sed 's/{"id":\([0-9]*\)}/\1/' | sort -n > "$W/our_ids"
cmp -s "$W/want" "$W/lancedb_ids" || fail "LanceDB reads $(paste -sd, "$W/lancedb_ids"), acknowledged $(paste -sd, "$W/want")"
cmp -s "$W/want" "$W/our_ids" || fail "lancepool reads $(paste -sd, "$W/our_ids"), acknowledged $(paste -sd, "$W/want")"
echo "PASS: $(wc -l < "$W/want") acknowledged appends read back by both, none of the failed ones; proxy $(cat "$W/stats")"
