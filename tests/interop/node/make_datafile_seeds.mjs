// Writes small tables with official LanceDB 0.31.0 whose data files seed the data-file fuzz targets
// (tests/fuzz/corpus/datafile_meta, datafile_read). Usage: node make_datafile_seeds.mjs OUT_DIR
// Each table is tiny so its one data file stays a few KiB; together they cover mini-block (flat,
// bit-packed, RLE, dictionary, variable, lists with rep/def, FSL), full-zip (long strings, vectors) and
// all-null pages; the *22 tables are the same data in format 2.2.
import * as lancedb from "@lancedb/lancedb";
import { createRequire } from "node:module";
const arrow = createRequire(import.meta.url)("apache-arrow");

const OUT = process.argv[2];
const db = await lancedb.connect(OUT);
const n = 60;
const rows = (f) => Array.from({ length: n }, (_, i) => f(i));
const str = (i) => (i % 7 === 3 ? null : `s${i}`);
const cases = {
  ints: [new arrow.Field("a", new arrow.Int32(), true), rows((i) => (i % 9 === 4 ? null : i * 3))],
  i64runs: [new arrow.Field("a", new arrow.Int64(), false), rows((i) => BigInt(Math.floor(i / 20)))],
  strs: [new arrow.Field("a", new arrow.Utf8(), true), rows(str)],
  dict: [new arrow.Field("a", new arrow.Utf8(), true), rows((i) => (i % 5 === 0 ? null : ["red", "green", "blue"][i % 3]))],
  lists: [new arrow.Field("a", new arrow.List(new arrow.Field("item", new arrow.Utf8(), true)), true),
    rows((i) => (i % 6 === 1 ? null : Array.from({ length: i % 3 }, (_, k) => (k === 1 && i % 4 === 0 ? null : `v${i}.${k}`))))],
  vec8: [new arrow.Field("a", new arrow.FixedSizeList(8, new arrow.Field("item", new arrow.Float32(), true)), true),
    rows((i) => (i % 10 === 2 ? null : Array.from({ length: 8 }, (_, k) => i + k / 8)))],
  long: [new arrow.Field("a", new arrow.Utf8(), true), rows((i) => (i % 5 === 1 ? null : "x".repeat(256 + i))).slice(0, 8)],
  vec64: [new arrow.Field("a", new arrow.FixedSizeList(64, new arrow.Field("item", new arrow.Float32(), true)), true),
    rows((i) => Array.from({ length: 64 }, (_, k) => k * i)).slice(0, 10)],
  allnull: [new arrow.Field("a", new arrow.Int32(), true), rows(() => null)],
  st: [new arrow.Field("a", new arrow.Struct([new arrow.Field("x", new arrow.Int32(), true), new arrow.Field("y", new arrow.Utf8(), true)]), true),
    rows((i) => (i % 8 === 3 ? null : { x: i % 5 === 0 ? null : i, y: `y${i % 4}` }))],
  packed: [new arrow.Field("a", new arrow.Struct([new arrow.Field("x", new arrow.Int32(), false), new arrow.Field("y", new arrow.Float64(), false)]),
    true, new Map([["lance-encoding:packed", "true"]])), rows((i) => ({ x: i * 7, y: i / 4 }))],
};
for (const [name, [field, vals]] of Object.entries(cases)) {
  const schema = new arrow.Schema([field]);
  const vec = arrow.vectorFromArray(vals, field.type);
  const batch = new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: vec.length, children: [vec.data[0]] }));
  await db.createTable(name, new arrow.Table(schema, [batch]), { mode: "overwrite" });
  console.log(name);
  if (["ints", "strs", "dict", "lists", "vec8", "st"].includes(name)) { /* the same data as format 2.0 */
    await db.createTable(name + "20", new arrow.Table(schema, [batch]),
      { mode: "overwrite", storageOptions: { new_table_data_storage_version: "2.0" } });
  }
  if (["ints", "i64runs", "dict", "lists", "allnull", "st"].includes(name)) { /* and as 2.2: large chunks, RLE levels */
    await db.createTable(name + "22", new arrow.Table(schema, [batch]),
      { mode: "overwrite", storageOptions: { new_table_data_storage_version: "2.2" } });
  }
}
