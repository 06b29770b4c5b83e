#!/usr/bin/env bash
# List functions in filters against official LanceDB 0.31.0: node/list_oracle.mjs writes a table with
# list<utf8>, list<int32>, list<float64> and fixed_size_list<int32, 3> columns (NULL lists, empty lists,
# NULL items) and prints, for each filter, the ids LanceDB selects or its error. `lancepool dump --where`
# must select exactly the same ids from the same files, and refuse (exit 1, a message naming the
# character position) exactly the filters LanceDB refuses. Then a `lancepool delete` by a list filter,
# read back by LanceDB.
set -uo pipefail
: "${LANCEPOOL:?path of the lancepool binary}" "${LP_NODE_DIR:?}" "${LP_TEST_TMP:?}"
W="$LP_TEST_TMP/list_oracle"
rm -rf "$W" && mkdir -p "$W"
(cd "$LP_NODE_DIR" && node list_oracle.mjs "$W") >"$W/expected.tsv" 2>"$W/node.err" || {
  echo "FAIL: list_oracle.mjs: $(tail -3 "$W/node.err")"
  exit 1
}
n=0 mismatches=0 refused=0
while IFS=$'\t' read -r pred want; do
  n=$((n + 1))
  got=$("$LANCEPOOL" dump "$W/db" t --columns id --where "$pred" 2>"$W/stderr")
  status=$?
  if [[ $want == ERROR* ]]; then
    refused=$((refused + 1))
    if [ "$status" -ne 1 ] || ! grep -q 'at character [0-9]' "$W/stderr"; then
      echo "MISMATCH $pred: LanceDB refuses it (${want:6:120}); lancepool: exit $status $(head -c 200 "$W/stderr")"
      mismatches=$((mismatches + 1))
    fi
    continue
  fi
  ids=$(printf '%s\n' "$got" | sed -n 's/.*"id":\([0-9]*\).*/\1/p' | sort -n | paste -sd, -)
  if [ "$status" -ne 0 ] || [ "$ids" != "$want" ]; then
    echo "MISMATCH $pred: LanceDB [$want], lancepool [$ids] exit $status $(head -c 200 "$W/stderr")"
    mismatches=$((mismatches + 1))
  fi
done <"$W/expected.tsv"
# A delete by a list filter, read back by LanceDB: the rows it counted are gone, the others stay.
want_left=$(awk -F'\t' '$1 == "array_has(tags, '"'"'a'"'"')" { print 60 - split($2, a, ",") }' "$W/expected.tsv")
"$LANCEPOOL" delete "$W/db" t --where "array_has(tags, 'a')" >/dev/null || mismatches=$((mismatches + 1))
left=$(cd "$LP_NODE_DIR" && node --input-type=module -e "
  import * as lancedb from '@lancedb/lancedb';
  const t = await (await lancedb.connect('$W/db')).openTable('t');
  console.log(await t.countRows(), await t.countRows(\"array_has(tags, 'a')\"));" 2>/dev/null)
if [ "$left" != "$want_left 0" ]; then
  echo "MISMATCH delete --where \"array_has(tags, 'a')\": LanceDB counts [$left], expected [$want_left 0]"
  mismatches=$((mismatches + 1))
fi
echo "list oracle: $n filters ($refused refused by LanceDB), delete read back by LanceDB (rows, matches left: $left), $mismatches mismatches"
[ "$n" -ge 80 ] && [ "$mismatches" -eq 0 ]
