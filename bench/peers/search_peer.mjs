// Peer of bench/search_bench.c: official LanceDB 0.31.0 (Node) writes the benchmark tables and times its own
// flat (un-indexed) search on them, one query at a time.
// Usage: node search_peer.mjs <db-dir> <queries-per-case>
// Tables (created once; reused when present): v384_10k (10,000 x 384), v384_100k (100,000 x 384),
// v1536_20k (20,000 x 1536); columns id int32, cat utf8 ('alpha'..'delta'), vec fixed_size_list<float32>.
// Prints one JSON object per case: {"table", "filter", "qps", "ms_per_query"}; and writes the query vectors
// it used to <db-dir>/queries_<table>.json so the C side runs the same ones.
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

const [dbDir, nq = "20"] = process.argv.slice(2);
if (!dbDir) throw new Error("usage: node search_peer.mjs <db-dir> <queries-per-case>");
const nQueries = Number(nq);

const CATS = ["alpha", "beta", "gamma", "delta"];
const TABLES = [
  { name: "v384_10k", rows: 10000, dim: 384 },
  { name: "v384_100k", rows: 100000, dim: 384 },
  { name: "v1536_20k", rows: 20000, dim: 1536 },
];

const db = await lancedb.connect(dbDir);
const existing = new Set(await db.tableNames());
for (const spec of TABLES) {
  const rnd = prng(spec.rows + spec.dim);
  if (!existing.has(spec.name)) {
    const schema = new arrow.Schema([
      new arrow.Field("id", new arrow.Int32(), false),
      new arrow.Field("cat", new arrow.Utf8(), true),
      new arrow.Field("vec", new arrow.FixedSizeList(spec.dim, new arrow.Field("item", new arrow.Float32(), true)), true),
    ]);
    let table = null;
    const chunk = 10000;
    for (let start = 0; start < spec.rows; start += chunk) {
      const n = Math.min(chunk, spec.rows - start);
      const flat = new Float32Array(n * spec.dim);
      for (let i = 0; i < flat.length; i++) flat[i] = rnd() - 0.5;
      const ids = Int32Array.from({ length: n }, (_, i) => start + i);
      const cats = Array.from({ length: n }, () => CATS[Math.floor(rnd() * 4)]);
      const vec = arrow.makeData({
        type: schema.fields[2].type, length: n, nullCount: 0,
        child: arrow.makeData({ type: new arrow.Float32(), length: flat.length, data: flat }),
      });
      const batch = new arrow.RecordBatch(schema, arrow.makeData({
        type: new arrow.Struct(schema.fields), length: n, nullCount: 0,
        children: [arrow.makeData({ type: new arrow.Int32(), length: n, data: ids }),
          arrow.vectorFromArray(cats, new arrow.Utf8()).data[0], vec],
      }));
      const tbl = new arrow.Table([batch]);
      // One fragment per table: append to the same fragment is not possible, so write all chunks
      // into one data file by creating the table from all batches at once below.
      if (table === null) table = [tbl];
      else table.push(tbl);
    }
    const batches = table.flatMap((t) => t.batches);
    await db.createTable(spec.name, new arrow.Table(schema, batches), { mode: "overwrite" });
  }
  const qrnd = prng(99 + spec.dim);
  const queries = Array.from({ length: nQueries }, () => Array.from({ length: spec.dim }, () => Math.fround(qrnd() - 0.5)));
  fs.writeFileSync(path.join(dbDir, `queries_${spec.name}.json`), JSON.stringify(queries));
  const t = await db.openTable(spec.name);
  for (const filter of [null, "cat = 'alpha'"]) {
    const run = async (v) => {
      let q = t.search(v).distanceType("l2").limit(10).select(["id"]);
      if (filter) q = q.where(filter);
      return q.toArray();
    };
    await run(queries[0]); // warm-up: page cache and LanceDB's own caches
    const t0 = process.hrtime.bigint();
    for (const v of queries) await run(v);
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(JSON.stringify({ table: spec.name, filter, qps: nQueries / sec, ms_per_query: (sec * 1000) / nQueries }));
  }
}
