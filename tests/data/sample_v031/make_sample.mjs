// Builds the sample tables of tests/data/sample_v031/ with official LanceDB 0.31.0 (Node), for
// tests/unit/test_proto.c.
// Usage: NODE_PATH=<path of tests/interop/node/node_modules> node make_sample.mjs <output-dir>
// It writes <output-dir>/sample.lance and <output-dir>/encodings.lance; copy both here. The
// database root also gets LanceDB's own __manifest table, which is not part of the sample.
// Regenerating changes uuids, file names and timestamps; the test does not depend on them.
//
// sample.lance, versions it produces:
//   1 create (Overwrite, 5 rows)      -> fragment 0, ids 0..4
//   2 add 4 rows (Append)              -> fragment 1, ids 5..8
//   3 add 3 rows (Append)              -> fragment 2, ids 9..11
//   4 delete id IN (2, 6) (Delete)     -> deletion files on fragments 0 and 1
//   5 delete id >= 9 (Delete)          -> fragment 2 removed entirely
//   6 update f64 where id = 1 (Update) -> row moved to a new fragment 3
//   7 optimize: ReserveFragments (1)    -> max_fragment_id 4
//   8 optimize: Rewrite (read version 6) -> fragments 0, 1, 3 compacted into fragment 4
//   9 restore to version 3 (Restore)
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), "x.js"));
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");

const out = process.argv[2];
if (!out) throw new Error("usage: node make_sample.mjs <output-dir>");

const {
  Schema, Field, Int32, Int64, Utf8, Float32, Float64, Bool, FixedSizeList, List, Struct,
  TimestampMicrosecond,
} = arrow;

const schema = new Schema([
  new Field("id", new Int32(), false),
  new Field("i64", new Int64(), true),
  new Field("name", new Utf8(), true),
  new Field("vec", new FixedSizeList(8, new Field("item", new Float32(), true)), true),
  new Field("tags", new List(new Field("item", new Utf8(), true)), true),
  new Field("st", new Struct([new Field("a", new Int32(), true), new Field("b", new Utf8(), true)]), true),
  new Field("flag", new Bool(), true),
  new Field("ts", new TimestampMicrosecond(), true),
  new Field("f64", new Float64(), true),
]);

function rows(start, n) {
  const r = [];
  for (let i = start; i < start + n; i++) {
    r.push({
      id: i,
      i64: i % 3 === 1 ? null : BigInt(i) * 1000n,
      name: `row-${i}`,
      vec: Array.from({ length: 8 }, (_, k) => i + k / 8),
      tags: i % 4 === 3 ? [] : Array.from({ length: (i % 3) + 1 }, (_, k) => `t${(i + k) % 5}`),
      st: { a: i * 10, b: `s${i}` },
      flag: i % 2 === 0,
      ts: 1700000000000 + i * 1000, // milliseconds; arrow-js stores them as microseconds
      f64: i * 0.25,
    });
  }
  return r;
}

function toTable(r) {
  return lancedb.makeArrowTable(r, { schema });
}

const db = await lancedb.connect(out);
const tbl = await db.createTable("sample", toTable(rows(0, 5)));
await tbl.add(toTable(rows(5, 4)));
await tbl.add(toTable(rows(9, 3)));
await tbl.delete("id IN (2, 6)");
await tbl.delete("id >= 9");
await tbl.update({ where: "id = 1", values: { f64: 1.5 } });
await tbl.optimize();
await tbl.checkout(3);
await tbl.restore();
console.log("version", await tbl.version(), "rows", await tbl.countRows());

// A second table, one version and one data file of 1 000 rows, chosen to make LanceDB use the
// less common encodings: dictionary, RLE, full-zip, general zstd + byte-stream-split, packed
// struct, and an all-null list column (complex constant page).
const N = 1000;
const encSchema = new Schema([
  new Field("cat", new Utf8(), true),                           // 5 values + nulls -> dictionary
  new Field("runs", new Int32(), false),                        // 10 runs -> RLE
  new Field("long", new Utf8(), false),                         // one value >= 256 B -> full-zip
  new Field("z", new Int64(), false, new Map([["lance-encoding:compression", "zstd"]])),
  new Field("packed", new Struct([new Field("x", new Int32(), false), new Field("y", new Float64(), false)]),
            false, new Map([["lance-encoding:packed", "true"]])),
  new Field("nolist", new List(new Field("item", new Int32(), true)), true),  // every row null
]);
const colors = ["red", "green", "blue", "yellow", "purple"];
const enc = [];
let seed = 12345;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
for (let i = 0; i < N; i++) {
  enc.push({
    cat: i % 10 === 3 ? null : colors[i % 5],
    runs: Math.floor(i / 100) * 1000 + 7,
    long: i === 500 ? "x".repeat(300) : `v${i}`,
    z: BigInt(rnd()) * 4096n + BigInt(i),
    packed: { x: i, y: i / 2 },
    nolist: null,
  });
}
// makeArrowTable drops field metadata, so put the schema (with metadata) back on the batches.
const encTable = lancedb.makeArrowTable(enc, { schema: encSchema });
const withMeta = new arrow.Table(encTable.batches.map((b) => new arrow.RecordBatch(encSchema, b.data)));
await db.createTable("encodings", withMeta);
console.log("encodings table written");
