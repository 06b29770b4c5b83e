// Predicate oracle: builds a small table with nulls of several types in official LanceDB 0.31.0, runs
// every predicate of the list through query().where(...) and countRows(...), and writes the data rows
// and the selected ids (or the error) as JSON for tests/interop/test_predicate_oracle.c.
// Usage: node pred_oracle.mjs <scratch dir>  -> writes <scratch dir>/pred_oracle.json
import * as lancedb from '@lancedb/lancedb';
import * as arrow from 'apache-arrow';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) { console.error('usage: pred_oracle.mjs <dir>'); process.exit(2); }
fs.mkdirSync(dir, { recursive: true });

// Deterministic PRNG (xorshift32).
let seed = 0x2545F491;
const rnd = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed / 4294967296; };
const pick = (a) => a[Math.floor(rnd() * a.length)];
let firstRow = true; // the first row has no nulls: LanceDB's row-to-Arrow inference needs it
const maybe = (v, p = 0.15) => (rnd() < p && !firstRow ? null : v);

const N = 80;
const words = ['abc', 'a_c', 'a%c', 'ABC', 'abd', '', 'ä\\b', '日本語', 'zeta', 'alpha beta', "it's", 'a', 'b'];
const floats = [0.1, -0.0, 0.0, 2.5, -3.75, 1e30, NaN, Infinity, -Infinity, 1, 100.5, 0.3];
const rows = [];
for (let id = 0; id < N; id++) {
  rows.push({
    id,
    i: maybe(Math.floor(rnd() * 21) - 10),
    i8: maybe(Math.floor(rnd() * 256) - 128),
    u: maybe(Math.floor(rnd() * 4294967296)),
    f: maybe(pick(floats)),
    g: maybe(pick(floats)),
    s: maybe(pick(words)),
    b: maybe(rnd() < 0.5),
    d: maybe(Math.floor(rnd() * 40000) - 5000),
    ts: maybe(Math.floor(rnd() * 4e12) - 5e11), // ms
    st: rnd() < 0.1 && !firstRow ? null : { x: maybe(Math.floor(rnd() * 10)), y: maybe(pick(words)) },
    'my col': maybe(Math.floor(rnd() * 5)),
  });
  firstRow = false;
}

const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('i', new arrow.Int32(), true),
  new arrow.Field('i8', new arrow.Int8(), true),
  new arrow.Field('u', new arrow.Uint32(), true),
  new arrow.Field('f', new arrow.Float32(), true),
  new arrow.Field('g', new arrow.Float64(), true),
  new arrow.Field('s', new arrow.Utf8(), true),
  new arrow.Field('b', new arrow.Bool(), true),
  new arrow.Field('d', new arrow.DateDay(), true),
  new arrow.Field('ts', new arrow.TimestampMicrosecond(), true),
  new arrow.Field('st', new arrow.Struct([
    new arrow.Field('x', new arrow.Int32(), true),
    new arrow.Field('y', new arrow.Utf8(), true)]), true),
  new arrow.Field('my col', new arrow.Int32(), true),
]);

// apache-arrow takes Date objects for dates and timestamps (millisecond precision, so timestamps are
// whole milliseconds; the JSON carries them in microseconds).
const batchRows = rows.map((r) => ({
  ...r,
  id: r.id,
  d: r.d === null ? null : new Date(r.d * 86400000),
  ts: r.ts === null ? null : new Date(r.ts),
}));

const db = await lancedb.connect(path.join(dir, 'db'));
const tbl = await db.createTable('t', batchRows, { schema, mode: 'overwrite' });

const preds = [
  // comparisons and coercion
  'i = 3', 'i != 3', 'i <> 3', 'i < 0', 'i <= -5', 'i > 7', 'i >= 10', '3 < i', 'i = -10',
  'i8 < -100', 'i8 >= 100', 'i8 = -128', 'u > 2000000000', 'u <= 1000000000', 'u = 0',
  'f = 0.1', 'g = 0.1', 'f = 0', 'g = 0', 'f < 0', 'g <= 0', 'f > 1e29', 'g > 100', 'g = g', 'f != f',
  'g < 1e-400', 'f = 2.5', 'f >= 1',
  'i < g', 'i > f', 'f = g', 'i = `my col`', 'i8 < i', 'u > i',
  // logic
  'b', 'NOT b', 'b = TRUE', 'b = false', 'b IS TRUE', 'b IS NOT TRUE', 'b IS FALSE', 'b IS NOT FALSE',
  'b IS NULL', 'b AND i > 0', 'b OR i > 0', 'NOT (b AND i > 0)', 'NOT (b OR i > 0)', '(b AND i > 0) IS NULL',
  'NOT b AND i > 0 OR s = \'abc\'', 'NOT (i > 0) = b', 'TRUE', 'FALSE', 'TRUE AND NULL', 'NULL OR b',
  'NOT NOT b', 'i > 0 = TRUE', '(i > 0) IS NULL', 'I > 0', 'ID < 10',
  // IN, BETWEEN
  'i IN (1, 2, 3)', 'i NOT IN (1, 2, 3)', 'i IN (1, NULL)', 'i NOT IN (1, NULL)', 'i IN (NULL)',
  's IN (\'abc\', \'ABC\', \'zzz\')', 's NOT IN (\'abc\', \'\')', 'i BETWEEN -2 AND 2', 'i NOT BETWEEN -2 AND 2',
  'i BETWEEN 2 AND -2', 'i BETWEEN NULL AND 3', 's BETWEEN \'a\' AND \'b\'', 'f BETWEEN 0 AND 3',
  'd BETWEEN date \'1970-01-01\' AND date \'2000-01-01\'',
  // strings and LIKE
  's = \'abc\'', 's = \'it\'\'s\'', 's < \'b\'', 's >= \'zeta\'', 's > \'\'', 's = \'\'', 's = "abc"',
  's LIKE \'a%\'', 's LIKE \'%c\'', 's LIKE \'a_c\'', 's LIKE \'a\\_c\'', 's LIKE \'a\\%c\'', 's LIKE \'%\'',
  's LIKE \'\'', 's LIKE \'_\'', 's LIKE \'___\'', 's LIKE \'%b%\'', 's LIKE \'日_語\'', 's LIKE \'_\\\\b\'',
  's NOT LIKE \'a%\'', 's ILIKE \'abc\'', 's ILIKE \'A%\'', 's NOT ILIKE \'%B%\'', 's LIKE \'% %\'',
  // dates and timestamps
  'd > date \'2000-01-01\'', 'd = date \'1970-01-01\'', 'd < date \'1960-06-15\'',
  'd >= timestamp \'2000-01-01 12:00:00\'', 'd < timestamp \'1990-05-05 00:00:00\'',
  'ts > timestamp \'2000-01-01 00:00:00\'', 'ts <= timestamp \'1970-01-01\'', 'ts > date \'2050-01-01\'',
  'ts BETWEEN timestamp \'1980-01-01 00:00:00\' AND timestamp \'1990-01-01 00:00:00.5\'', 'ts IS NULL',
  'ts < timestamp \'1960-01-01T00:00:00.123456\'',
  // struct fields, quoted names
  'st.x = 3', 'st.x IS NULL', 'st IS NULL', 'st IS NOT NULL', 'st.y LIKE \'a%\'', 'st.x > i',
  '`my col` = 2', '`my col` IS NULL', 'st.`x` < 5',
  // errors LanceDB reports
  'i > 1.5', 'i = \'1\'', 's = 1', 'ts > 1000', 'd > 5', 'b = 1', 'nope = 1', 'st.zz = 1', 'i = 1 AND',
  '(i > 1', 'i > > 1', 'NULL', 'i', 'u > -1', 'i8 = 200', 'i IN (1, 2.5)', 'i NOT LIKE \'a\'',
  // arithmetic, casts, IS forms
  'id % 7 = 3',
  'i + 1 > 5',
  'i * 2 = -4',
  'i - i8 > 0',
  'i / 2 = 1',
  'i / 0 = 1',
  'id / 0 = 1',
  'i % 0 = 1',
  'g / 0 > 0',
  'i8 * i8 > 0',
  'i8 + i8 > 100',
  'i8 + 1 > 127',
  '-i > 3',
  '- i > 3',
  '-(i) = 3',
  'i + 1.5 > 3',
  'i > 1.5',
  'NOT (i > 1.5)',
  'i = 1 + 1',
  'i = 1 + 1.5',
  'i8 = 100 + 100',
  'g = 2 - 1',
  'f * 2 > 1',
  'f + 1 > 1e29',
  'u + i > 0',
  'u - 4000000000 > 0',
  'i % 3 = -1',
  'id % -3 = 1',
  "s || 'x' = 'abcx'",
  "s || i = 'abc3'",
  'CAST(g AS BIGINT) = 2',
  'CAST(f AS INT) = 0',
  'TRY_CAST(g AS BIGINT) = 2',
  'CAST(s AS INT) = 1',
  'TRY_CAST(s AS INT) IS NULL',
  "CAST(i AS STRING) = '3'",
  "CAST(i AS VARCHAR) = '3'",
  'CAST(i AS DOUBLE) = 3',
  'CAST(i AS FLOAT) > 2.5',
  'CAST(i AS TINYINT) = 3',
  'CAST(u AS INT) > 0',
  'TRY_CAST(u AS INT) > 0',
  'CAST(i AS INT UNSIGNED) > 0',
  "CAST(d AS TIMESTAMP) > timestamp '2000-01-01 00:00:00'",
  'CAST(ts AS DATE) = d',
  'CAST(b AS INT) = 1',
  'CAST(i AS BOOLEAN)',
  "CAST('5' AS INT) = i",
  'i::BIGINT = 3',
  'CASE WHEN i > 0 THEN 1 ELSE 0 END = 1',
  'CASE i WHEN 1 THEN true ELSE false END',
  'b IS UNKNOWN',
  'b IS NOT UNKNOWN',
  'i IS DISTINCT FROM 3',
  'i IS NOT DISTINCT FROM NULL',
  "s SIMILAR TO 'a%'",
  "s LIKE 'a!%c' ESCAPE '!'",
  "s ILIKE '%B%' ESCAPE '\\'",
  "interval '1 day' IS NOT NULL",
  "ts > timestamp '2000-01-01 00:00:00' + interval '1 day'",
  'i & 1 = 1',
  'i ^ 1 = 1',
  'i = 3 AND 1 / 0 = 1',
  '(i + 1) IS NULL',
  '(i > 0) = (i8 > 0)',
  '1 + 1 = 2',
  'i * 1000000000000 > 0',
  'id * 9223372036854775807 > 0',
  'abs(i) = 3',
  "lower(s) = 'abc'",
  "upper(s) = 'ABC'",
  'length(s) = 3',
  // scalar functions
  'character_length(s) = 3',
  'char_length(s) > 3',
  'octet_length(s) = 9',
  "starts_with(s, 'a')",
  "ends_with(s, 'c')",
  "contains(s, 'b')",
  "strpos(s, 'b') = 2",
  "instr(s, 'b') = 2",
  "substr(s, 2, 2) = 'bc'",
  "substr(s, 2) = 'bc'",
  "substring(s, 2, 2) = 'bc'",
  "substring(s from 2 for 2) = 'bc'",
  "left(s, 2) = 'ab'",
  "right(s, 2) = 'bc'",
  "left(s, -1) = 'ab'",
  "trim(s) = 'abc'",
  "btrim(s, 'a') = 'bc'",
  "ltrim(s, 'a') = 'bc'",
  "rtrim(s, 'c') = 'ab'",
  "replace(s, 'a', 'x') = 'xbc'",
  "concat(s, 'x') = 'abcx'",
  "concat(s, i) = 'abc3'",
  "concat_ws('-', s, s) = 'abc-abc'",
  "lpad(s, 5, '*') = '**abc'",
  "rpad(s, 5) = 'abc  '",
  "lpad(s, 2) = 'ab'",
  "reverse(s) = 'cba'",
  "split_part(s, 'b', 1) = 'a'",
  "split_part(s, ' ', 2) = 'beta'",
  "repeat(s, 2) = 'abcabc'",
  "initcap(s) = 'Abc'",
  'ascii(s) = 97',
  "regexp_match(s, '^a')",
  "regexp_like(s, '^a')",
  "regexp_like(s, '^A', 'i')",
  "regexp_replace(s, 'b', 'x') = 'axc'",
  "regexp_replace(s, '[ab]', 'x', 'g') = 'xxc'",
  'round(g) = 2',
  'round(g, 1) = 0.1',
  'round(f) = 2',
  'floor(g) = 2',
  'ceil(g) = 3',
  'trunc(g) = 2',
  'sqrt(g) > 1',
  'power(i, 2) = 4',
  'pow(i, 2) = 4',
  'exp(g) > 1',
  'ln(g) > 0',
  'log10(g) = 2',
  'log(g) > 1',
  'sign(g) = -1',
  'signum(g) = -1',
  'mod(i, 3) = 1',
  'abs(g) = 3.75',
  'abs(i8) > 100',
  'coalesce(i, 0) = 0',
  'coalesce(i, i8, 0) = 0',
  'nullif(i, 3) IS NULL',
  'greatest(i, i8) > 5',
  'least(i, i8) < -100',
  'greatest(i, 1.5) > 2',
  "now() > timestamp '2000-01-01 00:00:00'",
  "current_date() > date '2000-01-01'",
  "current_date > date '2000-01-01'",
  "date_part('month', d) = 6",
  "date_part('year', ts) = 1990",
  'extract(month from d) = 6',
  "date_trunc('month', ts) = ts",
  "to_timestamp(id) > timestamp '1970-01-01 00:00:00'",
  "to_timestamp('2020-01-01 00:00:00') < ts",
  "get_field(st, 'x') = 3",
  "st['x'] = 3",
  "upper(st.y) = 'ABC'",
  'lower(NULL) IS NULL',
  'length(i) = 1',
  "lower(i) = '1'",
  'starts_with(s, NULL) IS NULL'
];

const results = [];
for (const p of preds) {
  try {
    const rs = await tbl.query().where(p).select(['id']).toArray();
    const ids = rs.map((r) => Number(r.id)).sort((a, b) => a - b);
    const count = await tbl.countRows(p);
    if (count !== ids.length) throw new Error(`countRows ${count} != ${ids.length} rows`);
    results.push({ pred: p, ids });
  } catch (e) {
    results.push({ pred: p, error: String(e.message).split('\n')[0].slice(0, 200) });
  }
}

// JSON has no NaN/Infinity/-0: floats go as strings when special.
const fj = (v) => (v === null ? null : Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : Object.is(v, -0) ? '-0' : v);
const outRows = rows.map((r) => ({ ...r, f: fj(r.f), g: fj(r.g), ts: r.ts === null ? null : r.ts * 1000 }));
fs.writeFileSync(path.join(dir, 'pred_oracle.json'), JSON.stringify({ rows: outRows, results }, null, 1));
console.log(`pred_oracle: ${rows.length} rows, ${results.length} predicates, ${results.filter((r) => r.error).length} errors`);
