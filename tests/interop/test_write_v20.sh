#!/usr/bin/env bash
# Tables of every data storage version LanceDB 0.31.0 makes (new_table_data_storage_version "2.0", "2.2",
# "legacy"; "2.1" is the default): lancepool never leaves a table whose data files mix versions.
#   - 2.2 and legacy tables: every write that adds data files fails with a message naming the version, and
#     nothing is committed.
#   - 2.0 tables (LanceDB's default of 2024): see the section below.
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

# the source rows: every type lancepool writes, with nulls (a 2.1 table lancepool makes; LanceDB copies it)
SPEC=$(gen spec all)
gen all 0 600 > "$W/rows.jsonl"
"$LANCEPOOL" create "$W/db" src --schema "$SPEC" --jsonl "$W/rows.jsonl" > /dev/null
gen all 5000 40 > "$W/more.jsonl"

# ---- versions lancepool does not write: 2.2 and legacy ----
for v in 2.0 2.2 legacy; do
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
    want=$([ "$v" = legacy ] && echo "data storage version 0.1 (legacy)" || echo "data storage version $v")
    grep -q "^lancepool: .*$want" "$W/err" || fail "$cmd on $v: unexpected error: $(cat "$W/err")"
  done
  [ "$(versions "$t")" = "$before" ] || fail "a refused write committed a version of the $v table"
  ls "$W/db/$t.lance/data" | cmp -s - "$W/files_before" || fail "a refused write left data files in $t"
  peer append-from "$W/db" src "$t"   # LanceDB still appends: the table is as it was
  echo "ok $v: add, upsert and compact refused, nothing committed"
done

# deletes write deletion files only: allowed on 2.0, and LanceDB appends on top
out=$("$LANCEPOOL" delete "$W/db" t_2_0 --where "id < 20")
[ "${out%% *}" -gt 0 ] || fail "delete on the 2.0 table printed '$out'"
peer append-from "$W/db" src t_2_0
check_formats t_2_0 2.0
