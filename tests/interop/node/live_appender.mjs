// A writer for tests/concurrency/test_search_threads.c: official LanceDB 0.31.0 changes a table while
// lancepool threads search it.
// Usage: node live_appender.mjs <db-dir> create        table "live" (id int32, cat utf8, vec
//                                                       fixed_size_list<float32, 32>), 3000 rows, 2 fragments
//        node live_appender.mjs <db-dir> append N       N commits, ~80 ms apart: 400-row appends, and
//                                                       after every third append a delete
// Values come from a seeded PRNG (seeded by the row id), so the rows of each version are fixed.
import * as lancedb from "@lancedb/lancedb";
import * as arrow from "apache-arrow";
import { prng } from "./prng.mjs";

const [dir, cmd, count] = process.argv.slice(2);
if (!dir || !cmd) throw new Error("usage: node live_appender.mjs <db-dir> create|append N");
const schema = new arrow.Schema([
  new arrow.Field("id", new arrow.Int32(), false),
  new arrow.Field("cat", new arrow.Utf8(), true),
  new arrow.Field("vec", new arrow.FixedSizeList(32, new arrow.Field("item", new arrow.Float32(), true)), true),
]);
const CATS = ["a", "b", "c"];
const rows = (start, n) =>
  lancedb.makeArrowTable(
    Array.from({ length: n }, (_, k) => {
      const id = start + k, rnd = prng(id * 7 + 1);
      return { id, cat: CATS[id % 3], vec: Array.from({ length: 32 }, () => Math.fround(rnd() * 2 - 1)) };
    }),
    { schema },
  );
const db = await lancedb.connect(dir);
if (cmd === "create") {
  const t = await db.createTable("live", rows(0, 2000), { mode: "overwrite" });
  await t.add(rows(2000, 1000));
} else {
  const t = await db.openTable("live");
  let next = 3000;
  for (let i = 0; i < Number(count); i++) {
    await new Promise((r) => setTimeout(r, 80));
    if (i % 4 === 3) await t.delete(`id >= ${next - 300} AND id < ${next - 250}`);
    else {
      await t.add(rows(next, 400));
      next += 400;
    }
  }
  console.log(await t.version());
}
