#!/usr/bin/env bash
# `lancepool indices DB TABLE` against official LanceDB 0.31.0: for every index, name, LanceDB's type name,
# columns, indexed and unindexed rows must equal LanceDB's listIndices + indexStats (indexed_table.mjs
# stats), byte for byte: on a table with IVF_PQ, BTREE, BITMAP and FTS indexes, unindexed appends and
# deletes; after `lancepool compact`; after LanceDB's optimize and a later append; on a table with
# IVF_FLAT (cosine, null vectors), IVF_HNSW_SQ, IVF_HNSW_PQ, IVF_RQ, 4-bit IVF_PQ (dot) and LABEL_LIST
# indexes, a deleted whole fragment and deleted indexed rows, before and after `lancepool compact`. Then a
# version before any index lists none, and a damaged index section is an error (exit 1, one message)
# for `indices` and for `compact` alike, never a crash or a silent compaction.
set -uo pipefail
: "${LANCEPOOL:?path of the lancepool binary}" "${LP_NODE_DIR:?}" "${LP_TEST_TMP:?}"

work="$LP_TEST_TMP/indices_cli"
db="$work/db"
rm -rf "$work"
mkdir -p "$work"
node "$LP_NODE_DIR/indexed_table.mjs" gen "$db" >/dev/null 2>&1 || { echo "FAIL: generating docs with LanceDB"; exit 1; }
node "$LP_NODE_DIR/indexed_table.mjs" kinds "$db" >/dev/null 2>&1 || { echo "FAIL: generating kinds with LanceDB"; exit 1; }

passed=0
failed=0
n=0
fail() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}

# same_as_lancedb TABLE WHEN: lancepool indices vs LanceDB's listIndices/indexStats.
same_as_lancedb() {
  n=$((n + 1))
  local want="$work/i$n.want" got="$work/i$n.got"
  node "$LP_NODE_DIR/indexed_table.mjs" stats "$db" "$1" >"$want" 2>"$want.err" || { fail "LanceDB stats $1 ($2)"; return; }
  [ -s "$want" ] || { fail "LanceDB lists no index on $1 ($2)"; return; }
  "$LANCEPOOL" indices "$db" "$1" >"$got" 2>"$got.err" || { fail "lancepool indices $1 ($2): $(head -c 300 "$got.err")"; return; }
  if cmp -s "$want" "$got"; then passed=$((passed + 1)); else
    fail "indices of $1 $2 differ from LanceDB"
    diff "$want" "$got" | head -n 8
  fi
}

same_as_lancedb docs "as LanceDB wrote it"
"$LANCEPOOL" compact "$db" docs >/dev/null || fail "lancepool compact docs"
same_as_lancedb docs "after lancepool compact"
node "$LP_NODE_DIR/indexed_table.mjs" optimize "$db" >/dev/null 2>&1 || fail "LanceDB optimize"
same_as_lancedb docs "after LanceDB optimize and append"
same_as_lancedb kinds "as LanceDB wrote it"
cp "$work/i$n.got" "$work/kinds.before"
"$LANCEPOOL" compact "$db" kinds >/dev/null || fail "lancepool compact kinds"
same_as_lancedb kinds "after lancepool compact"
cmp -s "$work/kinds.before" "$work/i$n.got" || fail "lancepool compact changed the indexes of kinds"

# version 1 of docs was written before any index
out=$("$LANCEPOOL" indices "$db" docs --version 1) || fail "lancepool indices --version 1"
[ -z "$out" ] && passed=$((passed + 1)) || fail "version 1 lists indexes: $out"

# a damaged index section: an error, and compaction refuses too
cp -r "$db/kinds.lance" "$db/broken.lance"
latest=$(ls "$db/broken.lance/_versions/"*.manifest | sort | head -n 1) # V2 names: the latest sorts first
printf '\377\377\377\377\377\377\377\377' | dd of="$latest" bs=1 seek=4 conv=notrunc status=none
for cmd in indices compact; do
  "$LANCEPOOL" $cmd "$db" broken >"$work/err.out" 2>"$work/err.err"
  rc=$?
  if [ "$rc" -ne 1 ] || [ "$(wc -l <"$work/err.err")" -ne 1 ] || ! grep -q '^lancepool: .*index section' "$work/err.err" ||
    [ -s "$work/err.out" ]; then
    fail "$cmd on a damaged index section: exit $rc, stderr: $(head -c 300 "$work/err.err")"
  else passed=$((passed + 1)); fi
done

echo "indices cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
