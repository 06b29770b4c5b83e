#!/usr/bin/env bash
# `lancepool merge` against official LanceDB 0.31.0's mergeInsert: twin tables (3 fragments, deletions,
# scalar columns of every kind with nulls, a vector); each merge runs as `lancepool merge` on one and as
# LanceDB's mergeInsert with the same clauses and source rows on the other. Both must report the same
# counts and version, and LanceDB must read the same rows from both (in any order: LanceDB writes a merge's
# rows in its join's order). Bad merges commit nothing. LanceDB then appends and compacts on top, and
# lancepool merges run beside LanceDB appends without losing any.
set -euo pipefail
: "${LANCEPOOL:?} ${LP_NODE_DIR:?} ${LP_TEST_TMP:?}"
W="$LP_TEST_TMP/merge_interop"
. "$(dirname "$0")/table_ops_lib.sh"

peer setup "$DB" lp ref
# source NAME FIRST N SALT [DUP]: a source table made by LanceDB, and its rows as lancepool's JSON Lines
source_rows() {
  peer source "$DB" "$1" "$2" "$3" "$4" ${5:-}
  "$L" dump "$DB" "$1" > "$W/$1.jsonl"
}
cases=0
# same_merge SOURCE KEYS OPTION...: the same merge on both tables
same_merge() {
  local src=$1 keys=$2; shift 2
  local ours theirs
  ours=$("$L" merge "$DB" lp --on "$keys" --jsonl "$W/$src.jsonl" "$@")
  theirs=$(peer merge "$DB" ref "$src" "$keys" "$@")
  [ "$ours" = "$theirs" ] || fail "merge --on $keys $*: lancepool printed '$ours', LanceDB '$theirs'"
  same_tables sorted "merge --on $keys $*"
  cases=$((cases + 1))
  echo "ok merge $src --on $keys $*: $ours"
}
source_rows s1 250 100 1      # 43 live matches among ids 250..299, 50 new ids
source_rows s2 200 120 -2     # overlaps s1's rows and the table's
source_rows s3 260 4 5 DUP    # ids 260..263, 260 twice
same_merge s1 id --update-all --insert-all
same_merge s2 id --update-all --update-where "target.i32 < source.i32 OR source.f32 IS NULL"
same_merge s2 id,s --update-all
same_merge s2 id --insert-all --delete-not-matched --delete-where "id % 4 = 1"
same_merge s1 id --update-all --update-where "source.s LIKE '%+1'" --delete-not-matched --delete-where "f64 > 100"

# bad merges commit nothing: a key twice in the source where it matches (LanceDB: "Ambiguous merge
# inserts are prohibited"), and also where it does not (LanceDB then inserts both rows; lancepool refuses
# every repeated key)
refused merge "$DB" lp --on id --jsonl "$W/s3.jsonl" --update-all
if node "$N/table_ops_peer.mjs" merge "$DB" ref s3 id --update-all 2> "$W/peer.err"; then
  fail "LanceDB accepted a repeated matching key"
fi
grep -q "Ambiguous merge inserts are prohibited" "$W/peer.err" || fail "LanceDB: $(head -c 300 "$W/peer.err")"
peer source "$DB" s4 5000 3 1 DUP && "$L" dump "$DB" s4 > "$W/s4.jsonl"
refused merge "$DB" lp --on id --jsonl "$W/s4.jsonl" --insert-all
refused merge "$DB" lp --on nope --jsonl "$W/s1.jsonl" --insert-all
refused merge "$DB" lp --on v --jsonl "$W/s1.jsonl" --insert-all
refused merge "$DB" lp --on id --jsonl "$W/s1.jsonl" --update-all --update-where "target.nope = 1"
refused merge "$DB" lp --on id --jsonl "$W/s1.jsonl" --update-all --update-where "i32 = 1"
refused merge "$DB" lp --on id --jsonl "$W/s1.jsonl" --delete-not-matched --delete-where "id >"
refused merge "$DB" lp --on id --jsonl "$W/s1.jsonl"

# LanceDB appends and compacts on top; lancepool and LanceDB read the same
before=$(wc -l < "$W/lp.jsonl")
peer append "$DB" lp 3000 20
peer optimize "$DB" lp
ldump lp "$W/lp.jsonl"
"$L" dump "$DB" lp > "$W/ours.jsonl"
cmp -s "$W/ours.jsonl" "$W/lp.jsonl" || fail "after LanceDB's append and compaction the reads differ"
[ "$(wc -l < "$W/lp.jsonl")" = $((before + 20)) ] || fail "rows lost by LanceDB's compaction"
echo "ok LanceDB appended and compacted on top ($(wc -l < "$W/lp.jsonl") rows)"

# concurrent: lancepool merges (upserts of ids 250..349) beside LanceDB's one-row appends of ids 5000..
node "$N/table_ops_peer.mjs" append-loop "$DB" lp 5000 20 > "$W/appended" 2> "$W/append.err" & pa=$!
ok=0
for i in $(seq 1 5); do
  if "$L" merge "$DB" lp --on id --jsonl "$W/s1.jsonl" --update-all --insert-all > /dev/null 2>> "$W/mrg.err"; then ok=$((ok + 1)); fi
done
wait $pa
echo "$ok of 5 merges and $(wc -l < "$W/appended") of 20 appends committed side by side"
[ "$ok" -gt 0 ] || fail "no merge committed: $(head -3 "$W/mrg.err")"
"$L" dump "$DB" lp --columns id --where "id >= 5000 AND id < 6000" | sed 's/{"id":\([0-9]*\)}/\1/' | sort -n > "$W/have"
sort -n "$W/appended" | cmp -s - "$W/have" || fail "the committed appends and the rows 5000.. differ"
[ "$("$L" count "$DB" lp --where "id >= 250 AND id < 350")" = 100 ] || fail "ids 250..349 are not there exactly once"
"$L" dump "$DB" lp --where "id >= 250 AND id < 350" | sort > "$W/merged"
sort "$W/s1.jsonl" | cmp -s - "$W/merged" || fail "rows 250..349 are not the source's"
echo "PASS: $cases merges equal to LanceDB's, 8 bad merges refused, concurrent merges and appends lost nothing"
