#!/usr/bin/env bash
# `lancepool alter` (renames, nullability, drops; new columns with SQL values) against LanceDB 0.31.0's
# alterColumns / dropColumns / addColumns on a twin table: the same schema and rows read by LanceDB from
# both, the same Merge transaction for new columns; lancepool then appends in the new schema and LanceDB
# appends and compacts on top; bad changes commit nothing.
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

# new columns: their types and nullability come from the expressions (as DataFusion gives them)
adds=(dbl 'id * 2' txt "concat(text, '!')" one 1 half 'f32 / 2' i64 'CAST(i2 AS bigint) + 1' pos 'flag'
      q '10 / (id - 3)') # row 3 is deleted: no division by zero, as in LanceDB
args=()
for ((k = 0; k < ${#adds[@]}; k += 2)); do args+=(--add "${adds[k]} = ${adds[k+1]}"); done
v3=$("$L" alter "$DB" lp "${args[@]}")
r3=$(peer add-columns "$DB" ref "${adds[@]}") # LanceDB's version: its first alter took two commits
node "$N/lancedb_dump.mjs" schema "$DB" lp > "$W/lp.schema"
node "$N/lancedb_dump.mjs" schema "$DB" ref > "$W/ref.schema"
cmp -s "$W/lp.schema" "$W/ref.schema" || { diff "$W/ref.schema" "$W/lp.schema" >&2; fail "add columns: LanceDB reads another schema"; }
same_tables ordered "add columns"
# the transaction as LanceDB's: Merge, one new file per fragment with the new field ids (16..21)
node "$N/txn_shape.mjs" "$DB" lp "$v3" > "$W/lp.txn"
node "$N/txn_shape.mjs" "$DB" ref "$r3" > "$W/ref.txn"
cmp -s "$W/lp.txn" "$W/ref.txn" || { diff "$W/ref.txn" "$W/lp.txn" >&2; fail "add columns: another transaction"; }
echo "ok add columns (version $v3), the same transaction as LanceDB's:"; head -4 "$W/lp.txn"

refused alter "$DB" lp --rename f32=f64
refused alter "$DB" lp --rename nope=x
refused alter "$DB" lp --rename f32=a.b
refused alter "$DB" lp --drop nope
refused alter "$DB" lp --drop id --drop i2 --drop f32 --drop f64 --drop text --drop flag --drop d --drop ts --drop dbl --drop txt --drop one --drop half --drop i64 --drop pos --drop q
refused alter "$DB" lp --nullable nope
refused alter "$DB" lp
refused alter "$DB" lp --add "x = nope + 1"
refused alter "$DB" lp --add "f32 = 1"
refused alter "$DB" lp --add "x = text + 1"
refused alter "$DB" lp --add "x = NULL"
refused alter "$DB" lp --add "x = 1" --add "x = 2"
refused alter "$DB" lp --add "x = 1" --drop f32
refused alter "$DB" lp --add "x = 1 +"
refused alter "$DB" lp --add "x = 10 / (id - id)"
refused alter "$DB" lp --add "= 1"

echo '{"id":null,"i2":7,"f32":1.5,"f64":2.5,"text":"new","flag":null,"d":3,"ts":4,"dbl":1,"txt":null,"one":2,"half":null,"i64":null,"pos":true,"q":1}' > "$W/row.jsonl"
"$L" add "$DB" lp --jsonl "$W/row.jsonl" > /dev/null
[ "$(node "$N/lancedb_dump.mjs" count "$DB" lp --where "id IS NULL AND i2 = 7 AND text = 'new'")" = 1 ] ||
  fail "LanceDB does not read the row lancepool added in the new schema"
peer readd "$DB" lp 5
peer optimize "$DB" lp
ldump lp "$W/lp.jsonl"
"$L" dump "$DB" lp > "$W/ours.jsonl"
cmp -s "$W/ours.jsonl" "$W/lp.jsonl" || fail "after LanceDB's append and compaction the reads differ"
[ "$(wc -l < "$W/lp.jsonl")" = $(( $(wc -l < "$W/ref.jsonl") + 6 )) ] || fail "rows lost"
echo "PASS: two alters and an add of 7 columns equal to LanceDB's, 17 bad alters refused, appends by both and LanceDB's compaction after them"
