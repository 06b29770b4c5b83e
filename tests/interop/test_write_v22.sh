#!/usr/bin/env bash
# Data storage version 2.2 written by lancepool (2.1's layout, footer 2.2, the large mini-block chunk
# grammar LanceDB requires of 2.2 files):
#   - on 2.2 tables LanceDB made (three fragments, deletions), lancepool adds, deletes, upserts and
#     compacts; after every step LanceDB reads every row equal to the same steps on a 2.1 twin and to
#     lancepool's own read, the manifest and every data file stay 2.2, and LanceDB appends and compacts
#     on top;
#   - a 2.2 table lancepool creates reads back in LanceDB as the rows written, and LanceDB appends to it.
set -euo pipefail
: "${LANCEPOOL:?} ${LP_NODE_DIR:?} ${LP_TEST_TMP:?}"
W="$LP_TEST_TMP/write_v22"
rm -rf "$W" && mkdir -p "$W/db"
N="$LP_NODE_DIR"
gen() { node "$N/gen_write_rows.mjs" "$@"; }
peer() { node "$N/storage_peer.mjs" "$@"; }
ldump() { node "$N/lancedb_dump.mjs" dump "$W/db" "$1"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
formats_are_2_2() {
  peer formats "$W/db" "$1" | sort -u > "$W/formats"
  printf '2.2\ndata_format 2.2\n' | cmp -s - "$W/formats" || fail "$1: versions $(tr '\n' ' ' < "$W/formats"), expected all 2.2"
}
# LanceDB's read of table $1 must equal file $2, and lancepool's read must equal LanceDB's
same() {
  ldump "$1" > "$W/got.jsonl"
  cmp -s "$W/got.jsonl" "$2" || { diff <(cut -c1-300 "$2") <(cut -c1-300 "$W/got.jsonl") | head -6 >&2;
                                  fail "$1: LanceDB reads other rows than expected"; }
  "$LANCEPOOL" dump "$W/db" "$1" | cmp -s - "$W/got.jsonl" || fail "$1: lancepool's read differs from LanceDB's"
}

for kind in all extra; do
  gen "$kind" 0 400 > "$W/rows_$kind.jsonl"
  "$LANCEPOOL" create "$W/db" "src_$kind" --schema "$(gen spec $kind)" --jsonl "$W/rows_$kind.jsonl" > /dev/null
  t="l22_$kind" twin="l21_$kind"
  peer copy "$W/db" "src_$kind" "$t" 2.2 3 "id % 7 = 3"
  peer copy "$W/db" "src_$kind" "$twin" 2.1 3 "id % 7 = 3"
  formats_are_2_2 "$t"
  gen "$kind" 5000 90 > "$W/add.jsonl"
  gen "$kind" 10 40 77 > "$W/ups.jsonl"
  step() {
    "$LANCEPOOL" "$1" "$W/db" "$t" "${@:2}" > /dev/null
    "$LANCEPOOL" "$1" "$W/db" "$twin" "${@:2}" > /dev/null
    ldump "$twin" > "$W/expect.jsonl"
    same "$t" "$W/expect.jsonl"
    formats_are_2_2 "$t"
    echo "ok $t $1: LanceDB reads the $(wc -l < "$W/expect.jsonl") rows of the 2.1 twin, files all 2.2"
  }
  step add --jsonl "$W/add.jsonl" --max-rows-per-file 40 --max-rows-per-page 16
  step delete --where "id > 250 AND id < 300 OR id = 5010"
  step upsert --on id --jsonl "$W/ups.jsonl"
  step compact
  peer append-from "$W/db" "src_$kind" "$t"
  peer append-from "$W/db" "src_$kind" "$twin"
  ldump "$twin" > "$W/expect.jsonl"
  same "$t" "$W/expect.jsonl"
  peer compact "$W/db" "$t"
  same "$t" "$W/expect.jsonl"
  formats_are_2_2 "$t"
  echo "ok $t: LanceDB appends and compacts on top"

  n="n22_$kind"
  "$LANCEPOOL" create "$W/db" "$n" --schema "$(gen spec $kind)" --jsonl "$W/rows_$kind.jsonl" \
    --data-storage-version 2.2 --max-rows-per-file 150 --max-rows-per-page 32 > /dev/null
  same "$n" "$W/rows_$kind.jsonl"
  formats_are_2_2 "$n"
  peer append-from "$W/db" "src_$kind" "$n"
  cat "$W/rows_$kind.jsonl" "$W/rows_$kind.jsonl" > "$W/expect.jsonl"
  same "$n" "$W/expect.jsonl"
  formats_are_2_2 "$n"
  echo "ok $n: a 2.2 table lancepool creates reads back in LanceDB, which appends to it"
done
