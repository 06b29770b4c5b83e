// The table of tests/interop/test_fts_cache.c, written by official LanceDB 0.31.0.
// Usage: node gen_fts_cache.mjs DB_DIR create|append
//   create: docs (id float64, n float64, body utf8: JavaScript numbers): 200 rows of words, a default FTS index on body;
//   append: 20 more rows (a new fragment, not in the index), each holding the word "zebraword".
import * as lancedb from "@lancedb/lancedb";
import { prng } from "./prng.mjs";

const [dir, mode] = process.argv.slice(2);
const rnd = prng(77);
const WORDS = ["fox", "dog", "cat", "running", "database", "vector", "search", "pool", "token", "lazy", "brown"];
const body = (n) => Array.from({ length: n }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(" ");
const db = await lancedb.connect(dir);
if (mode === "create") {
  const rows = Array.from({ length: 200 }, (_, i) => ({ id: i, n: i % 7, body: body(2 + (i % 9)) }));
  const t = await db.createTable("docs", rows, { mode: "overwrite" });
  await t.createIndex("body", { config: lancedb.Index.fts() });
} else if (mode === "append") {
  const t = await db.openTable("docs");
  await t.add(Array.from({ length: 20 }, (_, i) => ({ id: 200 + i, n: 0, body: "zebraword " + body(3) })));
} else {
  throw new Error("usage: node gen_fts_cache.mjs DB_DIR create|append");
}
