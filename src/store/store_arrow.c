/* The store's records as Arrow: its schema and a record batch built from lp_store_record values, to feed
 * the engine's write path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "write/write_json.h"
#include "format/write_schema.h"
#include "store/store_int.h"

#define ARROW_FLAG_NULLABLE 2

/* One heap block holds the whole schema tree; release frees it. */
typedef struct {
  struct ArrowSchema cols[LP__N_COLS], item;
  struct ArrowSchema *col_ptrs[LP__N_COLS], *item_ptr;
  char vector_format[32];
} schema_block;

static void release_schema(struct ArrowSchema *s) {
  free(s->private_data);
  s->release = NULL;
}
static void release_child(struct ArrowSchema *s) { s->release = NULL; }

lp_status lp__store_arrow_schema(uint32_t dim, struct ArrowSchema *out, lp_error *err) {
  schema_block *b = calloc(1, sizeof *b);
  if (b == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory for the schema");
  snprintf(b->vector_format, sizeof b->vector_format, "+w:%u", dim);
  static const char *const formats[LP__N_COLS] = {"u", "u", "u", NULL, "u", "tsu:"};
  for (int k = 0; k < LP__N_COLS; k++) {
    b->cols[k] = (struct ArrowSchema){.format = k == LP__COL_VECTOR ? b->vector_format : formats[k],
                                      .name = lp__store_columns[k],
                                      .flags = k == LP__COL_ID ? 0 : ARROW_FLAG_NULLABLE,
                                      .release = release_child};
    b->col_ptrs[k] = &b->cols[k];
  }
  b->item = (struct ArrowSchema){.format = "f", .name = "item", .flags = ARROW_FLAG_NULLABLE, .release = release_child};
  b->item_ptr = &b->item;
  b->cols[LP__COL_VECTOR].n_children = 1;
  b->cols[LP__COL_VECTOR].children = &b->item_ptr;
  *out = (struct ArrowSchema){.format = "+s", .name = "", .n_children = LP__N_COLS, .children = b->col_ptrs,
                              .release = release_schema, .private_data = b};
  return LP_OK;
}

/* A validity bitmap for n values with valid[i] (NULL and *out_nulls 0 when none is null). */
static lp_status validity_of(const bool *valid, size_t n, uint8_t **out, int64_t *out_nulls, lp_error *err) {
  *out = NULL;
  *out_nulls = 0;
  for (size_t i = 0; i < n; i++) *out_nulls += !valid[i];
  if (*out_nulls == 0) return LP_OK;
  *out = lp__arrow_buf_calloc((n + 7) / 8);
  if (*out == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory building a column");
  for (size_t i = 0; i < n; i++)
    if (valid[i]) lp__bit_set(*out, (int64_t)i);
  return LP_OK;
}

/* A utf8 (or large_utf8) column of strs[0..n) (NULL = null). */
static lp_status string_column(const char *const *strs, size_t n, bool large, const char *name, struct ArrowArray *out,
                               lp_error *err) {
  size_t total = 0;
  bool *valid = malloc(n + 1);
  if (valid == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory building column %s", name);
  for (size_t i = 0; i < n; i++) {
    valid[i] = strs[i] != NULL;
    if (strs[i] != NULL) total += strlen(strs[i]);
  }
  if (!large && total > INT32_MAX) {
    free(valid);
    return lp_error_set(err, LP_EINVAL, "store: column %s holds more than 2 GiB in one call", name);
  }
  uint8_t *bits = NULL;
  int64_t nulls = 0;
  lp_status rc = validity_of(valid, n, &bits, &nulls, err);
  free(valid);
  if (rc != LP_OK) return rc;
  size_t width = large ? sizeof(int64_t) : sizeof(int32_t);
  uint8_t *off = lp__arrow_buf_alloc((n + 1) * width);
  char *data = lp__arrow_buf_alloc(total + 1);
  if (off == NULL || data == NULL) {
    lp__arrow_buf_free(bits);
    lp__arrow_buf_free(off);
    lp__arrow_buf_free(data);
    return lp_error_set(err, LP_ENOMEM, "store: out of memory building column %s", name);
  }
  size_t at = 0;
  for (size_t i = 0; i <= n; i++) {
    if (large) ((int64_t *)(void *)off)[i] = (int64_t)at;
    else ((int32_t *)(void *)off)[i] = (int32_t)at;
    if (i < n && strs[i] != NULL) {
      size_t l = strlen(strs[i]);
      memcpy(data + at, strs[i], l);
      at += l;
    }
  }
  void *bufs[3] = {bits, off, data};
  return lp__arrow_array_make(out, (int64_t)n, nulls, 3, bufs, NULL, 0, err);
}

static lp_status vector_column(const lp_store_record *recs, size_t n, uint32_t dim, struct ArrowArray *out,
                               lp_error *err) {
  float *vals = lp__arrow_buf_alloc(n * dim * sizeof *vals + 1);
  if (vals == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory building vectors");
  for (size_t i = 0; i < n; i++) memcpy(vals + i * dim, recs[i].vector, dim * sizeof *vals);
  struct ArrowArray child = {0};
  void *cb[2] = {NULL, vals};
  LP_TRY(lp__arrow_array_make(&child, (int64_t)(n * dim), 0, 2, cb, NULL, 0, err));
  struct ArrowArray *kids[1] = {&child};
  void *pb[1] = {NULL};
  return lp__arrow_array_make(out, (int64_t)n, 0, 1, pb, kids, 1, err);
}

static lp_status time_column(const lp_store_record *recs, size_t n, struct ArrowArray *out, lp_error *err) {
  int64_t *v = lp__arrow_buf_alloc(n * sizeof *v + 1);
  if (v == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory building created_at");
  for (size_t i = 0; i < n; i++) v[i] = recs[i].created_at_us;
  void *b[2] = {NULL, v};
  return lp__arrow_array_make(out, (int64_t)n, 0, 2, b, NULL, 0, err);
}

/* Bytes per value of a fixed-width extra column (0 for bool, which is a bitmap). */
static size_t value_width(lp__type t) {
  switch (t) {
  case LP__TYPE_INT8: case LP__TYPE_UINT8: return 1;
  case LP__TYPE_INT16: case LP__TYPE_UINT16: return 2;
  case LP__TYPE_INT32: case LP__TYPE_UINT32: case LP__TYPE_DATE32: case LP__TYPE_FLOAT32: return 4;
  case LP__TYPE_BOOL: return 0;
  default: return 8;
  }
}

/* Store value v into slot i of a fixed-width (or bool) buffer of column type t. */
static void put_value(uint8_t *buf, size_t i, lp__type t, const lp_store_value *v) {
  switch (t) {
  case LP__TYPE_BOOL: if (v->b) lp__bit_set(buf, (int64_t)i); return;
  case LP__TYPE_FLOAT32: { float f = (float)v->f; memcpy(buf + i * 4, &f, 4); return; }
  case LP__TYPE_FLOAT64: memcpy(buf + i * 8, &v->f, 8); return;
  default: break;
  }
  size_t w = value_width(t);
  int64_t x = v->i;
  uint8_t le[8];
  for (size_t b = 0; b < 8; b++) le[b] = (uint8_t)((uint64_t)x >> (8 * b)); /* little-endian, truncated to w */
  memcpy(buf + i * w, le, w);
}

/* An extra column from the records' named values (a record without one, or with a NULL value: null). */
static lp_status extra_column(const lp__field *f, const struct ArrowSchema *fs, const lp_store_record *recs, size_t n,
                              struct ArrowArray *out, lp_error *err) {
  const lp_store_value **vals = malloc((n + 1) * sizeof *vals);
  bool *valid = malloc(n + 1);
  lp_status rc = vals && valid ? LP_OK : lp_error_set(err, LP_ENOMEM, "store: out of memory building %s", f->name);
  size_t given = 0;
  for (size_t i = 0; rc == LP_OK && i < n; i++) {
    vals[i] = lp__store_record_value(&recs[i], f->name);
    if (vals[i] != NULL && vals[i]->type == LP_STORE_VALUE_NULL) vals[i] = NULL;
    valid[i] = vals[i] != NULL;
    given += valid[i];
  }
  if (rc == LP_OK && given == 0) {
    rc = lp__arrow_make_nulls(out, fs, (int64_t)n, err);
  } else if (rc == LP_OK && (f->type == LP__TYPE_UTF8 || f->type == LP__TYPE_LARGE_UTF8)) {
    const char **strs = (const char **)vals; /* reuse the array: one pointer per record */
    for (size_t i = 0; i < n; i++) strs[i] = vals[i] ? vals[i]->str : NULL;
    rc = string_column(strs, n, f->type == LP__TYPE_LARGE_UTF8, f->name, out, err);
  } else if (rc == LP_OK) {
    uint8_t *bits = NULL;
    int64_t nulls = 0;
    rc = validity_of(valid, n, &bits, &nulls, err);
    size_t w = value_width(f->type), size = w ? n * w : (n + 7) / 8;
    uint8_t *data = rc == LP_OK ? lp__arrow_buf_calloc(size + 1) : NULL;
    if (rc == LP_OK && data == NULL) rc = lp_error_set(err, LP_ENOMEM, "store: out of memory building %s", f->name);
    for (size_t i = 0; rc == LP_OK && i < n; i++)
      if (vals[i] != NULL) put_value(data, i, f->type, vals[i]);
    void *bufs[2] = {bits, data};
    if (rc == LP_OK) rc = lp__arrow_array_make(out, (int64_t)n, nulls, 2, bufs, NULL, 0, err);
    else lp__arrow_buf_free(bits);
  }
  free(vals);
  free(valid);
  return rc;
}

/* The string a record gives for a string role (metadata defaults to "{}"). */
static const char *role_string(const lp_store_record *r, int role) {
  switch (role) {
  case LP__COL_ID: return r->id;
  case LP__COL_PATH: return r->path;
  case LP__COL_TEXT: return r->text;
  default: return r->metadata != NULL ? r->metadata : "{}";
  }
}

static lp_status role_string_column(const lp__field *f, int role, const lp_store_record *recs, size_t n,
                                    struct ArrowArray *out, lp_error *err) {
  const char **strs = malloc((n + 1) * sizeof *strs);
  if (strs == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory building %s", f->name);
  for (size_t i = 0; i < n; i++) strs[i] = role_string(&recs[i], role);
  lp_status rc = string_column(strs, n, f->type == LP__TYPE_LARGE_UTF8, f->name, out, err);
  free(strs);
  return rc;
}

/* Column f of the table for the records. */
static lp_status build_column(const lp__store_layout *lay, const lp__field *f, const struct ArrowSchema *fs,
                              const lp_store_record *recs, size_t n, struct ArrowArray *out, lp_error *err) {
  int role = lp__store_layout_role(lay, f->name);
  switch (role) {
  case LP__COL_VECTOR: return vector_column(recs, n, lay->dim, out, err);
  case LP__COL_CREATED_AT: return time_column(recs, n, out, err);
  case LP__COL_EXTRA: return extra_column(f, fs, recs, n, out, err);
  default: return role_string_column(f, role, recs, n, out, err);
  }
}

/* One batch with every column of the table. */
static lp_status records_batch(const lp__store_layout *lay, const struct ArrowSchema *as, const lp_store_record *recs,
                               size_t n, struct ArrowArray *out, lp_error *err) {
  size_t nf = lay->schema.n_fields;
  struct ArrowArray *cols = calloc(nf + 1, sizeof *cols);
  if (cols == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  lp_status rc = LP_OK;
  for (size_t k = 0; k < nf && rc == LP_OK; k++)
    rc = build_column(lay, &lay->schema.fields[k], as->children[k], recs, n, &cols[k], err);
  if (rc == LP_OK) {
    rc = lp__arrow_struct_make(out, cols, nf, (int64_t)n, NULL, 0, err);
  } else {
    for (size_t k = 0; k < nf; k++) lp__arrow_release(&cols[k]);
  }
  free(cols);
  return rc;
}

lp_status lp__store_records_stream(const lp__store_layout *lay, const lp_store_record *recs, size_t n,
                                   struct ArrowArrayStream *out, lp_error *err) {
  size_t nf = lay->schema.n_fields;
  const lp__field **fields = malloc((nf + 1) * sizeof *fields);
  if (fields == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  for (size_t k = 0; k < nf; k++) fields[k] = &lay->schema.fields[k];
  struct ArrowSchema as = {0};
  lp_status rc = lp__fields_to_arrow_struct(fields, nf, &as, err);
  free(fields);
  if (rc != LP_OK) return rc;
  lp__schema ls;
  memset(&ls, 0, sizeof ls);
  rc = lp__wschema_from_arrow(&as, &ls, err);
  struct ArrowArray *batch = rc == LP_OK ? malloc(sizeof *batch) : NULL;
  if (rc == LP_OK && batch == NULL) rc = lp_error_set(err, LP_ENOMEM, "store: out of memory");
  if (rc == LP_OK) rc = records_batch(lay, &as, recs, n, batch, err);
  if (rc == LP_OK) rc = lp__batches_stream(&ls, batch, 1, out, err);
  else free(batch);
  as.release(&as);
  lp__wschema_reset(&ls);
  return rc;
}
