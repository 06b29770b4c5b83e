// Writes, with official LanceDB 0.31.0, tables covering the column types and encodings lancepool's data-file
// reader decodes, and next to each table a JSON file describing its fields and holding what LanceDB returns
// for every column (read back through LanceDB, not copied from the input).
//
//   node gen_datafile_cases.mjs OUT_DIR
//
// JSON value mapping: null -> null; bool -> true/false; int8..32, uint8..32, date32 -> number; int64, uint64,
// timestamps -> decimal string; float32/float64 -> number (exact; no NaN/Inf generated); float16 -> its raw
// 16-bit pattern as a number; utf8 -> string; binary -> hex string; lists -> arrays; structs -> objects.
import * as lancedb from "@lancedb/lancedb";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { prng as rng } from "./prng.mjs";

// The CommonJS build of apache-arrow, the one LanceDB itself loads (instanceof checks need the same copy).
const arrow = createRequire(import.meta.url)("apache-arrow");

const OUT = process.argv[2];
if (!OUT) throw new Error("usage: node gen_datafile_cases.mjs OUT_DIR");
fs.mkdirSync(OUT, { recursive: true });

const R = rng(12345); // deterministic PRNG (mulberry32, prng.mjs)
const ri = (n) => Math.floor(R() * n);
const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
  "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "ümlaut", "日本"];
const text = (nwords) => Array.from({ length: nwords }, () => WORDS[ri(WORDS.length)]).join(" ");
const maybe = (p, f) => (R() < p ? null : f());

// ---- column builders: each returns {field description, arrow Field, make(values) -> Data} ----
function nullBitmap(vals) {
  if (!vals.some((v) => v === null)) return undefined;
  const bm = new Uint8Array(Math.ceil(vals.length / 8));
  vals.forEach((v, i) => { if (v !== null) bm[i >> 3] |= 1 << (i & 7); });
  return bm;
}
const PRIMS = {
  int8: [() => new arrow.Int8(), Int8Array], int16: [() => new arrow.Int16(), Int16Array],
  int32: [() => new arrow.Int32(), Int32Array], int64: [() => new arrow.Int64(), BigInt64Array],
  uint8: [() => new arrow.Uint8(), Uint8Array], uint16: [() => new arrow.Uint16(), Uint16Array],
  uint32: [() => new arrow.Uint32(), Uint32Array], uint64: [() => new arrow.Uint64(), BigUint64Array],
  float16: [() => new arrow.Float16(), Uint16Array], float32: [() => new arrow.Float32(), Float32Array],
  float64: [() => new arrow.Float64(), Float64Array], date32: [() => new arrow.DateDay(), Int32Array],
  "timestamp:s": [(tz) => new arrow.TimestampSecond(tz), BigInt64Array],
  "timestamp:ms": [(tz) => new arrow.TimestampMillisecond(tz), BigInt64Array],
  "timestamp:us": [(tz) => new arrow.TimestampMicrosecond(tz), BigInt64Array],
  "timestamp:ns": [(tz) => new arrow.TimestampNanosecond(tz), BigInt64Array],
};
function desc(name, type, nullable, extra = {}) {
  return { name, type, nullable, ...extra };
}
function arrowType(d) {
  if (d.type in PRIMS) return PRIMS[d.type][0](d.tz ?? null);
  switch (d.type) {
    case "bool": return new arrow.Bool();
    case "utf8": return new arrow.Utf8();
    case "large_utf8": return new arrow.LargeUtf8();
    case "binary": return new arrow.Binary();
    case "fixed_size_list": return new arrow.FixedSizeList(d.dim, new arrow.Field("item", arrowType({ type: d.elem }), true));
    case "list": return new arrow.List(arrowField(d.children[0]));
    case "struct": return new arrow.Struct(d.children.map(arrowField));
  }
  throw new Error("type " + d.type);
}
function arrowField(d) {
  const md = d.metadata ? new Map(Object.entries(d.metadata)) : undefined;
  return new arrow.Field(d.name, arrowType(d), d.nullable, md);
}
// Build arrow Data for JS values of description d.
function makeData(d, vals) {
  const type = arrowType(d);
  if (d.type in PRIMS) {
    const Ctor = PRIMS[d.type][1];
    const arr = new Ctor(vals.length);
    vals.forEach((v, i) => { if (v !== null) arr[i] = v; });
    return arrow.makeData({ type, length: vals.length, data: arr, nullBitmap: nullBitmap(vals) });
  }
  if (d.type === "bool") {
    const bits = new Uint8Array(Math.ceil(vals.length / 8));
    vals.forEach((v, i) => { if (v) bits[i >> 3] |= 1 << (i & 7); });
    return arrow.makeData({ type, length: vals.length, data: bits, nullBitmap: nullBitmap(vals) });
  }
  if (d.type === "utf8" || d.type === "large_utf8" || d.type === "binary") {
    return arrow.vectorFromArray(vals, type).data[0];
  }
  if (d.type === "fixed_size_list") {
    const flat = [];
    vals.forEach((v) => { for (let j = 0; j < d.dim; j++) flat.push(v === null ? 0 : v[j]); });
    const child = makeData({ type: d.elem }, flat);
    return arrow.makeData({ type, length: vals.length, nullBitmap: nullBitmap(vals), child });
  }
  if (d.type === "list") {
    const offs = new Int32Array(vals.length + 1);
    const items = [];
    vals.forEach((v, i) => { if (v) items.push(...v); offs[i + 1] = items.length; });
    const child = makeData(d.children[0], items);
    return arrow.makeData({ type, length: vals.length, nullBitmap: nullBitmap(vals), valueOffsets: offs, child });
  }
  if (d.type === "struct") {
    const children = d.children.map((c) => makeData(c, vals.map((v) => (v === null ? null : v[c.name]))));
    return arrow.makeData({ type, length: vals.length, nullBitmap: nullBitmap(vals), children });
  }
  throw new Error("makeData " + d.type);
}

// ---- reading back what LanceDB returns ----
const hex = (u8) => Buffer.from(u8).toString("hex");
function toJson(data, i) {
  if (!data.getValid(i)) return null;
  const t = data.type;
  const k = arrow.Type[t.typeId];
  const j = data.offset + i;
  switch (k) {
    case "Bool": return ((data.values[j >> 3] >> (j & 7)) & 1) === 1;
    case "Int": case "Date": case "Timestamp": case "Float": {
      const v = data.values[j];
      return typeof v === "bigint" ? v.toString() : v;
    }
    case "Utf8": case "LargeUtf8": case "Binary": case "LargeBinary": {
      const a = Number(data.valueOffsets[j]), b = Number(data.valueOffsets[j + 1]);
      const bytes = data.values.subarray(a, b);
      return k.endsWith("Binary") ? hex(bytes) : Buffer.from(bytes).toString("utf8");
    }
    case "FixedSizeList": {
      const c = data.children[0];
      return Array.from({ length: t.listSize }, (_, q) => toJson(c, j * t.listSize + q - c.offset));
    }
    case "List": case "LargeList": {
      const a = Number(data.valueOffsets[j]), b = Number(data.valueOffsets[j + 1]);
      const c = data.children[0];
      return Array.from({ length: b - a }, (_, q) => toJson(c, a + q - c.offset));
    }
    case "Struct": {
      const o = {};
      t.children.forEach((f, q) => { o[f.name] = toJson(data.children[q], j - data.children[q].offset); });
      return o;
    }
  }
  throw new Error("toJson " + k);
}

async function writeCase(name, descs, nRows, gen, { batchRows = nRows, storage } = {}) {
  const schema = new arrow.Schema(descs.map(arrowField));
  const cols = descs.map((d) => Array.from({ length: nRows }, (_, r) => gen[d.name](r)));
  const batches = [];
  for (let s = 0; s < nRows; s += batchRows) {
    const e = Math.min(nRows, s + batchRows);
    const children = descs.map((d, q) => makeData(d, cols[q].slice(s, e)));
    const sdata = arrow.makeData({ type: new arrow.Struct(schema.fields), length: e - s, children });
    batches.push(new arrow.RecordBatch(schema, sdata));
  }
  const db = await lancedb.connect(OUT);
  const opts = { mode: "overwrite" };
  if (storage) opts.storageOptions = { new_table_data_storage_version: storage };
  const tbl = await db.createTable(name, new arrow.Table(schema, batches), opts);
  const back = await tbl.query().toArrow();
  const values = {};
  descs.forEach((d) => { values[d.name] = []; });
  for (const b of back.batches) {
    descs.forEach((d) => {
      const data = b.getChild(d.name).data[0];
      for (let i = 0; i < data.length; i++) values[d.name].push(toJson(data, i));
    });
  }
  if (values[descs[0].name].length !== nRows) throw new Error(`${name}: LanceDB returned ${values[descs[0].name].length} rows`);
  fs.writeFileSync(path.join(OUT, name + ".json"), JSON.stringify({ table: name, rows: nRows, fields: descs, values }));
  console.log(`${name}: ${nRows} rows, ${descs.length} columns`);
}

// ---- the cases ----
const f32 = () => Math.fround(R() * 2 - 1);
const f16bits = () => ri(0x7c00) | (ri(2) << 15); // finite halves
const big = (bits) => BigInt.asIntN(64, (BigInt(ri(2 ** 31)) << 32n | BigInt(ri(2 ** 32))) >> BigInt(63 - bits));
const ts = (r) => 1700000000000000n + BigInt(r) * 1234567n;

async function main() {
  // Fixed-width primitives, with and without nulls, all-null columns, RLE runs, bit-packing, flat.
  {
    const n = 5000;
    const d = [
      desc("b", "bool", false), desc("b_n", "bool", true), desc("i8", "int8", false), desc("i16_n", "int16", true),
      desc("i32", "int32", false), desc("i32_n", "int32", true), desc("i32_runs", "int32", false),
      desc("i32_allnull", "int32", true), desc("i64_seq", "int64", false), desc("i64_rand", "int64", true),
      desc("i64_const", "int64", false), desc("u8", "uint8", true), desc("u16", "uint16", false),
      desc("u32", "uint32", false), desc("u64", "uint64", true), desc("f16", "float16", true),
      desc("f32", "float32", false), desc("f32_pos", "float32", true), desc("f64", "float64", true),
      desc("f64_runs", "float64", false), desc("d32", "date32", true),
      desc("ts_s", "timestamp:s", false), desc("ts_ms", "timestamp:ms", true, { tz: "UTC" }),
      desc("ts_us", "timestamp:us", true), desc("ts_ns", "timestamp:ns", false, { tz: "America/New_York" }),
      desc("s_allnull", "utf8", true),
    ];
    await writeCase("prims", d, n, {
      b: () => R() < 0.5, b_n: () => maybe(0.2, () => R() < 0.3), i8: () => ri(256) - 128,
      i16_n: () => maybe(0.1, () => ri(65536) - 32768), i32: (r) => r * 7 - 10000,
      i32_n: (r) => maybe(0.1, () => r), i32_runs: (r) => Math.floor(r / 500) * 1000 + 7, i32_allnull: () => null,
      i64_seq: (r) => BigInt(r), i64_rand: () => maybe(0.05, () => big(62)), i64_const: () => 42n,
      u8: () => maybe(0.1, () => ri(256)), u16: () => ri(65536), u32: () => ri(2 ** 32),
      u64: () => maybe(0.1, () => BigInt.asUintN(64, big(63) * 2n + 1n)), f16: () => maybe(0.1, f16bits),
      f32: f32, f32_pos: () => maybe(0.1, () => Math.fround(R())), f64: () => maybe(0.1, () => R() * 1e6 - 5e5),
      f64_runs: (r) => Math.floor(r / 50) * 0.25, d32: (r) => maybe(0.1, () => 19000 + ri(3000)),
      ts_s: (r) => 1700000000n + BigInt(r), ts_ms: (r) => maybe(0.1, () => 1700000000000n + BigInt(r * 1000)),
      ts_us: (r) => maybe(0.1, () => ts(r)), ts_ns: (r) => ts(r) * 1000n + BigInt(ri(1000)), s_allnull: () => null,
    });
  }
  // Strings and binary: plain variable, dictionary, FSST, large values (full-zip), > 32 KiB (zstd).
  {
    const n = 5000;
    const colors = ["blue", "purple", "yellow", "red", "green"];
    const d = [
      desc("s_short", "utf8", false), desc("s_dict", "utf8", true), desc("s_fsst", "utf8", true),
      desc("ls", "large_utf8", true), desc("ls_dict", "large_utf8", false), desc("bin", "binary", true),
      desc("bin_long", "binary", false), desc("s_long", "utf8", true), desc("s_256", "utf8", false),
    ];
    await writeCase("strings", d, n, {
      s_short: (r) => `k${r}`, s_dict: () => maybe(0.1, () => colors[ri(5)]),
      s_fsst: (r) => maybe(0.05, () => `user-${r}@example.com/${ri(1e9)} ${text(3)}`),
      ls: (r) => maybe(0.1, () => `large-${r}-${text(2)}`), ls_dict: () => colors[ri(5)],
      bin: () => maybe(0.1, () => Uint8Array.from({ length: ri(21) }, () => ri(256))),
      bin_long: () => Uint8Array.from({ length: 300 + ri(300) }, () => ri(256)),
      s_long: () => maybe(0.2, () => text(60 + ri(60))),
      s_256: (r) => (r === 17 ? "x".repeat(256) : `v${ri(1000)}`),
    });
  }
  // Values over 32 KiB: full-zip with per-value zstd.
  {
    const d = [desc("huge", "utf8", true), desc("huge_bin", "binary", false)];
    await writeCase("huge", d, 40, {
      huge: (r) => maybe(0.2, () => text(5000 + ri(2000)) + r),
      huge_bin: (r) => Uint8Array.from({ length: 33000 + r * 37 }, (_, q) => (q * 31 + r) & 0xff),
    });
  }
  // Vectors: mini-block for small dims, full-zip for large ones, row and item nulls.
  {
    const n = 600;
    const vec = (dim, p = 0) => () => Array.from({ length: dim }, () => (p && R() < p ? null : f32()));
    const d = [
      desc("v8", "fixed_size_list", false, { elem: "float32", dim: 8 }),
      desc("v8_n", "fixed_size_list", true, { elem: "float32", dim: 8 }),
      desc("v8_items", "fixed_size_list", false, { elem: "float32", dim: 8 }),
      desc("v16_h", "fixed_size_list", true, { elem: "float16", dim: 16 }),
      desc("v32_u8", "fixed_size_list", false, { elem: "uint8", dim: 32 }),
      desc("v384_n", "fixed_size_list", true, { elem: "float32", dim: 384 }),
      desc("v128_items", "fixed_size_list", true, { elem: "float32", dim: 128 }),
      desc("v1536", "fixed_size_list", false, { elem: "float32", dim: 1536 }),
      desc("v_allnull", "fixed_size_list", true, { elem: "float32", dim: 8 }),
    ];
    await writeCase("vectors", d, n, {
      v8: vec(8), v8_n: () => maybe(0.1, vec(8)), v8_items: vec(8, 0.05),
      v16_h: () => maybe(0.1, () => Array.from({ length: 16 }, () => ri(2048) / 64)),
      v32_u8: () => Array.from({ length: 32 }, () => ri(256)), v384_n: () => maybe(0.1, vec(384)),
      v128_items: () => maybe(0.1, vec(128, 0.03)), v1536: vec(1536), v_allnull: () => null,
    });
  }
  // Lists and structs.
  {
    const n = 3000;
    const tags = ["red", "green", "blue", "cyan", "magenta", "yellow", "black", "white"];
    const d = [
      desc("tags", "list", false, { children: [desc("item", "utf8", true)] }),
      desc("l_str", "list", true, { children: [desc("item", "utf8", true)] }),
      desc("l_i64", "list", false, { children: [desc("item", "int64", true)] }),
      desc("l_i64_n", "list", true, { children: [desc("item", "int64", true)] }),
      desc("l_long", "list", true, { children: [desc("item", "utf8", true)] }),
      desc("l_allnull", "list", true, { children: [desc("item", "utf8", true)] }),
      desc("st", "struct", true, { children: [desc("a", "int32", true), desc("b", "utf8", true)] }),
      desc("st_list", "struct", true, { children: [desc("x", "float64", true),
        desc("l", "list", true, { children: [desc("item", "int64", true)] })] }),
      desc("packed", "struct", false, { metadata: { "lance-encoding:packed": "true" },
        children: [desc("x", "int32", false), desc("y", "float64", false)] }),
    ];
    await writeCase("nested", d, n, {
      tags: () => Array.from({ length: ri(4) }, () => tags[ri(8)]),
      l_str: (r) => maybe(0.1, () => Array.from({ length: ri(4) }, () => maybe(0.1, () => `s${r}-${ri(1e6)}`))),
      l_i64: (r) => Array.from({ length: 1 + (r % 3) }, (_, q) => BigInt(r * 3 + q)),
      l_i64_n: () => maybe(0.1, () => Array.from({ length: ri(5) }, () => maybe(0.1, () => big(40)))),
      l_long: () => maybe(0.1, () => Array.from({ length: ri(3) }, () => text(50 + ri(30)))),
      l_allnull: () => null,
      st: (r) => maybe(0.1, () => ({ a: maybe(0.1, () => r), b: maybe(0.1, () => `b${ri(100000)}`) })),
      st_list: (r) => maybe(0.1, () => ({ x: maybe(0.1, () => r / 4), l: maybe(0.1, () => [BigInt(r), BigInt(-r)]) })),
      packed: (r) => ({ x: r - 1500, y: r * 0.5 }),
    });
  }
  // Field metadata asking for general compression and byte-stream-split.
  {
    const n = 5000;
    const d = [
      desc("z_i64", "int64", false, { metadata: { "lance-encoding:compression": "zstd" } }),
      desc("lz_s", "utf8", false, { metadata: { "lance-encoding:compression": "lz4" } }),
      desc("z_bss_f32", "float32", true, { metadata: { "lance-encoding:compression": "zstd", "lance-encoding:bss": "on" } }),
      desc("none_i32", "int32", false, { metadata: { "lance-encoding:compression": "none" } }),
    ];
    await writeCase("compress", d, n, {
      z_i64: (r) => BigInt(r % 97) * 1000003n, lz_s: (r) => `row number ${r % 300} ${WORDS[r % 7]}`,
      z_bss_f32: () => maybe(0.05, f32), none_i32: (r) => r,
    });
  }
  // Multi-page columns: 300 000 rows handed over in many batches.
  {
    const n = 300000;
    const d = [
      desc("id", "int64", false), desc("i32_n", "int32", true), desc("s", "utf8", true),
      desc("f64", "float64", false), desc("l", "list", true, { children: [desc("item", "int64", true)] }),
      desc("v", "fixed_size_list", true, { elem: "float32", dim: 64 }),
    ];
    await writeCase("multipage", d, n, {
      id: (r) => BigInt(r), i32_n: (r) => maybe(0.1, () => r % 100000), s: (r) => maybe(0.05, () => `str-${r}-${WORDS[r % 20]}`),
      f64: () => R(), l: (r) => maybe(0.05, () => Array.from({ length: r % 4 }, (_, q) => BigInt(r + q))),
      v: (r) => maybe(0.02, () => Array.from({ length: 64 }, (_, q) => Math.fround((r % 1000) + q / 64))),
    }, { batchRows: 10000 });
  }
  // Format 2.0 ("legacy" data storage version), if LanceDB can still write it.
  {
    const n = 60000;
    const d = [desc("i32_n", "int32", true), desc("s", "utf8", true), desc("f64", "float64", false),
      desc("st", "struct", false, { children: [desc("a", "int64", true), desc("b", "utf8", true)] }),
      desc("v", "fixed_size_list", true, { elem: "float32", dim: 8 }),
      desc("l", "list", true, { children: [desc("item", "int64", true)] }), desc("b", "bool", true)];
    await writeCase("legacy20", d, n, {
      i32_n: (r) => maybe(0.1, () => r), s: (r) => maybe(0.1, () => `s${r}`), f64: () => R(),
      v: () => maybe(0.1, () => Array.from({ length: 8 }, f32)),
      l: (r) => maybe(0.1, () => Array.from({ length: r % 3 }, (_, q) => BigInt(q + r))), b: () => maybe(0.1, () => R() < 0.5),
      st: (r) => ({ a: maybe(0.1, () => BigInt(r) * 7n), b: maybe(0.1, () => `b${r % 13}`) }),
    }, { storage: "2.0", batchRows: 5000 });
  }
}
await main();
