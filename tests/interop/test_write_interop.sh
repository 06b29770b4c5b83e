#!/usr/bin/env bash
# Write-path interop: tables that lancepool creates, appends to (one large append split into several
# files and pages, and many small appends), overwrites and restores, for every type of the read path with
# nulls, are read by official LanceDB 0.31.0 with exactly the values lancepool wrote, at every version.
# Then LanceDB appends to and deletes from such a table, and lancepool appends on top of LanceDB's
# versions; LanceDB reads the result.
set -euo pipefail
: "${LANCEPOOL:?} ${LP_NODE_DIR:?} ${LP_TEST_TMP:?}"
W="$LP_TEST_TMP/write_interop"
rm -rf "$W" && mkdir -p "$W/db"
N="$LP_NODE_DIR"
gen() { node "$N/gen_write_rows.mjs" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# LanceDB's rows of TABLE at VERSION must equal FILE, line for line.
check() {
  local table=$1 version=$2 expect=$3
  node "$N/lancedb_dump.mjs" dump "$W/db" "$table" --version "$version" > "$W/got.jsonl"
  if ! cmp -s "$W/got.jsonl" "$expect"; then
    diff <(cut -c1-300 "$expect") <(cut -c1-300 "$W/got.jsonl") | head -20 >&2
    fail "$table@$version: LanceDB read differs from what lancepool wrote"
  fi
  "$LANCEPOOL" dump "$W/db" "$table" --version "$version" > "$W/ours.jsonl"
  cmp -s "$W/ours.jsonl" "$expect" || fail "$table@$version: lancepool's own read differs from what it wrote"
  echo "ok $table@$version ($(wc -l < "$expect") rows)"
}

SPEC=$(gen spec all)
# v1: empty table
v=$("$LANCEPOOL" create "$W/db" t --schema "$SPEC")
[ "$v" = 1 ] || fail "create printed $v"
: > "$W/exp1.jsonl"
check t 1 "$W/exp1.jsonl"
# a second create of the same name is refused
if "$LANCEPOOL" create "$W/db" t --schema "$SPEC" 2> "$W/err"; then fail "create over an existing table succeeded"; fi
grep -q '^lancepool: .*already exists' "$W/err" || fail "unexpected error: $(cat "$W/err")"
# v2: one large append, split into files of 600 rows and pages of 150 rows
gen all 0 2000 > "$W/big.jsonl"
v=$("$LANCEPOOL" add "$W/db" t --jsonl "$W/big.jsonl" --max-rows-per-file 600 --max-rows-per-page 150)
[ "$v" = 2 ] || fail "add printed $v"
cp "$W/big.jsonl" "$W/exp2.jsonl"
check t 2 "$W/exp2.jsonl"
nfiles=$(ls "$W/db/t.lance/data" | wc -l)
[ "$nfiles" = 4 ] || fail "expected 4 data files for 2000 rows at 600 per file, found $nfiles"
# v3..v22: twenty small appends (1-3 rows), one from stdin
cp "$W/exp2.jsonl" "$W/cur.jsonl"
id=2000
for i in $(seq 3 22); do
  n=$(( (i % 3) + 1 ))
  gen all $id $n > "$W/small.jsonl"
  id=$((id + n))
  if [ "$i" = 10 ]; then
    v=$("$LANCEPOOL" add "$W/db" t --jsonl - < "$W/small.jsonl")
  else
    v=$("$LANCEPOOL" add "$W/db" t --jsonl "$W/small.jsonl")
  fi
  [ "$v" = "$i" ] || fail "add printed $v, expected $i"
  cat "$W/small.jsonl" >> "$W/cur.jsonl"
  cp "$W/cur.jsonl" "$W/exp$i.jsonl"
done
for i in 3 10 22; do check t $i "$W/exp$i.jsonl"; done
# a bad row anywhere rejects the whole call: nothing committed
gen all 90000 3 > "$W/bad.jsonl"
echo '{"id": 1, "v": [1, 2, 3]}' >> "$W/bad.jsonl"
if "$LANCEPOOL" add "$W/db" t --jsonl "$W/bad.jsonl" 2> "$W/err"; then fail "a wrong vector length was accepted"; fi
grep -q '^lancepool: .*line 4: field "v": expected 384 values, found 3' "$W/err" || fail "bad message: $(cat "$W/err")"
echo '{"b": true}' > "$W/bad2.jsonl"
if "$LANCEPOOL" add "$W/db" t --jsonl "$W/bad2.jsonl" 2> "$W/err"; then fail "a missing non-null field was accepted"; fi
grep -q 'line 1: field "id"' "$W/err" || fail "bad message: $(cat "$W/err")"
echo '{"id": "7"}' > "$W/bad3.jsonl"
if "$LANCEPOOL" add "$W/db" t --jsonl "$W/bad3.jsonl" 2> "$W/err"; then fail "a wrong type was accepted"; fi
grep -q 'line 1: field "id": expected an integer, found a string' "$W/err" || fail "bad message: $(cat "$W/err")"
latest=$(ls "$W/db/t.lance/_versions" | grep -c '\.manifest$')
[ "$latest" = 22 ] || fail "a rejected add committed something ($latest versions)"
# overwrite (v23) with other rows, then restore v22 (v24)
gen all 100000 7 > "$W/exp23.jsonl"
v=$("$LANCEPOOL" create "$W/db" t --schema "$SPEC" --jsonl "$W/exp23.jsonl" --overwrite)
[ "$v" = 23 ] || fail "overwrite printed $v"
check t 23 "$W/exp23.jsonl"
v=$("$LANCEPOOL" restore "$W/db" t --version 22)
[ "$v" = 24 ] || fail "restore printed $v"
check t 24 "$W/exp22.jsonl"
check t 2 "$W/exp2.jsonl"     # versions before the overwrite stay readable

# LanceDB writes on top of lancepool's versions, lancepool appends on top of LanceDB's
SMALL=$(gen spec small)
"$LANCEPOOL" create "$W/db" m --schema "$SMALL" > /dev/null
gen small 0 50 > "$W/m1.jsonl"
"$LANCEPOOL" add "$W/db" m --jsonl "$W/m1.jsonl" > /dev/null
node "$N/write_peer.mjs" append-delete "$W/db" m 1000 20 "id < 10"   # LanceDB: append ids 1000..1019, delete id < 10
gen small 2000 5 > "$W/m2.jsonl"
v=$("$LANCEPOOL" add "$W/db" m --jsonl "$W/m2.jsonl")
[ "$v" = 5 ] || fail "add after LanceDB's commits printed $v"
node "$N/write_peer.mjs" expect-ids "$W/db" m "10-49,1000-1019,2000-2004"
echo "ok LanceDB and lancepool commits interleave"

# deletes: both deletion-file kinds, a dropped fragment, and LanceDB extending lancepool's deletions and
# the other way round
keep() { node -e 'const f=new Function("id","return "+process.argv[1]);const fs=require("fs");
  const out=fs.readFileSync(0,"utf8").split("\n").filter(l=>l&&f(JSON.parse(l).id)).map(l=>l+"\n").join("");
  process.stdout.write(out)' "$1"; }
"$LANCEPOOL" create "$W/db" d --schema "$SMALL" > /dev/null
gen small 0 8000 > "$W/d1.jsonl"; gen small 8000 100 > "$W/d2.jsonl"
"$LANCEPOOL" add "$W/db" d --jsonl "$W/d1.jsonl" > /dev/null
"$LANCEPOOL" add "$W/db" d --jsonl "$W/d2.jsonl" > /dev/null
cat "$W/d1.jsonl" "$W/d2.jsonl" > "$W/dall.jsonl"
out=$("$LANCEPOOL" delete "$W/db" d --where "id < 3 OR id = 8050")
[ "$out" = "4 4" ] || fail "delete printed '$out'"
keep '!(id < 3 || id == 8050)' < "$W/dall.jsonl" > "$W/exp_d4.jsonl"
check d 4 "$W/exp_d4.jsonl"
ls "$W/db/d.lance/_deletions" | grep -q '^0-3-.*\.arrow$' || fail "no .arrow deletion file for a small delete"
out=$("$LANCEPOOL" delete "$W/db" d --where "id >= 1000 AND id < 7000")
[ "$out" = "6000 5" ] || fail "delete printed '$out'"
keep '!(id < 3 || id == 8050 || (id >= 1000 && id < 7000))' < "$W/dall.jsonl" > "$W/exp_d5.jsonl"
check d 5 "$W/exp_d5.jsonl"
ls "$W/db/d.lance/_deletions" | grep -q '^0-4-.*\.bin$' || fail "no .bin deletion file for a 6003-row set"
check d 4 "$W/exp_d4.jsonl"
node "$N/write_peer.mjs" delete "$W/db" d "id = 7500"                  # LanceDB extends lancepool's bitmap (v6)
out=$("$LANCEPOOL" delete "$W/db" d --where "id = 7600 OR id = 7500")   # lancepool extends LanceDB's (v7)
[ "$out" = "1 7" ] || fail "delete printed '$out'"
out=$("$LANCEPOOL" delete "$W/db" d --where "id >= 8000")               # fragment 1 disappears (v8)
[ "$out" = "99 8" ] || fail "delete printed '$out'"
out=$("$LANCEPOOL" delete "$W/db" d --where "id = 123456")
[ "$out" = "0 8" ] || fail "a delete matching nothing printed '$out'"
keep '!(id < 3 || (id >= 1000 && id < 7000) || id == 7500 || id == 7600 || id >= 8000)' < "$W/dall.jsonl" > "$W/exp_d8.jsonl"
check d 8 "$W/exp_d8.jsonl"
[ "$(node "$N/lancedb_dump.mjs" count "$W/db" d)" = "$(wc -l < "$W/exp_d8.jsonl")" ] || fail "LanceDB count differs"
node "$N/write_peer.mjs" expect-ids "$W/db" d "3-999,7000-7499,7501-7599,7601-7999"
echo "ok deletes"

# upsert into the all-types table (v25): 3 existing keys replaced, 4 new ones; then compaction (v26)
# leaves the content unchanged; LanceDB appends, deletes and optimizes on top, lancepool reads all of it
gen all 2036 7 77 > "$W/ups.jsonl"
out=$("$LANCEPOOL" upsert "$W/db" t --on id --jsonl "$W/ups.jsonl")
[ "$out" = "3 4 25" ] || fail "upsert printed '$out'"
{ grep -v -E '^\{"id":(2036|2037|2038),' "$W/exp22.jsonl"; cat "$W/ups.jsonl"; } > "$W/exp25.jsonl"
check t 25 "$W/exp25.jsonl"
# 25 fragments; the upsert removed the 2 whose every row it replaced: 23 rewritten
out=$("$LANCEPOOL" compact "$W/db" t)
[ "$out" = "23 26" ] || fail "compact printed '$out'"
check t 26 "$W/exp25.jsonl"
[ "$(node "$N/lancedb_dump.mjs" count "$W/db" t)" = "2043" ] || fail "LanceDB count after compaction"
check t 24 "$W/exp22.jsonl"   # time travel across the rewrite
node "$N/write_peer.mjs" optimize "$W/db" d                 # LanceDB compacts lancepool's deletions
node "$N/write_peer.mjs" append-delete "$W/db" d 70000 5 "id = 70002 OR id = 3"
node "$N/lancedb_dump.mjs" dump "$W/db" d > "$W/ldb_d.jsonl"
"$LANCEPOOL" dump "$W/db" d > "$W/our_d.jsonl"
cmp -s "$W/ldb_d.jsonl" "$W/our_d.jsonl" || fail "lancepool reads LanceDB's compaction/append/delete differently"
[ "$(wc -l < "$W/our_d.jsonl")" = $(( $(wc -l < "$W/exp_d8.jsonl") + 5 - 2 )) ] || fail "row count after LanceDB's writes"
echo "ok upsert, compaction, LanceDB writes on lancepool tables"
# cleanup: versions older than an hour: nothing; then everything but the latest; every kept version reads
out=$("$LANCEPOOL" cleanup "$W/db" t --older-than 3600)
[ "$out" = "0 0" ] || fail "cleanup --older-than 3600 printed '$out'"
sleep 1
out=$("$LANCEPOOL" cleanup "$W/db" t --older-than 0)
[ "${out%% *}" = 25 ] || fail "cleanup removed '$out'"
check t 26 "$W/exp25.jsonl"
[ "$(ls "$W/db/t.lance/data" | wc -l)" = 1 ] || fail "cleanup left unused data files"
[ "$("$LANCEPOOL" versions "$W/db" t | cut -f1)" = 26 ] || fail "cleanup kept other versions"
echo "ok cleanup"

# drop
"$LANCEPOOL" drop "$W/db" m
[ ! -e "$W/db/m.lance" ] || fail "drop left the directory"
if "$LANCEPOOL" drop "$W/db" m 2> "$W/err"; then fail "dropping a missing table succeeded"; fi
echo "PASS"
