// Official LanceDB 0.31.0 as the other writer in lancepool's write-path tests.
//   node write_peer.mjs append-delete DB TABLE FIRST_ID N PRED   append rows FIRST_ID.. (id, text, vec(8)),
//                                                                then delete PRED
//   node write_peer.mjs expect-ids DB TABLE "a-b,c-d"            exit 1 unless the ids are exactly these
//   node write_peer.mjs append-loop DB TABLE TAG N               N appends of one row each (id = TAG*1e6 + i)
//   node write_peer.mjs delete DB TABLE PRED                     one delete
//   node write_peer.mjs ids DB TABLE                             print all ids, ascending
//   node write_peer.mjs optimize DB TABLE                        compact + cleanup of old versions
//   node write_peer.mjs version-counts DB TABLE                  "version<TAB>rows" of every version
// DB may be s3://bucket/prefix: the gateway's settings then come from the LP_S3_* variables.
import * as lancedb from "@lancedb/lancedb";
import { createRequire } from "node:module";
const arrow = createRequire(import.meta.url)("apache-arrow");

function smallBatch(ids) {
  const vec = new arrow.FixedSizeList(8, new arrow.Field("item", new arrow.Float32(), true));
  const schema = new arrow.Schema([
    new arrow.Field("id", new arrow.Int64(), false),
    new arrow.Field("text", new arrow.Utf8(), true),
    new arrow.Field("vec", vec, true),
  ]);
  const idv = arrow.vectorFromArray(ids.map((i) => BigInt(i)), new arrow.Int64());
  const tv = arrow.vectorFromArray(ids.map((i) => `peer${i}`), new arrow.Utf8());
  const vv = arrow.vectorFromArray(ids.map((i) => Array.from({ length: 8 }, (_, k) => i + k / 8)), vec);
  return new arrow.Table(schema, { id: idv, text: tv, vec: vv });
}

async function ids(t) {
  const rows = await t.query().select(["id"]).toArray();
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

// An s3:// database takes its settings from scripts/rgw.sh's env file variables (LP_S3_*).
const s3Options = () => ({
  endpoint: process.env.LP_S3_ENDPOINT,
  allow_http: "true",
  aws_access_key_id: process.env.LP_S3_ACCESS_KEY,
  aws_secret_access_key: process.env.LP_S3_SECRET_KEY,
  region: process.env.LP_S3_REGION || "us-east-1",
});

const [cmd, dir, name, ...rest] = process.argv.slice(2);
const db = await lancedb.connect(dir, dir.startsWith("s3://") ? { storageOptions: s3Options() } : {});
const t = await db.openTable(name);
switch (cmd) {
  case "append-delete": {
    const [first, n, pred] = [Number(rest[0]), Number(rest[1]), rest[2]];
    await t.add(smallBatch(Array.from({ length: n }, (_, i) => first + i)));
    await t.delete(pred);
    break;
  }
  case "delete":
    await t.delete(rest[0]);
    break;
  case "append-loop": {
    // prints the id of every append that LanceDB reported as committed
    const [tag, n] = [Number(rest[0]), Number(rest[1])];
    let failed = 0;
    for (let i = 0; i < n; i++) {
      const id = tag * 1000000 + i;
      try {
        await t.add(smallBatch([id]));
        process.stdout.write(`${id}\n`);
      } catch (e) {
        failed++;
        process.stderr.write(`append ${id} failed: ${e.message.split("\n")[0]}\n`);
      }
    }
    if (failed) process.stderr.write(`${failed} LanceDB appends failed\n`);
    break;
  }
  case "version-counts": {
    // "version<TAB>rows" for every version of the table, oldest first
    for (const v of await t.listVersions()) {
      await t.checkout(v.version);
      process.stdout.write(`${v.version}\t${await t.countRows()}\n`);
    }
    break;
  }
  case "ids": {
    // every id in the table, one per line, ascending (duplicates kept)
    for (const id of await ids(t)) process.stdout.write(`${id}\n`);
    break;
  }
  case "optimize":
    await t.optimize({ cleanupOlderThan: new Date(Date.now() + 1000) });
    break;
  case "expect-ids": {
    const want = [];
    for (const part of rest[0].split(",")) {
      const [a, b] = part.split("-").map(Number);
      for (let i = a; i <= (b ?? a); i++) want.push(i);
    }
    const got = await ids(t);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      console.error(`ids differ: expected ${want.length} ids, got ${got.length}: ${JSON.stringify(got).slice(0, 300)}`);
      process.exit(1);
    }
    break;
  }
  default:
    console.error(`unknown command ${cmd}`);
    process.exit(2);
}
