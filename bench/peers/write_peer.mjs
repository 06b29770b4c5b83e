// Official LanceDB 0.31.0 side of bench/write_bench.c. Same table shape as the C side: id int64, text
// (~40 bytes), vector 128 x float32.
//   node write_peer.mjs DIR ROWS APPENDS DELETES FRAGS
// prints one line "append1_ms append_rows_s delete1_ms compact_s": median latency of APPENDS one-row
// appends, seconds for one append of ROWS rows, median latency of DELETES deletes of one row by id, and
// seconds to compact FRAGS one-row fragments (optimize(), which also prunes nothing younger than 7 days).
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const req = createRequire(path.join(here, "../../tests/interop/node/package.json"));
const lancedb = req("@lancedb/lancedb");
const arrow = req("apache-arrow");

const DIM = 128;
const vecType = new arrow.FixedSizeList(DIM, new arrow.Field("item", new arrow.Float32(), true));
const schema = new arrow.Schema([
  new arrow.Field("id", new arrow.Int64(), false),
  new arrow.Field("text", new arrow.Utf8(), true),
  new arrow.Field("vec", vecType, true),
]);

function batch(first, n) {
  const ids = new BigInt64Array(n);
  const texts = new Array(n);
  const flat = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    ids[i] = BigInt(first + i);
    texts[i] = `row ${first + i} of the write benchmark, some text`;
    for (let k = 0; k < DIM; k++) flat[i * DIM + k] = ((first + i) * 31 + k) % 997 / 997;
  }
  const vecData = arrow.makeData({
    type: vecType, length: n, nullCount: 0,
    child: arrow.makeData({ type: new arrow.Float32(), length: n * DIM, data: flat }),
  });
  return new arrow.Table(schema, {
    id: arrow.makeVector(ids),
    text: arrow.vectorFromArray(texts, new arrow.Utf8()),
    vec: arrow.makeVector(vecData),
  });
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [dir, rows, appends, deletes, frags] = process.argv.slice(2).map((x, i) => (i ? Number(x) : x));
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
const db = await lancedb.connect(dir);

// LP_BENCH_STORAGE: the tables' data storage version ("2.0", "2.2"; default LanceDB's 2.1)
const opts = process.env.LP_BENCH_STORAGE
  ? { storageOptions: { new_table_data_storage_version: process.env.LP_BENCH_STORAGE } } : {};
const t = await db.createTable("w", batch(0, 10), opts);
const lat = [];
for (let i = 0; i < appends; i++) {
  const b = batch(1000 + i, 1);
  const t0 = performance.now();
  await t.add(b);
  lat.push(performance.now() - t0);
}
const big = batch(1000000, rows);
let t0 = performance.now();
await t.add(big);
const bigS = (performance.now() - t0) / 1000;
const del = [];
for (let i = 0; i < deletes; i++) {
  t0 = performance.now();
  await t.delete(`id = ${1000000 + i * 7}`);
  del.push(performance.now() - t0);
}
const c = await db.createTable("c", batch(0, 1), opts);
for (let i = 1; i < frags; i++) await c.add(batch(i, 1));
t0 = performance.now();
await c.optimize();
const compactS = (performance.now() - t0) / 1000;
if ((await c.countRows()) !== frags) throw new Error("compaction lost rows");
console.log(`${median(lat)} ${bigS} ${median(del)} ${compactS}`);
