#!/usr/bin/env bash
# Data storage versions 2.2 and 2.3 ("next"): LanceDB 0.31.0 writes the read tables (scalars, strings,
# vectors, nested, big: every type, nulls, deletions, several versions; gen_read_tables.mjs --storage V),
# and for every table and version lancepool's schema, count and dump equal LanceDB's byte for byte.
# Their files differ from 2.1 in large mini-block chunks (u32 chunk words and buffer sizes) and
# RLE-encoded levels, also in all-null pages. Writes that add data files to 2.3 tables are refused with
# the version named and nothing committed (test_write_v22.sh writes 2.2); legacy (0.1) tables are refused
# at open, naming the version.
set -euo pipefail
: "${LANCEPOOL:?} ${LP_NODE_DIR:?} ${LP_TEST_TMP:?}"
W="$LP_TEST_TMP/read_versions"
rm -rf "$W" && mkdir -p "$W"
N="$LP_NODE_DIR"
fail() { echo "FAIL: $*" >&2; exit 1; }

for v in 2.2 next; do
  db="$W/db_$v" ref="$W/ref_$v"
  LP_BIG_ROWS=20000 node "$N/gen_read_tables.mjs" "$db" --storage "$v" 2> "$W/gen.err" ||
    { cat "$W/gen.err" >&2; fail "LanceDB could not write $v tables"; }
  node "$N/lancedb_dump.mjs" all "$db" "$ref"
  checked=0
  while read -r table; do
    while IFS=$'\t' read -r version _; do
      for what in schema count dump; do
        ext=$what; [ "$what" = dump ] && ext=jsonl
        "$LANCEPOOL" "$what" "$db" "$table" --version "$version" > "$W/got" 2> "$W/got.err" ||
          fail "$v $table@$version: lancepool $what failed: $(head -c 300 "$W/got.err")"
        cmp -s "$W/got" "$ref/$table@$version.$ext" || {
          diff <(cut -c1-200 "$ref/$table@$version.$ext") <(cut -c1-200 "$W/got") | head -6 >&2
          fail "$v $table@$version: lancepool's $what differs from LanceDB's"; }
        checked=$((checked + 1))
      done
    done < "$ref/$table.versions"
  done < "$ref/tables"
  echo "ok $v: $checked schema/count/dump outputs of $(wc -l < "$ref/tables") tables equal LanceDB's"

  [ "$v" = next ] || continue
  # 2.3: writes that add data files are refused, naming the version; nothing is committed
  before=$(ls "$db/scalars.lance/_versions" | wc -l)
  "$LANCEPOOL" dump "$db" scalars --limit 3 > "$W/rows.jsonl"
  if "$LANCEPOOL" add "$db" scalars --jsonl "$W/rows.jsonl" 2> "$W/add.err"; then fail "$v: add succeeded"; fi
  want=2.3
  grep -q "data storage version $want" "$W/add.err" || fail "$v: add's error does not name the version: $(cat "$W/add.err")"
  [ "$(ls "$db/scalars.lance/_versions" | wc -l)" = "$before" ] || fail "$v: a refused add committed a version"
  echo "ok $v: add refused naming version $want, nothing committed"
done

# legacy (0.1) tables: refused at open with the version named
db="$W/db_legacy"
LP_BIG_ROWS=0 node "$N/gen_read_tables.mjs" "$db" --storage legacy 2> "$W/gen.err" ||
  { cat "$W/gen.err" >&2; fail "LanceDB could not write legacy tables"; }
if "$LANCEPOOL" dump "$db" scalars > /dev/null 2> "$W/legacy.err"; then fail "legacy: dump succeeded"; fi
grep -q "data storage version 0.1 (legacy)" "$W/legacy.err" || fail "legacy: error does not name the version: $(cat "$W/legacy.err")"
echo "ok legacy: refused at open, naming version 0.1"
