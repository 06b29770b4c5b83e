#!/usr/bin/env bash
# `lancepool alter` (renames, nullability, drops) against LanceDB 0.31.0's alterColumns / dropColumns on a
# twin table: the same schema and rows read by LanceDB from both; lancepool then appends in the new schema
# and LanceDB appends and compacts on top; bad changes commit nothing.
set -euo pipefail
: "${LANCEPOOL:?} ${LP_NODE_DIR:?} ${LP_TEST_TMP:?}"
W="$LP_TEST_TMP/alter_interop"
. "$(dirname "$0")/table_ops_lib.sh"

peer setup "$DB" lp ref
v=$("$L" alter "$DB" lp --rename i32=int32 --rename s=text --nullable id --drop u8 --drop v)
peer alter "$DB" ref rename i32 int32 rename s text nullable id drop u8 drop v
node "$N/lancedb_dump.mjs" schema "$DB" lp > "$W/lp.schema"
node "$N/lancedb_dump.mjs" schema "$DB" ref > "$W/ref.schema"
cmp -s "$W/lp.schema" "$W/ref.schema" || { diff "$W/ref.schema" "$W/lp.schema" >&2; fail "LanceDB reads another schema"; }
"$L" schema "$DB" lp | cmp -s - "$W/lp.schema" || fail "lancepool reads another schema than LanceDB"
same_tables ordered "alter"
echo "ok alter (version $v): LanceDB reads the schema and rows its own alterColumns/dropColumns give"
v2=$("$L" alter "$DB" lp --rename int32=i2 --nullable flag)
peer alter "$DB" ref rename int32 i2 nullable flag
same_tables ordered "a second alter"

refused alter "$DB" lp --rename f32=f64
refused alter "$DB" lp --rename nope=x
refused alter "$DB" lp --rename f32=a.b
refused alter "$DB" lp --drop nope
refused alter "$DB" lp --drop id --drop i2 --drop f32 --drop f64 --drop text --drop flag --drop d --drop ts
refused alter "$DB" lp --nullable nope
refused alter "$DB" lp
refused alter "$DB" lp --add "x = 1"

echo '{"id":null,"i2":7,"f32":1.5,"f64":2.5,"text":"new","flag":null,"d":3,"ts":4}' > "$W/row.jsonl"
"$L" add "$DB" lp --jsonl "$W/row.jsonl" > /dev/null
[ "$(node "$N/lancedb_dump.mjs" count "$DB" lp --where "id IS NULL AND i2 = 7 AND text = 'new'")" = 1 ] ||
  fail "LanceDB does not read the row lancepool added in the new schema"
peer readd "$DB" lp 5
peer optimize "$DB" lp
ldump lp "$W/lp.jsonl"
"$L" dump "$DB" lp > "$W/ours.jsonl"
cmp -s "$W/ours.jsonl" "$W/lp.jsonl" || fail "after LanceDB's append and compaction the reads differ"
[ "$(wc -l < "$W/lp.jsonl")" = $(( $(wc -l < "$W/ref.jsonl") + 6 )) ] || fail "rows lost"
echo "PASS: two alters equal to LanceDB's, 8 bad alters refused, appends by both and LanceDB's compaction after them"
