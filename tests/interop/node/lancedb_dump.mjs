// Prints what official LanceDB 0.31.0 returns, in exactly the `lancepool` CLI's text formats (README,
// "Command line"), so the two can be compared byte for byte:
//
//   node lancedb_dump.mjs tables DB
//   node lancedb_dump.mjs schema|count DB TABLE [--version N]
//   node lancedb_dump.mjs versions DB TABLE            (timestamps in milliseconds: JS Dates hold no more)
//   node lancedb_dump.mjs dump DB TABLE [--version N] [--columns a,b] [--limit N] [--offset N] [--where PRED]
//   node lancedb_dump.mjs count DB TABLE [--version N] [--where PRED]          (countRows(PRED))
//   node lancedb_dump.mjs search DB TABLE --vector JSON [--column C] [--k N] [--metric M] [--where PRED]
//                         [--postfilter] [--columns a,b] [--version N]   (flat search, rank order, _distance last)
//   node lancedb_dump.mjs all DB OUTDIR                 every table and version into files:
//       OUTDIR/tables, OUTDIR/<t>.versions, OUTDIR/<t>@<v>.{schema,count,jsonl}
//
// Values are rendered from the Arrow buffers themselves (not Vector.get, which converts timestamps
// and 64-bit integers), rows are put in natural order by _rowid (fragment id << 32 | row offset).
import * as lancedb from "@lancedb/lancedb";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
// The CommonJS build, the one LanceDB itself loads.
const arrow = createRequire(import.meta.url)("apache-arrow");
const T = arrow.Type;

// ---- floats: shortest round trip, same rule as the C emitter -----------------------------------------

const f64 = new Float64Array(1);
const u32pair = new Uint32Array(f64.buffer);

function halfToNumber(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 31) return man ? NaN : sign * Infinity;
  return sign * (man + 1024) * 2 ** (exp - 25);
}

function roundHalfEven(m) {
  const fl = Math.floor(m);
  const d = m - fl;
  if (d > 0.5) return fl + 1;
  if (d < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

// Nearest float16 bits of a number, ties to even (mirrors lp__half_from_double).
function halfFromNumber(x) {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  if (Number.isNaN(x)) return sign | 0x7e00;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

function isPowerOfTwo(a) {
  f64[0] = a;
  return u32pair[0] === 0 && (u32pair[1] & 0xfffff) === 0 && (u32pair[1] & 0x7ff00000) !== 0;
}

// Is the decimal text ("d.ddde+X") exactly the double a (> 0)? Exact, with BigInt.
function exactlyEquals(text, a) {
  const [mant, exp] = text.split("e");
  const digits = mant.replace(".", "");
  const k = Number(exp) - (digits.length - 1);
  f64[0] = a;
  const hi = u32pair[1];
  const bexp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(u32pair[0]);
  let e = -1074;
  if (bexp !== 0) {
    m += 1n << 52n;
    e = bexp - 1075;
  }
  let lhs = BigInt(digits);
  let rhs = m;
  if (k >= 0) lhs *= 10n ** BigInt(k);
  else rhs *= 10n ** BigInt(-k);
  if (e >= 0) rhs *= 2n ** BigInt(e);
  else lhs *= 2n ** BigInt(-e);
  return lhs === rhs;
}

// a.toExponential(p - 1), but with exact ties rounded to even, as C's printf and ECMAScript's
// Number::toString do (toExponential rounds ties away from zero).
function roundedEven(a, p) {
  const text = a.toExponential(p - 1);
  const longer = a.toExponential(p);
  const [mant, exp] = longer.split("e");
  if (!mant.endsWith("5") || !exactlyEquals(longer, a)) return text;
  const digits = mant.replace(".", "").slice(0, p);
  if (Number(digits[digits.length - 1]) % 2 !== 0) return text; // the rounded-up one is even
  return `${digits[0]}${digits.length > 1 ? "." + digits.slice(1) : ""}e${exp}`;
}

// Shortest decimal reading back as a (finite, > 0) at float32 / float16; the closest among equals
// (ties to even).
function shortestNarrow(a, readsBack, maxDigits) {
  for (let p = 1; p <= maxDigits; p++) {
    const text = roundedEven(a, p);
    const parsed = Number(text);
    if (readsBack(parsed)) return String(parsed);
    if (isPowerOfTwo(a) && parsed < a) {
      // the next p-digit decimal above may fit the wider interval above a power of two
      const [mant, exp] = text.split("e");
      const digits = mant.replace(".", "");
      const up = (BigInt(digits) + 1n).toString();
      const e = Number(exp) + (up.length > digits.length ? 1 : 0);
      const upText = `${up[0]}.${up.slice(1) || "0"}e${e}`;
      const upParsed = Number(upText);
      if (readsBack(upParsed)) return String(upParsed);
    }
  }
  return String(a);
}

function fmtFloat(v, width) {
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  if (width === 64) return String(v);
  const neg = v < 0;
  const a = Math.abs(v);
  const text =
    width === 32
      ? shortestNarrow(a, (x) => Math.fround(x) === a, 9)
      : shortestNarrow(a, (x) => halfFromNumber(x) === halfFromNumber(a), 5);
  return neg ? "-" + text : text;
}

// ---- values -------------------------------------------------------------------------------------------

const dec = new TextDecoder("utf-8");

// Render the value at logical index i of `data` (arrow JS Data: values and offsets are already sliced,
// the validity bitmap is indexed from data.offset).
function renderValue(data, i) {
  const type = data.type;
  if (type.typeId === T.Null || !data.getValid(i)) return "null";
  switch (type.typeId) {
    case T.Bool: {
      const bit = data.offset + i;
      return (data.values[bit >> 3] >> (bit & 7)) & 1 ? "true" : "false";
    }
    case T.Int:
    case T.Date:
    case T.Timestamp:
      return String(data.values[i]);
    case T.Float:
      if (type.precision === arrow.Precision.HALF) return fmtFloat(halfToNumber(data.values[i]), 16);
      return fmtFloat(data.values[i], type.precision === arrow.Precision.SINGLE ? 32 : 64);
    case T.Utf8:
    case T.LargeUtf8: {
      const s = Number(data.valueOffsets[i]);
      const e = Number(data.valueOffsets[i + 1]);
      return JSON.stringify(dec.decode(data.values.subarray(s, e)));
    }
    case T.Binary:
    case T.LargeBinary: {
      const s = Number(data.valueOffsets[i]);
      const e = Number(data.valueOffsets[i + 1]);
      return '"' + Buffer.from(data.values.buffer, data.values.byteOffset + s, e - s).toString("base64") + '"';
    }
    case T.List: {
      const s = data.valueOffsets[i];
      const e = data.valueOffsets[i + 1];
      const parts = [];
      for (let j = s; j < e; j++) parts.push(renderValue(data.children[0], j));
      return "[" + parts.join(",") + "]";
    }
    case T.FixedSizeList: {
      const n = type.listSize;
      const parts = [];
      for (let j = i * n; j < (i + 1) * n; j++) parts.push(renderValue(data.children[0], j));
      return "[" + parts.join(",") + "]";
    }
    case T.Struct:
      return renderStruct(type.children, data.children, i);
    default:
      throw new Error(`cannot render type ${type}`);
  }
}

function renderStruct(fields, children, i) {
  const parts = fields.map((f, c) => JSON.stringify(f.name) + ":" + renderValue(children[c], i));
  return "{" + parts.join(",") + "}";
}

// ---- type text ------------------------------------------------------------------------------------------

function typeText(type) {
  switch (type.typeId) {
    case T.Null: return "null";
    case T.Bool: return "bool";
    case T.Int: return (type.isSigned ? "int" : "uint") + type.bitWidth;
    case T.Float: return ["float16", "float32", "float64"][type.precision];
    case T.Utf8: return "utf8";
    case T.LargeUtf8: return "large_utf8";
    case T.Binary: return "binary";
    case T.LargeBinary: return "large_binary";
    case T.Date: return type.unit === arrow.DateUnit.DAY ? "date32" : "date64";
    case T.Timestamp: {
      const unit = ["s", "ms", "us", "ns"][type.unit];
      return type.timezone ? `timestamp[${unit}, tz=${type.timezone}]` : `timestamp[${unit}]`;
    }
    case T.List: return `list<${typeText(type.children[0].type)}>`;
    case T.FixedSizeList: return `fixed_size_list<${typeText(type.children[0].type)}, ${type.listSize}>`;
    case T.Struct: return `struct<${type.children.map((f) => `${f.name}: ${typeText(f.type)}`).join(", ")}>`;
    default: throw new Error(`no type text for ${type}`);
  }
}

function schemaText(schema) {
  return schema.fields.map((f) => `${f.name}\t${typeText(f.type)}\t${f.nullable ? "nullable" : "not null"}\n`).join("");
}

// ---- table access ---------------------------------------------------------------------------------------

async function openAt(db, name, version) {
  const t = await db.openTable(name);
  if (version !== undefined) await t.checkout(version);
  return t;
}

// Rows of the table in natural order, as JSON lines, projected to `columns` (default: all).
async function dumpLines(t, columns, where) {
  const schema = await t.schema();
  const names = columns ?? schema.fields.map((f) => f.name);
  let q = t.query().select(names).withRowId();
  if (where !== undefined) q = q.where(where);
  const result = await q.toArrow();
  const rows = [];
  for (const batch of result.batches) {
    const rowid = batch.getChild("_rowid").data[0];
    const cols = names.map((n) => batch.schema.fields.findIndex((f) => f.name === n));
    const fields = cols.map((c) => batch.schema.fields[c]);
    const datas = cols.map((c) => batch.data.children[c]);
    for (let i = 0; i < batch.numRows; i++) rows.push([rowid.values[i], fields, datas, i]);
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return rows.map(([, fields, datas, i]) => renderStruct(fields, datas, i) + "\n");
}

// Flat (un-indexed) nearest-neighbour search, rows in LanceDB's rank order, every returned column in
// LanceDB's order (the projection, then _distance).
async function searchLines(t, o) {
  let q = t.vectorSearch(o.vector).distanceType(o.metric ?? "l2").limit(o.k ?? 10);
  if (o.column !== undefined) q = q.column(o.column);
  if (o.where !== undefined) q = q.where(o.where);
  if (o.postfilter) q = q.postfilter();
  if (o.columns !== undefined) q = q.select(o.columns);
  const result = await q.toArrow();
  let text = "";
  for (const batch of result.batches) {
    const fields = batch.schema.fields;
    for (let i = 0; i < batch.numRows; i++) text += renderStruct(fields, batch.data.children, i) + "\n";
  }
  return text;
}

function parseOpts(args) {
  const opts = {};
  const pos = [];
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    if (a === "--version") opts.version = Number(args[++k]);
    else if (a === "--columns") opts.columns = args[++k].split(",");
    else if (a === "--limit") opts.limit = Number(args[++k]);
    else if (a === "--offset") opts.offset = Number(args[++k]);
    else if (a === "--where") opts.where = args[++k];
    else if (a === "--vector") opts.vector = JSON.parse(args[++k]);
    else if (a === "--column") opts.column = args[++k];
    else if (a === "--k") opts.k = Number(args[++k]);
    else if (a === "--metric") opts.metric = args[++k];
    else if (a === "--postfilter") opts.postfilter = true;
    else pos.push(a);
  }
  return { opts, pos };
}

async function versionsText(t) {
  const vs = await t.listVersions();
  return vs.map((v) => `${v.version}\t${v.timestamp.getTime()}\n`).join("");
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const { opts, pos } = parseOpts(rest);
  const db = await lancedb.connect(pos[0]);
  const out = (s) => process.stdout.write(s);
  switch (cmd) {
    case "tables":
      out((await db.tableNames()).sort().map((n) => n + "\n").join(""));
      break;
    case "schema":
      out(schemaText(await (await openAt(db, pos[1], opts.version)).schema()));
      break;
    case "count":
      out(`${await (await openAt(db, pos[1], opts.version)).countRows(opts.where)}\n`);
      break;
    case "search":
      out(await searchLines(await openAt(db, pos[1], opts.version), opts));
      break;
    case "versions":
      out(await versionsText(await openAt(db, pos[1])));
      break;
    case "dump": {
      let lines = await dumpLines(await openAt(db, pos[1], opts.version), opts.columns, opts.where);
      const off = opts.offset ?? 0;
      lines = lines.slice(off, opts.limit === undefined ? undefined : off + opts.limit);
      for (let k = 0; k < lines.length; k += 4096) out(lines.slice(k, k + 4096).join(""));
      break;
    }
    case "all": {
      const outdir = pos[1];
      fs.mkdirSync(outdir, { recursive: true });
      const names = (await db.tableNames()).sort();
      fs.writeFileSync(path.join(outdir, "tables"), names.map((n) => n + "\n").join(""));
      for (const name of names) {
        const t = await db.openTable(name);
        fs.writeFileSync(path.join(outdir, `${name}.versions`), await versionsText(t));
        for (const v of await t.listVersions()) {
          await t.checkout(v.version);
          const base = path.join(outdir, `${name}@${v.version}`);
          fs.writeFileSync(base + ".schema", schemaText(await t.schema()));
          fs.writeFileSync(base + ".count", `${await t.countRows()}\n`);
          fs.writeFileSync(base + ".jsonl", (await dumpLines(t)).join(""));
        }
      }
      break;
    }
    default:
      console.error("usage: node lancedb_dump.mjs tables|schema|count|versions|dump|all DB [TABLE|OUTDIR] [options]");
      process.exit(2);
  }
}

main().catch((e) => {
  console.error(`lancedb_dump: ${e.stack || e}`);
  process.exit(1);
});
