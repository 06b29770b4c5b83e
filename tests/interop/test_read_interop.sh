#!/usr/bin/env bash
# Read path, end to end: official LanceDB 0.31.0 writes tables of every type (gen_read_tables.mjs), then
# for every table and every version the output of `lancepool tables/schema/count/versions/dump` must equal,
# byte for byte, what LanceDB itself returns rendered in the same formats (lancedb_dump.mjs). Also checks
# --columns/--limit/--offset and the error contract (exit 1 + "lancepool: " line; usage errors exit 2).
set -uo pipefail
: "${LANCEPOOL:?path of the lancepool binary}" "${LP_NODE_DIR:?}" "${LP_TEST_TMP:?}"

work="$LP_TEST_TMP/read_interop"
db="$work/db"
ref="$work/ref"
got="$work/got"
rm -rf "$work"
mkdir -p "$db" "$got"

start=$SECONDS
node "$LP_NODE_DIR/gen_read_tables.mjs" "$db" || { echo "FAIL: generating tables with LanceDB"; exit 1; }
node "$LP_NODE_DIR/lancedb_dump.mjs" all "$db" "$ref" || { echo "FAIL: dumping tables with LanceDB"; exit 1; }
echo "LanceDB side ready in $((SECONDS - start)) s"

passed=0
failed=0
fail() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}

# same NAME EXPECTED_FILE ACTUAL_FILE: byte-for-byte comparison, first differing lines on mismatch.
same() {
  if cmp -s "$2" "$3"; then
    passed=$((passed + 1))
  else
    fail "$1 differs from LanceDB (expected $2, got $3)"
    diff "$2" "$3" | head -n 8 | cut -c 1-400
  fi
}

# cli NAME OUTFILE ARGS...: run lancepool, stdout to OUTFILE; a non-zero exit is a failure.
cli() {
  local name=$1 out=$2
  shift 2
  if ! "$LANCEPOOL" "$@" >"$out" 2>"$out.err"; then
    fail "$name: lancepool $* exited non-zero: $(head -c 300 "$out.err")"
    return 1
  fi
}

"$LANCEPOOL" tables "$db" >"$got/tables" 2>"$got/tables.err" || fail "tables exited non-zero: $(cat "$got/tables.err")"
same tables "$ref/tables" "$got/tables"

while read -r table; do
  # versions: the JS Date LanceDB returns holds milliseconds, so compare at that precision
  if cli "$table versions" "$got/$table.versions.us" versions "$db" "$table"; then
    awk -F'\t' '{ printf "%s\t%.0f\n", $1, ($2 - $2 % 1000) / 1000 }' "$got/$table.versions.us" >"$got/$table.versions"
    same "$table versions" "$ref/$table.versions" "$got/$table.versions"
  fi
  while IFS=$'\t' read -r version _; do
    base="$table@$version"
    cli "$base schema" "$got/$base.schema" schema "$db" "$table" --version "$version" &&
      same "$base schema" "$ref/$base.schema" "$got/$base.schema"
    cli "$base count" "$got/$base.count" count "$db" "$table" --version "$version" &&
      same "$base count" "$ref/$base.count" "$got/$base.count"
    cli "$base dump" "$got/$base.jsonl" dump "$db" "$table" --version "$version" &&
      same "$base dump" "$ref/$base.jsonl" "$got/$base.jsonl"
  done <"$ref/$table.versions"
  # the latest version without --version
  latest=$(tail -n 1 "$ref/$table.versions" | cut -f 1)
  cli "$table latest dump" "$got/$table.latest.jsonl" dump "$db" "$table" &&
    same "$table latest dump" "$ref/$table@$latest.jsonl" "$got/$table.latest.jsonl"
done <"$ref/tables"

# Projection: against LanceDB's own projection.
projection() { # table version columns
  local name="$1@$2 --columns $3"
  node "$LP_NODE_DIR/lancedb_dump.mjs" dump "$db" "$1" --version "$2" --columns "$3" >"$got/proj.ref" ||
    { fail "$name: lancedb_dump"; return; }
  cli "$name" "$got/proj.got" dump "$db" "$1" --version "$2" --columns "$3" && same "$name" "$got/proj.ref" "$got/proj.got"
}
projection scalars 3 f32,id,s_n,u64,ts_ns_ny
projection nested 1 st,tags
projection nested 1 packed_n,id,packed
projection vectors 2 h8,id
projection overwrite 2 b
projection big 3 cat
projection legacy20n 2 st,nums,id
projection legacy20 4 v384,s_n,id

# Offset and limit: a slice of the natural order.
slice() { # table version offset limit
  local name="$1@$2 --offset $3 --limit $4"
  tail -n "+$(($3 + 1))" "$ref/$1@$2.jsonl" | head -n "$4" >"$got/slice.ref"
  cli "$name" "$got/slice.got" dump "$db" "$1" --version "$2" --offset "$3" --limit "$4" &&
    same "$name" "$got/slice.ref" "$got/slice.got"
}
slice big 1 123456 1000
slice big 3 29990 100
slice big 4 0 1
slice big 2 0 0
slice frags 31 50 500
slice frags 32 1000000 10
slice scalars 3 1499 3
slice strings 2 1195 10
slice legacy20 4 100 50
slice legacy20n 2 2000 600

# Error contract.
expect_status() { # want_status name args...
  local want=$1 name=$2
  shift 2
  "$LANCEPOOL" "$@" >"$got/err.out" 2>"$got/err.err"
  local status=$?
  if [ "$status" -ne "$want" ]; then
    fail "$name: exit status $status, expected $want (lancepool $*)"
  elif ! head -n 1 "$got/err.err" | grep -q '^lancepool: '; then
    fail "$name: stderr does not start with 'lancepool: ': $(head -c 200 "$got/err.err")"
  elif [ "$want" -eq 1 ] && [ "$(wc -l <"$got/err.err")" -ne 1 ]; then
    fail "$name: error is not one line: $(cat "$got/err.err")"
  elif [ -s "$got/err.out" ]; then
    fail "$name: printed to stdout on error"
  else
    passed=$((passed + 1))
  fi
}
expect_status 1 "missing table" count "$db" no_such_table
expect_status 1 "missing table dump" dump "$db" no_such_table
expect_status 1 "missing database" tables "$work/no_such_dir"
expect_status 1 "missing version" count "$db" big --version 999
expect_status 1 "unknown column" dump "$db" big --columns id,no_such_column
expect_status 2 "dump without table" dump "$db"
expect_status 2 "extra argument" count "$db" big extra
expect_status 2 "option not taken" count "$db" big --limit 5
expect_status 2 "bad limit" dump "$db" big --limit abc
expect_status 2 "negative offset" dump "$db" big --offset -1
expect_status 2 "version zero" schema "$db" big --version 0
expect_status 2 "missing option value" dump "$db" big --columns
expect_status 2 "empty column name" dump "$db" big --columns id,,x
expect_status 2 "unknown command" frobnicate
expect_status 2 "no command"

# Damaged copies of LanceDB-written tables: the error names the damaged file, exit 1, one line, and any
# rows printed before it are exactly the first rows of the undamaged table.
damaged() { # name table version file-glob action(truncate|flip|remove)
  local name=$1 table=$2 version=$3 glob=$4 action=$5
  local bad="$work/bad_$name"
  rm -rf "$bad"
  mkdir -p "$bad"
  cp -r "$db/$table.lance" "$bad/"
  local file
  file=$(ls "$bad/$table.lance/"$glob 2>/dev/null | head -n 1)
  if [ -z "$file" ]; then
    fail "damaged $name: no file $glob in $table"
    return
  fi
  case $action in
    truncate) truncate -s $(($(stat -c %s "$file") / 2)) "$file" ;;
    flip) # a byte in the middle of the roaring bitmap / Arrow IPC body, and the first byte
      python3 -c "import sys; p=sys.argv[1]; d=bytearray(open(p,'rb').read()); d[0]^=0xff; d[len(d)//2]^=0x5a; open(p,'wb').write(bytes(d))" "$file" ;;
    remove) rm "$file" ;;
  esac
  "$LANCEPOOL" dump "$bad" "$table" --version "$version" >"$got/dmg.out" 2>"$got/dmg.err"
  local status=$?
  if [ "$status" -ne 1 ]; then
    fail "damaged $name: exit status $status, expected 1: $(head -c 300 "$got/dmg.err")"
  elif [ "$(wc -l <"$got/dmg.err")" -ne 1 ] || ! grep -q "^lancepool: .*$(basename "$file")" "$got/dmg.err"; then
    fail "damaged $name: stderr is not one 'lancepool: ' line naming $(basename "$file"): $(head -c 300 "$got/dmg.err")"
  elif ! head -c "$(wc -c <"$got/dmg.out")" "$ref/$table@$version.jsonl" | cmp -s - "$got/dmg.out"; then
    fail "damaged $name: rows printed before the error differ from the table's first rows"
  else
    passed=$((passed + 1))
  fi
}
damaged bitmap_truncated legacy20 4 "_deletions/*.bin" truncate
damaged bitmap_flipped big 3 "_deletions/*.bin" flip
damaged arrow_deletion_flipped scalars 3 "_deletions/*.arrow" flip
damaged arrow_deletion_removed frags 32 "_deletions/*.arrow" remove
damaged datafile_removed big 4 "data/*.lance" remove
damaged datafile_truncated nested 1 "data/*.lance" truncate
damaged datafile20_truncated legacy20n 2 "data/*.lance" truncate

echo "read interop: $passed checks passed, $failed failed, $((SECONDS - start)) s"
[ "$failed" -eq 0 ]
