// Row-id oracle: LanceDB 0.31.0's pseudo-columns _rowid and _rowaddr, in filters (query().where(),
// countRows(), vectorSearch().where(), delete()) and in withRowId() output, over real tables with several
// fragments, deletions and a compaction; and a table with stable row ids. Writes the answers as JSON for
// tests/interop/test_rowid_oracle.c.
// Usage: node rowid_oracle.mjs <scratch dir>  -> writes <scratch dir>/rowid_oracle.json
import * as lancedb from '@lancedb/lancedb';
import * as arrow from 'apache-arrow';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) { console.error('usage: rowid_oracle.mjs <dir>'); process.exit(2); }
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
const db = await lancedb.connect(path.join(dir, 'db'));

const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('v', new arrow.FixedSizeList(2, new arrow.Field('item', new arrow.Float32(), true)), true),
  new arrow.Field('s', new arrow.Utf8(), true),
]);
const rows = (a, b) => {
  const r = [];
  for (let i = a; i < b; i++) r.push({ id: i, v: [i, 1], s: `r${i % 5}` });
  return r;
};
const big = (v) => (typeof v === 'bigint' ? v.toString() : v);

// Three fragments of 10 rows, a deletion in each; then (version "compacted") a compaction and one more
// deletion in the compacted fragment. With stable row ids the same, in table "rs".
async function build(name, stable) {
  const opts = { schema, mode: 'overwrite' };
  if (stable) opts.storageOptions = { new_table_enable_stable_row_ids: 'true' };
  const t = await db.createTable(name, rows(0, 10), opts);
  await t.add(rows(10, 20));
  await t.add(rows(20, 30));
  await t.delete('id % 7 = 3');
  const before = await t.version();
  await t.optimize();
  await t.delete('id = 20');
  return { t, before, after: await t.version() };
}

const preds = [
  '_rowid > 3', '_rowid >= 4294967296', '_rowaddr < 4294967296', '_rowid = 4294967298', '_rowaddr = 4294967298',
  '_rowid IN (0, 2, 4294967297, 8589934593, 12884901890)', '_rowid NOT IN (0, 1, 2)', '_rowid BETWEEN 5 AND 4294967300',
  '_rowid % 2 = 0', '_rowid / 4294967296 = 1', '_rowaddr - _rowid = 0', '_rowaddr = _rowid',
  'id > 5 AND _rowid < 8589934592', 'NOT (_rowid < 3)', '_rowid IS NULL', '_rowid IS NOT NULL', '_ROWID = 2',
  '`_rowid` = 2', '_rowid + 1 > 4294967297', '_rowid < id', '_rowaddr > id', "CAST(_rowid AS VARCHAR) LIKE '42949%'",
  '_rowaddr >= 12884901888', '_rowid > 5 OR s = \'r1\'', 'id = 4 OR _rowaddr = 8589934594', '_rowid < 30',
  '_rowaddr < 30', '_rowid >= 8 AND _rowid <= 12', '_rowid IN (3, 5, 8, 20, 21)',
  // refused by LanceDB
  "_rowid = '3'", '_rowid > -1', '_rowid > 1.5', '_rowoffset < 2', '_rowid.x = 1', '_rowid >> 32 = 1',
];
const knn = [3.3, 1];
const searchPreds = ['_rowid > 3', '_rowaddr >= 4294967296', '_rowid IN (2, 5, 4294967297, 4294967300)', 'id > 12 AND _rowid < 8589934600'];

async function answers(t, version) {
  await t.checkout(version);
  const out = { version, filters: [], searches: [] };
  const all = await t.query().withRowId().select(['id']).toArray();
  out.rowids = all.map((r) => [Number(r.id), big(r._rowid)]);
  for (const p of preds) {
    const e = { pred: p };
    try {
      e.ids = (await t.query().where(p).select(['id']).toArray()).map((r) => Number(r.id));
    } catch (err) { e.error = String(err.message).split('\n')[0].slice(0, 200); }
    try { e.count = await t.countRows(p); } catch (err) { e.count_error = String(err.message).split('\n')[0].slice(0, 200); }
    out.filters.push(e);
  }
  for (const p of searchPreds) {
    const e = { pred: p };
    try {
      const rs = await t.vectorSearch(knn).where(p).limit(5).select(['id']).withRowId().toArray();
      e.hits = rs.map((r) => [Number(r.id), big(r._rowid)]);
    } catch (err) { e.error = String(err.message).split('\n')[0].slice(0, 200); }
    out.searches.push(e);
  }
  await t.checkoutLatest();
  return out;
}

const result = { knn, tables: [] };
for (const [name, stable] of [['r', false], ['rs', true]]) {
  const { t, before, after } = await build(name, stable);
  result.tables.push({ name, stable, versions: [await answers(t, before), await answers(t, after)] });
}

// Deletes by row id: LanceDB deletes from "dl", the C test deletes the same from its twin "dc".
const delPred = '_rowid = 4294967298 OR _rowaddr < 2 OR _rowid IN (8589934592, 8589934595)';
for (const name of ['dl', 'dc']) {
  const t = await db.createTable(name, rows(0, 10), { schema, mode: 'overwrite' });
  await t.add(rows(10, 20));
  await t.add(rows(20, 30));
  await t.delete('id = 11');
  if (name === 'dl') await t.delete(delPred);
}
const dl = await db.openTable('dl');
result.delete = { pred: delPred, ids: (await dl.query().select(['id']).toArray()).map((r) => Number(r.id)) };

fs.writeFileSync(path.join(dir, 'rowid_oracle.json'), JSON.stringify(result, null, 1));
console.log(`rowid_oracle: ${result.tables.length} tables, ${preds.length} filters and ${searchPreds.length} searches per version`);
