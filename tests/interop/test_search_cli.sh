#!/usr/bin/env bash
# `lancepool search`, `dump --where` and `count --where` end to end against official LanceDB 0.31.0.
# gen_search_cli.mjs writes the tables (two fragments, deletions, null vectors, nulls in other columns, two
# vector columns, exact ties, a float16 column, three versions); for each case the CLI's JSON Lines must
# equal what LanceDB returns rendered in the same mapping (lancedb_dump.mjs): search rows in the same
# rank order with the same columns in the same order (`_distance` last; it may differ by 1e-5 relative /
# 1e-6 absolute), dump/count byte for byte. Then the error contract: every refused query exits 1 with
# exactly one line starting with "lancepool: " on stderr and nothing on stdout; usage errors exit 2.
set -uo pipefail
: "${LANCEPOOL:?path of the lancepool binary}" "${LP_NODE_DIR:?}" "${LP_TEST_TMP:?}"

work="$LP_TEST_TMP/search_cli"
db="$work/db"
rm -rf "$work"
mkdir -p "$work"
node "$LP_NODE_DIR/gen_search_cli.mjs" "$db" >/dev/null 2>&1 || { echo "FAIL: generating tables with LanceDB"; exit 1; }

passed=0
failed=0
n=0
fail() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}

# search_case ARGS...: lancepool search DB ARGS vs LanceDB, rows compared by jsonl_close.mjs.
search_case() {
  n=$((n + 1))
  local want="$work/s$n.want" got="$work/s$n.got"
  if ! node "$LP_NODE_DIR/lancedb_dump.mjs" search "$db" "$@" >"$want" 2>"$want.err"; then
    fail "LanceDB search $*: $(grep -v WARN "$want.err" | head -c 300)"
    return
  fi
  if ! "$LANCEPOOL" search "$db" "$@" >"$got" 2>"$got.err"; then
    fail "lancepool search $* exited non-zero: $(head -c 300 "$got.err")"
    return
  fi
  if node "$LP_NODE_DIR/jsonl_close.mjs" "$want" "$got" 2>"$got.diff"; then
    passed=$((passed + 1))
  else
    fail "search $*: $(cat "$got.diff") (expected $want, got $got)"
  fi
}

# same_case CMD ARGS...: lancepool CMD DB ARGS vs LanceDB, byte for byte.
same_case() {
  n=$((n + 1))
  local cmd=$1 want="$work/d$n.want" got="$work/d$n.got"
  shift
  node "$LP_NODE_DIR/lancedb_dump.mjs" "$cmd" "$db" "$@" >"$want" 2>"$want.err" || { fail "LanceDB $cmd $*: $(head -c 300 "$want.err")"; return; }
  "$LANCEPOOL" "$cmd" "$db" "$@" >"$got" 2>"$got.err" || { fail "lancepool $cmd $* exited non-zero: $(head -c 300 "$got.err")"; return; }
  if cmp -s "$want" "$got"; then passed=$((passed + 1)); else
    fail "$cmd $* differs from LanceDB ($want vs $got)"
    diff "$want" "$got" | head -n 6 | cut -c 1-300
  fi
}

# refused EXPECTED_STATUS WORDS ARGS...: lancepool ARGS must exit with the status, print nothing on stdout
# and one stderr line starting with "lancepool: " that contains WORDS (case-insensitive); a usage error
# (status 2) adds exactly one "usage: " line after it.
refused() {
  local want=$1 words=$2
  shift 2
  "$LANCEPOOL" "$@" >"$work/err.out" 2>"$work/err.err"
  local rc=$?
  local lines
  lines=$(wc -l <"$work/err.err")
  if [ "$rc" -ne "$want" ]; then fail "lancepool $*: exit $rc, expected $want ($(head -c 200 "$work/err.err"))"
  elif [ "$lines" -ne $((want == 2 ? 2 : 1)) ] || ! head -n 1 "$work/err.err" | grep -q '^lancepool: ' ||
    { [ "$want" -eq 2 ] && ! sed -n 2p "$work/err.err" | grep -q '^usage: '; }; then
    fail "lancepool $*: expected one 'lancepool: ' line on stderr (and a usage line for status 2), got: $(head -c 300 "$work/err.err")"
  elif [ -s "$work/err.out" ]; then fail "lancepool $*: wrote to stdout on failure"
  elif ! head -n 1 "$work/err.err" | grep -qi -- "$words"; then fail "lancepool $*: message lacks '$words': $(cat "$work/err.err")"
  else passed=$((passed + 1)); fi
}

q8='[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]'
q8b='[-0.9, 0.25, 0.5, -0.125, 0.75, 0.3, -0.6, 0.05]'
q16="[$(seq -s, -0.75 0.1 0.8)]"
# Row 12's vector (rows 40 and 41 repeat it): three exact ties at distance 0, in row-position order.
tie=$(node "$LP_NODE_DIR/lancedb_dump.mjs" dump "$db" items --where "id = 12" --columns vec | sed 's/^{"vec":\(.*\)}$/\1/')
case "$tie" in "["*"]") ;; *) echo "FAIL: row 12's vector not found: '$tie'"; exit 1 ;; esac

# ---- search vs LanceDB ----
search_case items --vector "$q8" --k 5 --columns id,cat
search_case items --vector "$q8" --k 12 --metric cosine
search_case items --vector "$q8b" --k 7 --metric dot --columns num,id
search_case items --vector "$q8" --k 10 --where "cat = 'alpha'" --columns id,cat
search_case items --vector "$q8b" --k 10 --where "num > 50" --postfilter --columns id,num
search_case items --vector "$q8b" --k 10 --where "num > 50" --columns id,num
search_case items --vector "$q8" --k 20 --version 2 --columns id
search_case items --vector "$q8" --k 15 --version 1 --metric cosine --where "id < 200"
search_case items --vector '[0.5, -0.5, 0.25]' --column emb --k 6 --columns id,emb
search_case items --vector "$tie" --k 4 --columns id
search_case items --vector "$tie" --k 5 --metric dot --columns id
search_case items --vector "$q8" --k 1000 --where "id < 30" --columns id
search_case items --vector "$q8" --k 5 --where "id > 100000" --columns id
search_case halves --vector "$q16" --k 5
search_case halves --vector "$q16" --k 8 --metric cosine --columns id

# ---- dump --where and count --where vs LanceDB ----
for pred in "cat = 'alpha'" "num > 50 AND cat IS NOT NULL" "id < 100 OR cat IN ('beta', 'gamma')" \
  "cat LIKE 'al%'" "num IS NULL" "NOT (id < 250)" "id > 100000"; do
  same_case count items --where "$pred"
  same_case count items --where "$pred" --version 2
  same_case dump items --where "$pred" --columns id,cat,num
done
same_case dump items --where "num >= 20" --columns num,id --offset 5 --limit 17
same_case dump items --where "cat = 'delta'" --version 1
same_case dump halves --where "id IN (0, 7, 50, 119)"

# ---- the error contract ----
refused 1 "dimension\|values" search "$db" items --column vec --vector '[1, 2, 3]'
refused 1 "not a vector" search "$db" items --column cat --vector "$q8"
refused 1 "no column" search "$db" items --column nope --vector "$q8"
refused 1 "k must be positive" search "$db" items --vector "$q8" --k 0
refused 1 "k must be positive" search "$db" items --vector "$q8" --k -3
refused 1 "NaN" search "$db" items --vector '[0.1, NaN, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]'
refused 1 "infinite" search "$db" items --vector '[0.1, 0.2, inf, 0.4, 0.5, 0.6, 0.7, 0.8]'
refused 1 "metric" search "$db" items --vector "$q8" --metric hamming
refused 1 "filter" search "$db" items --vector "$q8" --where "id >"
refused 1 "filter" search "$db" items --vector "$q8" --where "nope = 1"
refused 1 "items2\|not" search "$db" items2 --vector "$q8"
refused 1 "version" search "$db" items --vector "$q8" --version 99
refused 1 "filter" count "$db" items --where "cat = "
refused 1 "filter" dump "$db" items --where "bogus > 1"
refused 2 "vector" search "$db" items
refused 2 "vector" search "$db" items --vector 'abc'
refused 2 "vector" search "$db" items --vector '[1, 2'
refused 2 "k" search "$db" items --vector "$q8" --k ten
refused 2 "bogus" search "$db" items --vector "$q8" --bogus
refused 2 "arguments" search "$db" --vector "$q8"

echo "search cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
