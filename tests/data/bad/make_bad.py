#!/usr/bin/env python3
"""Builds the bad-input cases of tests/data/bad/ from the LanceDB 0.31.0 sample (tests/data/sample_v031).

Each case is a folder with a database `db/` holding one damaged copy of (part of) the sample table and a file
`expect` with lines `key=value`: table, version (0 = latest), op (open | deletions), code (lp_status name)
and message (a substring the error message must contain); good_version (default 4) names the version of the
sample whose first rows a streaming dump may print before the error (tests/interop/test_bad_inputs_cli.sh). tests/unit/test_bad_inputs.c runs every case.
Re-run from the repository root after the sample changes: python3 tests/data/bad/make_bad.py
"""
import os, shutil, struct

ROOT = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(ROOT, "..", "sample_v031", "sample.lance")
V = lambda n: "%020d.manifest" % (2**64 - 1 - n)


def read(p):
    with open(p, "rb") as f:
        return f.read()


def case(name, files, expect):
    d = os.path.join(ROOT, name)
    shutil.rmtree(d, ignore_errors=True)
    for rel, data in files.items():
        p = os.path.join(d, "db", rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if data is not None:
            with open(p, "wb") as f:
                f.write(data)
    with open(os.path.join(d, "expect"), "w") as f:
        for k, v in expect.items():
            f.write("%s=%s\n" % (k, v))


def manifest(n):
    return read(os.path.join(SAMPLE, "_versions", V(n)))


def patch_manifest(data, extra):
    """Append protobuf bytes to the Manifest message (later scalar values win; repeated fields add)."""
    pos = struct.unpack_from("<Q", data, len(data) - 16)[0]
    ln = struct.unpack_from("<I", data, pos)[0]
    body = data[pos + 4 : pos + 4 + ln] + extra
    return data[:pos] + struct.pack("<I", len(body)) + body + data[len(data) - 16 :]


def varint(v):
    out = b""
    v &= (1 << 64) - 1
    while True:
        b = v & 0x7F
        v >>= 7
        out += bytes([b | (0x80 if v else 0)])
        if not v:
            return out


def ld(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload


m1 = manifest(1)
T = "t.lance/_versions/"
case("truncated_manifest", {T + V(1): m1[: len(m1) // 2]},
     dict(table="t", version=0, op="open", code="LP_ECORRUPT", message="no LANC magic"))
pos = struct.unpack_from("<Q", m1, len(m1) - 16)[0]
flipped = bytearray(m1)
flipped[pos + 4] ^= 0xFF  # the first tag byte of the Manifest message
case("flipped_byte_manifest", {T + V(1): bytes(flipped)},
     dict(table="t", version=1, op="open", code="LP_ECORRUPT", message="does not decode"))
bad_pos = bytearray(m1)
struct.pack_into("<Q", bad_pos, len(m1) - 16, len(m1) * 2)
case("footer_position_outside", {T + V(1): bytes(bad_pos)},
     dict(table="t", version=0, op="open", code="LP_ECORRUPT", message="lies outside"))
case("unknown_reader_flag", {T + V(1): patch_manifest(m1, varint(9 << 3) + varint(64))},
     dict(table="t", version=0, op="open", code="LP_EUNSUPPORTED", message="unknown reader feature flags 0x40"))
field = ld(2, b"price") + varint(3 << 3) + varint(50) + varint(4 << 3) + varint(-1) + ld(5, b"decimal:128:10:2")
case("unknown_logical_type", {T + V(1): patch_manifest(m1, ld(1, field))},
     dict(table="t", version=0, op="open", code="LP_EUNSUPPORTED", message="unsupported logical type \"decimal:128:10:2\""))
orphan = ld(2, b"orphan") + varint(3 << 3) + varint(51) + varint(4 << 3) + varint(77) + ld(5, b"int32")
case("unknown_parent_field", {T + V(1): patch_manifest(m1, ld(1, orphan))},
     dict(table="t", version=0, op="open", code="LP_ECORRUPT", message="names parent 77"))
case("version_name_mismatch", {T + V(1): m1, T + V(2): m1},
     dict(table="t", version=0, op="open", code="LP_ECORRUPT", message="file name says version 2 but the manifest says 1"))
case("missing_version", {T + V(1): m1},
     dict(table="t", version=7, op="open", code="LP_ENOTFOUND", message="version 7 does not exist"))
case("not_a_table", {"t.lance/data/README": b"not a table\n"},
     dict(table="t", version=0, op="open", code="LP_ENOTFOUND", message="no _versions directory: not a Lance table"))
case("empty_versions", {T + "latest_version_hint.json": b'{"version":3}'},
     dict(table="t", version=0, op="open", code="LP_ENOTFOUND", message="no manifest"))
case("mixed_naming_schemes", {T + V(1): m1, T + "2.manifest": m1},
     dict(table="t", version=0, op="open", code="LP_ECORRUPT", message="both V1 and V2 manifest names"))
# Version 4 has deletion files on fragments 0 and 1.
m4 = manifest(4)
dels = sorted(os.listdir(os.path.join(SAMPLE, "_deletions")))
d0 = [x for x in dels if x.startswith("0-3-")][0]
d1 = [x for x in dels if x.startswith("1-3-")][0]

# Data files (op=scan: every column of every live row is read by a scan and by a take). Version 4 reads
# fragments 0, 1 and 2; fragment 1's data file is the one damaged or missing.
DATA = os.path.join(SAMPLE, "data")
data_names = sorted(x for x in os.listdir(DATA) if x.encode() in m4)
frag1 = [x for x in data_names if x.encode() in manifest(2) and x.encode() not in m1][0]


def table_v4(replace, deletions=None):
    """The files of version 4 with data/<frag1> replaced by `replace` (None: left out, False: kept)."""
    files = {T + V(4): m4}
    for d in (d0, d1):
        files["t.lance/_deletions/" + d] = read(os.path.join(SAMPLE, "_deletions", d))
    for d, data in (deletions or {}).items():  # a damaged deletion file, or None: left out
        if data is None:
            del files["t.lance/_deletions/" + d]
        else:
            files["t.lance/_deletions/" + d] = data
    for x in data_names:
        files["t.lance/data/" + x] = read(os.path.join(DATA, x))
    if replace is False:
        pass
    elif replace is None:
        del files["t.lance/data/" + frag1]
    else:
        files["t.lance/data/" + frag1] = replace
    return files


case("missing_deletion_file", table_v4(False, {d1: None}),
     dict(table="t", version=0, op="scan", code="LP_ENOTFOUND", message="_deletions/" + d1))
arrow = bytearray(read(os.path.join(SAMPLE, "_deletions", d1)))
arrow[-3] ^= 0x20  # inside the trailing ARROW1 magic
case("corrupt_deletion_magic", table_v4(False, {d1: bytes(arrow)}),
     dict(table="t", version=0, op="scan", code="LP_ECORRUPT", message="no trailing ARROW1 magic"))
trunc = read(os.path.join(SAMPLE, "_deletions", d1))[:300]
case("truncated_deletion_file", table_v4(False, {d1: trunc}),
     dict(table="t", version=0, op="scan", code="LP_ECORRUPT", message=d1))

df1 = read(os.path.join(DATA, frag1))
case("missing_data_file", table_v4(None),
     dict(table="t", version=0, op="scan", code="LP_ENOTFOUND", message="data/" + frag1))
case("truncated_data_file", table_v4(df1[: len(df1) // 2]),
     dict(table="t", version=0, op="scan", code="LP_ECORRUPT", message="data/" + frag1))
# An Any whose type URL this reader does not know (same length, so every offset stays right).
url = b"/lance.encodings21.PageLayout"
assert url in df1
case("unknown_page_layout", table_v4(df1.replace(url, url[:-1] + b"X", 1)),
     dict(table="t", version=0, op="scan", code="LP_EUNSUPPORTED", message="data/" + frag1))

# A fragment whose data file entry gives a field no column (-1) or a column past the file's last one: the
# manifest of version 1 plus a second fragment reusing fragment 0's data file.
frag0 = [x for x in data_names if x.encode() in m1][0]
f0 = read(os.path.join(DATA, frag0))


def with_fragment(column):
    packed = lambda vals: b"".join(varint(v) for v in vals)
    datafile = (ld(1, frag0.encode()) + ld(2, packed([0])) + ld(3, packed([column])) + varint(4 << 3) + varint(2)
                + varint(5 << 3) + varint(1) + varint(6 << 3) + varint(len(f0)))
    fragment = varint(1 << 3) + varint(1) + ld(2, datafile) + varint(4 << 3) + varint(5)
    return {T + V(1): patch_manifest(m1, ld(2, fragment)), "t.lance/data/" + frag0: f0}


case("field_without_column", with_fragment(-1),
     dict(table="t", version=0, op="scan", code="LP_ECORRUPT", message="no column in this 2.1 file", good_version=1))
case("column_past_end", with_fragment(50),
     dict(table="t", version=0, op="scan", code="LP_ECORRUPT", message="at column 50 spans 1 columns, but the file has",
          good_version=1))
