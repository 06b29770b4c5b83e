#!/usr/bin/env bash
# `lancepool create-index`: its output ("<name> <version>"), usage errors (exit 2, usage line) and value
# errors (exit 1, one "lancepool: " line), and that search uses the index it built (phrases need the
# positions only --with-position keeps). LanceDB's view of these indexes is checked by test_fts_interop.sh.
set -uo pipefail
: "${LANCEPOOL:?}" "${LP_TEST_TMP:?}"
work="$LP_TEST_TMP/create_index_cli"
rm -rf "$work" && mkdir -p "$work/db"
failed=0
fail() { echo "FAIL: $*"; failed=1; }
run() { "$LANCEPOOL" "$@" >"$work/out" 2>"$work/err"; rc=$?; }

printf '%s\n' '{"id":1,"n":3,"body":"The quick brown fox jumps"}' '{"id":2,"n":4,"body":"a lazy dog runs quickly"}' \
  '{"id":3,"n":5,"body":null}' '{"id":4,"n":6,"body":"brown dogs and quick foxes"}' >"$work/rows.jsonl"
"$LANCEPOOL" create "$work/db" docs --schema 'id:int64 not null, n:int32, body:utf8' --jsonl "$work/rows.jsonl" >/dev/null || fail "create"

run create-index "$work/db" docs --column body --type fts
[ "$rc" -eq 0 ] && [ "$(cat "$work/out")" = "body_idx 2" ] || fail "default index: exit $rc, out $(cat "$work/out") $(cat "$work/err")"
run search "$work/db" docs --text "quick fox" --columns id
[ "$rc" -eq 0 ] && [ "$(head -c 7 "$work/out")" = '{"id":1' ] && [ "$(wc -l <"$work/out")" -eq 3 ] || fail "search: $(cat "$work/out" "$work/err")"
run search "$work/db" docs --text "quick brown" --phrase
[ "$rc" -eq 1 ] && grep -q '^lancepool: .*position' "$work/err" || fail "phrase without positions: exit $rc $(cat "$work/err")"
run create-index "$work/db" docs --column body --type fts --replace --with-position --name=body_text --no-stem
[ "$rc" -eq 0 ] && [ "$(cat "$work/out")" = "body_text 3" ] || fail "replace: exit $rc, $(cat "$work/out" "$work/err")"
run search "$work/db" docs --text "quick brown" --phrase --columns id
[ "$rc" -eq 0 ] && [ "$(cat "$work/out" | head -c 7)" = '{"id":1' ] && [ "$(wc -l <"$work/out")" -eq 1 ] || fail "phrase: $(cat "$work/out" "$work/err")"
run search "$work/db" docs --text "runs" --columns id   # no stemming now: "runs" only
[ "$rc" -eq 0 ] && [ "$(wc -l <"$work/out")" -eq 1 ] || fail "no-stem: $(cat "$work/out" "$work/err")"

# value errors: exit 1, one line
value_error() { # pattern, args...
  local pat="$1"; shift
  run create-index "$work/db" docs "$@"
  if [ "$rc" -ne 1 ] || ! grep -q "^lancepool: .*$pat" "$work/err" || [ -s "$work/out" ]; then
    fail "create-index $*: exit $rc, $(cat "$work/err")"
  fi
}
value_error 'already has the full-text index' --column body --type fts
value_error 'ivf_pq.* not built' --column body --type ivf_pq
value_error 'btree.* not built' --column body --type btree
value_error 'unknown index type "foo"' --column body --type foo
value_error 'string column' --column n --type fts
value_error 'no column "nosuch"' --column nosuch --type fts
value_error 'stemmer' --column body --type fts --replace --language Klingon
value_error 'stop words' --column body --type fts --replace --language German
value_error 'index name' --column body --type fts --replace --name 'bad name'
run create-index "$work/db" nosuch --column body --type fts
[ "$rc" -eq 1 ] || fail "missing table: exit $rc"

# usage errors: exit 2 and the usage line
usage_error() {
  run create-index "$@"
  if [ "$rc" -ne 2 ] || ! sed -n 2p "$work/err" | grep -q '^usage: lancepool create-index' || [ -s "$work/out" ]; then
    fail "create-index $*: should be a usage error (exit $rc): $(cat "$work/err")"
  fi
}
usage_error "$work/db" docs --type fts
usage_error "$work/db" docs --column body
usage_error "$work/db" --column body --type fts
usage_error "$work/db" docs --column body --type fts --max-token-length many
usage_error "$work/db" docs --column body --type fts --stem=maybe
usage_error "$work/db" docs --column body --type fts --no-language
usage_error "$work/db" docs --column body --type ivf_pq --stem
usage_error "$work/db" docs --column body --type fts --bogus
[ "$failed" -eq 0 ] && echo "test_create_index_cli: passed"
exit "$failed"
