// Writes a table with official LanceDB 0.31.0 to an S3 bucket (the s3 tests' RGW), for tests/s3/: columns
// id int64, text utf8 (every 11th null), v fixed_size_list<float32, 4>.
// Usage: node s3_writer.mjs s3://bucket/db   with LP_S3_ENDPOINT, LP_S3_ACCESS_KEY, LP_S3_SECRET_KEY,
// LP_S3_REGION in the environment (scripts/rgw.sh's env file). Three commits on table "docs":
//   version 1: ids 0..599;  version 2: ids 600..899;  version 3: delete id % 7 = 0
// Then prints one JSON line: {"version": V, "rows": N, "tables": [...]} as LanceDB sees them.
import * as lancedb from "@lancedb/lancedb";
import * as arrow from "apache-arrow";

const uri = process.argv[2];
if (!uri || !uri.startsWith("s3://")) throw new Error("usage: node s3_writer.mjs s3://bucket/db");
const storageOptions = {
  endpoint: process.env.LP_S3_ENDPOINT,
  allow_http: "true",
  aws_access_key_id: process.env.LP_S3_ACCESS_KEY,
  aws_secret_access_key: process.env.LP_S3_SECRET_KEY,
  region: process.env.LP_S3_REGION || "us-east-1",
};
const schema = new arrow.Schema([
  new arrow.Field("id", new arrow.Int64(), false),
  new arrow.Field("text", new arrow.Utf8(), true),
  new arrow.Field("v", new arrow.FixedSizeList(4, new arrow.Field("item", new arrow.Float32(), true)), true),
]);
const batch = (start, n) =>
  lancedb.makeArrowTable(
    Array.from({ length: n }, (_, i) => {
      const k = start + i;
      return { id: BigInt(k), text: k % 11 ? `row ${k}` : null, v: [Math.sin(k), Math.cos(k), (k % 13) / 13, -k / 900] };
    }),
    { schema },
  );
const db = await lancedb.connect(uri, { storageOptions });
const t = await db.createTable("docs", batch(0, 600), { mode: "overwrite" });
await t.add(batch(600, 300));
await t.delete("id % 7 = 0");
console.log(JSON.stringify({ version: await t.version(), rows: await t.countRows(), tables: await db.tableNames() }));
