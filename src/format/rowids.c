/* Stable row id sequences (see rowids.h). A sequence is a list of segments, each a compact form of a run
 * of u64 values: a half-open range, a range minus some holes, a range filtered by a bitmap (bit i, LSB
 * first, keeps start + i), or an explicit array stored as base + 16/32-bit little-endian offsets or as
 * full u64s. The values are expanded in order; their count must match the fragment's rows, and no segment
 * may claim more values than rows remain, so a hostile sequence cannot make us allocate more than n_rows. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "format/rowids.h"
#include "rowids.pb-c.h"

typedef struct sink {
  uint64_t *v;
  uint64_t n, cap; /* cap = the fragment's rows */
  const char *what;
  lp_error *err;
} sink;

static lp_status too_many(sink *s) {
  return lp_error_set(s->err, LP_ECORRUPT, "%s: row id sequence holds more ids than the fragment's %" PRIu64 " rows",
                      s->what, s->cap);
}

static lp_status put(sink *s, uint64_t v) {
  if (s->n == s->cap) return too_many(s);
  s->v[s->n++] = v;
  return LP_OK;
}

static uint64_t le_get(const uint8_t *p, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* Number of values and byte width of an encoded array; false when it is malformed. */
static bool enc_count(const Lance__Table__EncodedU64Array *a, size_t *n, int *width) {
  if (a == NULL) return false;
  const ProtobufCBinaryData *b;
  switch (a->array_case) {
  case LANCE__TABLE__ENCODED_U64_ARRAY__ARRAY_U16_ARRAY:
    if (a->u16_array == NULL) return false;
    b = &a->u16_array->offsets, *width = 2;
    break;
  case LANCE__TABLE__ENCODED_U64_ARRAY__ARRAY_U32_ARRAY:
    if (a->u32_array == NULL) return false;
    b = &a->u32_array->offsets, *width = 4;
    break;
  case LANCE__TABLE__ENCODED_U64_ARRAY__ARRAY_U64_ARRAY:
    if (a->u64_array == NULL) return false;
    b = &a->u64_array->values, *width = 8;
    break;
  default:
    return false;
  }
  if (b->len % (size_t)*width != 0) return false;
  *n = b->len / (size_t)*width;
  return true;
}

static uint64_t enc_get(const Lance__Table__EncodedU64Array *a, int width, size_t i) {
  if (width == 2) return a->u16_array->base_value + le_get(a->u16_array->offsets.data + 2 * i, 2);
  if (width == 4) return a->u32_array->base_value + le_get(a->u32_array->offsets.data + 4 * i, 4);
  return le_get(a->u64_array->values.data + 8 * i, 8);
}

static lp_status bad(sink *s, size_t seg, const char *why) {
  return lp_error_set(s->err, LP_ECORRUPT, "%s: row id sequence segment %zu: %s", s->what, seg, why);
}

static lp_status expand_array(sink *s, size_t seg, const Lance__Table__EncodedU64Array *a) {
  size_t n;
  int width;
  if (!enc_count(a, &n, &width)) return bad(s, seg, "malformed array");
  if (n > s->cap - s->n) return too_many(s);
  for (size_t i = 0; i < n; i++) s->v[s->n++] = enc_get(a, width, i);
  return LP_OK;
}

static lp_status expand_range(sink *s, size_t seg, uint64_t start, uint64_t end) {
  if (end < start) return bad(s, seg, "range ends before it starts");
  if (end - start > s->cap - s->n) return too_many(s);
  for (uint64_t v = start; v < end; v++) s->v[s->n++] = v;
  return LP_OK;
}

/* start..end without the holes (which must be ascending and inside the range). */
static lp_status expand_holes(sink *s, size_t seg, const Lance__Table__U64Segment__RangeWithHoles *r) {
  size_t nh;
  int width;
  if (r->end < r->start) return bad(s, seg, "range ends before it starts");
  if (!enc_count(r->holes, &nh, &width)) return bad(s, seg, "malformed holes");
  if (nh > r->end - r->start) return bad(s, seg, "more holes than values");
  if (r->end - r->start - nh > s->cap - s->n) return too_many(s);
  size_t h = 0;
  for (uint64_t v = r->start; v < r->end; v++) {
    if (h < nh && enc_get(r->holes, width, h) == v) {
      h++;
      continue;
    }
    LP_TRY(put(s, v));
  }
  if (h != nh) return bad(s, seg, "holes not ascending or outside the range");
  return LP_OK;
}

static lp_status expand_bitmap(sink *s, size_t seg, const Lance__Table__U64Segment__RangeWithBitmap *r) {
  if (r->end < r->start) return bad(s, seg, "range ends before it starts");
  uint64_t span = r->end - r->start;
  if (r->bitmap.len < span / 8 + (span % 8 != 0)) return bad(s, seg, "bitmap shorter than the range");
  for (uint64_t i = 0; i < span; i++)
    if (r->bitmap.data[i / 8] >> (i % 8) & 1) LP_TRY(put(s, r->start + i));
  return LP_OK;
}

static lp_status expand_segment(sink *s, size_t seg, const Lance__Table__U64Segment *g) {
  switch (g->segment_case) {
  case LANCE__TABLE__U64_SEGMENT__SEGMENT_RANGE:
    if (g->range == NULL) break;
    return expand_range(s, seg, g->range->start, g->range->end);
  case LANCE__TABLE__U64_SEGMENT__SEGMENT_RANGE_WITH_HOLES:
    if (g->range_with_holes == NULL) break;
    return expand_holes(s, seg, g->range_with_holes);
  case LANCE__TABLE__U64_SEGMENT__SEGMENT_RANGE_WITH_BITMAP:
    if (g->range_with_bitmap == NULL) break;
    return expand_bitmap(s, seg, g->range_with_bitmap);
  case LANCE__TABLE__U64_SEGMENT__SEGMENT_SORTED_ARRAY:
    return expand_array(s, seg, g->sorted_array);
  case LANCE__TABLE__U64_SEGMENT__SEGMENT_ARRAY:
    return expand_array(s, seg, g->array);
  default:
    break;
  }
  return bad(s, seg, "no segment kind set");
}

lp_status lp__rowid_seq_decode(const uint8_t *bytes, size_t len, uint64_t n_rows, const char *what, uint64_t **out,
                               lp_error *err) {
  *out = NULL;
  if (bytes == NULL && len > 0) return lp_error_set(err, LP_EINVAL, "%s: row id sequence: no bytes", what);
  if (n_rows > UINT32_MAX + 1ull)
    return lp_error_set(err, LP_ECORRUPT, "%s: row id sequence for %" PRIu64 " rows (at most 2^32)", what, n_rows);
  Lance__Table__RowIdSequence *seq = lance__table__row_id_sequence__unpack(NULL, len, bytes);
  if (seq == NULL) return lp_error_set(err, LP_ECORRUPT, "%s: row id sequence does not decode", what);
  sink s = {.v = malloc((n_rows ? n_rows : 1) * sizeof *s.v), .cap = n_rows, .what = what, .err = err};
  lp_status rc = s.v ? LP_OK : lp_error_set(err, LP_ENOMEM, "%s: row id sequence: out of memory", what);
  for (size_t i = 0; rc == LP_OK && i < seq->n_segments; i++) rc = expand_segment(&s, i, seq->segments[i]);
  if (rc == LP_OK && s.n != n_rows)
    rc = lp_error_set(err, LP_ECORRUPT, "%s: row id sequence holds %" PRIu64 " ids for %" PRIu64 " rows", what, s.n,
                      n_rows);
  lance__table__row_id_sequence__free_unpacked(seq, NULL);
  if (rc != LP_OK) {
    free(s.v);
    return rc;
  }
  *out = s.v;
  return LP_OK;
}
