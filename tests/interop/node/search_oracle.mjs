// The search oracle: official LanceDB 0.31.0 writes test tables and answers flat (un-indexed) nearest-
// neighbour queries on them; lancepool must return the same rows in the same order.
//
// Usage: node search_oracle.mjs <out-dir>
//   <out-dir>/db/            the database (tables below)
//   <out-dir>/queries.jsonl  one JSON object per query, with LanceDB's answer:
//     {"table", "column", "metric", "k", "offset", "where" (or null), "postfilter", "vector": [...],
//      "ids": [...], "distances": [...], "error" (only when LanceDB refused the query)}
//
// Tables (columns id int32 not null, cat utf8 nullable, num float64 nullable, vec fixed_size_list):
//   small8    dim 8,    3 fragments x 400, deletions, null vectors, duplicated vectors (exact ties)
//   med64     dim 64,   2 fragments x 3000, deletions
//   half16    dim 16,   float16 elements, 2 fragments x 500, deletions
//   big384    dim 384,  fragments of 20000 and 5000 rows, deletions
//   wide1536  dim 1536, 2 fragments x 1500, deletions
// Query vectors are float32 values (Math.fround), printed in shortest form so a reader recovers them
// exactly. Everything comes from a seeded PRNG, so two runs write the same rows and queries.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { prng } from "./prng.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(process.env.NODE_PATH || path.join(here, "node_modules"), "x.js"));
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");
const { Schema, Field, Int32, Utf8, Float64, Float32, Float16, FixedSizeList } = arrow;

const out = process.argv[2];
if (!out) throw new Error("usage: node search_oracle.mjs <out-dir>");
fs.mkdirSync(out, { recursive: true });

const rnd = prng(20261126);
const gauss = () => {
  const u = Math.max(rnd(), 1e-12), v = rnd();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
};
const randVec = (dim) => Array.from({ length: dim }, () => Math.fround(gauss() * 0.5));
const CATS = ["alpha", "beta", "gamma", "delta"];

function schemaFor(dim, half) {
  const elem = half ? new Float16() : new Float32();
  return new Schema([
    new Field("id", new Int32(), false),
    new Field("cat", new Utf8(), true),
    new Field("num", new Float64(), true),
    new Field("vec", new FixedSizeList(dim, new Field("item", elem, true)), true),
  ]);
}

// Rows [start, start + n) of a table; `spec` decides null vectors and duplicates.
function makeRows(spec, start, n, vectors) {
  const rows = [];
  for (let i = start; i < start + n; i++) {
    let vec = randVec(spec.dim);
    if (spec.dupEvery && i % spec.dupEvery === spec.dupEvery - 1 && i > 0) vec = vectors[i - 1];
    if (spec.nullVecEvery && i % spec.nullVecEvery === 7) vec = null;
    vectors[i] = vec;
    rows.push({
      id: i,
      cat: i % 5 === 4 ? null : CATS[Math.floor(rnd() * CATS.length)],
      num: i % 6 === 5 ? null : Math.round(rnd() * 1000) / 1000,
      vec,
    });
  }
  return rows;
}

const specs = [
  { name: "small8", dim: 8, frags: [400, 400, 400], del: "id % 9 = 4 OR (id >= 500 AND id < 540)",
    nullVecEvery: 50, dupEvery: 10, queries: 16 },
  { name: "med64", dim: 64, frags: [3000, 3000], del: "id % 13 = 0", queries: 16 },
  { name: "half16", dim: 16, half: true, frags: [500, 500], del: "id % 11 = 3", queries: 10, dupEvery: 25 },
  { name: "big384", dim: 384, frags: [20000, 5000], del: "id % 17 = 1 OR id >= 24900", queries: 12 },
  { name: "wide1536", dim: 1536, frags: [1500, 1500], del: "id % 5 = 2", queries: 15 },
];

const FILTERS = [
  "cat = 'alpha'",
  "id >= 300 AND id < 2600",
  "cat IS NULL",
  "cat IN ('beta', 'gamma') AND num > 0.25",
  "num < 0.1 OR cat = 'delta'",
  "id < 40",
  "cat != 'alpha' AND num IS NOT NULL",
];
const KS = [1, 3, 10, 10, 25, 100];
const METRICS = ["l2", "cosine", "dot"];

const db = await lancedb.connect(path.join(out, "db"));
const lines = [];
const counts = { l2: 0, cosine: 0, dot: 0 };
for (const spec of specs) {
  const vectors = [];
  let table = null, start = 0;
  for (const n of spec.frags) {
    const rows = makeRows(spec, start, n, vectors);
    if (table === null) table = await db.createTable(spec.name, rows, { schema: schemaFor(spec.dim, spec.half), mode: "overwrite" });
    else await table.add(rows);
    start += n;
  }
  await table.delete(spec.del);
  const total = start;
  for (const metric of METRICS) {
    for (const mode of ["none", "pre", "post"]) {
      for (let q = 0; q < spec.queries; q++) {
        // Half the queries are perturbed copies of stored vectors, some exact copies (distance 0, ties).
        let vector;
        const src = vectors[Math.floor(rnd() * total)];
        if (q % 4 === 0 && src) vector = src.slice();
        else if (q % 2 === 0 && src) vector = src.map((x) => Math.fround(x + gauss() * 0.05));
        else vector = randVec(spec.dim);
        if (spec.half) vector = vector.map((x) => Math.fround(x));
        const k = KS[Math.floor(rnd() * KS.length)];
        const offset = q % 7 === 3 ? Math.floor(rnd() * 5) : 0;
        const where = mode === "none" ? null : FILTERS[Math.floor(rnd() * FILTERS.length)];
        let query = table.search(vector).column("vec").distanceType(metric).limit(k).select(["id"]);
        if (offset) query = query.offset(offset);
        if (where) query = query.where(where);
        if (mode === "post") query = query.postfilter();
        const rec = { table: spec.name, column: "vec", metric, k, offset, where, postfilter: mode === "post", vector };
        try {
          const res = await query.toArray();
          rec.ids = res.map((r) => r.id);
          rec.distances = res.map((r) => r._distance);
        } catch (e) {
          rec.error = String(e.message).split("\n")[0];
        }
        lines.push(JSON.stringify(rec));
        counts[metric]++;
      }
    }
  }
}
fs.writeFileSync(path.join(out, "queries.jsonl"), lines.join("\n") + "\n");
console.log(`search_oracle: ${lines.length} queries (l2 ${counts.l2}, cosine ${counts.cosine}, dot ${counts.dot}) in ${out}`);
