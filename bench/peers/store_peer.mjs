// The store benchmark's peer: the same workloads as `lancepool bench`, run with official LanceDB 0.31.0.
//
// Modes (how a worker reaches the table):
//   lancedb-per-op      connect + openTable for every operation, closed after it
//   lancedb-persistent  one connection and one table handle shared by every worker
//   lancedb-pooled      one connection and table handle per worker (N connections)
// Workloads: search (top-10 flat L2, no index), get (where id = '...'), add1, add100, delete (by id),
// mixed (45% search, 45% get, 10% add1), fts (top-10 BM25 of two words, LanceDB's FTS index on text),
// hybrid (top-10 of flat L2 + BM25 fused by RRF, LanceDB's default reranker). Workers are async loops running concurrently (LanceDB does the
// work on its own thread pool). Output: CSV rows `workload,mode,threads,ops_per_sec,p50_us,p99_us` on
// stdout (no header unless --header); progress on stderr.
//
// Data are deterministic and generated exactly like src/cli/bench_data.c (same PRNG, same words), so a
// table built by lancepool and one built here hold the same rows.
//
// usage: node store_peer.mjs --db DIR [--table store] [--records N] [--dim D] [--threads 1,2,8]
//        [--seconds S] [--workloads search,get,add1,add100,delete,mixed] [--modes per-op,persistent,pooled]
//        [--build] [--header]
//        node store_peer.mjs --db DIR [--table store] --create-fts-index
//                                     only build LanceDB's FTS index on the text column (if there is none)
// Without --build the table DIR/<table>.lance is used when it exists (e.g. built by lancepool) and built
// otherwise. Node resolves @lancedb/lancedb from tests/interop/node/node_modules (see LP_NODE_DIR).
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeDir = process.env.LP_NODE_DIR || path.join(here, '..', '..', 'tests', 'interop', 'node');
const require = createRequire(path.join(nodeDir, 'package.json'));
const lancedb = require('@lancedb/lancedb');
const arrow = require('apache-arrow');

// ---- arguments ------------------------------------------------------------------------------------
const WORKLOADS = ['search', 'get', 'add1', 'add100', 'delete', 'mixed', 'fts', 'hybrid'];
const READ_WORKLOADS = ['search', 'get', 'fts', 'hybrid'];
function parseArgs(argv) {
  const a = {
    db: null, table: 'store', records: 100000, dim: 384, threads: [1, 2, 8], seconds: 3,
    workloads: [...WORKLOADS],
    modes: ['per-op', 'persistent', 'pooled'], build: false, header: false, createFtsIndex: false,
  };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`option ${k} needs a value`);
      return argv[++i];
    };
    const int = (s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`option ${k}: expected a positive integer, found '${s}'`);
      return n;
    };
    switch (k) {
      case '--db': a.db = v(); break;
      case '--table': a.table = v(); break;
      case '--records': a.records = int(v()); break;
      case '--dim': a.dim = int(v()); break;
      case '--threads': a.threads = v().split(',').map(int); break;
      case '--seconds': {
        const s = Number(v());
        if (!(s > 0)) throw new Error(`option --seconds: expected a positive number`);
        a.seconds = s;
        break;
      }
      case '--workloads': a.workloads = v().split(','); break;
      case '--modes': a.modes = v().split(',').map((m) => m.replace(/^lancedb-/, '')); break;
      case '--build': a.build = true; break;
      case '--header': a.header = true; break;
      case '--create-fts-index': a.createFtsIndex = true; break;
      default: throw new Error(`unknown option '${k}'`);
    }
  }
  if (!a.db) throw new Error('--db DIR is required');
  for (const w of a.workloads)
    if (!WORKLOADS.includes(w)) throw new Error(`unknown workload '${w}'`);
  for (const m of a.modes)
    if (!['per-op', 'persistent', 'pooled'].includes(m)) throw new Error(`unknown mode '${m}'`);
  return a;
}

// ---- deterministic data (mirror of src/cli/bench_data.c) ------------------------------------------
// mulberry32: a 32-bit PRNG that is easy to reproduce bit for bit in C.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}
const WORDS = ['lance', 'pool', 'vector', 'memory', 'store', 'query', 'table', 'column', 'search', 'index',
  'record', 'chunk', 'embedding', 'fragment', 'version', 'commit'];
const TEXT_BYTES = 500;
const CREATED_BASE_US = 1700000000000000n;

function recordSeed(i) { return (Math.imul(i >>> 0, 0x9e3779b9) ^ 0x5eed1234) >>> 0; }
function vectorFor(r, dim) {
  const v = new Float32Array(dim);
  for (let d = 0; d < dim; d++) v[d] = (r() >>> 8) / 8388608 - 1;
  return v;
}
function textFor(r) {
  let s = '';
  while (s.length < TEXT_BYTES) s += (s.length ? ' ' : '') + WORDS[r() & 15];
  return s;
}
function idFor(i) { return 'rec-' + String(i).padStart(8, '0'); }
// The keywords of text query x (mirror of lp__bench_query_text).
function queryText(x) { return `${WORDS[x & 15]} ${WORDS[(x >>> 4) & 15]}`; }
function queryVector(q, dim) { return vectorFor(rng((0xc0ffee ^ Math.imul(q >>> 0, 0x85ebca6b)) >>> 0), dim); }

// Record i as column values; `id` overrides the id (for records added by the write workloads).
function record(i, dim, id) {
  const r = rng(recordSeed(i));
  const vector = vectorFor(r, dim);
  const text = textFor(r);
  return {
    id: id ?? idFor(i), path: `/corpus/d${String(i % 100).padStart(3, '0')}/f${i}.txt`, text, vector,
    metadata: `{"i":${i},"group":"g${i % 10}"}`, created_at: CREATED_BASE_US + BigInt(i) * 1000000n,
  };
}

function schemaFor(dim) {
  return new arrow.Schema([
    new arrow.Field('id', new arrow.Utf8(), false),
    new arrow.Field('path', new arrow.Utf8(), true),
    new arrow.Field('text', new arrow.Utf8(), true),
    new arrow.Field('vector', new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true)), true),
    new arrow.Field('metadata', new arrow.Utf8(), true),
    new arrow.Field('created_at', new arrow.TimestampMicrosecond(), true),
  ]);
}

// An Arrow table of the given records, built column by column (fast for 100,000 x 384).
function arrowTable(recs, dim) {
  const n = recs.length;
  const flat = new Float32Array(n * dim);
  recs.forEach((rec, k) => flat.set(rec.vector, k * dim));
  const schema = schemaFor(dim);
  const vecType = schema.fields[3].type;
  const child = arrow.makeData({ type: new arrow.Float32(), length: n * dim, data: flat });
  const vecData = arrow.makeData({ type: vecType, length: n, nullCount: 0, child });
  const ts = new BigInt64Array(n);
  recs.forEach((rec, k) => { ts[k] = rec.created_at; });
  const tsData = arrow.makeData({ type: new arrow.TimestampMicrosecond(), length: n, data: ts });
  const utf8 = (key) => arrow.vectorFromArray(recs.map((r) => r[key]), new arrow.Utf8());
  const cols = {
    id: utf8('id'), path: utf8('path'), text: utf8('text'), vector: arrow.makeVector(vecData),
    metadata: utf8('metadata'), created_at: arrow.makeVector(tsData),
  };
  const batch = new arrow.RecordBatch(schema, arrow.makeData({
    type: new arrow.Struct(schema.fields), length: n, nullCount: 0,
    children: schema.fields.map((f) => cols[f.name].data[0]),
  }));
  return new arrow.Table(schema, [batch]);
}

// A database in object storage (s3://...) takes the storage options lancepool bench was given, passed as
// "KEY=VALUE" lines in LP_STORAGE_OPTIONS (LanceDB also reads the AWS_* variables itself).
const inStore = (db) => db.startsWith('s3://');
function storageOptions() {
  const o = {};
  for (const line of (process.env.LP_STORAGE_OPTIONS || '').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) o[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return o;
}
const connect = (db) => lancedb.connect(db, inStore(db) ? { storageOptions: storageOptions() } : {});

async function tableExists(db, table) {
  if (!inStore(db)) return fs.existsSync(path.join(db, `${table}.lance`));
  const conn = await connect(db);
  try { return (await conn.tableNames()).includes(table); } finally { conn.close(); }
}

async function buildTable(db, a) {
  const conn = await connect(db);
  const chunk = 10000;
  let tbl = null;
  for (let start = 0; start < a.records; start += chunk) {
    const recs = [];
    for (let i = start; i < Math.min(a.records, start + chunk); i++) recs.push(record(i, a.dim));
    const t = arrowTable(recs, a.dim);
    if (tbl === null) tbl = await conn.createTable(a.table, t, { mode: 'overwrite' });
    else await tbl.add(t);
    progress(`building ${Math.min(a.records, start + chunk)}/${a.records} records`);
  }
  await tbl.optimize({ cleanupOlderThan: new Date() }).catch(() => {});
  tbl.close();
  conn.close();
}

// ---- progress (only on a terminal) -----------------------------------------------------------------
const tty = process.stderr.isTTY;
function progress(msg) { if (tty) process.stderr.write(`\r\x1b[K[lancedb] ${msg}`); }
function progressDone() { if (tty) process.stderr.write('\r\x1b[K'); }

// ---- modes ------------------------------------------------------------------------------------------
// A mode gives each worker a `use(fn)` that runs fn(table) on the worker's way to the table.
async function makeMode(mode, a, nWorkers) {
  if (mode === 'per-op') {
    const use = async (fn) => {
      const conn = await connect(a.db);
      const t = await conn.openTable(a.table);
      try { return await fn(t); } finally { t.close(); conn.close(); }
    };
    return { workers: Array(nWorkers).fill(use), close: async () => {} };
  }
  if (mode === 'persistent') {
    const conn = await connect(a.db);
    const t = await conn.openTable(a.table);
    const use = (fn) => fn(t);
    return { workers: Array(nWorkers).fill(use), close: async () => { t.close(); conn.close(); } };
  }
  const held = [];
  for (let w = 0; w < nWorkers; w++) {
    const conn = await connect(a.db);
    held.push({ conn, t: await conn.openTable(a.table) });
  }
  return {
    workers: held.map((h) => (fn) => fn(h.t)),
    close: async () => { for (const h of held) { h.t.close(); h.conn.close(); } },
  };
}

// ---- workloads ---------------------------------------------------------------------------------------
// Shared across workers of one measurement: sequence numbers for unique ids and for deletions.
function workloadState(a, tag) {
  return { tag, added: 0, nextDelete: a.records - 1, a };
}
function sqlQuote(s) { return `'${s.replace(/'/g, "''")}'`; }

async function opSearch(t, st, r) {
  const rows = await t.search(queryVector(r(), st.a.dim)).distanceType('l2').limit(10)
    .select(['id', 'path', 'text', 'metadata', 'created_at', '_distance']).toArray();
  if (rows.length === 0) throw new Error('search returned no rows');
}
// Text and hybrid searches draw their numbers in lancepool's order: the vector first, then the words.
async function opText(t, st, r, hybrid) {
  const v = hybrid ? queryVector(r(), st.a.dim) : null;
  const words = queryText(r());
  let q = hybrid ? t.query().nearestTo(v).distanceType('l2').fullTextSearch(words) : t.query().fullTextSearch(words);
  const rows = await q.limit(10).select(['id', 'path', 'text', 'metadata', 'created_at']).toArray();
  if (rows.length === 0) throw new Error(`${hybrid ? 'hybrid' : 'fts'} search returned no rows for '${words}'`);
}
async function opGet(t, st, r) {
  const id = idFor(r() % Math.max(1, Math.floor(st.a.records / 2)));
  await t.query().where(`id = ${sqlQuote(id)}`).limit(1).toArray();
}
async function opAdd(t, st, n) {
  const recs = [];
  for (let k = 0; k < n; k++) {
    const seq = st.added++;
    recs.push(record(1000000000 + seq, st.a.dim, `add-${st.tag}-${seq}`));
  }
  await t.add(arrowTable(recs, st.a.dim));
}
async function opDelete(t, st) {
  const i = st.nextDelete--;
  if (i < Math.floor(st.a.records / 2)) throw new Error('ran out of rows to delete');
  await t.delete(`id = ${sqlQuote(idFor(i))}`);
}
async function runOp(workload, t, st, r) {
  switch (workload) {
    case 'search': return opSearch(t, st, r);
    case 'get': return opGet(t, st, r);
    case 'fts': return opText(t, st, r, false);
    case 'hybrid': return opText(t, st, r, true);
    case 'add1': return opAdd(t, st, 1);
    case 'add100': return opAdd(t, st, 100);
    case 'delete': return opDelete(t, st);
    case 'mixed': {
      const x = r() % 100;
      if (x < 45) return opSearch(t, st, r);
      if (x < 90) return opGet(t, st, r);
      return opAdd(t, st, 1);
    }
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

async function measure(a, workload, mode, nWorkers) {
  const m = await makeMode(mode, a, nWorkers);
  const st = workloadState(a, `${mode}-${nWorkers}-${workload}`);
  const lat = [];
  // Read workloads warm up first (two untimed operations), as lancepool's side does.
  if (READ_WORKLOADS.includes(workload)) {
    const r = rng(0x5eed);
    for (let i = 0; i < 2; i++) await m.workers[0]((t) => runOp(workload, t, st, r));
  }
  const deadline = process.hrtime.bigint() + BigInt(Math.round(a.seconds * 1e9));
  const t0 = process.hrtime.bigint();
  let failure = null;
  let failed = 0;
  const loop = async (use, w) => {
    const r = rng(0xbe7c0000 + w * 7919 + nWorkers * 104729);
    while (process.hrtime.bigint() < deadline) {
      const s = process.hrtime.bigint();
      try {
        await use((t) => runOp(workload, t, st, r));
      } catch (e) {
        // Count the failure (e.g. a commit conflict between connections) and go on, as lancepool's side does.
        if (failed++ === 0) failure = e;
        if (/ran out of rows/.test(e.message)) break;
        continue;
      }
      lat.push(Number(process.hrtime.bigint() - s) / 1000);
    }
  };
  const ticker = tty ? setInterval(() => progress(`${workload} ${mode} ${nWorkers}t: ${lat.length} ops`), 200) : null;
  await Promise.all(m.workers.map((use, w) => loop(use, w)));
  if (ticker) clearInterval(ticker);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  await m.close();
  if (failure && lat.length === 0) throw new Error(`${workload} ${mode} ${nWorkers} workers: ${failure.message}`);
  if (failure) console.error(`store_peer: ${workload} ${mode} ${nWorkers} workers: ${failed} operations failed; first: ${failure.message}`);
  lat.sort((x, y) => x - y);
  return { ops: lat.length / elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

// LanceDB's FTS index on the text column, unless the table has one.
async function ensureFtsIndex(a) {
  const conn = await connect(a.db);
  const t = await conn.openTable(a.table);
  const have = (await t.listIndices()).some((i) => i.indexType === 'FTS' && i.columns.includes('text'));
  if (!have) await t.createIndex('text', { config: lancedb.Index.fts() });
  t.close();
  conn.close();
}

async function main() {
  const a = parseArgs(process.argv);
  if (a.createFtsIndex) return ensureFtsIndex(a);
  if (!inStore(a.db)) fs.mkdirSync(a.db, { recursive: true });
  const exists = await tableExists(a.db, a.table);
  if (a.build || !exists) await buildTable(a.db, a);
  if (a.workloads.includes('fts') || a.workloads.includes('hybrid')) await ensureFtsIndex(a);
  // Check the table is a store table of the right dimension before measuring.
  {
    const conn = await connect(a.db);
    const t = await conn.openTable(a.table);
    const schema = await t.schema();
    const vf = schema.fields.find((f) => f.name === 'vector');
    if (!vf || vf.type.listSize !== a.dim)
      throw new Error(`table ${a.table} in ${a.db}: expected a vector column of dimension ${a.dim}`);
    a.records = Math.min(a.records, await t.countRows());
    t.close();
    conn.close();
  }
  // Every measurement starts from the table as built: what earlier write workloads added or deleted is
  // rolled back first (restore of the base version, a metadata-only commit), as lancepool's side does.
  const base = await (async () => {
    const conn = await connect(a.db);
    const t = await conn.openTable(a.table);
    const v = await t.version();
    t.close();
    conn.close();
    return v;
  })();
  const resetTable = async () => {
    const conn = await connect(a.db);
    const t = await conn.openTable(a.table);
    if ((await t.version()) !== base) {
      await t.checkout(base);
      await t.restore();
    }
    t.close();
    conn.close();
  };
  if (a.header) console.log('workload,mode,threads,ops_per_sec,p50_us,p99_us');
  for (const workload of a.workloads)
    for (const mode of a.modes)
      for (const n of a.threads) {
        await resetTable();
        const res = await measure(a, workload, mode, n);
        progressDone();
        console.log(`${workload},lancedb-${mode},${n},${res.ops.toFixed(1)},${res.p50.toFixed(0)},${res.p99.toFixed(0)}`);
      }
}

main().catch((e) => {
  progressDone();
  console.error(`store_peer: ${e.message}`);
  process.exit(1);
});
