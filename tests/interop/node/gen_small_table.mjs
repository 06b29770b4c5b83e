// A small multi-fragment table for the session tests, written by official LanceDB 0.31.0:
//   node gen_small_table.mjs DIR create   table "mixed": 3 fragments of 700 rows (int64 id, nullable utf8,
//                                         fixed_size_list<float32, 16>, list<int64>, struct<a: int32, b: utf8>),
//                                         then rows with id % 5 = 0 deleted (4 versions)
//   node gen_small_table.mjs DIR append   one more commit: 100 rows with ids from 10000 (a new version)
//   node gen_small_table.mjs DIR create20 table "mixed20": the same as "mixed" in data file format 2.0
// Values come from a seeded PRNG.
import * as lancedb from "@lancedb/lancedb";
import { createRequire } from "node:module";
import { makeRng, makeTable } from "./arrow_build.mjs";

const A = createRequire(import.meta.url)("apache-arrow");
const [dir, mode] = process.argv.slice(2);
if (!dir || !["create", "create20", "append"].includes(mode)) {
  console.error("usage: node gen_small_table.mjs DIR create|create20|append");
  process.exit(2);
}

function columns(seed, n, base) {
  const r = makeRng(seed);
  const maybe = (p, f) => (r.chance(p) ? null : f());
  const word = () => Array.from({ length: 1 + (r.u32() % 12) }, () => String.fromCharCode(97 + (r.u32() % 26))).join("");
  const rows = (f) => Array.from({ length: n }, (_, i) => f(i));
  const st = new A.Struct([new A.Field("a", new A.Int32(), true), new A.Field("b", new A.Utf8(), true)]);
  return [
    { name: "id", type: new A.Int64(), nullable: false, values: rows((i) => BigInt(base + i)) },
    { name: "s", type: new A.Utf8(), nullable: true, values: rows(() => maybe(0.1, word)) },
    { name: "v", type: new A.FixedSizeList(16, new A.Field("item", new A.Float32(), true)), nullable: true,
      values: rows(() => maybe(0.05, () => Array.from({ length: 16 }, () => Math.fround(r.float() * 2 - 1)))) },
    { name: "l", type: new A.List(new A.Field("item", new A.Int64(), true)), nullable: true,
      values: rows(() => maybe(0.1, () => Array.from({ length: r.u32() % 5 }, () => BigInt(r.u32())))) },
    { name: "st", type: st, nullable: true,
      values: rows(() => maybe(0.1, () => ({ a: maybe(0.1, () => r.u32() | 0), b: maybe(0.1, word) }))) },
  ];
}

const db = await lancedb.connect(dir);
if (mode === "create" || mode === "create20") {
  const opts = { mode: "overwrite" };
  if (mode === "create20") opts.storageOptions = { new_table_data_storage_version: "2.0" };
  const t = await db.createTable(mode === "create" ? "mixed" : "mixed20", makeTable(columns(1, 700, 0)), opts);
  await t.add(makeTable(columns(2, 700, 700)));
  await t.add(makeTable(columns(3, 700, 1400)));
  await t.delete("id % 5 = 0");
} else {
  const t = await db.openTable("mixed");
  await t.add(makeTable(columns(4, 100, 10000)));
}
