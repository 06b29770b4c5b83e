#!/usr/bin/env bash
# LanceDB's tags and branches with lancepool: tags made by LanceDB 0.31.0 are listed and read by lancepool
# (`tag list`, `--tag NAME`), tags made by lancepool are listed and checked out by LanceDB, deletes on
# either side are seen by the other, cleanup on either side keeps every tagged version, and a table on
# which LanceDB made a branch (with rows of its own) reads and writes correctly on its main line.
set -euo pipefail
: "${LANCEPOOL:?} ${LP_NODE_DIR:?} ${LP_TEST_TMP:?}"
W="$LP_TEST_TMP/tags_interop"
. "$(dirname "$0")/table_ops_lib.sh"

peer setup "$DB" lp          # versions 1..4: three appends and a delete
peer tag "$DB" lp create first 1
peer tag "$DB" lp create second 2
[ "$("$L" tag "$DB" lp list)" = "$(printf 'first\t1\nsecond\t2')" ] || fail "lancepool lists: $("$L" tag "$DB" lp list)"
[ "$("$L" count "$DB" lp --tag first)" = "$(peer tag "$DB" lp count first)" ] || fail "count of tag first differs"
node "$N/lancedb_dump.mjs" dump "$DB" lp --version 2 > "$W/theirs"
"$L" dump "$DB" lp --tag second > "$W/ours"
cmp -s "$W/ours" "$W/theirs" || fail "rows of tag second differ"
echo "ok LanceDB's tags read by lancepool: $("$L" tag "$DB" lp list | tr '\t\n' '= ')"
"$L" tag "$DB" lp create mine --version 3
[ "$(peer tag "$DB" lp list)" = "$(printf 'first\t1\nmine\t3\nsecond\t2')" ] || fail "LanceDB lists: $(peer tag "$DB" lp list)"
[ "$(peer tag "$DB" lp count mine)" = "$("$L" count "$DB" lp --version 3)" ] || fail "LanceDB reads tag mine wrongly"
peer tag "$DB" lp delete first
"$L" tag "$DB" lp delete second
[ "$("$L" tag "$DB" lp list)" = "$(printf 'mine\t3')" ] || fail "after the deletes lancepool lists $("$L" tag "$DB" lp list)"
[ "$(peer tag "$DB" lp list)" = "$(printf 'mine\t3')" ] || fail "after the deletes LanceDB lists $(peer tag "$DB" lp list)"
echo "ok lancepool's tag read by LanceDB, deletes seen both ways"
refused tag "$DB" lp create mine --version 4
refused tag "$DB" lp create other --version 99
refused tag "$DB" lp create "bad name" --version 1
refused tag "$DB" lp delete nope
refused count "$DB" lp --tag nope
# --tag wherever --version N goes: restore
"$L" restore "$DB" lp --tag mine > /dev/null
[ "$("$L" count "$DB" lp)" = "$("$L" count "$DB" lp --version 3)" ] || fail "restore --tag mine"

# cleanup keeps tagged versions: lancepool's cleanup and LanceDB's
"$L" tag "$DB" lp create keep2 --version 2
"$L" count "$DB" lp --version 2 > "$W/c2"
sleep 1
"$L" cleanup "$DB" lp --older-than 0 > "$W/cleaned"
"$L" versions "$DB" lp | cut -f1 | tr '\n' ' ' > "$W/left"
[ "$(cat "$W/left")" = "2 3 $("$L" versions "$DB" lp | tail -1 | cut -f1) " ] || fail "lancepool's cleanup left versions $(cat "$W/left")"
[ "$(peer tag "$DB" lp count keep2)" = "$(cat "$W/c2")" ] || fail "LanceDB cannot read tagged version 2 after cleanup"
"$L" tag "$DB" lp delete mine
peer append "$DB" lp 900 5
# LanceDB's rule (error_if_tagged_old_versions, which its Node API leaves on): a cleanup that would reach a
# tagged version fails and removes nothing
if node "$N/table_ops_peer.mjs" cleanup "$DB" lp 2> "$W/peer.err"; then fail "LanceDB cleaned up past a tag"; fi
grep -q "tagged version(s) have been marked for cleanup" "$W/peer.err" || fail "LanceDB: $(head -c 300 "$W/peer.err")"
[ "$("$L" count "$DB" lp --tag keep2)" = "$(cat "$W/c2")" ] || fail "lancepool cannot read tagged version 2"
"$L" tag "$DB" lp delete keep2
peer cleanup "$DB" lp
"$L" versions "$DB" lp | cut -f1 | grep -qx 2 && fail "version 2 (untagged now) survived LanceDB's cleanup"
echo "ok lancepool's cleanup kept the tagged version 2 ($(cat "$W/cleaned") removed), LanceDB's refused to pass it"

# a branch made by LanceDB: the main line reads and writes correctly, the branch keeps its rows
main=$("$L" count "$DB" lp)
peer branch "$DB" lp feat "$("$L" versions "$DB" lp | tail -1 | cut -f1)" 7000 7 > "$W/branch_rows"
[ "$("$L" count "$DB" lp)" = "$main" ] || fail "the branch changed lancepool's main-line count"
echo '{"id":8000,"i32":1,"u8":1,"f32":1,"f64":1,"s":"x","flag":true,"d":1,"ts":1,"v":[1,2,3,4]}' > "$W/row.jsonl"
"$L" add "$DB" lp --jsonl "$W/row.jsonl" > /dev/null
"$L" update "$DB" lp --set "i32 = 5" --where "id = 8000" > /dev/null
"$L" compact "$DB" lp > /dev/null
"$L" cleanup "$DB" lp --older-than 0 > /dev/null
[ "$(node "$N/lancedb_dump.mjs" count "$DB" lp)" = $((main + 1)) ] || fail "LanceDB reads the main line wrongly"
[ "$(node "$N/lancedb_dump.mjs" count "$DB" lp --where "id = 8000 AND i32 = 5")" = 1 ] || fail "the update is lost"
peer append "$DB" lp 9000 3
[ "$("$L" count "$DB" lp)" = $((main + 4)) ] || fail "LanceDB's append after lancepool's writes is lost"
[ "$(peer branch-count "$DB" lp feat)" = "$(cat "$W/branch_rows")" ] || fail "the branch lost rows to lancepool's writes and cleanup"
echo "PASS: tags both ways, cleanup keeps tagged versions, the main line of a branched table reads and writes"
