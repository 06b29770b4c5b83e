// Compares two JSON Lines files row by row: same number of rows, same keys in the same order, equal
// values, except `_distance`, which may differ by 1e-5 relative or 1e-6 absolute (float32 sums in a
// different order). Usage: node jsonl_close.mjs EXPECTED GOT; exit 0 when they match, else 1 with the
// first difference on stderr.
import * as fs from "node:fs";

const [want, got] = process.argv.slice(2).map((f) => fs.readFileSync(f, "utf8").split("\n").filter((l) => l !== ""));
const close = (a, b) => Math.abs(a - b) <= 1e-6 || Math.abs(a - b) <= 1e-5 * Math.max(Math.abs(a), Math.abs(b));
function fail(msg) {
  console.error(msg);
  process.exit(1);
}
if (want.length !== got.length) fail(`${got.length} rows, expected ${want.length}`);
for (let i = 0; i < want.length; i++) {
  const a = JSON.parse(want[i]), b = JSON.parse(got[i]);
  const ka = Object.keys(a).join(","), kb = Object.keys(b).join(",");
  if (ka !== kb) fail(`row ${i}: keys ${kb}, expected ${ka}`);
  for (const k of Object.keys(a)) {
    if (k === "_distance" ? !close(a[k], b[k]) : JSON.stringify(a[k]) !== JSON.stringify(b[k]))
      fail(`row ${i}: ${k} = ${JSON.stringify(b[k])}, expected ${JSON.stringify(a[k])}`);
  }
}
