/* Deletion files of both kinds, decoded into a sorted array of deleted row offsets.
 *
 * `.bin` files are 32-bit roaring bitmaps in the portable serialization, decoded with CRoaring.
 * `.arrow` files are Arrow IPC files holding one record batch of one non-nullable uint32 column "row_id".
 * No Debian package offers a small C reader for Arrow IPC, so the few flatbuffers tables needed (Footer,
 * Schema, Field, Int, Block, Message, RecordBatch, BodyCompression) are read by hand below, through
 * bounds-checked accessors: every offset is checked against the buffer before it is followed. */
#include "format/deletion.h"

#include <roaring/roaring.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "io/io.h"

#define MAX_DELETED_ROWS ((size_t)1 << 32) /* row offsets are u32 */

/* ---- reference counting ------------------------------------------------------------------------------ */

static lp__deletion_vec *vec_new(uint32_t *rows, size_t n) {
  lp__deletion_vec *v = malloc(sizeof *v);
  if (v == NULL) return NULL;
  v->rows = rows;
  v->n_rows = n;
  __atomic_store_n(&v->refs, 1, __ATOMIC_RELAXED);
  return v;
}

lp__deletion_vec *lp__deletion_vec_ref(lp__deletion_vec *v) {
  if (v) __atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
  return v;
}

void lp__deletion_vec_unref(lp__deletion_vec *v) {
  if (v == NULL || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  free(v->rows);
  free(v);
}

size_t lp__deletion_vec_size_bytes(const lp__deletion_vec *v) {
  return sizeof *v + v->n_rows * sizeof(uint32_t);
}

size_t lp__deletion_vec_rank(const lp__deletion_vec *v, uint64_t row) {
  size_t lo = 0, hi = v ? v->n_rows : 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v->rows[mid] < row) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

bool lp__deletion_vec_has(const lp__deletion_vec *v, uint64_t row) {
  size_t k = lp__deletion_vec_rank(v, row);
  return v != NULL && k < v->n_rows && v->rows[k] == row;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Sort and drop repeats, so the vector is strictly ascending whatever order the file used. */
static size_t sort_unique(uint32_t *v, size_t n) {
  if (n == 0) return 0;
  qsort(v, n, sizeof *v, cmp_u32);
  size_t w = 1;
  for (size_t i = 1; i < n; i++)
    if (v[i] != v[w - 1]) v[w++] = v[i];
  return w;
}

/* ---- flatbuffers, just enough ---------------------------------------------------------------------- */

typedef struct fb {
  const uint8_t *p;
  size_t len;
} fb;

static uint16_t ld16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t ld32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t ld64(const uint8_t *p) { return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32; }

/* A table at position t: its vtable is checked once here. */
typedef struct fb_table {
  const fb *buf;
  size_t t;       /* table position */
  size_t vt;      /* vtable position */
  uint16_t vsize; /* vtable size in bytes */
} fb_table;

static bool fb_table_at(const fb *b, size_t t, fb_table *out) {
  if (t > b->len || b->len - t < 4) return false;
  int64_t vt = (int64_t)t - (int32_t)ld32(b->p + t);
  if (vt < 0 || (uint64_t)vt > b->len - 4) return false;
  uint16_t vsize = ld16(b->p + vt);
  if (vsize < 4 || (vsize & 1) || (uint64_t)vt + vsize > b->len) return false;
  out->buf = b;
  out->t = t;
  out->vt = (size_t)vt;
  out->vsize = vsize;
  return true;
}

/* Position of slot `slot` with `width` bytes; 0 when absent. False when it would overrun the buffer. */
static bool fb_slot(const fb_table *tb, int slot, size_t width, size_t *pos) {
  size_t entry = 4 + 2 * (size_t)slot;
  *pos = 0;
  if (entry + 2 > tb->vsize) return true;
  uint16_t off = ld16(tb->buf->p + tb->vt + entry);
  if (off == 0) return true;
  if (tb->t + off > tb->buf->len || tb->buf->len - (tb->t + off) < width) return false;
  *pos = tb->t + off;
  return true;
}

static bool fb_u8(const fb_table *tb, int slot, uint8_t dflt, uint8_t *out) {
  size_t pos;
  if (!fb_slot(tb, slot, 1, &pos)) return false;
  *out = pos ? tb->buf->p[pos] : dflt;
  return true;
}

static bool fb_i32(const fb_table *tb, int slot, int32_t dflt, int32_t *out) {
  size_t pos;
  if (!fb_slot(tb, slot, 4, &pos)) return false;
  *out = pos ? (int32_t)ld32(tb->buf->p + pos) : dflt;
  return true;
}

static bool fb_i64(const fb_table *tb, int slot, int64_t dflt, int64_t *out) {
  size_t pos;
  if (!fb_slot(tb, slot, 8, &pos)) return false;
  *out = pos ? (int64_t)ld64(tb->buf->p + pos) : dflt;
  return true;
}

/* Follow the forward reference stored in slot `slot`; *target = 0 when the slot is absent. */
static bool fb_ref(const fb_table *tb, int slot, size_t *target) {
  size_t pos;
  *target = 0;
  if (!fb_slot(tb, slot, 4, &pos)) return false;
  if (pos == 0) return true;
  uint64_t t = (uint64_t)pos + ld32(tb->buf->p + pos);
  if (t >= tb->buf->len) return false;
  *target = (size_t)t;
  return true;
}

static bool fb_subtable(const fb_table *tb, int slot, fb_table *out, bool *present) {
  size_t t;
  if (!fb_ref(tb, slot, &t)) return false;
  *present = t != 0;
  return t == 0 || fb_table_at(tb->buf, t, out);
}

/* A vector in slot `slot` of elements of elem_size bytes: *count and the position of element 0. */
static bool fb_vector(const fb_table *tb, int slot, size_t elem_size, size_t *count, size_t *first) {
  size_t v;
  *count = 0;
  *first = 0;
  if (!fb_ref(tb, slot, &v)) return false;
  if (v == 0) return true;
  if (tb->buf->len - v < 4) return false;
  uint32_t n = ld32(tb->buf->p + v);
  if ((uint64_t)n * elem_size > tb->buf->len - v - 4) return false;
  *count = n;
  *first = v + 4;
  return true;
}

static bool fb_string_eq(const fb_table *tb, int slot, const char *want) {
  size_t n, first;
  if (!fb_vector(tb, slot, 1, &n, &first) || first == 0) return false;
  return n == strlen(want) && memcmp(tb->buf->p + first, want, n) == 0;
}

/* Element i of a vector of tables starting at `first`. */
static bool fb_vector_table(const fb *b, size_t first, size_t i, fb_table *out) {
  size_t at = first + 4 * i;
  uint64_t t = (uint64_t)at + ld32(b->p + at);
  return t < b->len && fb_table_at(b, (size_t)t, out);
}

/* ---- .arrow ---------------------------------------------------------------------------------------- */

#define BAD(...) lp_error_set(err, LP_ECORRUPT, __VA_ARGS__)

/* The footer's schema must be exactly one non-nullable uint32 field named row_id, as LanceDB requires. */
static lp_status check_schema(const fb_table *footer, const char *path, lp_error *err) {
  fb_table schema, field, int_type;
  bool present = false;
  size_t n_fields, first;
  uint8_t nullable, type_type, is_signed;
  int32_t bit_width;
  if (!fb_subtable(footer, 1, &schema, &present) || !present) return BAD("%s: arrow footer has no schema", path);
  if (!fb_vector(&schema, 1, 4, &n_fields, &first) || n_fields != 1)
    return BAD("%s: deletion file schema must have exactly 1 field, found %zu", path, n_fields);
  if (!fb_vector_table(footer->buf, first, 0, &field)) return BAD("%s: bad schema field table", path);
  if (!fb_string_eq(&field, 0, "row_id")) return BAD("%s: deletion file field is not named \"row_id\"", path);
  if (!fb_u8(&field, 1, 0, &nullable) || !fb_u8(&field, 2, 0, &type_type))
    return BAD("%s: bad schema field table", path);
  if (nullable) return BAD("%s: deletion file field row_id must not be nullable", path);
  if (type_type != 2) return BAD("%s: deletion file field row_id has type tag %u, expected 2 (Int)", path, type_type);
  if (!fb_subtable(&field, 3, &int_type, &present) || !present) return BAD("%s: row_id has no Int type table", path);
  if (!fb_i32(&int_type, 0, 0, &bit_width) || !fb_u8(&int_type, 1, 0, &is_signed))
    return BAD("%s: bad Int type table", path);
  if (bit_width != 32 || is_signed)
    return BAD("%s: row_id is %s int%d, expected uint32", path, is_signed ? "signed" : "unsigned", bit_width);
  return LP_OK;
}

typedef struct ipc_block {
  int64_t offset;
  int32_t meta_len;
  int64_t body_len;
} ipc_block;

static lp_status read_footer(const uint8_t *bytes, size_t size, const char *path, ipc_block *blk, lp_error *err) {
  if (size < 6 + 4 + 8 || memcmp(bytes + size - 6, "ARROW1", 6) != 0)
    return BAD("%s: not an Arrow IPC file (no trailing ARROW1 magic, %zu bytes)", path, size);
  if (memcmp(bytes, "ARROW1", 6) != 0) return BAD("%s: not an Arrow IPC file (no leading ARROW1 magic)", path);
  int32_t flen = (int32_t)ld32(bytes + size - 10);
  if (flen < 4 || (size_t)flen > size - 10 - 8)
    return BAD("%s: arrow footer length %d does not fit a %zu-byte file", path, flen, size);
  fb foot = {bytes + size - 10 - flen, (size_t)flen};
  fb_table footer;
  if (!fb_table_at(&foot, ld32(foot.p), &footer)) return BAD("%s: arrow footer is not a valid flatbuffer", path);
  LP_TRY(check_schema(&footer, path, err));
  size_t n_blocks, first;
  if (!fb_vector(&footer, 3, 24, &n_blocks, &first)) return BAD("%s: bad record batch list in footer", path);
  if (n_blocks != 1) return BAD("%s: deletion file must hold exactly 1 record batch, found %zu", path, n_blocks);
  blk->offset = (int64_t)ld64(foot.p + first);
  blk->meta_len = (int32_t)ld32(foot.p + first + 8);
  blk->body_len = (int64_t)ld64(foot.p + first + 16);
  if (blk->offset < 8 || blk->meta_len < 8 || blk->body_len < 0 || (uint64_t)blk->offset > size ||
      (uint64_t)blk->meta_len > size - (uint64_t)blk->offset ||
      (uint64_t)blk->body_len > size - (uint64_t)blk->offset - (uint64_t)blk->meta_len)
    return BAD("%s: record batch block (offset %lld, metadata %d, body %lld) lies outside the %zu-byte file",
               path, (long long)blk->offset, blk->meta_len, (long long)blk->body_len, size);
  return LP_OK;
}

typedef struct batch_info {
  int64_t n_rows;
  int64_t values_off, values_len; /* relative to the body */
  bool compressed;
} batch_info;

static lp_status read_batch_message(const uint8_t *bytes, const ipc_block *blk, const char *path, batch_info *bi,
                                    lp_error *err) {
  const uint8_t *m = bytes + blk->offset;
  size_t skip = ld32(m) == 0xFFFFFFFFu ? 8 : 4; /* continuation marker, absent in old streams */
  int32_t mlen = (int32_t)ld32(m + skip - 4);
  if (mlen <= 0 || (size_t)mlen > (size_t)blk->meta_len - skip)
    return BAD("%s: record batch metadata length %d exceeds its block (%d)", path, mlen, blk->meta_len);
  fb msg = {m + skip, (size_t)mlen};
  fb_table message, batch, compression;
  uint8_t header_type;
  bool present = false;
  if (msg.len < 4 || !fb_table_at(&msg, ld32(msg.p), &message) || !fb_u8(&message, 1, 0, &header_type))
    return BAD("%s: record batch message is not a valid flatbuffer", path);
  if (header_type != 3) return BAD("%s: message type %u where a record batch (3) was expected", path, header_type);
  if (!fb_subtable(&message, 2, &batch, &present) || !present) return BAD("%s: message has no record batch", path);
  size_t n_nodes, nodes, n_bufs, bufs;
  if (!fb_i64(&batch, 0, 0, &bi->n_rows) || !fb_vector(&batch, 1, 16, &n_nodes, &nodes) ||
      !fb_vector(&batch, 2, 16, &n_bufs, &bufs) || !fb_subtable(&batch, 3, &compression, &present))
    return BAD("%s: record batch table is not valid", path);
  if (n_nodes != 1 || n_bufs != 2)
    return BAD("%s: record batch has %zu field nodes and %zu buffers, expected 1 and 2", path, n_nodes, n_bufs);
  int64_t node_len = (int64_t)ld64(msg.p + nodes), null_count = (int64_t)ld64(msg.p + nodes + 8);
  if (bi->n_rows < 0 || (uint64_t)bi->n_rows >= MAX_DELETED_ROWS || node_len != bi->n_rows)
    return BAD("%s: record batch length %lld and field length %lld disagree or are out of range", path,
               (long long)bi->n_rows, (long long)node_len);
  if (null_count != 0) return BAD("%s: row_id column has %lld nulls, expected none", path, (long long)null_count);
  bi->values_off = (int64_t)ld64(msg.p + bufs + 16);
  bi->values_len = (int64_t)ld64(msg.p + bufs + 24);
  if (bi->values_off < 0 || bi->values_len < 0 || bi->values_off > blk->body_len ||
      bi->values_len > blk->body_len - bi->values_off)
    return BAD("%s: values buffer (offset %lld, length %lld) lies outside the %lld-byte body", path,
               (long long)bi->values_off, (long long)bi->values_len, (long long)blk->body_len);
  bi->compressed = present;
  if (present) {
    uint8_t codec;
    if (!fb_u8(&compression, 0, 0, &codec)) return BAD("%s: bad body compression table", path);
    if (codec != 1)
      return lp_error_set(err, LP_EUNSUPPORTED, "%s: body compression codec %u (only ZSTD, 1, is supported)", path,
                          codec);
  }
  return LP_OK;
}

/* Copy (or decompress) the values buffer into a new array of n u32. */
static lp_status read_values(const uint8_t *buf, size_t len, const batch_info *bi, const char *path, uint32_t **out,
                             lp_error *err) {
  size_t n = (size_t)bi->n_rows, want = n * 4;
  uint32_t *vals = malloc(want ? want : 1);
  if (vals == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory for %zu rows", path, n);
  const uint8_t *raw = buf;
  size_t raw_len = len;
  if (bi->compressed) {
    if (len < 8) {
      free(vals);
      return BAD("%s: compressed values buffer is %zu bytes, shorter than its 8-byte length prefix", path, len);
    }
    int64_t ulen = (int64_t)ld64(buf);
    raw = buf + 8;
    raw_len = len - 8;
    if (ulen != -1) {
      if ((uint64_t)ulen < want) {
        free(vals);
        return BAD("%s: values decompress to %lld bytes, %zu needed for %zu rows", path, (long long)ulen, want, n);
      }
      size_t got = want == 0 ? 0 : ZSTD_decompress(vals, want, raw, raw_len);
      if (ZSTD_isError(got) || got != want) {
        /* A frame that decodes to more than `want` bytes fails with dstSize_tooSmall: also corrupt. */
        free(vals);
        return BAD("%s: ZSTD values buffer does not decode to %zu bytes%s%s", path, want,
                   ZSTD_isError(got) ? ": " : "", ZSTD_isError(got) ? ZSTD_getErrorName(got) : "");
      }
      *out = vals;
      return LP_OK;
    }
  }
  if (raw_len < want) {
    free(vals);
    return BAD("%s: values buffer has %zu bytes, %zu needed for %zu rows", path, raw_len, want, n);
  }
  for (size_t i = 0; i < n; i++) vals[i] = ld32(raw + 4 * i);
  *out = vals;
  return LP_OK;
}

static lp_status parse_arrow(const uint8_t *bytes, size_t size, const char *path, lp__deletion_vec **out,
                             lp_error *err) {
  ipc_block blk = {0};
  batch_info bi = {0};
  LP_TRY(read_footer(bytes, size, path, &blk, err));
  LP_TRY(read_batch_message(bytes, &blk, path, &bi, err));
  const uint8_t *body = bytes + blk.offset + blk.meta_len;
  uint32_t *vals = NULL;
  LP_TRY(read_values(body + bi.values_off, (size_t)bi.values_len, &bi, path, &vals, err));
  size_t n = sort_unique(vals, (size_t)bi.n_rows);
  *out = vec_new(vals, n);
  if (*out == NULL) {
    free(vals);
    return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
  }
  return LP_OK;
}

/* ---- .bin ------------------------------------------------------------------------------------------ */

typedef struct collect {
  uint32_t *v;
  size_t n, cap;
  bool failed;
} collect;

/* Gather values through CRoaring's iterator rather than roaring_bitmap_to_uint32_array: the iterator never
 * trusts a container's stated cardinality, so a lying header cannot overrun the output. */
static bool collect_one(uint32_t value, void *ctx) {
  collect *c = ctx;
  if (c->n > 0 && value <= c->v[c->n - 1]) {
    c->failed = true; /* not ascending: containers out of order or overlapping */
    return false;
  }
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 1024;
    uint32_t *v = realloc(c->v, cap * sizeof *v);
    if (v == NULL) return false;
    c->v = v;
    c->cap = cap;
  }
  c->v[c->n++] = value;
  return true;
}

static lp_status parse_bitmap(const uint8_t *bytes, size_t size, const char *path, lp__deletion_vec **out,
                              lp_error *err) {
  if (size < 8) return BAD("%s: roaring bitmap of %zu bytes is shorter than its 8-byte header", path, size);
  uint32_t cookie = ld32(bytes);
  if ((cookie & 0xFFFF) != 12347 && cookie != 12346)
    return BAD("%s: not a roaring bitmap (cookie %u, expected 12346 or 12347)", path, cookie & 0xFFFF);
  size_t need = roaring_bitmap_portable_deserialize_size((const char *)bytes, size);
  if (need == 0)
    return BAD("%s: roaring bitmap is truncated or malformed (its containers do not fit in its %zu bytes)", path,
               size);
  if (need != size)
    return BAD("%s: roaring bitmap has trailing bytes (%zu bytes, its containers end at %zu)", path, size, need);
  roaring_bitmap_t *r = roaring_bitmap_portable_deserialize_safe((const char *)bytes, size);
  if (r == NULL) return BAD("%s: roaring bitmap does not decode", path);
  collect c = {0};
  bool done = roaring_iterate(r, collect_one, &c);
  roaring_bitmap_free(r);
  if (!done) {
    free(c.v);
    if (c.failed) return BAD("%s: roaring bitmap containers are not in ascending order", path);
    return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
  }
  *out = vec_new(c.v, c.n);
  if (*out == NULL) {
    free(c.v);
    return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
  }
  return LP_OK;
}

lp_status lp__deletion_parse(const uint8_t *bytes, size_t size, lp__deletion_kind kind, const char *path,
                             lp__deletion_vec **out, lp_error *err) {
  *out = NULL;
  if (kind == LP__DELETION_ARROW) return parse_arrow(bytes, size, path, out, err);
  if (kind == LP__DELETION_BITMAP) return parse_bitmap(bytes, size, path, out, err);
  return lp_error_set(err, LP_EUNSUPPORTED, "%s: unknown deletion file type %d", path, (int)kind);
}

lp_status lp__deletion_read(const char *path, lp__deletion_kind kind, lp__deletion_vec **out, lp_error *err) {
  uint8_t *bytes = NULL;
  size_t size = 0;
  *out = NULL;
  LP_TRY(lp__read_file(path, LP__MAX_META_FILE_BYTES, &bytes, &size, err));
  lp_status rc = lp__deletion_parse(bytes, size, kind, path, out, err);
  free(bytes);
  return rc;
}
