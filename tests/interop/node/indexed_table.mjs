// A table with LanceDB's own indexes, written and inspected by official LanceDB 0.31.0
// (tests/interop/test_index_compact.sh, test_indices_cli.sh).
//
//   node indexed_table.mjs gen DB       table "docs": id int32 (BTREE), cat utf8 (BITMAP), text utf8 (FTS),
//                                       vec fixed_size_list<float32, 32> (IVF_PQ, 4 partitions, 4 sub-vectors);
//                                       version 1: 3000 rows, the four indexes, then five appends of 120
//                                       unindexed rows each (small fragments), then a delete touching both
//                                       indexed and unindexed fragments
//   node indexed_table.mjs kinds DB     table "kinds" with one index of every other kind LanceDB's Node API builds:
//                                       IVF_FLAT (cosine, on a column with null vectors), IVF_HNSW_SQ,
//                                       IVF_HNSW_PQ, IVF_RQ, 4-bit IVF_PQ (dot), LABEL_LIST; then an append, a
//                                       delete of the whole appended fragment, a delete of indexed rows and
//                                       another append
//   node indexed_table.mjs vectors DB   table "vt": 2000 rows of four 32-d float32 columns, indexed IVF_PQ (8-bit)
//                                       l2, IVF_PQ cosine, IVF_PQ dot and IVF_FLAT l2 (4 partitions each), then
//                                       two appends (unindexed) and a delete across indexed and unindexed rows
//   node indexed_table.mjs pq4 DB       table "p4": 1300 rows as in vt, 4-bit IVF_PQ (2 partitions, 8 sub-vectors) on
//                                       l2, cs (cosine) and dt (dot); no deletion and nothing unindexed, so
//                                       LanceDB scores the codes through its quantized 4-bit path
//   node indexed_table.mjs pq4delete DB an unindexed append to p4 and a delete across indexed and unindexed rows
//                                       (LanceDB then scores 4-bit codes exactly)
//   node indexed_table.mjs state DB     what LanceDB says about the table, one JSON line per fact: the index
//                                       list, each index's statistics, whether the plans use the indexes,
//                                       and the answers of indexed queries (vector, scalar, full text)
//   node indexed_table.mjs vstate DB    the same for table vt: its indexes, their statistics, and indexed
//                                       answers (ids and distances) on each of its four columns
//   node indexed_table.mjs voptimize DB an append to vt, then LanceDB's own optimize()
//   node indexed_table.mjs stats DB [TABLE]  (default docs) one line per index: name TAB type TAB columns TAB indexed TAB unindexed
//   node indexed_table.mjs optimize DB  LanceDB's own optimize() (compaction + index maintenance), then one
//                                       more append, as a later LanceDB writer would do
// Values come from a seeded PRNG, so two runs write the same table.
import * as lancedb from "@lancedb/lancedb";
import * as arrow from "apache-arrow";
import { prng } from "./prng.mjs";

const [mode, dir] = process.argv.slice(2);
if (!mode || !dir) throw new Error("usage: node indexed_table.mjs gen|kinds|vectors|pq4|pq4delete|state|vstate|stats|optimize|voptimize <db-dir> [table]");

const DIM = 32;
const CATS = ["red", "green", "blue", "cyan", "plum"];
const WORDS = ["river", "stone", "cloud", "ember", "maple", "orbit", "quartz", "lantern", "harbor", "meadow"];
const schema = new arrow.Schema([
  new arrow.Field("id", new arrow.Int32(), false),
  new arrow.Field("cat", new arrow.Utf8(), true),
  new arrow.Field("text", new arrow.Utf8(), true),
  new arrow.Field("vec", new arrow.FixedSizeList(DIM, new arrow.Field("item", new arrow.Float32(), true)), true),
]);

function rows(rnd, start, n) {
  const out = [];
  for (let i = start; i < start + n; i++) {
    const words = Array.from({ length: 4 }, () => WORDS[Math.floor(rnd() * WORDS.length)]);
    out.push({
      id: i,
      cat: CATS[Math.floor(rnd() * CATS.length)],
      text: words.join(" "),
      vec: Array.from({ length: DIM }, () => Math.fround(rnd() * 2 - 1)),
    });
  }
  return lancedb.makeArrowTable(out, { schema });
}

async function gen() {
  const rnd = prng(1313);
  const db = await lancedb.connect(dir);
  const t = await db.createTable("docs", rows(rnd, 0, 3000), { mode: "overwrite" });
  await t.createIndex("vec", { config: lancedb.Index.ivfPq({ numPartitions: 4, numSubVectors: 4 }) });
  await t.createIndex("id", { config: lancedb.Index.btree() });
  await t.createIndex("cat", { config: lancedb.Index.bitmap() });
  await t.createIndex("text", { config: lancedb.Index.fts() });
  for (let k = 0; k < 5; k++) await t.add(rows(rnd, 3000 + 120 * k, 120));
  await t.delete("id % 17 = 4");
}

const queries = () => {
  const rnd = prng(4242);
  return Array.from({ length: 6 }, () => Array.from({ length: DIM }, () => Math.fround(rnd() * 2 - 1)));
};

const ids = (batch) => batch.map((r) => r.id).sort((a, b) => a - b);

async function state() {
  const db = await lancedb.connect(dir);
  const t = await db.openTable("docs");
  const out = (o) => console.log(JSON.stringify(o));
  const list = (await t.listIndices()).map((i) => ({ name: i.name, type: i.indexType, columns: i.columns }));
  list.sort((a, b) => (a.name < b.name ? -1 : 1));
  out({ indices: list });
  for (const i of list) out({ stats: i.name, ...(await t.indexStats(i.name)) });
  out({ rows: await t.countRows() });
  // plans: does LanceDB still use each index?
  const q = queries();
  const vplan = await t.query().nearestTo(q[0]).limit(10).explainPlan();
  out({ vector_plan_uses_index: /ANNIvf|ANNSubIndex/.test(vplan) });
  const splan = await t.query().where("id = 77").explainPlan();
  out({ scalar_plan_uses_index: /ScalarIndexQuery|MaterializeIndex/.test(splan) });
  // answers: ANN with the default and a small nprobes, with refine, fast search; scalar filters; full text
  for (const [n, v] of q.entries()) {
    for (const opts of [{}, { nprobes: 1 }, { refine: 3 }, { fast: true }]) {
      let query = t.query().nearestTo(v).limit(10).select(["id"]);
      if (opts.nprobes) query = query.nprobes(opts.nprobes);
      if (opts.refine) query = query.refineFactor(opts.refine);
      if (opts.fast) query = query.fastSearch();
      const res = (await query.toArray()).map((r) => [r.id, Math.fround(r._distance)]);
      out({ ann: n, ...opts, res });
    }
  }
  for (const pred of ["id = 77", "id IN (5, 3001, 3500)", "id >= 2990 AND id < 3010", "cat = 'plum'", "cat IN ('red', 'blue') AND id < 400"]) {
    const res = ids(await t.query().where(pred).select(["id"]).toArray());
    out({ where: pred, n: res.length, res });
  }
  for (const word of ["ember", "quartz lantern"]) {
    const res = ids(await t.query().fullTextSearch(word).select(["id"]).limit(100000).toArray());
    out({ fts: word, n: res.length, res });
  }
}

async function kinds() {
  const rnd = prng(2727);
  const f32 = (dim) => new arrow.FixedSizeList(dim, new arrow.Field("item", new arrow.Float32(), true));
  const kschema = new arrow.Schema([
    new arrow.Field("id", new arrow.Int32(), false),
    new arrow.Field("tags", new arrow.List(new arrow.Field("item", new arrow.Utf8(), true)), true),
    ...["a", "b", "c", "d", "e"].map((c) => new arrow.Field(c, f32(16), true)),
  ]);
  const vec = () => Array.from({ length: 16 }, () => Math.fround(rnd() * 2 - 1));
  const krows = (start, n) => {
    const out = [];
    for (let i = start; i < start + n; i++)
      out.push({
        id: i,
        tags: [CATS[i % 5], CATS[(i * 7) % 5]],
        a: i % 9 === 0 ? null : vec(),
        b: vec(),
        c: vec(),
        d: vec(),
        e: vec(),
      });
    return lancedb.makeArrowTable(out, { schema: kschema });
  };
  const db = await lancedb.connect(dir);
  const t = await db.createTable("kinds", krows(0, 1000), { mode: "overwrite" });
  await t.createIndex("a", { config: lancedb.Index.ivfFlat({ numPartitions: 2, distanceType: "cosine" }) });
  await t.createIndex("b", { config: lancedb.Index.hnswSq({ numPartitions: 2 }) });
  await t.createIndex("c", { config: lancedb.Index.hnswPq({ numPartitions: 2, numSubVectors: 4 }) });
  await t.createIndex("d", { config: lancedb.Index.ivfRq({ numPartitions: 2 }) });
  await t.createIndex("e", { config: lancedb.Index.ivfPq({ numPartitions: 2, numSubVectors: 4, numBits: 4, distanceType: "dot" }) });
  await t.createIndex("tags", { config: lancedb.Index.labelList() });
  await t.add(krows(1000, 100));
  await t.delete("id >= 1000");
  await t.delete("id % 10 = 3");
  await t.add(krows(2000, 70));
}

const emit = (o) => console.log(JSON.stringify(o));
const VCOLS = ["l2", "cs", "dt", "fl"];
function vtRows(rnd, start, n) {
  const f32 = new arrow.FixedSizeList(DIM, new arrow.Field("item", new arrow.Float32(), true));
  const vschema = new arrow.Schema([
    new arrow.Field("id", new arrow.Int32(), false),
    ...VCOLS.map((c) => new arrow.Field(c, f32, true)),
  ]);
  const vec = () => Array.from({ length: DIM }, () => Math.fround(rnd() * 2 - 1));
  const out = [];
  for (let i = start; i < start + n; i++) out.push({ id: i, l2: vec(), cs: vec(), dt: vec(), fl: vec() });
  return lancedb.makeArrowTable(out, { schema: vschema });
}

async function vectors() {
  const rnd = prng(6161);
  const db = await lancedb.connect(dir);
  const t = await db.createTable("vt", vtRows(rnd, 0, 2000), { mode: "overwrite" });
  const pq = (distanceType) => lancedb.Index.ivfPq({ numPartitions: 4, numSubVectors: 8, distanceType });
  await t.createIndex("l2", { config: pq("l2") });
  await t.createIndex("cs", { config: pq("cosine") });
  await t.createIndex("dt", { config: pq("dot") });
  await t.createIndex("fl", { config: lancedb.Index.ivfFlat({ numPartitions: 4 }) });
  await t.add(vtRows(rnd, 2000, 150));
  await t.add(vtRows(rnd, 2150, 90));
  await t.delete("id % 11 = 5");
}

async function pq4() {
  const rnd = prng(4444);
  const db = await lancedb.connect(dir);
  const t = await db.createTable("p4", vtRows(rnd, 0, 1300), { mode: "overwrite" });
  for (const [col, distanceType] of [["l2", "l2"], ["cs", "cosine"], ["dt", "dot"]])
    await t.createIndex(col, { config: lancedb.Index.ivfPq({ numPartitions: 2, numSubVectors: 8, numBits: 4, distanceType }) });
}

async function pq4delete() {
  const t = await (await lancedb.connect(dir)).openTable("p4");
  await t.add(vtRows(prng(4445), 1300, 60));
  await t.delete("id % 7 = 2");
}

// What LanceDB says about table vt: indexes, their statistics, whether each column's plan uses its index,
// and the ids and distances of indexed queries on every column (nprobes default and 1, refine, fast search).
async function vstate() {
  const db = await lancedb.connect(dir);
  const t = await db.openTable("vt");
  const list = await t.listIndices();
  list.sort((a, b) => (a.name < b.name ? -1 : 1));
  emit({ indices: list.map((i) => [i.name, i.indexType, i.columns]) });
  for (const i of list) emit({ stats: i.name, ...(await t.indexStats(i.name)) });
  emit({ rows: await t.countRows() });
  const rnd = prng(4242);
  for (const col of VCOLS) {
    const q0 = Array.from({ length: DIM }, () => Math.fround(rnd() * 2 - 1));
    emit({ plan: col, uses_index: /ANNIvf|ANNSubIndex/.test(await t.query().nearestTo(q0).column(col).explainPlan()) });
    for (let n = 0; n < 4; n++) {
      const v = Array.from({ length: DIM }, () => Math.fround(rnd() * 2 - 1));
      for (const opts of [{}, { nprobes: 1 }, { refine: 3 }, { fast: true }]) {
        let query = t.query().nearestTo(v).column(col).limit(10).select(["id"]);
        if (opts.nprobes) query = query.nprobes(opts.nprobes);
        if (opts.refine) query = query.refineFactor(opts.refine);
        if (opts.fast) query = query.fastSearch();
        const res = (await query.toArray()).map((r) => [r.id, Math.fround(r._distance)]);
        emit({ ann: col, n, ...opts, res });
      }
    }
  }
}

// LanceDB appends to vt and runs its own optimize() on top (compaction + index maintenance).
async function voptimize() {
  const db = await lancedb.connect(dir);
  const t = await db.openTable("vt");
  await t.add(vtRows(prng(515), 5000, 60));
  await t.optimize();
  console.log("rows", await t.countRows());
}

async function stats() {
  const db = await lancedb.connect(dir);
  const t = await db.openTable(process.argv[4] || "docs");
  const list = await t.listIndices();
  list.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const i of list) {
    const s = await t.indexStats(i.name);
    console.log([i.name, i.indexType, i.columns.join(","), s.numIndexedRows, s.numUnindexedRows].join("\t"));
  }
}

async function optimize() {
  const db = await lancedb.connect(dir);
  const t = await db.openTable("docs");
  await t.optimize();
  await t.add(rows(prng(777), 9000, 50));
  console.log("rows", await t.countRows());
}

const modes = { gen, kinds, vectors, pq4, pq4delete, state, vstate, stats, optimize, voptimize };
if (!modes[mode]) throw new Error(`unknown mode ${mode}`);
await modes[mode]();
