// Peer of bench/filter_bench.c: official LanceDB 0.31.0 (Node) writes a 100,000-row table and times its
// own filtered count (countRows(filter)) and filtered top-10 flat search (prefilter) for each filter.
// Usage: node filter_peer.mjs <db-dir> <repeats> <filter>...
// Table filt_100k (created once): id int64, price float64, qty int32, name utf8, vec fixed_size_list<float32,16>.
// Prints one JSON object per filter: {"filter", "count", "count_ms", "search_ms"} (ms per call, best of
// the repeats) and writes the query vector to <db-dir>/filter_query.json.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { prng } from "../../tests/interop/node/prng.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules = process.env.NODE_PATH || path.join(here, "..", "..", "tests", "interop", "node", "node_modules");
const require = createRequire(path.join(nodeModules, "x.js"));
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");

const [dbDir, reps = "5", ...filters] = process.argv.slice(2);
if (!dbDir || filters.length === 0) throw new Error("usage: node filter_peer.mjs <db-dir> <repeats> <filter>...");
const ROWS = 100000, DIM = 16;
const WORDS = ["alpha", "beta", "gamma", "delta", "alphabet", "src/main.c", "src/lib/x.c", "docs/readme"];

const db = await lancedb.connect(dbDir);
const rnd = prng(ROWS);
if (!(await db.tableNames()).includes("filt_100k")) {
  const schema = new arrow.Schema([
    new arrow.Field("id", new arrow.Int64(), false),
    new arrow.Field("price", new arrow.Float64(), true),
    new arrow.Field("qty", new arrow.Int32(), true),
    new arrow.Field("name", new arrow.Utf8(), true),
    new arrow.Field("vec", new arrow.FixedSizeList(DIM, new arrow.Field("item", new arrow.Float32(), true)), true),
  ]);
  const flat = new Float32Array(ROWS * DIM);
  for (let i = 0; i < flat.length; i++) flat[i] = rnd() - 0.5;
  const vec = arrow.makeData({
    type: schema.fields[4].type, length: ROWS, nullCount: 0,
    child: arrow.makeData({ type: new arrow.Float32(), length: flat.length, data: flat }),
  });
  const ids = BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(i));
  const price = Float64Array.from({ length: ROWS }, () => Math.round(rnd() * 10000) / 100);
  const qty = Int32Array.from({ length: ROWS }, () => Math.floor(rnd() * 20));
  const names = Array.from({ length: ROWS }, (_, i) => `${WORDS[Math.floor(rnd() * WORDS.length)]}-${i % 97}`);
  const batch = new arrow.RecordBatch(schema, arrow.makeData({
    type: new arrow.Struct(schema.fields), length: ROWS, nullCount: 0,
    children: [arrow.makeData({ type: new arrow.Int64(), length: ROWS, data: ids }),
      arrow.makeData({ type: new arrow.Float64(), length: ROWS, data: price }),
      arrow.makeData({ type: new arrow.Int32(), length: ROWS, data: qty }),
      arrow.vectorFromArray(names, new arrow.Utf8()).data[0], vec],
  }));
  await db.createTable("filt_100k", new arrow.Table([batch]), { mode: "overwrite" });
}
const tbl = await db.openTable("filt_100k");
const query = Array.from({ length: DIM }, () => rnd() - 0.5);
fs.writeFileSync(path.join(dbDir, "filter_query.json"), JSON.stringify(query));

const best = async (fn) => {
  let b = Infinity;
  for (let r = 0; r < Number(reps); r++) {
    const t0 = process.hrtime.bigint();
    await fn();
    b = Math.min(b, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return b;
};
for (const f of filters) {
  const count = await tbl.countRows(f);
  const countMs = await best(() => tbl.countRows(f));
  const searchMs = await best(() => tbl.search(query).where(f).limit(10).select(["id"]).toArray());
  console.log(JSON.stringify({ filter: f, count, count_ms: countMs, search_ms: searchMs }));
}
