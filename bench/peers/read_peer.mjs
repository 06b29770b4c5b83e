// Official LanceDB 0.31.0 side of bench/read_bench.c.
//   node read_peer.mjs build DIR ROWS            write table "bench": id int64, text ~500 bytes, vector 384 x float32
//   node read_peer.mjs run DIR POSITIONS REPEATS time a full scan (query().toArrow()), one takeOffsets of all
//                                                positions, and single-row takeOffsets, on a warm table;
//                                                prints "scan_ms take_ms single_take_ms rows" (best of REPEATS)
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { prng as rng } from "../../tests/interop/node/prng.mjs"; // mulberry32

const here = path.dirname(fileURLToPath(import.meta.url));
const req = createRequire(path.join(here, "../../tests/interop/node/package.json"));
const lancedb = req("@lancedb/lancedb");
const arrow = req("apache-arrow");

const DIM = 384;
const TEXT_BYTES = 500;

function batch(r, start, n) {
  const ids = new BigInt64Array(n);
  const words = ["lance", "pool", "vector", "column", "table", "fragment", "page", "memory", "chunk", "query"];
  const texts = new Array(n);
  const vec = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    ids[i] = BigInt(start + i);
    let s = `row ${start + i}:`;
    while (s.length < TEXT_BYTES) s += " " + words[Math.floor(r() * words.length)];
    texts[i] = s.slice(0, TEXT_BYTES);
  }
  for (let k = 0; k < vec.length; k++) vec[k] = r() * 2 - 1;
  const item = new arrow.Field("item", new arrow.Float32(), true);
  const fields = [
    new arrow.Field("id", new arrow.Int64(), false),
    new arrow.Field("text", new arrow.Utf8(), false),
    new arrow.Field("vector", new arrow.FixedSizeList(DIM, item), false),
  ];
  const enc = new TextEncoder();
  const bytes = texts.map((t) => enc.encode(t));
  const offsets = new Int32Array(n + 1);
  bytes.forEach((b, i) => (offsets[i + 1] = offsets[i] + b.length));
  const data = new Uint8Array(offsets[n]);
  bytes.forEach((b, i) => data.set(b, offsets[i]));
  const children = [
    arrow.makeData({ type: fields[0].type, length: n, nullCount: 0, data: ids }),
    arrow.makeData({ type: fields[1].type, length: n, nullCount: 0, valueOffsets: offsets, data }),
    arrow.makeData({
      type: fields[2].type, length: n, nullCount: 0,
      child: arrow.makeData({ type: item.type, length: n * DIM, nullCount: 0, data: vec }),
    }),
  ];
  const schema = new arrow.Schema(fields);
  return new arrow.Table([new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children }))]);
}

async function build(dir, rows) {
  const db = await lancedb.connect(dir);
  const r = rng(42);
  const chunk = 20000;
  let t = null;
  for (let start = 0; start < rows; start += chunk) {
    const data = batch(r, start, Math.min(chunk, rows - start));
    // one data file: append by overwriting the first chunk, then "append" mode for the rest
    // LP_BENCH_STORAGE: the table's data storage version ("2.0", "2.2", "next"...; default LanceDB's 2.1)
    const storage = process.env.LP_BENCH_STORAGE;
    const opts = storage ? { storageOptions: { new_table_data_storage_version: storage } } : {};
    if (t === null) t = await db.createTable("bench", data, opts);
    else await t.add(data);
  }
  // compact into one fragment so both readers see the usual shape of a loaded table
  await t.optimize({ cleanupOlderThan: new Date() });
}

async function run(dir, positionsFile, repeats) {
  const positions = fs.readFileSync(positionsFile, "utf8").trim().split(/\s+/).map(Number);
  const db = await lancedb.connect(dir);
  const t = await db.openTable("bench");
  let scan = Infinity, take = Infinity, single = Infinity, rows = 0;
  for (let k = 0; k < repeats; k++) {
    let t0 = process.hrtime.bigint();
    const all = await t.query().toArrow();
    rows = all.numRows;
    scan = Math.min(scan, Number(process.hrtime.bigint() - t0) / 1e6);
    t0 = process.hrtime.bigint();
    const got = await t.takeOffsets(positions).toArrow();
    if (got.numRows !== positions.length) throw new Error(`take returned ${got.numRows} rows`);
    take = Math.min(take, Number(process.hrtime.bigint() - t0) / 1e6);
    t0 = process.hrtime.bigint();
    for (const p of positions.slice(0, 200)) await t.takeOffsets([p]).toArrow();
    single = Math.min(single, (Number(process.hrtime.bigint() - t0) / 1e6) * (positions.length / 200));
  }
  console.log(`${scan.toFixed(3)} ${take.toFixed(3)} ${single.toFixed(3)} ${rows}`);
}

const [cmd, dir, a, b] = process.argv.slice(2);
const main = cmd === "build" ? build(dir, Number(a)) : cmd === "run" ? run(dir, a, Number(b || 3)) : null;
if (main === null) {
  console.error("usage: node read_peer.mjs build DIR ROWS | run DIR POSITIONS_FILE [REPEATS]");
  process.exit(2);
}
main.catch((e) => {
  console.error(`read_peer: ${e.stack || e}`);
  process.exit(1);
});
