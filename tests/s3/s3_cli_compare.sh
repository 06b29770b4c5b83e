#!/usr/bin/env bash
# Helper of test_s3_lancedb (not a test by itself): `lancepool tables/count/schema/versions/dump/search`
# on a database in the RGW bucket (s3://bucket/db, written by s3_writer.mjs) print what official LanceDB
# 0.31.0 returns for the same database, rendered in the same formats by lancedb_dump.mjs. Both sides get
# their settings from the AWS_* variables. Usage: s3_cli_compare.sh s3://bucket/db WORKDIR
set -euo pipefail
db=$1 work=$2
mkdir -p "$work"
failures=0 n=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# pair CMD ARGS...: LanceDB's answer into $work/$n.want, ours into $work/$n.got; false when either failed.
pair() {
  n=$((n + 1))
  node "$LP_NODE_DIR/lancedb_dump.mjs" "$1" "$db" "${@:2}" >"$work/$n.want" 2>"$work/$n.want.err" ||
    { fail "LanceDB $*: $(grep -v WARN "$work/$n.want.err" | head -c 300)"; return 1; }
  "$LANCEPOOL" "$1" "$db" "${@:2}" >"$work/$n.got" 2>"$work/$n.got.err" ||
    { fail "lancepool $*: $(head -c 300 "$work/$n.got.err")"; return 1; }
}

# same CMD ARGS...: byte for byte.
same() {
  pair "$@" || return 0
  cmp -s "$work/$n.want" "$work/$n.got" || fail "$*: outputs differ ($work/$n.want vs $work/$n.got)"
}

# close CMD ARGS...: search rows, distances within float tolerance.
close() {
  pair "$@" || return 0
  node "$LP_NODE_DIR/jsonl_close.mjs" "$work/$n.want" "$work/$n.got" 2>"$work/$n.diff" || fail "$*: $(cat "$work/$n.diff")"
}

same tables
same count docs
same count docs --version 1
same count docs --where "id > 500"
same schema docs
same dump docs
same dump docs --version 2 --columns id,v --limit 50 --offset 590
same dump docs --where "text IS NULL"
close search docs --vector '[0.5, -0.25, 0.1, -0.5]' --k 7
close search docs --vector '[0, 1, 0.5, -1]' --k 5 --metric cosine --where "id < 400"
# versions: LanceDB's timestamps are milliseconds, ours microseconds; compare the version numbers.
n=$((n + 1))
node "$LP_NODE_DIR/lancedb_dump.mjs" versions "$db" docs 2>/dev/null | cut -f1 >"$work/$n.want"
"$LANCEPOOL" versions "$db" docs | cut -f1 >"$work/$n.got"
cmp -s "$work/$n.want" "$work/$n.got" || fail "versions: $(paste -sd, "$work/$n.want") vs $(paste -sd, "$work/$n.got")"
# a lancepool append to LanceDB's table on the bucket: LanceDB then counts one row more
before=$(node "$LP_NODE_DIR/lancedb_dump.mjs" count "$db" docs 2>/dev/null)
printf '{"id": 100000}\n' >"$work/row.jsonl"
if ! "$LANCEPOOL" add "$db" docs --jsonl "$work/row.jsonl" >/dev/null 2>"$work/add.err"; then
  fail "lancepool add to the bucket: $(cat "$work/add.err")"
else
  after=$(node "$LP_NODE_DIR/lancedb_dump.mjs" count "$db" docs 2>/dev/null)
  [ "$after" = $((before + 1)) ] || fail "after lancepool's append LanceDB counts $after rows, expected $((before + 1))"
fi
echo "$n comparisons, $failures failed"
[ "$failures" -eq 0 ]
