// List-function oracle: builds a table with list<utf8>, list<int32>, list<float64> and
// fixed_size_list<int32, 3> columns (NULL lists, empty lists, NULL items) in official LanceDB 0.31.0, runs
// every filter of the list through query().where(...) and prints one line per filter:
//   <filter> TAB <ids ascending, comma separated>      or      <filter> TAB ERROR <LanceDB's message>
// for tests/interop/test_list_oracle.sh, which runs the same filters through `lancepool dump --where`.
// Usage: node list_oracle.mjs <scratch dir>   (the table is <scratch dir>/db/t.lance)
import * as lancedb from '@lancedb/lancedb';
import * as arrow from 'apache-arrow';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) { console.error('usage: list_oracle.mjs <dir>'); process.exit(2); }

let seed = 0x1234567;
const rnd = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed / 4294967296; };
const pick = (a) => a[Math.floor(rnd() * a.length)];
const words = ['a', 'b', 'c', 'abc', '', '日本', "it's"];
// A list of 0..4 items drawn by item(), NULL with probability 0.15 (never on row 0: LanceDB infers from it).
const list = (id, item) => {
  if (id > 0 && rnd() < 0.15) return null;
  const n = Math.floor(rnd() * 5);
  return Array.from({ length: n }, () => (id > 0 && rnd() < 0.1 ? null : item()));
};
const N = 60;
const rows = [];
for (let id = 0; id < N; id++) {
  rows.push({
    id,
    tags: list(id, () => pick(words)),
    ns: list(id, () => Math.floor(rnd() * 11) - 5),
    fs: list(id, () => pick([0.5, -1, 2, 0, 1e10])),
    fx: id > 0 && rnd() < 0.15 ? null : [0, 1, 2].map(() => (id > 0 && rnd() < 0.1 ? null : Math.floor(rnd() * 6))),
  });
}
const item = (t) => new arrow.Field('item', t, true);
const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('tags', new arrow.List(item(new arrow.Utf8())), true),
  new arrow.Field('ns', new arrow.List(item(new arrow.Int32())), true),
  new arrow.Field('fs', new arrow.List(item(new arrow.Float64())), true),
  new arrow.Field('fx', new arrow.FixedSizeList(3, item(new arrow.Int32())), true),
]);
const db = await lancedb.connect(path.join(dir, 'db'));
const tbl = await db.createTable('t', rows, { schema, mode: 'overwrite' });

const preds = [
  // array_has / array_contains / list_has
  "array_has(tags, 'a')", "array_contains(tags, 'abc')", "list_has(tags, '')", "array_has(tags, '日本')",
  "array_has(tags, 'it''s')", "NOT array_has(tags, 'b')", "array_has(tags, 'a') IS NULL", "array_has(tags, NULL)",
  "array_has(tags, NULL) IS NULL", "array_has(ns, 3)", "array_has(ns, -5)", "NOT array_has(ns, 0)",
  "array_has(ns, 3000000000)", "array_has(ns, 2.0)", "array_has(ns, 2.5)", "array_has(fs, 0.5)",
  "array_has(fs, 1e10)", "array_has(fs, -1)", "array_has(fx, 5)", "NOT array_has(fx, 0)",
  "array_has(fx, 5) IS NULL", "array_has(tags, 'a') AND array_has(ns, 1)", "array_has(tags, 'a') OR id < 3",
  "array_has(tags, CAST(id AS STRING))", "array_has(ns, id - 30)",
  // array_has_any / array_has_all
  "array_has_any(tags, ['a', 'c'])", "NOT array_has_any(tags, ['a', 'c'])", "array_has_any(tags, ['zz'])",
  "array_has_any(tags, ['b', NULL])", "NOT array_has_any(tags, ['b', NULL])", "array_has_any(tags, [])",
  "NOT array_has_any(tags, [])", "array_has_all(tags, ['a', 'b'])", "NOT array_has_all(tags, ['a'])",
  "array_has_all(tags, ['a', NULL])", "array_has_all(tags, [])", "array_has_all(tags, []) IS NULL",
  "array_has_any(ns, [1, 2, 3])", "array_has_all(ns, [1, 2])",
  "array_has_any(fx, [0, 5])", "array_has_all(fx, [1, 2])", "array_has_any(fs, [2, 0])",
  "array_has_any(tags, ['a']) IS NULL",
  // array_length / cardinality
  'array_length(tags) = 0', 'array_length(tags) = 2', 'array_length(tags) > 2', 'array_length(tags) IS NULL',
  'cardinality(tags) = 0', 'cardinality(ns) >= 3', 'cardinality(ns) IS NULL', 'array_length(fx) = 3',
  'array_length(fx) IS NULL', 'cardinality(fx) = 3', 'array_length(fs) = 2.0', 'array_length(ns) + array_length(tags) = 3',
  'CAST(array_length(tags) AS BIGINT) = id % 5',
  // array_element and col[i]
  "array_element(tags, 1) = 'a'", "tags[1] = 'a'", "tags[2] = 'b'", "tags[-1] = 'c'", "tags[0] IS NULL",
  'tags[1] IS NULL', 'tags[9] IS NULL', 'ns[1] > 0', 'ns[-2] = 1', 'ns[2] IS NULL', 'fx[1] = 3', 'fx[3] > fx[1]',
  'fx[4] IS NULL', 'fx[-3] = 0', 'fs[1] < 0', 'array_element(ns, id % 4) = 2', 'ns[1] + ns[2] = 0',
  "upper(tags[1]) = 'ABC'", "tags[1] LIKE 'a%'", 'ns[1] IN (1, 2)', 'tags[1 + 1] IS NOT NULL',
  // in larger expressions
  'array_has_any(ns, [-5, -1])', "array_has(tags, 'a') = true", 'array_length(tags) BETWEEN 1 AND 2',
  'array_has_all(fs, [0.5, -1])', 'ns[1] * 2 = -2', 'array_has(ns, -1 + 0)', "tags[id - 3] = 'a'", 'NOT (fx[2] > 3)',
  // what LanceDB refuses
  "array_has(ns, 'a')", 'tags[1.5] = 1', "array_has(id, 1)", "array_length(id) = 1",
];
for (const p of preds) {
  try {
    const r = await tbl.query().where(p).select(['id']).toArray();
    console.log(`${p}\t${r.map((x) => Number(x.id)).sort((a, b) => a - b).join(',')}`);
  } catch (e) {
    console.log(`${p}\tERROR ${String(e.message).split('\n')[0].slice(0, 200)}`);
  }
}
