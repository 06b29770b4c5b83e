#!/usr/bin/env bash
# Concurrent commits to one table: two lancepool processes and one official LanceDB (Node) process each
# append 300 one-row versions at the same time, while a fourth (lancepool) process appends rows of its own
# and deletes some of them. Every append that reported success must be present exactly once, every
# deleted row gone, and nothing else there — read by both LanceDB and lancepool.
set -euo pipefail
: "${LANCEPOOL:?} ${LP_NODE_DIR:?} ${LP_TEST_TMP:?}"
W="$LP_TEST_TMP/write_concurrency"
rm -rf "$W" && mkdir -p "$W/db"
N="$LP_NODE_DIR"
L="$LANCEPOOL"
COUNT=${LP_CONCURRENCY_APPENDS:-300}
fail() { echo "FAIL: $*" >&2; exit 1; }
row() { echo "{\"id\":$1,\"text\":\"w$2\",\"vec\":[1,2,3,4,5,6,7,$2]}"; }

"$L" create "$W/db" c --schema "id:int64 not null, text:utf8, vec:vector(8)" > /dev/null
writer() {
  local tag=$1
  : > "$W/ok$tag"
  for i in $(seq 0 $((COUNT - 1))); do
    local id=$((tag * 1000000 + i))
    if row $id $tag | "$L" add "$W/db" c --jsonl - > /dev/null 2>> "$W/err$tag"; then echo $id >> "$W/ok$tag"; fi
  done
}
deleter() {
  : > "$W/ok4"; : > "$W/del4"
  for i in $(seq 0 59); do
    local id=$((4000000 + i))
    if row $id 4 | "$L" add "$W/db" c --jsonl - > /dev/null 2>> "$W/err4"; then echo $id >> "$W/ok4"; fi
    if [ $((i % 3)) = 2 ]; then   # delete two of the last three own rows
      local a=$((id - 2)) b=$((id - 1))
      if "$L" delete "$W/db" c --where "id = $a OR id = $b" > "$W/delout" 2>> "$W/err4"; then
        echo $a >> "$W/del4"; echo $b >> "$W/del4"
      fi
    fi
  done
}
start=$(date +%s)
writer 1 & p1=$!
writer 2 & p2=$!
node "$N/write_peer.mjs" append-loop "$W/db" c 3 "$COUNT" > "$W/ok3" 2> "$W/err3" & p3=$!
deleter & p4=$!
wait $p1 $p2 $p3 $p4
echo "writers done in $(( $(date +%s) - start ))s"
for t in 1 2 3 4; do
  echo "process $t: $(wc -l < "$W/ok$t") appends committed; errors: $(grep -c . "$W/err$t" || true)"
done
cat "$W/err"* | sort | uniq -c | sort -rn | head -5 >&2 || true
# expected: every committed append, minus the rows deleted by a delete that reported success
sort -n "$W/ok1" "$W/ok2" "$W/ok3" "$W/ok4" > "$W/committed"
sort -n "$W/del4" > "$W/deleted"
comm -23 "$W/committed" "$W/deleted" > "$W/expect"
node "$N/write_peer.mjs" ids "$W/db" c > "$W/lancedb_ids"
cmp -s "$W/expect" "$W/lancedb_ids" || { diff "$W/expect" "$W/lancedb_ids" | head >&2; fail "LanceDB's rows differ from the committed ones"; }
"$L" dump "$W/db" c --columns id | sed 's/{"id":\([0-9]*\)}/\1/' | sort -n > "$W/our_ids"
cmp -s "$W/expect" "$W/our_ids" || fail "lancepool's rows differ from the committed ones"
n=$(wc -l < "$W/expect")
lp_ok=$(cat "$W/ok1" "$W/ok2" | wc -l)
[ "$lp_ok" -ge $((COUNT * 2 * 95 / 100)) ] || fail "only $lp_ok of $((COUNT * 2)) lancepool appends committed"
[ "$(wc -l < "$W/ok3")" -ge $((COUNT * 95 / 100)) ] || fail "only $(wc -l < "$W/ok3") LanceDB appends committed"
[ -s "$W/del4" ] || fail "no delete committed"
echo "PASS: $n rows, each committed row exactly once, $(wc -l < "$W/deleted") deleted rows gone"
