// Official LanceDB 0.31.0 as the reference and the other writer for lancepool's table operations
// (tests/interop/test_update_interop.sh).
//   node table_ops_peer.mjs setup DB TABLE...              the same rows in every TABLE: 3 fragments of 100
//                                                          rows (id 0..299, scalar columns of every kind and
//                                                          a vector), rows with id % 7 = 3 deleted
//   node table_ops_peer.mjs update DB TABLE WHERE COL EXPR [COL EXPR]...
//                                                          update({valuesSql, where}) (WHERE "" = all rows);
//                                                          prints "<rows updated> <version>"
//   node table_ops_peer.mjs append DB TABLE FIRST_ID N     append rows FIRST_ID.. of the same kind
//   node table_ops_peer.mjs append-loop DB TABLE FIRST_ID N  N one-row appends; prints each committed id
//   node table_ops_peer.mjs optimize DB TABLE              compaction (LanceDB's optimize)
//   node table_ops_peer.mjs source DB TABLE FIRST_ID N SALT [DUP]  a table of N rows FIRST_ID.. whose values
//                                                          differ by a per-row amount from SALT (the source
//                                                          of a merge); DUP: the first row once more
//   node table_ops_peer.mjs merge DB TABLE SOURCE KEYS [--update-all] [--update-where P] [--insert-all]
//                                 [--delete-not-matched] [--delete-where P]
//                                                          mergeInsert(KEYS split at ",") with the rows of
//                                                          table SOURCE; prints "<updated> <inserted>
//                                                          <deleted> <version>"
//   node table_ops_peer.mjs tag DB TABLE create NAME VERSION | delete NAME | list | count NAME
//                                                          LanceDB's tags; list prints "name<TAB>version"
//                                                          lines in name order, count the rows of the tag
//   node table_ops_peer.mjs branch DB TABLE NAME FROM_VERSION FIRST_ID N
//                                                          a branch from a main-line version, with N rows
//                                                          appended on it
//   node table_ops_peer.mjs alter DB TABLE [rename OLD NEW | nullable COL | drop COL]...
//                                                          alterColumns (renames and nullability in one
//                                                          call), then dropColumns
//   node table_ops_peer.mjs add-columns DB TABLE NAME SQL...  addColumns with SQL values; prints the version
//   node table_ops_peer.mjs readd DB TABLE N               append copies of the first N rows, as they read
//   node table_ops_peer.mjs branch-count DB TABLE NAME     the rows of branch NAME (all read)
//   node table_ops_peer.mjs cleanup DB TABLE               optimize with cleanup of every old version
import * as lancedb from "@lancedb/lancedb";
import { createRequire } from "node:module";
const arrow = createRequire(import.meta.url)("apache-arrow");

const vecType = new arrow.FixedSizeList(4, new arrow.Field("item", new arrow.Float32(), true));
const schema = new arrow.Schema([
  new arrow.Field("id", new arrow.Int64(), false),
  new arrow.Field("i32", new arrow.Int32(), true),
  new arrow.Field("u8", new arrow.Uint8(), true),
  new arrow.Field("f32", new arrow.Float32(), true),
  new arrow.Field("f64", new arrow.Float64(), true),
  new arrow.Field("s", new arrow.Utf8(), true),
  new arrow.Field("flag", new arrow.Bool(), true),
  new arrow.Field("d", new arrow.DateDay(), true),
  new arrow.Field("ts", new arrow.TimestampMicrosecond(), true),
  new arrow.Field("v", vecType, true),
]);

// Rows first..first+n-1; with nulls, every column but id is null in some rows. (apache-arrow's
// vectorFromArray builds a one-row all-null vector or boolean column that LanceDB cannot read, so one-row
// appends go without nulls.)
function rows(first, n, nulls = true, salt = 0, dup = false) {
  const ids = Array.from({ length: n }, (_, k) => first + k);
  if (dup) ids.push(first);
  const nul = (i, m, v) => (nulls && i % m === 1 ? null : v);
  const d = (i) => (salt ? (i % 3) - 1 + salt : 0); /* -1, 0, +1 around salt */
  const col = (f, t) => arrow.vectorFromArray(ids.map(f), t);
  return new arrow.Table(schema, {
    id: col((i) => BigInt(i), new arrow.Int64()),
    i32: col((i) => nul(i, 11, i * 3 - 200 + d(i)), new arrow.Int32()),
    u8: col((i) => nul(i, 13, (i + salt) % 256), new arrow.Uint8()),
    f32: col((i) => nul(i, 17, i / 8 + d(i)), new arrow.Float32()),
    f64: col((i) => nul(i, 19, i * 1.25 - 7 + d(i)), new arrow.Float64()),
    s: col((i) => nul(i, 23, i % 4 === 0 && salt ? `row${i}+${salt}` : `row${i}`), new arrow.Utf8()),
    flag: col((i) => nul(i, 29, i % 2 === 0), new arrow.Bool()),
    d: col((i) => nul(i, 31, new Date(Date.UTC(2020, 0, 1 + i))), new arrow.DateDay()),
    ts: col((i) => nul(i, 37, 1700000000000 + i * 1001.5), new arrow.TimestampMicrosecond()),
    v: col((i) => nul(i, 41, [i, i + 0.5, -i, 1]), vecType),
  });
}

const [cmd, dir, name, ...rest] = process.argv.slice(2);
const db = await lancedb.connect(dir);
switch (cmd) {
  case "setup":
    for (const t of [name, ...rest]) {
      const tbl = await db.createTable(t, rows(0, 100), { mode: "overwrite" });
      await tbl.add(rows(100, 100));
      await tbl.add(rows(200, 100));
      await tbl.delete("id % 7 = 3");
    }
    break;
  case "update": {
    const t = await db.openTable(name);
    const valuesSql = {};
    for (let k = 1; k + 1 < rest.length; k += 2) valuesSql[rest[k]] = rest[k + 1];
    const r = await t.update(rest[0] === "" ? { valuesSql } : { valuesSql, where: rest[0] });
    console.log(`${r.rowsUpdated} ${r.version}`);
    break;
  }
  case "add-columns": {
    const t = await db.openTable(name);
    const cols = [];
    for (let k = 0; k + 1 < rest.length; k += 2) cols.push({ name: rest[k], valueSql: rest[k + 1] });
    await t.addColumns(cols);
    console.log(`${await t.version()}`);
    break;
  }
  case "append": {
    const t = await db.openTable(name);
    await t.add(rows(Number(rest[0]), Number(rest[1])));
    break;
  }
  case "append-loop": {
    const t = await db.openTable(name);
    for (let k = 0; k < Number(rest[1]); k++) {
      const id = Number(rest[0]) + k;
      try {
        await t.add(rows(id, 1, false));
        process.stdout.write(`${id}\n`);
      } catch (e) {
        process.stderr.write(`append ${id} failed: ${e.message.split("\n")[0]}\n`);
      }
    }
    break;
  }
  case "optimize": {
    const t = await db.openTable(name);
    await t.optimize();
    break;
  }
  case "source":
    await db.createTable(name, rows(Number(rest[0]), Number(rest[1]), rest[3] !== "DUP", Number(rest[2]), rest[3] === "DUP"),
                         { mode: "overwrite" });
    break;
  case "merge": {
    const t = await db.openTable(name);
    const src = await (await db.openTable(rest[0])).query().toArrow();
    let b = t.mergeInsert(rest[1].split(","));
    const opt = rest.slice(2);
    const arg = (f) => (opt.indexOf(f) >= 0 ? opt[opt.indexOf(f) + 1] : undefined);
    if (opt.includes("--update-all")) b = b.whenMatchedUpdateAll(arg("--update-where") ? { where: arg("--update-where") } : undefined);
    if (opt.includes("--insert-all")) b = b.whenNotMatchedInsertAll();
    if (opt.includes("--delete-not-matched"))
      b = b.whenNotMatchedBySourceDelete(arg("--delete-where") ? { where: arg("--delete-where") } : undefined);
    const r = await b.execute(src);
    console.log(`${r.numUpdatedRows} ${r.numInsertedRows} ${r.numDeletedRows} ${r.version}`);
    break;
  }
  case "tag": {
    const t = await db.openTable(name);
    const tags = await t.tags();
    if (rest[0] === "create") await tags.create(rest[1], Number(rest[2]));
    else if (rest[0] === "delete") await tags.delete(rest[1]);
    else if (rest[0] === "count") {
      await t.checkout(rest[1]);
      console.log(await t.countRows());
    } else {
      const all = await tags.list();
      for (const k of Object.keys(all).sort()) console.log(`${k}\t${await tags.getVersion(k)}`);
    }
    break;
  }
  case "branch": {
    const t = await db.openTable(name);
    const b = await (await t.branches()).create(rest[0], "main", Number(rest[1]));
    await b.add(rows(Number(rest[2]), Number(rest[3]), false));
    console.log(await b.countRows());
    break;
  }
  case "alter": {
    const t = await db.openTable(name);
    const alter = [], drop = [];
    for (let k = 0; k < rest.length; ) {
      if (rest[k] === "rename") alter.push({ path: rest[k + 1], rename: rest[k + 2] }), (k += 3);
      else if (rest[k] === "nullable") alter.push({ path: rest[k + 1], nullable: true }), (k += 2);
      else drop.push(rest[k + 1]), (k += 2);
    }
    if (alter.length) await t.alterColumns(alter);
    if (drop.length) await t.dropColumns(drop);
    break;
  }
  case "readd": {
    const t = await db.openTable(name);
    await t.add(await t.query().limit(Number(rest[0])).toArrow());
    break;
  }
  case "branch-count": {
    const t = await db.openTable(name);
    const b = await (await t.branches()).checkout(rest[0]);
    console.log((await b.query().toArray()).length);
    break;
  }
  case "cleanup": {
    const t = await db.openTable(name);
    await t.optimize({ cleanupOlderThan: new Date(Date.now() + 1000) });
    break;
  }
  default:
    throw new Error(`unknown command ${cmd}`);
}
