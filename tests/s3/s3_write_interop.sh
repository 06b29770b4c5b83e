#!/usr/bin/env bash
# Helper of test_s3_write (not a test by itself): writes on a database in the RGW bucket, each checked
# against official LanceDB 0.31.0 (tests/interop/node/write_peer.mjs) on the same bucket.
#   1. lancepool creates a table and commits add, delete, upsert, compact, restore; LanceDB counts every
#      version and sees the same counts as `lancepool count --version`; then LanceDB appends on top and
#      lancepool reads that version, and lancepool appends on top of LanceDB's version.
#   2. two lancepool processes and one LanceDB process append concurrently: every acknowledged append is
#      there exactly once, read by both.
#   3. a lancepool writer killed with SIGKILL in the middle of its commits: the table stays readable by both
#      and every acknowledged append is there.
#   4. cleanup and drop.
# The engine takes its settings from the AWS_* variables, LanceDB from LP_S3_*.
# Usage: s3_write_interop.sh s3://bucket/db WORKDIR
set -euo pipefail
db=$1 W=$2
: "${LANCEPOOL:?} ${LP_NODE_DIR:?}"
L=$LANCEPOOL
peer() { node "$LP_NODE_DIR/write_peer.mjs" "$@" 2> >(grep -v WARN >&2); }
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$W" && mkdir -p "$W" && cd "$W"   # nothing may appear here: a folder "s3:" would be a local write
export TMPDIR="$W/tmp"   # the writers' staging folders: each must be gone when its command ends
mkdir -p "$TMPDIR"
row() { echo "{\"id\":$1,\"text\":\"w$2\",\"vec\":[1,2,3,4,5,6,7,$2]}"; }
rows() { for i in $(seq "$1" "$2"); do row "$i" "$3"; done; }

# ---- 1. every write operation, read back by LanceDB version by version ----
rows 0 99 0 > "$W/first.jsonl"
"$L" create "$db" t --schema "id:int64 not null, text:utf8, vec:vector(8)" --jsonl "$W/first.jsonl" > /dev/null
"$L" create "$db" t --schema "id:int64 not null" 2> "$W/exists.err" && fail "creating an existing table succeeded"
grep -q "already exists" "$W/exists.err" || fail "create over a table: $(cat "$W/exists.err")"
rows 100 149 1 | "$L" add "$db" t --jsonl - > /dev/null
"$L" delete "$db" t --where "id % 10 = 3" > /dev/null
rows 140 159 2 | "$L" upsert "$db" t --on id --jsonl - > /dev/null
"$L" compact "$db" t > /dev/null
"$L" restore "$db" t --version 2 > /dev/null
"$L" versions "$db" t | cut -f1 > "$W/our_versions"
peer version-counts "$db" t > "$W/lancedb_counts"
: > "$W/our_counts"
while read -r v; do printf '%s\t%s\n' "$v" "$("$L" count "$db" t --version "$v")" >> "$W/our_counts"; done < "$W/our_versions"
cmp -s "$W/our_counts" "$W/lancedb_counts" ||
  { diff "$W/our_counts" "$W/lancedb_counts" >&2; fail "per-version counts differ between lancepool and LanceDB"; }
n_versions=$(wc -l < "$W/our_versions")
[ "$n_versions" -ge 6 ] || fail "expected at least 6 versions, found $n_versions"
echo "1a: $n_versions versions written by lancepool, LanceDB counts each the same: $(cut -f2 "$W/our_counts" | paste -sd,)"

# LanceDB on top of lancepool's latest version, then lancepool on top of LanceDB's
peer append-delete "$db" t 5000 10 "id = 0"
"$L" count "$db" t > "$W/count_after_peer"
want=$(( $(tail -1 "$W/our_counts" | cut -f2) + 10 - 1 ))
[ "$(cat "$W/count_after_peer")" = "$want" ] || fail "after LanceDB's append+delete lancepool counts $(cat "$W/count_after_peer"), expected $want"
rows 6000 6004 3 | "$L" add "$db" t --jsonl - > /dev/null
peer ids "$db" t > "$W/lancedb_ids"
"$L" dump "$db" t --columns id | sed 's/{"id":\([0-9]*\)}/\1/' | sort -n > "$W/our_ids"
cmp -s "$W/our_ids" "$W/lancedb_ids" || fail "ids differ after mixed commits"
[ "$(wc -l < "$W/our_ids")" = $((want + 5)) ] || fail "expected $((want + 5)) rows, found $(wc -l < "$W/our_ids")"
echo "1b: LanceDB appended+deleted on lancepool's version, lancepool appended on LanceDB's: $((want + 5)) rows, same ids"

# a data file above the multipart threshold (16 MiB): 4500 rows of 1024 floats
python3 -c "
import json
for i in range(4500): print(json.dumps({'id': i, 'v': [float((i * 7 + k) % 97) for k in range(1024)]}))
" > "$W/big.jsonl"
"$L" create "$db" big --schema "id:int64 not null, v:vector(1024)" --jsonl "$W/big.jsonl" > /dev/null
[ "$(peer version-counts "$db" big)" = "$(printf '1\t4500')" ] || fail "LanceDB does not count the 18 MiB table right"
"$L" drop "$db" big > /dev/null
echo "1c: a table with an 18 MiB data file (multipart upload) counted by LanceDB"

# ---- 2. concurrent appends: two lancepool processes and one LanceDB process ----
COUNT=${LP_S3_CONCURRENT_APPENDS:-25}
"$L" create "$db" c --schema "id:int64 not null, text:utf8, vec:vector(8)" > /dev/null
writer() {
  local tag=$1
  : > "$W/ok$tag"
  for i in $(seq 0 $((COUNT - 1))); do
    local id=$((tag * 1000000 + i))
    if row $id "$tag" | "$L" add "$db" c --jsonl - > /dev/null 2>> "$W/err$tag"; then echo $id >> "$W/ok$tag"; fi
  done
}
start=$(date +%s)
writer 1 & p1=$!
writer 2 & p2=$!
peer append-loop "$db" c 3 "$COUNT" > "$W/ok3" 2> "$W/err3" & p3=$!
wait $p1 $p2 $p3
sort -n "$W/ok1" "$W/ok2" "$W/ok3" > "$W/committed"
peer ids "$db" c > "$W/lancedb_cids"
"$L" dump "$db" c --columns id | sed 's/{"id":\([0-9]*\)}/\1/' | sort -n > "$W/our_cids"
cmp -s "$W/committed" "$W/lancedb_cids" || { diff "$W/committed" "$W/lancedb_cids" | head >&2; fail "LanceDB's rows differ from the acknowledged appends"; }
cmp -s "$W/committed" "$W/our_cids" || fail "lancepool's rows differ from the acknowledged appends"
acked=$(wc -l < "$W/committed")
[ "$acked" -ge $((COUNT * 3 * 9 / 10)) ] || fail "only $acked of $((COUNT * 3)) appends acknowledged: $(sort "$W"/err* | uniq -c | head -3)"
echo "2: $(wc -l < "$W/ok1")+$(wc -l < "$W/ok2") lancepool and $(wc -l < "$W/ok3") LanceDB appends acknowledged in $(( $(date +%s) - start ))s; count at the end $(wc -l < "$W/our_cids") == $acked"

[ -z "$(ls -A "$TMPDIR")" ] || fail "staging folders left behind: $(ls "$TMPDIR" | head -3)"

# ---- 3. SIGKILL a lancepool writer in the middle of its commits ----
"$L" create "$db" k --schema "id:int64 not null, text:utf8, vec:vector(8)" > /dev/null
( for i in $(seq 0 199); do
    if row "$i" 9 | "$L" add "$db" k --jsonl - > /dev/null 2>/dev/null; then echo "$i" >> "$W/kill_ok"; fi
  done ) &
loop=$!
sleep "${LP_S3_KILL_AFTER:-4}"
# kill the running lancepool child (the commit in flight), then the loop
child=$(pgrep -P "$loop" -x lancepool | head -1 || true)
[ -n "$child" ] && kill -KILL "$child" || true
kill -KILL "$loop" 2> /dev/null || true
wait "$loop" 2> /dev/null || true
touch "$W/kill_ok"
"$L" dump "$db" k --columns id | sed 's/{"id":\([0-9]*\)}/\1/' | sort -n > "$W/kill_ours"
peer ids "$db" k > "$W/kill_lancedb"
cmp -s "$W/kill_ours" "$W/kill_lancedb" || fail "after the kill lancepool and LanceDB read different rows"
missing=$(comm -23 <(sort -n "$W/kill_ok") "$W/kill_ours" | wc -l)
[ "$missing" = 0 ] || fail "$missing acknowledged appends lost after SIGKILL"
echo "3: writer killed after $(wc -l < "$W/kill_ok") acknowledged appends; table readable by both with $(wc -l < "$W/kill_ours") rows, none lost"
rows 7000 7001 4 | "$L" add "$db" k --jsonl - > /dev/null || fail "append after the kill failed"

# ---- 4. cleanup and drop ----
"$L" cleanup "$db" t --older-than 0 > "$W/cleanup.out"
"$L" count "$db" t > "$W/count_after_cleanup"
cmp -s "$W/count_after_cleanup" <(tail -1 "$W/our_ids" > /dev/null; wc -l < "$W/our_ids") ||
  fail "count after cleanup $(cat "$W/count_after_cleanup"), expected $(wc -l < "$W/our_ids")"
peer ids "$db" t | cmp -s - "$W/our_ids" || fail "LanceDB reads different ids after cleanup"
[ "$("$L" versions "$db" t | wc -l)" = 1 ] || fail "cleanup kept more than the latest version"
"$L" drop "$db" c > /dev/null
"$L" tables "$db" > "$W/tables"
printf 'k\nt\n' | cmp -s - "$W/tables" || fail "tables after drop: $(paste -sd, "$W/tables")"
"$L" drop "$db" c 2> "$W/drop.err" && fail "dropping a dropped table succeeded"
echo "4: cleanup ($(cat "$W/cleanup.out")) left 1 version readable by both; drop removed table c"
# ---- 5. settings from --storage-option instead of the environment; clear errors ----
noenv() { env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL -u AWS_ALLOW_HTTP "$@"; }
opts=(--storage-option "endpoint=$LP_S3_ENDPOINT" --storage-option allow_http=true
      --storage-option "aws_access_key_id=$LP_S3_ACCESS_KEY" --storage-option "aws_secret_access_key=$LP_S3_SECRET_KEY")
row 8000 5 | noenv "$L" add "$db" k --jsonl - "${opts[@]}" > /dev/null || fail "add with --storage-option failed"
[ "$(noenv "$L" count "$db" k "${opts[@]}")" = "$("$L" count "$db" k)" ] || fail "count with --storage-option differs"
noenv "$L" count "$db" k 2> "$W/noopt.err" && fail "count without any settings succeeded"
noenv "$L" count "$db" k "${opts[@]}" --storage-option aws_secret_access_key=wrong 2> "$W/badkey.err" &&
  fail "count with a wrong secret key succeeded"
grep -q "403" "$W/badkey.err" && grep -q "SignatureDoesNotMatch" "$W/badkey.err" ||
  fail "wrong secret key: unclear error: $(cat "$W/badkey.err")"
nobucket="s3://no-such-bucket-$$/db"
noenv "$L" add "$nobucket" k --jsonl - "${opts[@]}" < /dev/null 2> "$W/nobucket.err" && fail "add to a missing bucket succeeded"
row 1 1 | noenv "$L" create "$nobucket" k --schema "id:int64 not null, text:utf8, vec:vector(8)" --jsonl - "${opts[@]}" \
  2> "$W/nobucket.err" && fail "create in a missing bucket succeeded"
grep -q "404" "$W/nobucket.err" && grep -q "NoSuchBucket" "$W/nobucket.err" ||
  fail "missing bucket: unclear error: $(cat "$W/nobucket.err")"
"$L" count "$db" k --storage-option nonsense=1 2> "$W/unknown.err" && fail "an unknown storage option was accepted"
grep -q "nonsense" "$W/unknown.err" || fail "unknown storage option: unclear error: $(cat "$W/unknown.err")"
"$L" count "$W" k --storage-option region=x 2> "$W/local.err" && fail "a storage option on a local folder was accepted"
# the disk cache: reads through it equal reads without it, the first run fills it, a second one (a new
# process) reads the same from it
"$L" dump "$db" k > "$W/dump_plain"
"$L" dump "$db" k --storage-option "cache_dir=$W/cache" > "$W/dump_cold"
n_cached=$(find "$W/cache" -name '*.obj' | wc -l)
[ "$n_cached" -ge 1 ] || fail "the disk cache holds nothing after a dump"
"$L" dump "$db" k --storage-option "cache_dir=$W/cache" > "$W/dump_warm"
cmp -s "$W/dump_plain" "$W/dump_cold" && cmp -s "$W/dump_plain" "$W/dump_warm" || fail "dumps through the disk cache differ"
echo "5: --storage-option works without AWS_* variables; errors: $(head -c 150 "$W/badkey.err"); $(head -c 150 "$W/nobucket.err")"

echo "5b: dump through the disk cache ($n_cached objects cached) equals the plain one, cold and warm"
[ ! -e "$W/s3:" ] || fail "a local folder s3: was made: a write went to disk instead of the bucket"
echo "PASS"
