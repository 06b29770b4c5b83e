// Official LanceDB 0.31.0 making and extending tables of a chosen data storage version, for the tests of
// lancepool's writes into 2.0 (and its refusals of versions it cannot write).
//
//   node storage_peer.mjs copy DB SRC DST VERSION PARTS [PRED]
//        LanceDB reads every row of table SRC (any table it can read, e.g. one lancepool wrote from
//        gen_write_rows.mjs) and creates DST with new_table_data_storage_version VERSION ("2.0", "2.1",
//        "2.2", "legacy") from them in PARTS appends (one fragment each), then deletes PRED if given.
//   node storage_peer.mjs append-from DB SRC DST      LanceDB appends every row of SRC to DST
//   node storage_peer.mjs compact DB TABLE            LanceDB's optimize (compaction) of TABLE
//   node storage_peer.mjs formats DB TABLE            prints the manifest's data storage version, then one
//                                                     line "MAJOR.MINOR" per data file, in fragment order
//
// The rows travel as Arrow through LanceDB itself, so DST has exactly SRC's types.
import * as lancedb from "@lancedb/lancedb";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

// ---- a minimal protobuf walker, enough to read three fields of a manifest ----

function varint(buf, pos) {
  let v = 0n, shift = 0n;
  for (;;) {
    const b = buf[pos++];
    v |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [v, pos];
    shift += 7n;
  }
}

// The fields of one message as [number, wire type, value] (value: BigInt or a Buffer slice).
function fields(buf) {
  const out = [];
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = varint(buf, pos);
    const num = Number(key >> 3n), wt = Number(key & 7n);
    if (wt === 0) {
      let v;
      [v, pos] = varint(buf, pos);
      out.push([num, wt, v]);
    } else if (wt === 2) {
      let n;
      [n, pos] = varint(buf, pos);
      out.push([num, wt, buf.subarray(pos, pos + Number(n))]);
      pos += Number(n);
    } else if (wt === 1) {
      pos += 8;
    } else if (wt === 5) {
      pos += 4;
    } else {
      throw new Error(`unexpected wire type ${wt}`);
    }
  }
  return out;
}

// The Manifest message of the newest version of a table directory.
function latestManifest(tableDir) {
  const dir = join(tableDir, "_versions");
  const names = readdirSync(dir).filter((n) => n.endsWith(".manifest"));
  // V2 names count down (u64 max - version), V1 names count up
  const version = (n) => {
    const s = BigInt(n.slice(0, -".manifest".length));
    return n.length === 20 + ".manifest".length ? 18446744073709551615n - s : s;
  };
  names.sort((a, b) => (version(a) < version(b) ? 1 : -1));
  const file = readFileSync(join(dir, names[0]));
  const pos = Number(file.readBigUInt64LE(file.length - 16));
  const len = file.readUInt32LE(pos);
  return file.subarray(pos + 4, pos + 4 + len);
}

function printFormats(tableDir) {
  const m = fields(latestManifest(tableDir));
  const df = m.find(([n]) => n === 15);
  const version = df ? fields(df[2]).find(([n]) => n === 2) : null;
  process.stdout.write(`data_format ${version ? version[2].toString() : "(absent)"}\n`);
  for (const [n, , frag] of m) {
    if (n !== 2) continue;
    for (const [fn, , file] of fields(frag)) {
      if (fn !== 2) continue;
      const f = fields(file);
      const get = (k) => Number((f.find(([x]) => x === k) ?? [0, 0, 0n])[2]);
      process.stdout.write(`${get(4)}.${get(5)}\n`);
    }
  }
}

const [cmd, dir, ...rest] = process.argv.slice(2);
const db = await lancedb.connect(dir);
switch (cmd) {
  case "copy": {
    const [src, dst, version, parts, pred] = rest;
    const from = await db.openTable(src);
    const n = await from.countRows(), k = Number(parts);
    // each part read on its own (slicing one Arrow table breaks apache-arrow 18 on 64-bit offsets)
    const part = (i) => {
      const a = Math.floor((i * n) / k), b = Math.floor(((i + 1) * n) / k);
      return from.query().offset(a).limit(b - a).toArrow();
    };
    const t = await db.createTable(dst, await part(0), { storageOptions: { new_table_data_storage_version: version } });
    for (let i = 1; i < k; i++) await t.add(await part(i));
    if (pred) await t.delete(pred);
    break;
  }
  case "append-from": {
    const [src, dst] = rest;
    const rows = await (await db.openTable(src)).query().toArrow();
    await (await db.openTable(dst)).add(rows);
    break;
  }
  case "compact":
    await (await db.openTable(rest[0])).optimize();
    break;
  case "formats":
    printFormats(join(dir, `${rest[0]}.lance`));
    break;
  default:
    console.error(`unknown command ${cmd}`);
    process.exit(2);
}
