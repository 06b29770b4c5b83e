// Indexed vector search, lancepool against official LanceDB 0.31.0, query by query
// (tests/interop/test_index_search.sh).
//
//   node ann_check.mjs DB TABLE COLUMN METRIC LANCEPOOL [--exact] [--n N] [--ties]
//
// For N seeded random queries (default 12) and a set of variants (default nprobes 20, nprobes 1 and 2,
// refine factor 3, fast search, a `where` prefilter, a `where` with fast search, k 1 and 50, bypassing the
// index) both engines answer with k ids in rank order and their distances: the ids must be the same in
// the same order and each distance within 1e-5 relative (1e-6 absolute near 0). --exact: lancepool is
// expected to search exactly (an index it does not use), so its answer is compared with LanceDB's
// bypassVectorIndex() answer instead. METRIC "default": neither engine is told a metric (LanceDB then
// searches with the index's metric, and lancepool must too). --ties (4-bit PQ's quantized scores, where many
// rows share a distance): at the cut-off, rows whose distance equals the last one's may differ, since
// LanceDB picks among them by the arrival order of its concurrent partition searches; every nearer row must
// still be the same, in the same place. The refine variant is left out there (a tie at the k x refine
// cut-off changes which rows get refined, so no tie shows in the answer); it is checked on exact scores. Prints "ann check: P passed, F failed" and exits 1 on any failure.
import * as lancedb from "@lancedb/lancedb";
import { execFileSync } from "node:child_process";
import { prng } from "./prng.mjs";

const args = process.argv.slice(2);
const [dir, table, column, metric, lancepool] = args;
const exact = args.includes("--exact");
const ties = args.includes("--ties");
const nIdx = args.indexOf("--n");
const nQueries = nIdx >= 0 ? Number(args[nIdx + 1]) : 12;
if (!lancepool) throw new Error("usage: node ann_check.mjs DB TABLE COLUMN METRIC LANCEPOOL [--exact] [--n N]");

const db = await lancedb.connect(dir);
const t = await db.openTable(table);
const schema = await t.schema();
const dim = schema.fields.find((f) => f.name === column).type.listSize;
const rnd = prng(9090);
const variants = [
  { k: 10 },
  { k: 10, nprobes: 1 },
  { k: 10, nprobes: 2 },
  { k: 10, refine: 3 },
  { k: 10, fast: true },
  { k: 10, where: "id > 300" },
  { k: 10, where: "id > 300", fast: true },
  { k: 1 },
  { k: 50, nprobes: 3 },
  { k: 10, bypass: true },
];

async function lancedbAnswer(v, o) {
  let q = t.query().nearestTo(v).column(column).limit(o.k).select(["id"]);
  if (metric !== "default") q = q.distanceType(metric);
  if (o.nprobes) q = q.nprobes(o.nprobes);
  if (o.refine) q = q.refineFactor(o.refine);
  if (o.fast) q = q.fastSearch();
  if (o.where) q = q.where(o.where);
  if (o.bypass || exact) q = q.bypassVectorIndex();
  return (await q.toArray()).map((r) => [r.id, r._distance]);
}

function lancepoolAnswer(v, o) {
  const a = ["search", dir, table, "--vector", JSON.stringify(v), "--column", column,
    "--k", String(o.k), "--columns", "id"];
  if (metric !== "default") a.push("--metric", metric);
  if (o.nprobes) a.push("--nprobes", String(o.nprobes));
  if (o.refine) a.push("--refine-factor", String(o.refine));
  if (o.fast) a.push("--fast-search");
  if (o.where) a.push("--where", o.where);
  if (o.bypass) a.push("--bypass-index");
  const out = execFileSync(lancepool, a, { encoding: "utf8" });
  return out.split("\n").filter((l) => l).map((l) => { const r = JSON.parse(l); return [r.id, r._distance]; });
}

function close(a, b) {
  return Math.abs(a - b) <= Math.max(1e-6, 1e-5 * Math.max(Math.abs(a), Math.abs(b)));
}

let passed = 0, failed = 0;
for (let n = 0; n < nQueries; n++) {
  const v = Array.from({ length: dim }, () => Math.fround(rnd() * 2 - 1));
  for (const o of variants) {
    if (exact && o.fast) continue; // fast search without an index LanceDB uses has no exact counterpart
    if (ties && o.refine) continue; // see --ties above
    const want = await lancedbAnswer(v, o);
    const got = lancepoolAnswer(v, o);
    const cut = want.length ? want[want.length - 1][1] : 0;
    const same = want.length === got.length && want.every((w, i) => close(w[1], got[i][1]) &&
      (w[0] === got[i][0] || (ties && close(w[1], cut))));
    if (same) passed++;
    else {
      failed++;
      if (failed <= 5)
        console.log(`FAIL ${table}.${column} ${metric} query ${n} ${JSON.stringify(o)}:\n  want ${JSON.stringify(want)}\n  got  ${JSON.stringify(got)}`);
    }
  }
}
console.log(`ann check ${table}.${column} ${metric}${exact ? " (exact)" : ""}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
