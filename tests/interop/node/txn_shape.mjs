// Prints the shape of a version's transaction file (read as raw protobuf, by lance's transaction.proto
// field numbers), leaving out what differs between any two writers (uuids, file names and sizes, deletion
// file ids), so that the transactions of lancepool and LanceDB 0.31.0 for the same operation compare equal:
//   node txn_shape.mjs DB TABLE VERSION
//   -> "operation 105" (the Transaction.operation field number), then per fragment of the operation its id,
//      physical rows and files (field ids, column indices, file version), then the schema's fields.
import { readdirSync, readFileSync } from "node:fs";

// One message as a list of [field number, wire type, value] (value: BigInt for varints, bytes otherwise).
function fields(buf) {
  const out = [];
  let i = 0;
  const varint = () => {
    let r = 0n, s = 0n;
    for (;;) {
      const c = buf[i++];
      if (c === undefined) throw new Error("truncated varint");
      r |= BigInt(c & 0x7f) << s;
      s += 7n;
      if (c < 0x80) return r;
    }
  };
  while (i < buf.length) {
    const key = Number(varint()), f = key >> 3, t = key & 7;
    if (t === 0) out.push([f, t, varint()]);
    else if (t === 2) {
      const n = Number(varint());
      out.push([f, t, buf.subarray(i, i + n)]);
      i += n;
    } else if (t === 5) (out.push([f, t, buf.subarray(i, i + 4)]), (i += 4));
    else if (t === 1) (out.push([f, t, buf.subarray(i, i + 8)]), (i += 8));
    else throw new Error(`wire type ${t}`);
  }
  return out;
}
const get = (m, f) => m.filter((x) => x[0] === f).map((x) => x[2]);
const packed = (b) => (b === undefined ? [] : unpack(b));
function unpack(b) {
  const vals = [];
  let i = 0;
  while (i < b.length) {
    let r = 0, s = 0;
    for (;;) {
      const c = b[i++];
      r += (c & 0x7f) * 2 ** s;
      s += 7;
      if (c < 0x80) break;
    }
    vals.push(r);
  }
  return vals;
}

const [db, table, version] = process.argv.slice(2);
const dir = `${db}/${table}.lance/_transactions`;
const name = readdirSync(dir).find((n) => n.startsWith(`${Number(version) - 1}-`));
if (!name) throw new Error(`no transaction for version ${version}`);
const txn = fields(readFileSync(`${dir}/${name}`));
const op = txn.find((x) => x[0] >= 100 && x[1] === 2);
console.log(`operation ${op[0]}`);
const body = fields(op[2]);
for (const fr of get(body, 1).map(fields)) {
  console.log(`fragment ${get(fr, 1)[0] ?? 0n} rows ${get(fr, 4)[0] ?? 0n} deletion ${get(fr, 3).length > 0}`);
  for (const df of get(fr, 2).map(fields))
    console.log(`  file fields [${packed(get(df, 2)[0])}] columns [${packed(get(df, 3)[0])}] version ${get(df, 4)[0] ?? 0n}.${get(df, 5)[0] ?? 0n}`);
}
for (const f of get(body, 2).map(fields)) {
  const text = (k) => Buffer.from(get(f, k)[0] ?? []).toString();
  console.log(`field ${text(2)} id ${get(f, 3)[0] ?? 0n} parent ${BigInt.asIntN(32, get(f, 4)[0] ?? 0n)} ${text(5)} nullable ${get(f, 6)[0] ?? 0n}`);
}
