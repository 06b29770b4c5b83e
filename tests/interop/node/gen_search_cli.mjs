// Writes the tables of tests/interop/test_search_cli.sh with official LanceDB 0.31.0.
// Usage: node gen_search_cli.mjs <db-dir>
//   items (id int32 not null, cat utf8 nullable, num float64 nullable, vec fixed_size_list<float32, 8>,
//          emb fixed_size_list<float32, 3>):
//     version 1: 300 rows (fragment 0); version 2: + 200 rows (fragment 1);
//     version 3: delete id % 7 = 3; every 11th vec is null, every 5th cat and every 6th num are null,
//     rows 40 and 41 repeat row 12's vec (exact ties).
//   halves (id int32, vec fixed_size_list<float16, 16>): 120 rows.
// Values come from a seeded PRNG, so two runs write the same tables.
import * as lancedb from "@lancedb/lancedb";
import * as arrow from "apache-arrow";
import { prng } from "./prng.mjs";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node gen_search_cli.mjs <db-dir>");

const rnd = prng(5150);
const vec = (dim) => Array.from({ length: dim }, () => Math.fround(rnd() * 2 - 1));
const CATS = ["alpha", "beta", "gamma", "delta"];
const f32 = (dim) => new arrow.FixedSizeList(dim, new arrow.Field("item", new arrow.Float32(), true));
const schema = new arrow.Schema([
  new arrow.Field("id", new arrow.Int32(), false),
  new arrow.Field("cat", new arrow.Utf8(), true),
  new arrow.Field("num", new arrow.Float64(), true),
  new arrow.Field("vec", f32(8), true),
  new arrow.Field("emb", f32(3), true),
]);
const vecs = [];
const rows = (start, n) => {
  const out = [];
  for (let i = start; i < start + n; i++) {
    let v = vec(8);
    if (i === 40 || i === 41) v = vecs[12];
    vecs[i] = v;
    out.push({
      id: i,
      cat: i % 5 === 0 ? null : CATS[Math.floor(rnd() * 4)],
      num: i % 6 === 0 ? null : Math.round(rnd() * 1000) / 10,
      vec: i % 11 === 0 ? null : v,
      emb: vec(3),
    });
  }
  return lancedb.makeArrowTable(out, { schema });
};
const db = await lancedb.connect(dir);
const t = await db.createTable("items", rows(0, 300), { mode: "overwrite" });
await t.add(rows(300, 200));
await t.delete("id % 7 = 3");

const hschema = new arrow.Schema([
  new arrow.Field("id", new arrow.Int32(), false),
  new arrow.Field("vec", new arrow.FixedSizeList(16, new arrow.Field("item", new arrow.Float16(), true)), true),
]);
const hrows = Array.from({ length: 120 }, (_, i) => ({ id: i, vec: vec(16) }));
await db.createTable("halves", hrows, { schema: hschema, mode: "overwrite" });
console.log("items", await t.version(), await t.countRows());
