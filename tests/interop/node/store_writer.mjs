// Official LanceDB 0.31.0 as another writer on a lancepool store table (id, path, text, vector,
// metadata, created_at), for tests/interop/test_store_lancedb.c:
//   node store_writer.mjs add DB TABLE ID TEXT DIM    add one record (vector [0.5, 1.5, ...], metadata {"by":"lancedb"})
//   node store_writer.mjs delete DB TABLE PRED        delete rows
//   node store_writer.mjs optimize DB TABLE           compact (LanceDB's optimize)
//   node store_writer.mjs get DB TABLE ID             print the record's text, or "-" when absent
import * as lancedb from "@lancedb/lancedb";

const [cmd, dbDir, table, ...rest] = process.argv.slice(2);
const db = await lancedb.connect(dbDir);
const t = await db.openTable(table);
if (cmd === "add") {
  const [id, text, dim] = rest;
  await t.add([{
    id, path: "/lancedb", text,
    vector: Array.from({ length: Number(dim) }, (_, k) => k + 0.5),
    metadata: '{"by":"lancedb"}', created_at: new Date(1700000000000),
  }]);
} else if (cmd === "delete") {
  await t.delete(rest[0]);
} else if (cmd === "optimize") {
  await t.optimize();
} else if (cmd === "get") {
  const rows = await t.query().where(`id = '${rest[0]}'`).select(["text"]).toArray();
  console.log(rows.length ? rows[0].text : "-");
} else {
  console.error(`store_writer: unknown command ${cmd}`);
  process.exit(2);
}
t.close();
db.close();
