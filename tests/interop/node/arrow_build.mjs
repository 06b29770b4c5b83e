// Helpers shared by the interop generators: a seeded PRNG and a builder that turns plain JS values into
// apache-arrow Data of an exact type (so every buffer is under the generator's control).
import { createRequire } from "node:module";
// The CommonJS build, the one LanceDB itself loads, so its instanceof checks accept our types.
const arrow = createRequire(import.meta.url)("apache-arrow");

// mulberry32: small, fast, deterministic.
export function makeRng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const rng = {
    u32: next,
    float: () => next() / 4294967296,
    int: (lo, hi) => lo + Math.floor((next() / 4294967296) * (hi - lo + 1)), // inclusive
    chance: (p) => next() / 4294967296 < p,
    pick: (arr) => arr[Math.floor((next() / 4294967296) * arr.length)],
    u64: () => (BigInt(next()) << 32n) | BigInt(next()),
    bytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = next() & 255;
      return b;
    },
  };
  return rng;
}

const enc = new TextEncoder();

function bitmap(values) {
  const bits = new Uint8Array(((values.length + 63) >> 6) << 3);
  let nulls = 0;
  values.forEach((v, i) => {
    if (v === null || v === undefined) nulls++;
    else bits[i >> 3] |= 1 << (i & 7);
  });
  return { bits, nulls };
}

// Build Data of `type` from JS values (null = null). Values: booleans, numbers, BigInts (64-bit ints,
// timestamps), uint16 bits for float16, strings, Uint8Array for binary, arrays for lists, objects for
// structs.
export function build(type, values) {
  const n = values.length;
  const { bits, nulls } = bitmap(values);
  const nullBitmap = nulls > 0 ? bits : undefined;
  const T = arrow.Type;
  switch (type.typeId) {
    case T.Null:
      return arrow.makeData({ type, length: n });
    case T.Bool: {
      const data = new Uint8Array(((n + 63) >> 6) << 3);
      values.forEach((v, i) => {
        if (v) data[i >> 3] |= 1 << (i & 7);
      });
      return arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap, data });
    }
    case T.Int:
    case T.Float:
    case T.Date:
    case T.Timestamp: {
      const A = type.ArrayType;
      const data = new A(n);
      const zero = A === BigInt64Array || A === BigUint64Array ? 0n : 0;
      values.forEach((v, i) => {
        data[i] = v === null ? zero : v;
      });
      return arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap, data });
    }
    case T.Utf8:
    case T.LargeUtf8:
    case T.Binary:
    case T.LargeBinary: {
      const large = type.typeId === T.LargeUtf8 || type.typeId === T.LargeBinary;
      const parts = values.map((v) => (v === null ? new Uint8Array(0) : typeof v === "string" ? enc.encode(v) : v));
      const total = parts.reduce((s, p) => s + p.length, 0);
      const data = new Uint8Array(total);
      const valueOffsets = large ? new BigInt64Array(n + 1) : new Int32Array(n + 1);
      let at = 0;
      parts.forEach((p, i) => {
        data.set(p, at);
        at += p.length;
        valueOffsets[i + 1] = large ? BigInt(at) : at;
      });
      return arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap, valueOffsets, data });
    }
    case T.List: {
      const valueOffsets = new Int32Array(n + 1);
      const items = [];
      values.forEach((v, i) => {
        if (v !== null) items.push(...v);
        valueOffsets[i + 1] = items.length;
      });
      const child = build(type.children[0].type, items);
      return arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap, valueOffsets, child });
    }
    case T.FixedSizeList: {
      const size = type.listSize;
      const items = [];
      const filler = filler_of(type.children[0].type);
      values.forEach((v) => {
        if (v === null) for (let k = 0; k < size; k++) items.push(filler);
        else {
          if (v.length !== size) throw new Error(`fixed-size list value of length ${v.length}, expected ${size}`);
          items.push(...v);
        }
      });
      const child = build(type.children[0].type, items);
      return arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap, child });
    }
    case T.Struct: {
      const children = type.children.map((f) =>
        build(
          f.type,
          values.map((v) => (v === null ? (f.nullable ? null : filler_of(f.type)) : v[f.name])),
        ),
      );
      return arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap, children });
    }
    default:
      throw new Error(`build: unsupported type ${type}`);
  }
}

// A harmless value for slots under a null parent.
function filler_of(type) {
  const T = arrow.Type;
  switch (type.typeId) {
    case T.Bool:
      return false;
    case T.Utf8:
    case T.LargeUtf8:
      return "";
    case T.Binary:
    case T.LargeBinary:
      return new Uint8Array(0);
    case T.List:
      return [];
    case T.FixedSizeList:
      return new Array(type.listSize).fill(filler_of(type.children[0].type));
    case T.Struct:
      return Object.fromEntries(type.children.map((f) => [f.name, filler_of(f.type)]));
    default: {
      const A = type.ArrayType;
      return A === BigInt64Array || A === BigUint64Array ? 0n : 0;
    }
  }
}

// columns: [{name, type, nullable, values}] -> apache-arrow Table
export function makeTable(columns) {
  const n = columns[0].values.length;
  const fields = columns.map((c) => new arrow.Field(c.name, c.type, c.nullable, c.metadata));
  const schema = new arrow.Schema(fields);
  const children = columns.map((c) => {
    if (c.values.length !== n) throw new Error(`column ${c.name}: ${c.values.length} values, expected ${n}`);
    if (!c.nullable && c.values.some((v) => v === null)) throw new Error(`column ${c.name}: null in non-nullable`);
    return build(c.type, c.values);
  });
  const data = arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children });
  return new arrow.Table([new arrow.RecordBatch(schema, data)]);
}
