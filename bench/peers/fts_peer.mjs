// Peer of bench/fts_bench.c: official LanceDB 0.31.0 (Node) writes the full-text benchmark tables and times
// its own full-text index build, text search, hybrid search and how soon an appended row is found.
// Usage: node fts_peer.mjs <db-dir> <queries> [rows]
// Tables (rows documents each, default 100,000; rebuilt every run): fts_ldb (LanceDB's FTS index, default
// settings) and fts_lp (the same rows, no LanceDB index: fts_bench.c builds lancepool's index on it).
// Columns: id int32, body utf8 (8..40 words from a Zipf-like vocabulary of 20,000 words, 5% null),
// vec fixed_size_list<float32, 32>.
// Prints one JSON object per figure and writes the queries it used to <db-dir>/fts_queries.json
// ([{text, vector}]) so the C side runs the same ones.
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

const [dbDir, nq = "200", nrows = "100000"] = process.argv.slice(2);
if (!dbDir) throw new Error("usage: node fts_peer.mjs <db-dir> <queries> [rows]");
const nQueries = Number(nq), nRows = Number(nrows);
const DIM = 32;
const rnd = prng(2024);

// Syllable words ("kamo", "tirelu"...): a vocabulary with a few very common words and a long tail.
const SYL = ["ka", "mo", "ti", "re", "lu", "sa", "ne", "po", "di", "ra", "vo", "qu", "be", "no", "zi", "fa"];
const VOCAB = Array.from({ length: 20000 }, (_, i) => {
  let w = "", x = i + 17;
  do { w += SYL[x % 16]; x = Math.floor(x / 16); } while (x > 0);
  return w;
});
const zipf = () => VOCAB[Math.min(VOCAB.length - 1, Math.floor(Math.pow(rnd(), 3) * VOCAB.length))];
const doc = () => Array.from({ length: 8 + Math.floor(rnd() * 33) }, zipf).join(" ");

const schema = new arrow.Schema([
  new arrow.Field("id", new arrow.Int32(), false),
  new arrow.Field("body", new arrow.Utf8(), true),
  new arrow.Field("vec", new arrow.FixedSizeList(DIM, new arrow.Field("item", new arrow.Float32(), true)), true),
]);
const batchOf = (start, bodies) => {
  const n = bodies.length;
  const flat = new Float32Array(n * DIM);
  for (let i = 0; i < flat.length; i++) flat[i] = rnd() - 0.5;
  return new arrow.RecordBatch(schema, arrow.makeData({
    type: new arrow.Struct(schema.fields), length: n, nullCount: 0,
    children: [
      arrow.makeData({ type: new arrow.Int32(), length: n, data: Int32Array.from({ length: n }, (_, i) => start + i) }),
      arrow.vectorFromArray(bodies, new arrow.Utf8()).data[0],
      arrow.makeData({ type: schema.fields[2].type, length: n, nullCount: 0,
        child: arrow.makeData({ type: new arrow.Float32(), length: flat.length, data: flat }) }),
    ],
  }));
};
const bodies = Array.from({ length: nRows }, (_, i) => (i % 20 === 7 ? null : doc()));
const batches = [];
for (let s = 0; s < nRows; s += 10000) batches.push(batchOf(s, bodies.slice(s, s + 10000)));
const table = new arrow.Table(schema, batches);

const db = await lancedb.connect(dbDir);
const ldb = await db.createTable("fts_ldb", table, { mode: "overwrite" });
await db.createTable("fts_lp", table, { mode: "overwrite" });
const out = (o) => console.log(JSON.stringify(o));

let t0 = process.hrtime.bigint();
await ldb.createIndex("body", { config: lancedb.Index.fts() });
out({ figure: "build_s", value: Number(process.hrtime.bigint() - t0) / 1e9 });

// queries: 1 to 3 words of the vocabulary's middle range (neither stop-word-like nor absent)
const qrnd = prng(77);
const queries = Array.from({ length: nQueries }, () => ({
  text: Array.from({ length: 1 + Math.floor(qrnd() * 3) }, () => VOCAB[50 + Math.floor(qrnd() * 5000)]).join(" "),
  vector: Array.from({ length: DIM }, () => Math.fround(qrnd() - 0.5)),
}));
fs.writeFileSync(path.join(dbDir, "fts_queries.json"), JSON.stringify(queries));

const timeQueries = async (run) => {
  await run(queries[0]); // warm-up: page cache and LanceDB's index cache
  const t = process.hrtime.bigint();
  for (const q of queries) await run(q);
  return nQueries / (Number(process.hrtime.bigint() - t) / 1e9);
};
out({ figure: "text_qps", value: await timeQueries((q) => ldb.search(q.text, "fts").limit(10).select(["id"]).toArray()) });
out({ figure: "hybrid_qps", value: await timeQueries((q) =>
  ldb.query().nearestTo(q.vector).fullTextSearch(q.text).limit(10).select(["id"]).toArray()) });

// an appended row (a word no other row has) until a search finds it
const fresh = [];
for (let r = 0; r < 5; r++) {
  const word = `freshword${r}`;
  t0 = process.hrtime.bigint();
  await ldb.add(new arrow.Table(schema, [batchOf(nRows + r, [`${word} ${doc()}`])]));
  let found = 0;
  while (found === 0) found = (await ldb.search(word, "fts").limit(1).select(["id"]).toArray()).length;
  fresh.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
fresh.sort((a, b) => a - b);
out({ figure: "append_visible_ms", value: fresh[2] });
