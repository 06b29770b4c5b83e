#!/usr/bin/env bash
# `lancepool search` with LanceDB's own vector indexes, against official LanceDB 0.31.0 query by query
# (ann_check.mjs: for each seeded query, nprobes 20/1/2/3, refine factor 3, fast search, a `where`
# prefilter with and without fast search, k 1/10/50 and --bypass-index; the same ids in the same order and
# distances within 1e-5 relative):
#   - IVF_PQ 8-bit l2, cosine and dot and IVF_FLAT l2, with unindexed appends and deletes across indexed and
#     unindexed fragments (indexed_table.mjs vectors), then again after `lancepool compact`;
#   - a query metric other than the index's (LanceDB searches flat; with fast search it finds nothing);
#   - no query metric: both search with the index's (IVF_PQ cosine and dot, IVF_FLAT cosine), and L2 with
#     --bypass-index;
#   - the IVF_PQ of the four-index table after deletes (indexed_table.mjs gen);
#   - 4-bit IVF_PQ (indexed_table.mjs pq4): l2, cosine and dot with nothing masked or unindexed, where LanceDB
#     scores through its u8-quantized table (and exactly with `where`; --ties: rows tied at the cut-off may
#     differ); then after an append and a delete, where it
#     scores exactly, l2, cosine and dot; and the 4-bit dot IVF_PQ of table kinds (deletes, appends);
#   - IVF_FLAT cosine over null vectors; and indexes lancepool does not search (IVF_HNSW_SQ, IVF_HNSW_PQ,
#     IVF_RQ), where lancepool must equal LanceDB's exact (bypassVectorIndex) answer;
# then the option errors, and a damaged index file: an error, never a crash or a wrong answer.
set -uo pipefail
: "${LANCEPOOL:?path of the lancepool binary}" "${LP_NODE_DIR:?}" "${LP_TEST_TMP:?}"

work="$LP_TEST_TMP/index_search"
db="$work/db"
rm -rf "$work"
mkdir -p "$work"
for mode in vectors gen kinds pq4; do
  node "$LP_NODE_DIR/indexed_table.mjs" $mode "$db" >/dev/null 2>&1 || { echo "FAIL: LanceDB $mode"; exit 1; }
done

passed=0
failed=0
fail() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}
check() { # TABLE COLUMN METRIC [--exact] [--n N] [--ties]
  if node "$LP_NODE_DIR/ann_check.mjs" "$db" "$1" "$2" "$3" "$LANCEPOOL" "${@:4}" >"$work/check.out" 2>"$work/check.err"; then
    passed=$((passed + 1))
  else
    fail "$(grep -v WARN "$work/check.err" | head -c 400) $(head -c 1500 "$work/check.out")"
  fi
  tail -n 1 "$work/check.out"
}

check vt l2 l2 --n 12
check vt cs cosine --n 12
check vt dt dot --n 12
check vt fl l2 --n 12
check vt l2 cosine --n 3
check vt cs dot --n 3
check vt cs default --n 3
check vt dt default --n 3
check kinds a default --n 3
check docs vec l2 --n 6
check kinds a cosine --n 6
for col in "b l2" "c l2" "d l2"; do
  set -- $col
  check kinds "$1" "$2" --exact --n 3
done
check kinds e dot --n 3
check p4 l2 l2 --n 3 --ties
check p4 cs cosine --n 3 --ties
check p4 dt dot --n 3 --ties
node "$LP_NODE_DIR/indexed_table.mjs" pq4delete "$db" >/dev/null 2>&1 || fail "LanceDB pq4delete"
check p4 l2 l2 --n 2
check p4 cs cosine --n 2
check p4 dt default --n 2
"$LANCEPOOL" compact "$db" vt >/dev/null || fail "lancepool compact vt"
check vt l2 l2 --n 6
check vt fl l2 --n 6

# option errors: usage (exit 2) for malformed values
q="[$(seq -s, 0.01 0.01 0.32)]"
for bad in "--nprobes 0" "--nprobes x" "--refine-factor -1" "--fast-search=1" "--bypass-index=yes"; do
  # shellcheck disable=SC2086
  "$LANCEPOOL" search "$db" vt --column l2 --vector "$q" $bad >"$work/err.out" 2>"$work/err.err"
  rc=$?
  if [ "$rc" -ne 2 ] || ! head -n 1 "$work/err.err" | grep -q '^lancepool: ' || [ -s "$work/err.out" ]; then
    fail "search $bad: exit $rc, stderr $(head -c 200 "$work/err.err")"
  else passed=$((passed + 1)); fi
done

# a damaged index file: an error naming it, nothing on stdout
cp -r "$db/vt.lance" "$db/broken.lance"
for f in "$db"/broken.lance/_indices/*/auxiliary.idx; do truncate -s 3000 "$f"; done
"$LANCEPOOL" search "$db" broken --column l2 --vector "$q" >"$work/err.out" 2>"$work/err.err"
rc=$?
if [ "$rc" -ne 1 ] || [ "$(wc -l <"$work/err.err")" -ne 1 ] || ! grep -q '^lancepool: .*auxiliary.idx' "$work/err.err" ||
  [ -s "$work/err.out" ]; then
  fail "search with a damaged index: exit $rc, stderr $(head -c 300 "$work/err.err")"
else passed=$((passed + 1)); fi
# --bypass-index does not read it
"$LANCEPOOL" search "$db" broken --column l2 --vector "$q" --bypass-index >/dev/null 2>&1 && passed=$((passed + 1)) ||
  fail "--bypass-index on a table with a damaged index"

echo "index search: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
