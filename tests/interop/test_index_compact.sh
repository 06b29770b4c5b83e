#!/usr/bin/env bash
# `lancepool compact` on a table carrying LanceDB's own indexes (IVF_PQ, BTREE, BITMAP, FTS) must leave them
# valid for official LanceDB 0.31.0: indexed_table.mjs builds the four indexes, appends five small unindexed
# fragments and deletes rows from indexed and unindexed fragments; after `lancepool compact` LanceDB's
# listIndices, indexStats (every live indexed row still indexed), its plans (still using the indexes) and
# the answers of indexed queries (ANN with several nprobes, refine and fast search; BTREE and BITMAP
# filters; full-text search) must equal what LanceDB said before. Then LanceDB must still optimize and
# append on top, and index its new rows. The fragments those scalar and full-text indexes cover are left
# alone (lancepool does not remap them).
# Then table vt (indexed_table.mjs vectors: IVF_PQ l2, cosine and dot and IVF_FLAT on one indexed fragment
# with deleted rows, plus two unindexed appends): `lancepool compact` rewrites the indexed fragment (dropping
# its deleted rows) and remaps the four indexes to new uuids, as LanceDB's compaction does; LanceDB's
# indexStats, plans and the ids and distances of 64 indexed queries must be unchanged, and LanceDB must
# append and optimize on top with every row indexed.
set -uo pipefail
: "${LANCEPOOL:?path of the lancepool binary}" "${LP_NODE_DIR:?}" "${LP_TEST_TMP:?}"

work="$LP_TEST_TMP/index_compact"
db="$work/db"
rm -rf "$work"
mkdir -p "$work"
node "$LP_NODE_DIR/indexed_table.mjs" gen "$db" >/dev/null 2>&1 || { echo "FAIL: generating the table with LanceDB"; exit 1; }

failed=0
fail() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}
lancedb() { node "$LP_NODE_DIR/indexed_table.mjs" "$@" 2>"$work/node.err"; }

lancedb state "$db" >"$work/before" || fail "LanceDB state before: $(grep -v WARN "$work/node.err" | head -c 300)"
grep -q '"vector_plan_uses_index":true' "$work/before" || fail "LanceDB did not use its own vector index before compaction"
grep -q '"numIndexedRows":0,' "$work/before" && fail "an index covers no rows before compaction"
frags_before=$(ls "$db/docs.lance/data" | wc -l)

out=$("$LANCEPOOL" compact "$db" docs) || fail "lancepool compact exited non-zero"
read -r rewritten version <<<"$out"
# the five appended fragments (unindexed) are merged; the indexed one is kept
[ "${rewritten:-0}" -ge 2 ] || fail "compact rewrote '${rewritten:-}' fragments, expected the unindexed ones"

lancedb state "$db" >"$work/after" || fail "LanceDB state after: $(grep -v WARN "$work/node.err" | head -c 300)"
if ! cmp -s "$work/before" "$work/after"; then
  fail "LanceDB's view of its indexes changed through lancepool compact (version $version)"
  diff "$work/before" "$work/after" | head -n 8 | cut -c 1-300
fi
[ "$(ls "$db/docs.lance/data" | wc -l)" -gt "$frags_before" ] || fail "compaction wrote no data file"

# LanceDB carries on: its optimize compacts and indexes everything but the rows appended after it
lancedb optimize "$db" >/dev/null || fail "LanceDB optimize after lancepool compact: $(grep -v WARN "$work/node.err" | head -c 300)"
lancedb stats "$db" >"$work/stats" || fail "LanceDB stats after optimize"
rows=$(grep '^{"rows"' "$work/before" | tr -dc 0-9)
while IFS=$'\t' read -r name type cols indexed unindexed; do
  [ "$unindexed" = 50 ] && [ "$indexed" = "$rows" ] ||
    fail "after LanceDB optimize, $name ($type on $cols): $indexed indexed + $unindexed unindexed, expected $rows + 50"
done <"$work/stats"
[ "$(wc -l <"$work/stats")" -eq 4 ] || fail "expected 4 indexes after optimize, got: $(cat "$work/stats")"
lancedb state "$db" >"$work/final" || fail "LanceDB state after optimize"
grep -q '"vector_plan_uses_index":true' "$work/final" || fail "LanceDB does not use its vector index after optimize"

# vector indexes remapped by lancepool compact
node "$LP_NODE_DIR/indexed_table.mjs" vectors "$db" >/dev/null 2>&1 || { echo "FAIL: generating vt with LanceDB"; exit 1; }
lancedb vstate "$db" >"$work/vbefore" || fail "LanceDB vstate before: $(grep -v WARN "$work/node.err" | head -c 300)"
grep -q '"uses_index":false' "$work/vbefore" && fail "LanceDB did not use its vector indexes on vt before compaction"
uuids_before=$(ls "$db/vt.lance/_indices" | sort)
out=$("$LANCEPOOL" compact "$db" vt) || fail "lancepool compact vt exited non-zero"
read -r rewritten version <<<"$out"
[ "${rewritten:-0}" -eq 3 ] || fail "compact vt rewrote '${rewritten:-}' fragments, expected 3 (the indexed one and two appends)"
lancedb vstate "$db" >"$work/vafter" || fail "LanceDB vstate after: $(grep -v WARN "$work/node.err" | head -c 300)"
if ! cmp -s "$work/vbefore" "$work/vafter"; then
  fail "LanceDB's view of vt's indexes changed through lancepool compact (version $version)"
  diff "$work/vbefore" "$work/vafter" | head -n 8 | cut -c 1-300
fi
new_uuids=$(comm -13 <(echo "$uuids_before") <(ls "$db/vt.lance/_indices" | sort) | wc -l)
[ "$new_uuids" -eq 4 ] || fail "expected 4 remapped index directories, found $new_uuids"
"$LANCEPOOL" indices "$db" vt >"$work/vindices" || fail "lancepool indices vt"
[ "$(cut -f4 "$work/vindices" | sort -u)" = 1818 ] || fail "lancepool indices after compact: $(cat "$work/vindices")"
lancedb voptimize "$db" >/dev/null || fail "LanceDB optimize of vt after lancepool compact: $(grep -v WARN "$work/node.err" | head -c 300)"
lancedb stats "$db" vt >"$work/vstats" || fail "LanceDB stats of vt after optimize"
while IFS=$'\t' read -r name type cols indexed unindexed; do
  [ "$indexed" = 2096 ] && [ "$unindexed" = 0 ] ||
    fail "vt after LanceDB optimize, $name ($type on $cols): $indexed indexed + $unindexed unindexed, expected 2096 + 0"
done <"$work/vstats"
[ "$(wc -l <"$work/vstats")" -eq 4 ] || fail "expected 4 indexes on vt after optimize, got: $(cat "$work/vstats")"

[ "$failed" -eq 0 ] && echo "index compact: LanceDB's four indexes survived lancepool compact; vt's four vector indexes were remapped"
[ "$failed" -eq 0 ]
