// Official LanceDB 0.31.0 on a code-search table, for tests/interop/test_store_codesearch.c:
//   node codesearch_peer.mjs create DB TABLE            the table (schema below), 240 rows in 3 appends, an FTS
//                                                        index on text, then 30 more rows the index does not cover
//   node codesearch_peer.mjs append DB TABLE N          N appends of 10 rows, ~60 ms apart (rows 1000 + ...)
//   node codesearch_peer.mjs answer DB TABLE FILE       answer the JSON queries of FILE (one per line), one JSON
//                                                        line each: [[id, score], ...] or {"error": message}
// Queries: {"op":"vector"|"text"|"hybrid", "vector":[...], "text":"...", "k":N, "where":"..."},
//          {"op":"get", "id":"..."} (the row, vector left out), {"op":"paths"}, {"op":"count", "where":...}.
// Rows come from a seeded PRNG, so every run writes the same table.
import * as fs from "node:fs";
import * as lancedb from "@lancedb/lancedb";
import * as arrow from "apache-arrow";
import { prng } from "./prng.mjs";

export const DIM = 16;
const schema = new arrow.Schema([
  new arrow.Field("id", new arrow.Utf8(), false),
  new arrow.Field("path", new arrow.Utf8(), false),
  new arrow.Field("text", new arrow.Utf8(), true),
  new arrow.Field("vector", new arrow.FixedSizeList(DIM, new arrow.Field("item", new arrow.Float32(), true)), true),
  new arrow.Field("start_line", new arrow.Int32(), false),
  new arrow.Field("end_line", new arrow.Int32(), false),
  new arrow.Field("content_hash", new arrow.Utf8(), true),
  new arrow.Field("chunk_hash", new arrow.Utf8(), true),
  new arrow.Field("chunk_kind", new arrow.Utf8(), true),
  new arrow.Field("chunk_name", new arrow.Utf8(), true),
  new arrow.Field("chunk_tokens", new arrow.Int64(), true),
]);
const WORDS = ["parse", "buffer", "socket", "thread", "vector", "index", "query", "table", "commit", "manifest",
  "fragment", "column", "stream", "token", "search", "cache", "pool", "lock", "schema", "page"];
const KINDS = ["function", "struct", "comment", "macro"];
const FILES = ["src/io/buf.c", "src/table/scan.c", "src/query/search.c", "src/pool/acquire.c", "src/store/store.c",
  "README.md", "src/write/commit.c"];

function row(i) {
  const rnd = prng(i * 13 + 5);
  const n = 4 + Math.floor(rnd() * 12);
  const words = Array.from({ length: n }, () => WORDS[Math.floor(rnd() * WORDS.length)]);
  const start = 1 + Math.floor(rnd() * 500);
  return {
    id: `chunk-${i}`,
    path: FILES[i % FILES.length],
    text: i % 17 === 3 ? null : words.join(" "),
    vector: Array.from({ length: DIM }, () => Math.fround(rnd() * 2 - 1)),
    start_line: start,
    end_line: start + n,
    content_hash: `c${(i * 2654435761) % 1000003}`,
    chunk_hash: `h${i}`,
    chunk_kind: i % 5 === 0 ? null : KINDS[i % KINDS.length],
    chunk_name: i % 3 === 0 ? null : `fn_${words[0]}_${i}`,
    chunk_tokens: i % 4 === 0 ? null : BigInt(n * 3),
  };
}
const rows = (start, n) => lancedb.makeArrowTable(Array.from({ length: n }, (_, k) => row(start + k)), { schema });

async function answer(t, q) {
  if (q.op === "get") {
    const r = await t.query().where(`id = '${q.id}'`).toArray();
    if (!r.length) return null;
    const o = { ...r[0].toJSON() };
    delete o.vector;
    if (o.chunk_tokens !== null && o.chunk_tokens !== undefined) o.chunk_tokens = Number(o.chunk_tokens);
    return o;
  }
  if (q.op === "paths") {
    const r = await t.query().select(["path"]).toArray();
    return [...new Set(r.map((x) => x.path).filter((p) => p !== null))].sort();
  }
  if (q.op === "count") return await t.countRows(q.where);
  let query;
  if (q.op === "vector") query = t.query().nearestTo(q.vector).distanceType("l2");
  else if (q.op === "text") query = t.query().fullTextSearch(q.text, { columns: ["text"] });
  else query = t.query().nearestTo(q.vector).distanceType("l2").fullTextSearch(q.text, { columns: ["text"] });
  if (q.where) query = query.where(q.where);
  const r = await query.limit(q.k).select(["id"]).toArray();
  const key = q.op === "vector" ? "_distance" : q.op === "text" ? "_score" : "_relevance_score";
  return r.map((x) => [x.id, x[key]]);
}

const [cmd, dir, name, arg] = process.argv.slice(2);
const db = await lancedb.connect(dir);
if (cmd === "create") {
  const t = await db.createTable(name, rows(0, 80), { mode: "overwrite" });
  await t.add(rows(80, 80));
  await t.add(rows(160, 80));
  await t.createIndex("text", { config: lancedb.Index.fts() });
  await t.add(rows(240, 30));
} else if (cmd === "append") {
  const t = await db.openTable(name);
  for (let i = 0; i < Number(arg); i++) {
    await new Promise((r) => setTimeout(r, 60));
    await t.add(rows(1000 + i * 10, 10));
  }
  console.log(await t.version());
} else if (cmd === "answer") {
  const t = await db.openTable(name);
  for (const line of fs.readFileSync(arg, "utf8").split("\n").filter((l) => l)) {
    try {
      console.log(JSON.stringify(await answer(t, JSON.parse(line))));
    } catch (e) {
      console.log(JSON.stringify({ error: e.message.split("\n")[0] }));
    }
  }
} else {
  console.error(`codesearch_peer: unknown command ${cmd}`);
  process.exit(2);
}
db.close();
