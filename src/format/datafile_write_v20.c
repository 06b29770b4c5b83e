/* Pages of Lance data file format 2.0 (footer 0.3), which tables created with data storage version 2.0 need
 * (LanceDB refuses a table whose data files mix versions). The file around the pages (buffers, schema,
 * column metadata, offset tables) is the 2.1 writer's (datafile_write.c); what differs is here, written
 * the way LanceDB 0.31.0 writes 2.0 files (file-format-2.1.md section 13; the reader is datafile_v20.c):
 *
 *   - every field owns a column, in pre-order: a list's column holds its offsets and its child's column
 *     the items; a struct's column has pages without buffers; a fixed-size list is one column;
 *   - each page's encoding is a lance.encodings.ArrayEncoding tree:
 *       fixed width   Nullable{no_nulls{Flat} | some_nulls{validity: Flat 1, values: Flat} | all_nulls}
 *       fixed-size    Nullable{... values: FixedSizeList{dimension, items: Nullable{... Flat}}} (item nulls
 *       list            in the items' own validity)
 *       strings       Binary{indices: Nullable{no_nulls{Flat 64}} end offsets, bytes: Flat 8,
 *                      null_adjustment}: a null's end offset is shifted by null_adjustment (total bytes + 1)
 *       lists         List{offsets: Nullable{no_nulls{Flat 64}} end offsets, null_offset_adjustment
 *                      (items + 1), num_items}; the items follow in the child's column
 *       structs       SimpleStruct{} (2.0 keeps no struct validity), one page for the whole file: LanceDB
 *                      0.31.0 refuses a struct column of several pages ("right now we only support
 *                      struct columns with 1 page")
 *   - offsets count from the page's first value (each page stands alone).
 * LanceDB also picks dictionaries and bit-packing for some pages; plain buffers are always valid 2.0. */
#include <stdlib.h>
#include <string.h>

#include "encodings20.pb-c.h"
#include "format/arrow_util.h"
#include "format/datafile_write_int.h"
#include "format/write_schema.h"

#define PAGE_TARGET_BYTES (8u << 20) /* a page of wide fixed-size values holds about this much */
#define MAX_PAGE_BUFFERS 4

typedef Lance__Encodings__ArrayEncoding aenc;
#define A_(x) LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_##x

/* ---- columns ---------------------------------------------------------------------------------------- */

static bool is_list(const lp__field *f) { return f->type == LP__TYPE_LIST || f->type == LP__TYPE_LARGE_LIST; }

/* Columns of f and everything below it (a fixed-size list's item is part of its column). */
static size_t subtree_columns(const lp__field *f) {
  size_t n = 1;
  if (f->type == LP__TYPE_FIXED_SIZE_LIST) return n;
  for (size_t i = 0; i < f->n_children; i++) n += subtree_columns(&f->children[i]);
  return n;
}

size_t lp__dfw20_count_columns(const lp__schema *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->n_fields; i++) n += subtree_columns(&s->fields[i]);
  return n;
}

static void subtree_ids(const lp__field *f, int32_t *ids, size_t *k) {
  ids[(*k)++] = f->id;
  if (f->type == LP__TYPE_FIXED_SIZE_LIST) return;
  for (size_t i = 0; i < f->n_children; i++) subtree_ids(&f->children[i], ids, k);
}

void lp__dfw20_column_ids(const lp__schema *s, int32_t *ids) {
  size_t k = 0;
  for (size_t i = 0; i < s->n_fields; i++) subtree_ids(&s->fields[i], ids, &k);
}

/* ---- one page: its buffers and encoding ------------------------------------------------------------ */

typedef struct page20 {
  lp__dfw *w;
  lp__arena *a;
  uint64_t offs[MAX_PAGE_BUFFERS], sizes[MAX_PAGE_BUFFERS];
  size_t n_bufs;
  const char *what; /* the field's name, for errors */
  lp_error *err;
} page20;

static lp_status oom(page20 *p) { return lp_error_set(p->err, LP_ENOMEM, "%s: out of memory", p->what); }

/* Write a page buffer; *index = its number in the page. */
static lp_status put(page20 *p, const void *data, size_t n, uint32_t *index) {
  *index = (uint32_t)p->n_bufs;
  p->sizes[p->n_bufs] = n;
  return lp__dfw_put_buffer(p->w, n ? data : "", n, &p->offs[p->n_bufs++], p->err);
}

static aenc *enc_new(lp__arena *a) { return lp__arena_msg(a, &lance__encodings__array_encoding__descriptor); }

static aenc *enc_flat(lp__arena *a, uint64_t bits, uint32_t buffer_index) {
  aenc *e = enc_new(a);
  Lance__Encodings__Flat *f = lp__arena_msg(a, &lance__encodings__flat__descriptor);
  Lance__Encodings__Buffer *b = lp__arena_msg(a, &lance__encodings__buffer__descriptor);
  if (e == NULL || f == NULL || b == NULL) return NULL;
  b->buffer_index = buffer_index; /* buffer_type PAGE (0) */
  f->bits_per_value = bits;
  f->buffer = b;
  e->array_encoding_case = A_(FLAT);
  e->flat = f;
  return e;
}

/* Nullable around `values`: no_nulls (validity NULL, values set), some_nulls (both set) or all_nulls
 * (both NULL). */
static aenc *enc_nullable(lp__arena *a, aenc *validity, aenc *values) {
  aenc *e = enc_new(a);
  Lance__Encodings__Nullable *n = lp__arena_msg(a, &lance__encodings__nullable__descriptor);
  if (e == NULL || n == NULL) return NULL;
  if (validity != NULL && values != NULL) {
    Lance__Encodings__Nullable__SomeNull *s = lp__arena_msg(a, &lance__encodings__nullable__some_null__descriptor);
    if (s == NULL) return NULL;
    s->validity = validity;
    s->values = values;
    n->nullability_case = LANCE__ENCODINGS__NULLABLE__NULLABILITY_SOME_NULLS;
    n->some_nulls = s;
  } else if (values != NULL) {
    Lance__Encodings__Nullable__NoNull *s = lp__arena_msg(a, &lance__encodings__nullable__no_null__descriptor);
    if (s == NULL) return NULL;
    s->values = values;
    n->nullability_case = LANCE__ENCODINGS__NULLABLE__NULLABILITY_NO_NULLS;
    n->no_nulls = s;
  } else {
    Lance__Encodings__Nullable__AllNull *s = lp__arena_msg(a, &lance__encodings__nullable__all_null__descriptor);
    if (s == NULL) return NULL;
    n->nullability_case = LANCE__ENCODINGS__NULLABLE__NULLABILITY_ALL_NULLS;
    n->all_nulls = s;
  }
  e->array_encoding_case = A_(NULLABLE);
  e->nullable = n;
  return e;
}

/* ---- Arrow input ------------------------------------------------------------------------------------- */

static bool is_null_at(const struct ArrowArray *a, int64_t j) {
  if (a->null_count == 0 || a->n_buffers == 0 || a->buffers[0] == NULL) return false;
  return !lp__bit_get(a->buffers[0], a->offset + j);
}

static int64_t count_nulls(const struct ArrowArray *a, int64_t start, int64_t n) {
  if (a->null_count == 0 || a->n_buffers == 0 || a->buffers[0] == NULL) return 0;
  int64_t k = 0;
  for (int64_t j = start; j < start + n; j++) k += is_null_at(a, j);
  return k;
}

/* Bits [a->offset + start, + n) of bitmap buffer `which` of a (NULL buffer: all set), from bit 0. */
static uint8_t *bits_of(const struct ArrowArray *a, int which, int64_t start, int64_t n) {
  size_t bytes = (size_t)(n + 7) / 8;
  uint8_t *out = calloc(bytes ? bytes : 1, 1);
  if (out == NULL) return NULL;
  const uint8_t *src = a->n_buffers > which ? a->buffers[which] : NULL;
  if (src == NULL) memset(out, 0xff, bytes);
  else lp__bits_copy(out, 0, src, a->offset + start, n);
  if (n % 8) out[bytes - 1] &= (uint8_t)((1u << (n % 8)) - 1);
  return out;
}

/* Validity of rows [start, start + n) of a as Nullable around `values` (written by the caller after this):
 * the validity bitmap is the page's next buffer when some but not all rows are null. */
static lp_status nullable_of(page20 *p, const lp__field *f, const struct ArrowArray *a, int64_t start, int64_t n,
                             aenc **validity, bool *all_null) {
  int64_t nulls = count_nulls(a, start, n);
  if (nulls > 0 && !f->nullable)
    return lp_error_set(p->err, LP_EINVAL, "%s: null value in non-nullable field \"%s\"", p->what, f->name);
  *validity = NULL;
  *all_null = nulls == n && n > 0;
  if (nulls == 0 || *all_null) return LP_OK;
  uint8_t *bits = bits_of(a, 0, start, n);
  if (bits == NULL) return oom(p);
  uint32_t idx;
  lp_status rc = put(p, bits, (size_t)(n + 7) / 8, &idx);
  free(bits);
  LP_TRY(rc);
  if ((*validity = enc_flat(p->a, 1, idx)) == NULL) return oom(p);
  return LP_OK;
}

/* ---- the encodings ------------------------------------------------------------------------------- */

static lp_status fixed_values(page20 *p, const lp__field *f, const struct ArrowArray *a, int64_t start, int64_t n,
                              aenc **out) {
  uint32_t idx;
  if (f->type == LP__TYPE_BOOL) {
    uint8_t *bits = bits_of(a, 1, start, n);
    if (bits == NULL) return oom(p);
    lp_status rc = put(p, bits, (size_t)(n + 7) / 8, &idx);
    free(bits);
    LP_TRY(rc);
    *out = enc_flat(p->a, 1, idx);
  } else {
    size_t width = lp__wtype_width(f->type);
    LP_TRY(put(p, (const uint8_t *)a->buffers[1] + (size_t)(a->offset + start) * width, (size_t)n * width, &idx));
    *out = enc_flat(p->a, width * 8, idx);
  }
  return *out ? LP_OK : oom(p);
}

/* A fixed-size list's values: FixedSizeList{dimension, items: Nullable{... Flat}}. */
static lp_status fsl_values(page20 *p, const lp__field *f, const struct ArrowArray *a, int64_t start, int64_t n,
                            aenc **out) {
  const struct ArrowArray *items = a->children[0];
  int64_t dim = f->list_size, first = (a->offset + start) * dim, n_items = n * dim;
  bool item_nulls = count_nulls(items, first, n_items) > 0;
  aenc *item_validity = NULL;
  uint32_t idx;
  if (item_nulls) {
    uint8_t *bits = bits_of(items, 0, first, n_items);
    if (bits == NULL) return oom(p);
    lp_status rc = put(p, bits, (size_t)(n_items + 7) / 8, &idx);
    free(bits);
    LP_TRY(rc);
    if ((item_validity = enc_flat(p->a, 1, idx)) == NULL) return oom(p);
  }
  size_t width = lp__wtype_width(f->elem_type);
  LP_TRY(put(p, (const uint8_t *)items->buffers[1] + (size_t)(items->offset + first) * width, (size_t)n_items * width,
             &idx));
  aenc *flat = enc_flat(p->a, width * 8, idx);
  aenc *e = enc_new(p->a);
  Lance__Encodings__FixedSizeList *l = lp__arena_msg(p->a, &lance__encodings__fixed_size_list__descriptor);
  if (flat == NULL || e == NULL || l == NULL) return oom(p);
  l->dimension = (uint32_t)dim;
  if ((l->items = enc_nullable(p->a, item_validity, flat)) == NULL) return oom(p);
  e->array_encoding_case = A_(FIXED_SIZE_LIST);
  e->fixed_size_list = l;
  *out = e;
  return LP_OK;
}

/* Start and end (exclusive) of element j of a list or variable-width array a (32- or 64-bit offsets). */
static void span_of(const struct ArrowArray *a, bool large, int64_t j, int64_t *s, int64_t *e) {
  int64_t i = a->offset + j;
  if (large) {
    *s = ((const int64_t *)a->buffers[1])[i];
    *e = ((const int64_t *)a->buffers[1])[i + 1];
  } else {
    *s = ((const int32_t *)a->buffers[1])[i];
    *e = ((const int32_t *)a->buffers[1])[i + 1];
  }
}

/* End offsets of rows [start, start + n) counted from the first row's start, a null's shifted by `adj`
 * (= the last end + 1, as LanceDB does); written as the page's next buffer. *first / *last: the span. */
static lp_status end_offsets(page20 *p, const struct ArrowArray *a, bool large, int64_t start, int64_t n,
                             int64_t *first, int64_t *last, uint64_t *adj, aenc **out) {
  int64_t s0, e0, s1, e1;
  span_of(a, large, start, &s0, &e0);
  span_of(a, large, start + n - 1, &s1, &e1);
  if (e1 < s0) return lp_error_set(p->err, LP_EINVAL, "%s: decreasing offsets in the input", p->what);
  *first = s0;
  *last = e1;
  *adj = (uint64_t)(e1 - s0) + 1;
  uint64_t *ends = malloc((size_t)n * sizeof *ends);
  if (ends == NULL) return oom(p);
  int64_t prev = s0;
  for (int64_t j = 0; j < n; j++) {
    int64_t s, e;
    span_of(a, large, start + j, &s, &e);
    if (s != prev || e < s) {
      free(ends);
      return lp_error_set(p->err, LP_EINVAL, "%s: offsets out of order in the input", p->what);
    }
    ends[j] = (uint64_t)(e - s0) + (is_null_at(a, start + j) ? *adj : 0);
    prev = e;
  }
  uint32_t idx;
  lp_status rc = put(p, ends, (size_t)n * sizeof *ends, &idx);
  free(ends);
  LP_TRY(rc);
  aenc *flat = enc_flat(p->a, 64, idx);
  if (flat == NULL || (*out = enc_nullable(p->a, NULL, flat)) == NULL) return oom(p);
  return LP_OK;
}

static lp_status binary_page(page20 *p, const lp__field *f, const struct ArrowArray *a, int64_t start, int64_t n,
                             aenc **out) {
  if (count_nulls(a, start, n) > 0 && !f->nullable)
    return lp_error_set(p->err, LP_EINVAL, "%s: null value in non-nullable field \"%s\"", p->what, f->name);
  bool large = f->type == LP__TYPE_LARGE_UTF8 || f->type == LP__TYPE_LARGE_BINARY;
  int64_t first, last;
  uint64_t adj;
  aenc *indices;
  LP_TRY(end_offsets(p, a, large, start, n, &first, &last, &adj, &indices));
  uint32_t idx;
  LP_TRY(put(p, (const uint8_t *)a->buffers[2] + first, (size_t)(last - first), &idx));
  aenc *e = enc_new(p->a), *bytes = enc_flat(p->a, 8, idx);
  Lance__Encodings__Binary *b = lp__arena_msg(p->a, &lance__encodings__binary__descriptor);
  if (e == NULL || bytes == NULL || b == NULL) return oom(p);
  b->indices = indices;
  b->bytes = bytes;
  b->null_adjustment = adj;
  e->array_encoding_case = A_(BINARY);
  e->binary = b;
  *out = e;
  return LP_OK;
}

static lp_status write_field(lp__dfw *w, const lp__field *f, size_t col, const struct ArrowArray *a, int64_t start,
                             int64_t n, lp_error *err);

/* A list page, then its items (in the child's column). */
static lp_status list_page(page20 *p, const lp__field *f, const struct ArrowArray *a, int64_t start, int64_t n,
                           aenc **out, int64_t *items_first, int64_t *items_n) {
  if (count_nulls(a, start, n) > 0 && !f->nullable)
    return lp_error_set(p->err, LP_EINVAL, "%s: null value in non-nullable field \"%s\"", p->what, f->name);
  int64_t first, last;
  uint64_t adj;
  aenc *offsets;
  LP_TRY(end_offsets(p, a, f->type == LP__TYPE_LARGE_LIST, start, n, &first, &last, &adj, &offsets));
  aenc *e = enc_new(p->a);
  Lance__Encodings__List *l = lp__arena_msg(p->a, &lance__encodings__list__descriptor);
  if (e == NULL || l == NULL) return oom(p);
  l->offsets = offsets;
  l->null_offset_adjustment = adj;
  l->num_items = (uint64_t)(last - first);
  e->array_encoding_case = A_(LIST);
  e->list = l;
  *out = e;
  *items_first = first;
  *items_n = last - first;
  return LP_OK;
}

/* Rows [start, start + n) of array a (holding field f, whose column is col) as one page of each column of
 * f's subtree. */
static lp_status write_field(lp__dfw *w, const lp__field *f, size_t col, const struct ArrowArray *a, int64_t start,
                             int64_t n, lp_error *err) {
  if (n == 0) return LP_OK; /* e.g. the items of a page of empty lists */
  page20 p = {w, lp__dfw_arena(w), {0}, {0}, 0, f->name, err};
  aenc *enc = NULL;
  int64_t items_first = 0, items_n = 0;
  uint64_t *done = lp__dfw_column_rows(w);
  if (f->type == LP__TYPE_STRUCT) { /* its one page comes at the end (lp__dfw20_finish) */
    done[col] += (uint64_t)n;
    size_t c = col + 1;
    for (size_t i = 0; i < f->n_children; i++) {
      /* a struct's element j is element offset + j of each child */
      LP_TRY(write_field(w, &f->children[i], c, a->children[i], a->offset + start, n, err));
      c += subtree_columns(&f->children[i]);
    }
    return LP_OK;
  }
  if (is_list(f)) {
    LP_TRY(list_page(&p, f, a, start, n, &enc, &items_first, &items_n));
  } else if (lp__wtype_is_varwidth(f->type)) {
    LP_TRY(binary_page(&p, f, a, start, n, &enc));
  } else {
    aenc *validity = NULL, *values = NULL;
    bool all_null = false;
    LP_TRY(nullable_of(&p, f, a, start, n, &validity, &all_null));
    if (!all_null && f->type == LP__TYPE_FIXED_SIZE_LIST) LP_TRY(fsl_values(&p, f, a, start, n, &values));
    else if (!all_null) LP_TRY(fixed_values(&p, f, a, start, n, &values));
    if ((enc = enc_nullable(p.a, validity, values)) == NULL) return oom(&p);
  }
  LP_TRY(lp__dfw_add_page_any(w, col, p.offs, p.sizes, p.n_bufs, (uint64_t)n, done[col],
                              "/lance.encodings.ArrayEncoding", &enc->base, err));
  done[col] += (uint64_t)n;
  if (is_list(f)) return write_field(w, &f->children[0], col + 1, a->children[0], items_first, items_n, err);
  return LP_OK;
}

/* The one page of every struct column in f's subtree (col = f's column). */
static lp_status struct_pages(lp__dfw *w, const lp__field *f, size_t col, lp_error *err) {
  if (f->type == LP__TYPE_FIXED_SIZE_LIST) return LP_OK;
  uint64_t rows = lp__dfw_column_rows(w)[col];
  if (f->type == LP__TYPE_STRUCT && rows > 0) {
    lp__arena *a = lp__dfw_arena(w);
    aenc *enc = enc_new(a);
    Lance__Encodings__SimpleStruct *s = lp__arena_msg(a, &lance__encodings__simple_struct__descriptor);
    if (enc == NULL || s == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", f->name);
    enc->array_encoding_case = A_(SIMPLE_STRUCT);
    enc->simple_struct = s;
    LP_TRY(lp__dfw_add_page_any(w, col, NULL, NULL, 0, rows, 0, "/lance.encodings.ArrayEncoding", &enc->base, err));
  }
  size_t c = col + 1;
  for (size_t i = 0; i < f->n_children; i++) {
    LP_TRY(struct_pages(w, &f->children[i], c, err));
    c += subtree_columns(&f->children[i]);
  }
  return LP_OK;
}

lp_status lp__dfw20_finish(lp__dfw *w, lp_error *err) {
  const lp__schema *s = lp__dfw_schema(w);
  size_t col = 0;
  for (size_t i = 0; i < s->n_fields; i++) {
    LP_TRY(struct_pages(w, &s->fields[i], col, err));
    col += subtree_columns(&s->fields[i]);
  }
  return LP_OK;
}

/* Rows per page of a top-level field: the writer's page size, fewer for wide fixed-size values. */
static int64_t page_step(const lp__dfw *w, const lp__field *f) {
  uint64_t step = lp__dfw_page_rows(w);
  size_t width = f->type == LP__TYPE_FIXED_SIZE_LIST ? lp__wtype_width(f->elem_type) * (size_t)f->list_size
                 : lp__wtype_is_varwidth(f->type) || f->n_children ? 0
                                                                  : lp__wtype_width(f->type);
  if (width > 0 && step * width > PAGE_TARGET_BYTES) step = PAGE_TARGET_BYTES / width ? PAGE_TARGET_BYTES / width : 1;
  return (int64_t)step;
}

lp_status lp__dfw20_write(lp__dfw *w, const struct ArrowArray *batch, int64_t row_start, int64_t n_rows,
                          lp_error *err) {
  const lp__schema *s = lp__dfw_schema(w);
  size_t col = 0;
  for (size_t i = 0; i < s->n_fields; i++) {
    const lp__field *f = &s->fields[i];
    int64_t step = page_step(w, f);
    for (int64_t r = 0; r < n_rows; r += step) {
      int64_t n = n_rows - r < step ? n_rows - r : step;
      LP_TRY(write_field(w, f, col, batch->children[i], batch->offset + row_start + r, n, err));
    }
    col += subtree_columns(f);
  }
  return LP_OK;
}
