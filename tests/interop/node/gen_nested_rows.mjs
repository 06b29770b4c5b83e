// Random rows of nested, nullable columns (structs holding lists, lists of structs holding lists, structs
// of structs), as JSON lines in the lancepool CLI's format, for writing with very small pages:
//
//   node gen_nested_rows.mjs spec KIND          the schema text for `lancepool create --schema`
//   node gen_nested_rows.mjs KIND N SEED        N rows, deterministic for a seed
//
// Small pages of such rows put a null struct, an empty list or a null item in some pages of a column and
// not in others, the mixes LanceDB 0.31.0 must still read.
import { prng } from "./prng.mjs";

const SPECS = {
  struct_list: "id:int64 not null, v:struct<t: list<utf8>, w: fixed_size_list<float32, 4>>, nul:int32",
  list_struct_list: "id:int64 not null, v:list<struct<u: list<int32>, k: utf8>>",
  struct_struct_list: "id:int64 not null, v:struct<s: struct<l: list<int64>>, n: int16>",
  list_list: "id:int64 not null, v:list<list<utf8>>",
};

const [cmd, arg1, arg2] = process.argv.slice(2);
if (cmd === "spec") {
  if (!SPECS[arg1]) throw new Error(`unknown kind ${arg1}`);
  console.log(SPECS[arg1]);
  process.exit(0);
}
const kind = cmd, n = Number(arg1), rnd = prng(Number(arg2));
if (!SPECS[kind] || !(n >= 0)) throw new Error("usage: gen_nested_rows.mjs spec KIND | KIND N SEED");

const maybe = (pNull, f) => (rnd() < pNull ? null : f());
const list = (f) => Array.from({ length: Math.floor(rnd() * 4) }, f);
const word = () => "w" + Math.floor(rnd() * 9);
const int = (m) => Math.floor(rnd() * m) - (m >> 1);

const value = {
  struct_list: () => maybe(0.2, () => ({ t: maybe(0.3, () => list(() => maybe(0.3, word))),
                                         w: maybe(0.3, () => [1, 2.5, -3, int(100)]) })),
  list_struct_list: () => maybe(0.2, () => list(() => maybe(0.3, () => ({
    u: maybe(0.3, () => list(() => maybe(0.2, () => int(1000)))), k: maybe(0.3, word) })))),
  struct_struct_list: () => maybe(0.2, () => ({ s: maybe(0.3, () => ({ l: maybe(0.3, () => list(() => int(1e6))) })),
                                                n: maybe(0.3, () => int(600)) })),
  list_list: () => maybe(0.2, () => list(() => maybe(0.3, () => list(() => maybe(0.2, word))))),
};

const out = [];
for (let id = 0; id < n; id++) {
  const row = { id, v: value[kind]() };
  if (kind === "struct_list") row.nul = null;
  out.push(JSON.stringify(row));
}
process.stdout.write(out.length ? out.join("\n") + "\n" : "");
