// Writes a table whose two fragments carry the two kinds of deletion file, for tests/unit/test_deletion.c.
// Usage: node tbl_deletions.mjs <db-dir>
//   version 1: fragment 0, ids 0..9999;  version 2: fragment 1, ids 10000..19999
//   version 3: delete id % 3 = 0 in fragment 0 (3334 rows: LanceDB writes a ZSTD-compressed .arrow file)
//   version 4: delete 10000 <= id < 16000 (6000 rows: LanceDB writes a roaring .bin bitmap)
//   version 5: delete id = 1 or id = 4 (extends the .arrow set to 3336 rows)
import * as lancedb from "@lancedb/lancedb";
import * as arrow from "apache-arrow";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node tbl_deletions.mjs <db-dir>");
const schema = new arrow.Schema([new arrow.Field("id", new arrow.Int32(), false)]);
const batch = (start, n) =>
  lancedb.makeArrowTable(Array.from({ length: n }, (_, i) => ({ id: start + i })), { schema });
const db = await lancedb.connect(dir);
const t = await db.createTable("dels", batch(0, 10000), { mode: "overwrite" });
await t.add(batch(10000, 10000));
await t.delete("id < 10000 AND id % 3 = 0");
await t.delete("id >= 10000 AND id < 16000");
await t.delete("id = 1 OR id = 4");
console.log("dels", await t.version(), await t.countRows());
