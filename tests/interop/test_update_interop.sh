#!/usr/bin/env bash
# `lancepool update` against official LanceDB 0.31.0: two tables with the same rows (3 fragments, deletions,
# scalar columns of every kind with nulls, a vector); every update runs as `lancepool update` on one and as
# LanceDB's update({valuesSql, where}) on the other. After each, LanceDB reads both tables and finds the
# same rows, and both report the same number of updated rows and the same version. Bad updates commit
# nothing. LanceDB then appends and compacts on top of lancepool's versions. Last, lancepool updates and
# LanceDB appends run at the same time on one table and nothing is lost.
set -euo pipefail
: "${LANCEPOOL:?} ${LP_NODE_DIR:?} ${LP_TEST_TMP:?}"
W="$LP_TEST_TMP/update_interop"
. "$(dirname "$0")/table_ops_lib.sh"

peer setup "$DB" lp ref
# same_update WHERE COL EXPR [COL EXPR]...: lancepool updates lp, LanceDB updates ref; both read by LanceDB
cases=0
same_update() {
  local where=$1; shift
  local set="" args=("$@")
  for ((k = 0; k < ${#args[@]}; k += 2)); do set+="${set:+, }${args[k]} = ${args[k+1]}"; done
  local ours theirs
  if [ -n "$where" ]; then ours=$("$L" update "$DB" lp --set "$set" --where "$where")
  else ours=$("$L" update "$DB" lp --set "$set"); fi
  theirs=$(peer update "$DB" ref "$where" "$@")
  [ "$ours" = "$theirs" ] || fail "update --set '$set' --where '$where': lancepool printed '$ours', LanceDB '$theirs'"
  same_tables ordered "update --set '$set' --where '$where'"
  cases=$((cases + 1))
  echo "ok update --set '$set' --where '$where': $ours"
}
same_update "id < 50" f64 "f64 * 2 + 1"
same_update "id % 5 = 0" s "concat(s, '-u')" i32 "i32 + 1000" u8 "u8 + 1"
same_update "s LIKE '%3'" f32 "0.5" flag "TRUE" d "date '2024-02-29'" ts "timestamp '2024-01-01 12:00:00'"
same_update "id > 280" i32 "NULL" s "upper(s)"
same_update "i32 IS NULL" i32 "id * 2" f32 "f64 / 4"
same_update "id < 0" i32 "i32 + 1"
same_update "" id "id + 100000"

# bad updates commit nothing and leave no file behind
refused update "$DB" lp --set "nope = 1"
refused update "$DB" lp --set "i32 = 'abc'"
refused update "$DB" lp --set "i32 = i32 / 0"
refused update "$DB" lp --set "v = 1"
refused update "$DB" lp --set "i32 = (1"
refused update "$DB" lp --set "id = NULL"
refused update "$DB" lp --set "i32 = 1" --where "nope > 1"
refused update "$DB" lp --set "i32 = 1, i32 = 2"

# LanceDB appends and compacts on top; lancepool and LanceDB read the same
peer append "$DB" lp 1000 20
peer optimize "$DB" lp
ldump lp "$W/lp.jsonl"
"$L" dump "$DB" lp > "$W/ours.jsonl"
cmp -s "$W/ours.jsonl" "$W/lp.jsonl" || fail "after LanceDB's append and compaction the reads differ"
[ "$(wc -l < "$W/lp.jsonl")" = $(( $(wc -l < "$W/ref.jsonl") + 20 )) ] || fail "rows lost by LanceDB's compaction"
echo "ok LanceDB appended and compacted on top ($(wc -l < "$W/lp.jsonl") rows)"

# concurrent: lancepool updates (u8 = u8 + 1 on the live ids of 100000..100009) beside LanceDB's one-row appends
"$L" update "$DB" lp --set "u8 = 0" --where "id >= 100000 AND id < 100010" > /dev/null
node "$N/table_ops_peer.mjs" append-loop "$DB" lp 5000 40 > "$W/appended" 2> "$W/append.err" & pa=$!
ok=0
for i in $(seq 1 10); do
  if "$L" update "$DB" lp --set "u8 = u8 + 1" --where "id >= 100000 AND id < 100010" > /dev/null 2>> "$W/upd.err"; then ok=$((ok + 1)); fi
done
wait $pa
echo "$ok of 10 updates and $(wc -l < "$W/appended") of 40 appends committed side by side"
[ "$ok" -gt 0 ] || fail "no update committed: $(head -3 "$W/upd.err")"
"$L" dump "$DB" lp --columns id,u8 --where "id >= 100000 AND id < 100010" > "$W/u8.jsonl"
n_upd=$(grep -c "\"u8\":$ok}" "$W/u8.jsonl" || true)
n_rows=$(grep -c . "$W/u8.jsonl")
[ "$n_upd" = "$n_rows" ] || fail "$n_rows rows should have u8 = $ok after $ok updates, $n_upd have: $(head -3 "$W/u8.jsonl")"
"$L" dump "$DB" lp --columns id --where "id >= 5000 AND id < 6000" | sed 's/{"id":\([0-9]*\)}/\1/' | sort -n > "$W/have"
sort -n "$W/appended" | cmp -s - "$W/have" || fail "the committed appends and the rows 5000.. differ: $(sort -n "$W/appended" | diff - "$W/have" | head -5)"
node "$N/lancedb_dump.mjs" count "$DB" lp > "$W/cnt"
[ "$(cat "$W/cnt")" = $(( $(wc -l < "$W/lp.jsonl") + $(wc -l < "$W/appended") )) ] || fail "LanceDB counts $(cat "$W/cnt") rows"
echo "PASS: $cases updates equal to LanceDB's, 8 bad updates refused, concurrent updates and appends lost nothing"
