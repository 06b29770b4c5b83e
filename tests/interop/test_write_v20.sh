#!/usr/bin/env bash
# Tables of every data storage version LanceDB 0.31.0 makes (new_table_data_storage_version "2.0", "2.2",
# "next", "legacy"; "2.1" is the default): lancepool never leaves a table whose data files mix versions.
#   - 2.0 tables (LanceDB's default of 2024) with every type lancepool writes, several fragments and
#     deletions: lancepool appends, deletes, upserts and compacts, writing 2.0 files; after every step
#     LanceDB reads every row equal to the same steps on a 2.1 twin of the table (2.0 keeps no struct
#     validity: a null struct reads back as a struct of nulls) and to lancepool's own read, then appends
#     and compacts on top. A table lancepool creates as 2.0 reads back in LanceDB as the rows written;
#     overwrites keep the version (or change it when asked).
#   - 2.3 ("next") and legacy tables: every write that adds data files fails with a message naming the version, and
#     nothing is committed.
set -euo pipefail
: "${LANCEPOOL:?} ${LP_NODE_DIR:?} ${LP_TEST_TMP:?}"
W="$LP_TEST_TMP/write_v20"
rm -rf "$W" && mkdir -p "$W/db"
N="$LP_NODE_DIR"
gen() { node "$N/gen_write_rows.mjs" "$@"; }
peer() { node "$N/storage_peer.mjs" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
versions() { ls "$W/db/$1.lance/_versions" | grep -c '\.manifest$'; }
# The manifest's data storage version and every data file's must be $2.
check_formats() {
  local table=$1 want=$2
  peer formats "$W/db" "$table" > "$W/formats"
  [ "$(head -1 "$W/formats")" = "data_format $want" ] || fail "$table: manifest says $(head -1 "$W/formats"), expected $want"
  local files; files=$(tail -n +2 "$W/formats" | sort -u)
  [ "$files" = "$want" ] || fail "$table: data files of versions $(echo $files) in a $want table"
  echo "ok $table: data_format $want, $(($(wc -l < "$W/formats") - 1)) data files all $want"
}

# LanceDB's rows of a 2.0 table read like those of a 2.1 table, but for null structs
nulls_as_2_0() { sed -e 's/"st":null/"st":{"a":null,"b":null}/g' -e 's/"sl":null/"sl":{"t":null,"w":null}/g'; }
ldump() { node "$N/lancedb_dump.mjs" dump "$W/db" "$1"; }
# LanceDB's read of 2.0 table $1 must equal file $2, and lancepool's read must equal LanceDB's.
same() {
  local table=$1 expect=$2
  ldump "$table" > "$W/got.jsonl"
  if ! cmp -s "$W/got.jsonl" "$expect"; then
    diff <(cut -c1-300 "$expect") <(cut -c1-300 "$W/got.jsonl") | head -10 >&2
    fail "$table: LanceDB reads other rows than expected"
  fi
  "$LANCEPOOL" dump "$W/db" "$table" | cmp -s - "$W/got.jsonl" || fail "$table: lancepool's read differs from LanceDB's"
  echo "ok $table: LanceDB reads the expected $(wc -l < "$expect") rows"
}

# the source rows: every type lancepool writes, with nulls (2.1 tables lancepool makes; LanceDB copies them)
for kind in all extra nulls; do
  gen "$kind" 0 600 > "$W/rows_$kind.jsonl"
  "$LANCEPOOL" create "$W/db" "src_$kind" --schema "$(gen spec $kind)" --jsonl "$W/rows_$kind.jsonl" > /dev/null
  ldump "src_$kind" | cmp -s - "$W/rows_$kind.jsonl" || fail "src_$kind: LanceDB does not read the rows written"
done
cp "$W/rows_all.jsonl" "$W/rows.jsonl"
gen all 5000 40 > "$W/more.jsonl"
"$LANCEPOOL" create "$W/db" src --schema "$(gen spec all)" --jsonl "$W/rows.jsonl" > /dev/null

# ---- 2.0 tables LanceDB made: lancepool's writes, step by step, against a 2.1 twin ----
for kind in all extra nulls; do
  t="l20_$kind" twin="l21_$kind"
  peer copy "$W/db" "src_$kind" "$t" 2.0 3 "id % 7 = 3"    # three fragments, deletions in each
  peer copy "$W/db" "src_$kind" "$twin" 2.1 3 "id % 7 = 3"
  check_formats "$t" 2.0
  gen "$kind" 5000 90 > "$W/add.jsonl"
  gen "$kind" 10 40 77 > "$W/ups.jsonl"     # ids 10..49 again, other values: updates and inserts
  step() {  # run one lancepool write on both tables, then compare
    "$LANCEPOOL" "$1" "$W/db" "$t" "${@:2}" > /dev/null
    "$LANCEPOOL" "$1" "$W/db" "$twin" "${@:2}" > /dev/null
    ldump "$twin" | nulls_as_2_0 > "$W/expect.jsonl"
    same "$t" "$W/expect.jsonl"
    check_formats "$t" 2.0
  }
  step add --jsonl "$W/add.jsonl" --max-rows-per-file 40 --max-rows-per-page 16   # several files and pages
  step delete --where "id > 250 AND id < 300 OR id = 5010"
  step upsert --on id --jsonl "$W/ups.jsonl"
  step compact
  peer append-from "$W/db" "src_$kind" "$t"        # LanceDB appends on top: no "mixed versions" error
  peer append-from "$W/db" "src_$kind" "$twin"
  ldump "$twin" | nulls_as_2_0 > "$W/expect.jsonl"
  same "$t" "$W/expect.jsonl"
  peer compact "$W/db" "$t"                          # and LanceDB compacts lancepool's 2.0 files
  same "$t" "$W/expect.jsonl"
  check_formats "$t" 2.0
done

# ---- 2.0 tables lancepool creates ----
for kind in all extra nulls; do
  t="n20_$kind"
  "$LANCEPOOL" create "$W/db" "$t" --schema "$(gen spec $kind)" --jsonl "$W/rows_$kind.jsonl" \
    --data-storage-version 2.0 --max-rows-per-file 250 > /dev/null
  nulls_as_2_0 < "$W/rows_$kind.jsonl" > "$W/expect.jsonl"
  same "$t" "$W/expect.jsonl"                        # the rows as written
  check_formats "$t" 2.0
  peer append-from "$W/db" "src_$kind" "$t"
  nulls_as_2_0 < "$W/rows_$kind.jsonl" >> "$W/expect.jsonl"
  same "$t" "$W/expect.jsonl"
  check_formats "$t" 2.0
done
# an empty 2.0 table: LanceDB's first append writes 2.0 files too
"$LANCEPOOL" create "$W/db" e20 --schema "$(gen spec all)" --data-storage-version 2.0 > /dev/null
peer append-from "$W/db" src e20
check_formats e20 2.0
# overwrite keeps the table's version unless another is asked for
"$LANCEPOOL" create "$W/db" n20_all --schema "$(gen spec all)" --jsonl "$W/more.jsonl" --overwrite > /dev/null
check_formats n20_all 2.0
"$LANCEPOOL" create "$W/db" n20_all --schema "$(gen spec all)" --jsonl "$W/more.jsonl" --overwrite \
  --data-storage-version 2.1 > /dev/null
check_formats n20_all 2.1
peer append-from "$W/db" src n20_all
check_formats n20_all 2.1
if "$LANCEPOOL" create "$W/db" bad --schema "id:int64" --data-storage-version 2.3 2> "$W/err"; then
  fail "create with data storage version 2.3 succeeded"
fi
grep -q "expected 2.0, 2.1 or 2.2" "$W/err" || fail "unexpected error: $(cat "$W/err")"

# ---- versions lancepool does not write: 2.3 ("next") and legacy ----
for v in next legacy; do
  t="t_${v/./_}"
  peer copy "$W/db" src "$t" "$v" 3 "id % 11 = 4"
  before=$(versions "$t")
  ls "$W/db/$t.lance/data" > "$W/files_before"
  for cmd in add upsert compact; do
    case $cmd in
      add) args=(--jsonl "$W/more.jsonl") ;;
      upsert) args=(--on id --jsonl "$W/more.jsonl") ;;
      compact) args=() ;;
    esac
    if "$LANCEPOOL" $cmd "$W/db" "$t" "${args[@]}" > /dev/null 2> "$W/err"; then fail "$cmd on a $v table succeeded"; fi
    want=$([ "$v" = legacy ] && echo "data storage version 0.1 (legacy)" || echo "data storage version 2.3")
    grep -q "^lancepool: .*$want" "$W/err" || fail "$cmd on $v: unexpected error: $(cat "$W/err")"
  done
  [ "$(versions "$t")" = "$before" ] || fail "a refused write committed a version of the $v table"
  ls "$W/db/$t.lance/data" | cmp -s - "$W/files_before" || fail "a refused write left data files in $t"
  peer append-from "$W/db" src "$t"   # LanceDB still appends: the table is as it was
  echo "ok $v: add, upsert and compact refused, nothing committed"
done


echo "all data storage version checks passed"
