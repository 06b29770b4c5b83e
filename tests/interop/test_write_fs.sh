#!/usr/bin/env bash
# A really full disk and a read-only file system (a small tmpfs, when the test can mount one — it needs
# root; otherwise it says so and passes, the injected-failure unit test test_write_faults still runs):
# every failing write prints one clear error and the table stays at its previous version, readable by
# lancepool and by official LanceDB.
set -euo pipefail
: "${LANCEPOOL:?} ${LP_NODE_DIR:?} ${LP_TEST_TMP:?}"
W="$LP_TEST_TMP/write_fs"
L="$LANCEPOOL"
N="$LP_NODE_DIR"
fail() { echo "FAIL: $*" >&2; exit 1; }
umount "$W/mnt" 2> /dev/null || true
rm -rf "$W" && mkdir -p "$W/mnt"
if ! mount -t tmpfs -o size=3m tmpfs "$W/mnt" 2> /dev/null; then
  echo "SKIP: cannot mount a tmpfs (not root?)"
  exit 0
fi
trap 'umount "$W/mnt" 2> /dev/null || true' EXIT
DB="$W/mnt/db"
mkdir "$DB"
"$L" create "$DB" t --schema "id:int64 not null, text:utf8, vec:vector(8)" > /dev/null
node "$N/gen_write_rows.mjs" small 0 2000 > "$W/rows.jsonl"
# fill the disk with appends until one fails
v=1
for i in $(seq 1 200); do
  if out=$("$L" add "$DB" t --jsonl "$W/rows.jsonl" 2> "$W/err"); then v=$out; else break; fi
done
grep -q '^lancepool: add to t: .*No space left on device' "$W/err" || fail "no clear full-disk error: $(cat "$W/err")"
[ "$(wc -l < "$W/err")" = 1 ] || fail "more than one error line"
echo "disk full after version $v: $(cat "$W/err")"
got=$("$L" count "$DB" t)
[ "$got" = $(( (v - 1) * 2000 )) ] || fail "lancepool counts $got rows at version $v"
[ "$(node "$N/lancedb_dump.mjs" count "$DB" t)" = "$got" ] || fail "LanceDB disagrees after the failed append"
ls "$DB/t.lance/_versions" | grep -q '#' && fail "a staged manifest was left behind"
# a delete on a full disk fails too, the table stays
if "$L" delete "$DB" t --where "id < 100" > /dev/null 2> "$W/err"; then
  echo "(the delete found room)"
else
  grep -q '^lancepool: delete from t: ' "$W/err" || fail "unclear delete error: $(cat "$W/err")"
fi
# read-only file system
v_before=$("$L" versions "$DB" t | tail -1 | cut -f1)
c_before=$("$L" count "$DB" t)
mount -o remount,ro "$W/mnt"
head -3 "$W/rows.jsonl" > "$W/few.jsonl"
if "$L" add "$DB" t --jsonl "$W/few.jsonl" 2> "$W/err"; then fail "append on a read-only file system succeeded"; fi
grep -q '^lancepool: add to t: .*Read-only file system' "$W/err" || fail "unclear read-only error: $(cat "$W/err")"
if "$L" delete "$DB" t --where "id = 5" 2> "$W/err"; then fail "delete on a read-only file system succeeded"; fi
grep -q 'Read-only file system' "$W/err" || fail "unclear read-only error: $(cat "$W/err")"
[ "$("$L" versions "$DB" t | tail -1 | cut -f1)" = "$v_before" ] || fail "version changed"
[ "$("$L" count "$DB" t)" = "$c_before" ] || fail "row count changed"
echo "PASS"
