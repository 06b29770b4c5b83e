// Deterministic JSON Lines rows for the write-path interop tests, already in the canonical text of
// `lancepool dump` / lancedb_dump.mjs (compact JSON, keys in schema order, floats chosen so that their
// shortest round-trip text is the text written here), so inputs and LanceDB's output compare byte for byte.
//
//   node gen_write_rows.mjs SCHEMA_KIND FIRST_ID COUNT [SEED]
// SCHEMA_KIND: "all" (every type of the read path except large_list, which apache-arrow 18 in Node cannot
// decode), "small" (id, text, vector(8)), "extra" (float16 vectors, a struct of a list and a vector, a
// list of vectors) or "nulls" (columns of nulls only, or in their first 300 rows).
// Also: node gen_write_rows.mjs spec all   prints the CLI schema spec of the kind.

const SPECS = {
  all:
    "id:int64 not null, b:bool, i8:int8, i16:int16, i32:int32, u8:uint8, u16:uint16, u32:uint32, u64:uint64, " +
    "h:float16, f:float32, d:float64, s:utf8, ls:large_utf8, bin:binary, lbin:large_binary, day:date32, " +
    "ts:timestamp[us], tsz:timestamp[us, tz=UTC], v8:fixed_size_list<float32, 8>, v:vector(384), " +
    "tags:list<utf8>, nums:list<int64>, st:struct<a: int32, b: utf8>, long:utf8, " +
    "vn8:fixed_size_list<float32, 8>, vn:vector(128)",
  small: "id:int64 not null, text:utf8, vec:vector(8)",
  // more shapes for the data storage version 2.0 tests: float16 vectors, a struct holding a list and a
  // vector, a list of vectors
  extra:
    "id:int64 not null, hv:fixed_size_list<float16, 16>, " +
    "sl:struct<t: list<utf8>, w: fixed_size_list<float32, 4>>, lv:list<fixed_size_list<float32, 2>>",
  // columns whose first pages (or all) hold only nulls
  nulls: "id:int64 not null, nul:int32, snul:utf8, vnul:vector(4), lnul:list<int64>",
};

let state = 1n;
function rnd() {
  // 64-bit LCG (Knuth MMIX), top 32 bits
  state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
  return Number(state >> 32n) / 4294967296;
}
const pick = (n) => Math.floor(rnd() * n);
const maybeNull = (p, f) => (rnd() < p ? null : f());
const b64 = (bytes) => Buffer.from(bytes).toString("base64");
const word = () => ["alpha", "beta", "gamma", "delta", "épsilon", "ζeta", "", "a\"q\\b", "tab\tx"][pick(9)];

function rowAll(id) {
  const r = {};
  r.id = id;
  r.b = maybeNull(0.2, () => rnd() < 0.5);
  r.i8 = maybeNull(0.1, () => pick(256) - 128);
  r.i16 = maybeNull(0.1, () => pick(65536) - 32768);
  r.i32 = maybeNull(0.1, () => pick(2 ** 31) * (rnd() < 0.5 ? -1 : 1));
  r.u8 = maybeNull(0.1, () => pick(256));
  r.u16 = maybeNull(0.1, () => pick(65536));
  r.u32 = maybeNull(0.1, () => pick(2 ** 32));
  r.u64 = maybeNull(0.1, () => (rnd() < 0.3 ? 18446744073709551615n - BigInt(pick(1000)) : BigInt(pick(2 ** 40))));
  r.h = maybeNull(0.1, () => (pick(200) - 100) / 4);
  r.f = maybeNull(0.1, () => [(pick(2 ** 15) - 2 ** 14) / 8, "NaN", "Infinity", "-Infinity"][rnd() < 0.9 ? 0 : 1 + pick(3)]);
  r.d = maybeNull(0.1, () => (rnd() < 0.95 ? (pick(2 ** 30) - 2 ** 29) / 1024 : "NaN"));
  r.s = maybeNull(0.15, () => word() + id);
  r.ls = maybeNull(0.15, () => word().repeat(1 + pick(3)));
  r.bin = maybeNull(0.15, () => b64(Array.from({ length: pick(20) }, () => pick(256))));
  r.lbin = maybeNull(0.15, () => b64(Array.from({ length: pick(12) }, () => pick(256))));
  r.day = maybeNull(0.1, () => pick(40000) - 10000);
  r.ts = maybeNull(0.1, () => 1700000000000000 + pick(2 ** 40));
  r.tsz = maybeNull(0.1, () => 1600000000000000 + pick(2 ** 40));
  r.v8 = maybeNull(0.1, () => Array.from({ length: 8 }, () => (pick(4096) - 2048) / 16));
  r.v = maybeNull(0.05, () => Array.from({ length: 384 }, () => (pick(256) - 128) / 128));
  r.tags = maybeNull(0.15, () => Array.from({ length: pick(4) }, () => maybeNull(0.1, word)));
  r.nums = maybeNull(0.15, () => Array.from({ length: pick(5) }, () => maybeNull(0.1, () => pick(2 ** 40) - 2 ** 39)));
  r.st = maybeNull(0.1, () => ({ a: maybeNull(0.2, () => pick(1000)), b: maybeNull(0.2, word) }));
  r.long = maybeNull(0.2, () => (rnd() < 0.3 ? "L".repeat(250 + pick(100)) + id : "short" + id));
  // null items inside fixed-size lists: mini-block (8 x f32) and full-zip (128 x f32) pages
  r.vn8 = maybeNull(0.1, () => Array.from({ length: 8 }, () => maybeNull(0.15, () => (pick(4096) - 2048) / 16)));
  r.vn = maybeNull(0.1, () => {
    const withNulls = rnd() < 0.3;
    return Array.from({ length: 128 }, () => (withNulls ? maybeNull(0.05, () => (pick(256) - 128) / 64) : (pick(256) - 128) / 64));
  });
  return r;
}

function rowSmall(id) {
  return { id, text: maybeNull(0.1, () => word() + id), vec: Array.from({ length: 8 }, () => (pick(512) - 256) / 8) };
}

function rowExtra(id) {
  const f = (d) => (pick(2048) - 1024) / d;
  return {
    id,
    hv: maybeNull(0.1, () => Array.from({ length: 16 }, () => maybeNull(0.05, () => (pick(512) - 256) / 4))),
    sl: maybeNull(0.1, () => ({
      t: maybeNull(0.2, () => Array.from({ length: pick(4) }, () => maybeNull(0.1, word))),
      w: maybeNull(0.2, () => Array.from({ length: 4 }, () => f(8))),
    })),
    lv: maybeNull(0.15, () => Array.from({ length: pick(4) }, () => maybeNull(0.1, () => [f(16), f(16)]))),
  };
}

function rowNulls(id) {
  return {
    id,
    nul: null,
    snul: id < 300 ? null : word() + id,
    vnul: id < 300 ? null : Array.from({ length: 4 }, () => (pick(512) - 256) / 4),
    lnul: id < 300 ? null : Array.from({ length: pick(3) }, () => pick(1000)),
  };
}

function text(v) {
  if (v === null) return "null";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string") return v === "NaN" || v === "Infinity" || v === "-Infinity" ? `"${v}"` : JSON.stringify(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return "[" + v.map(text).join(",") + "]";
  return "{" + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ":" + text(x)).join(",") + "}";
}

const [kind, a, b, seed] = process.argv.slice(2);
if (kind === "spec") {
  process.stdout.write(SPECS[a] + "\n");
} else {
  const first = Number(a), count = Number(b);
  state = BigInt(seed ?? first) * 2654435761n + 7n;
  const make = { all: rowAll, small: rowSmall, extra: rowExtra, nulls: rowNulls }[kind];
  const out = [];
  for (let i = 0; i < count; i++) out.push(text(make(first + i)));
  process.stdout.write(out.length ? out.join("\n") + "\n" : "");
}
