#!/usr/bin/env bash
# Full-text and hybrid search against official LanceDB 0.31.0: fts_oracle.mjs writes the tables with
# LanceDB (FTS indexes with default settings, with positions, whitespace tokenizer, large_utf8, rows
# appended after the index) and compares `lancepool search --text` (and `--vector --text`) with LanceDB's
# answers for every case: same rows, same order, scores within 1e-4 relative, and the same refusals; then
# lancepool-built indexes (and no index) against LanceDB-built twins, and LanceDB optimize() on both. Then
# the command line's own usage errors.
set -uo pipefail
: "${LANCEPOOL:?path of the lancepool binary}" "${LP_NODE_DIR:?}" "${LP_TEST_TMP:?}"

work="$LP_TEST_TMP/fts_interop"
rm -rf "$work"
mkdir -p "$work"
failed=0
if ! node "$LP_NODE_DIR/fts_oracle.mjs" "$work/db" "$LANCEPOOL" 2>"$work/node.err" | tee "$work/oracle.log" | grep -v '^fts_oracle:' | head -n 40; then :; fi
summary=$(grep '^fts_oracle:' "$work/oracle.log")
echo "$summary"
# Hundreds of cases, most with results, none failed.
if ! echo "$summary" | grep -Eq '^fts_oracle: ([6-9][0-9][0-9]|[0-9]{4,}) passed \(([4-9][0-9][0-9]|[0-9]{4,}) with results\), 0 failed'; then
  echo "FAIL: the LanceDB comparison did not pass (see $work/oracle.log, $work/node.err)"
  grep -v WARN "$work/node.err" | tail -n 5
  failed=1
fi

# usage errors: exit 2, a "lancepool: " line and a usage line
usage_case() {
  "$LANCEPOOL" search "$work/db" docs "$@" >"$work/u.out" 2>"$work/u.err"
  local rc=$?
  if [ "$rc" -ne 2 ] || ! head -n 1 "$work/u.err" | grep -q '^lancepool: ' || ! sed -n 2p "$work/u.err" | grep -q '^usage: ' || [ -s "$work/u.out" ]; then
    echo "FAIL: search $* should be a usage error (exit $rc): $(head -c 300 "$work/u.err")"
    failed=1
  fi
}
usage_case --text fox --operator xor
usage_case --text fox --fuzziness -3
usage_case --text fox --fuzziness many
usage_case --phrase
usage_case --text fox --rerank rrf
usage_case --vector '[1,2,3,4,5,6,7,8]' --text fox --alpha 1.5
usage_case --vector '[1,2,3,4,5,6,7,8]' --text fox --rerank borda
usage_case --text fox --postfilter
# value errors: exit 1 with one line
"$LANCEPOOL" search "$work/db" docs --text fox --k 0 >/dev/null 2>"$work/v.err"
if [ $? -ne 1 ] || ! grep -q '^lancepool: .*k must be positive' "$work/v.err"; then echo "FAIL: --k 0: $(cat "$work/v.err")"; failed=1; fi
"$LANCEPOOL" search "$work/db" docs --text fox --text-column nosuch >/dev/null 2>"$work/v.err"
if [ $? -ne 1 ] || ! grep -q 'no column "nosuch"' "$work/v.err"; then echo "FAIL: unknown column: $(cat "$work/v.err")"; failed=1; fi
[ "$failed" -eq 0 ] && echo "test_fts_interop: passed"
exit "$failed"
