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

/* A utf8 column from the strings get(i) (NULL = null when nullable, else ""). */
static lp_status utf8_column(const lp_store_record *recs, size_t n, int which, struct ArrowArray *out,
                             lp_error *err) {
  size_t total = 0;
  int64_t nulls = 0;
  for (size_t i = 0; i < n; i++) {
    const char *s = which == LP__COL_ID ? recs[i].id : which == LP__COL_PATH ? recs[i].path
                    : which == LP__COL_TEXT ? recs[i].text : recs[i].metadata;
    if (which == LP__COL_METADATA && s == NULL) s = "{}";
    if (s == NULL) nulls++;
    else total += strlen(s);
  }
  if (total > INT32_MAX) return lp_error_set(err, LP_EINVAL, "store: column %s holds more than 2 GiB in one call",
                                             lp__store_columns[which]);
  uint8_t *valid = nulls ? lp__arrow_buf_calloc((n + 7) / 8) : NULL;
  int32_t *off = lp__arrow_buf_alloc((n + 1) * sizeof *off);
  char *data = lp__arrow_buf_alloc(total + 1);
  if ((nulls && valid == NULL) || off == NULL || data == NULL) {
    lp__arrow_buf_free(valid);
    lp__arrow_buf_free(off);
    lp__arrow_buf_free(data);
    return lp_error_set(err, LP_ENOMEM, "store: out of memory building column %s", lp__store_columns[which]);
  }
  size_t at = 0;
  off[0] = 0;
  for (size_t i = 0; i < n; i++) {
    const char *s = which == LP__COL_ID ? recs[i].id : which == LP__COL_PATH ? recs[i].path
                    : which == LP__COL_TEXT ? recs[i].text : recs[i].metadata;
    if (which == LP__COL_METADATA && s == NULL) s = "{}";
    if (s != NULL) {
      size_t l = strlen(s);
      memcpy(data + at, s, l);
      at += l;
      if (valid) lp__bit_set(valid, (int64_t)i);
    }
    off[i + 1] = (int32_t)at;
  }
  void *bufs[3] = {valid, off, data};
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

lp_status lp__store_records_batch(const lp_store_record *recs, size_t n, uint32_t dim, struct ArrowArray *out,
                                  lp_error *err) {
  struct ArrowArray cols[LP__N_COLS];
  memset(cols, 0, sizeof cols);
  lp_status rc = LP_OK;
  for (int k = 0; k < LP__N_COLS && rc == LP_OK; k++) {
    if (k == LP__COL_VECTOR) rc = vector_column(recs, n, dim, &cols[k], err);
    else if (k == LP__COL_CREATED_AT) rc = time_column(recs, n, &cols[k], err);
    else rc = utf8_column(recs, n, k, &cols[k], err);
  }
  if (rc != LP_OK) {
    for (int k = 0; k < LP__N_COLS; k++) lp__arrow_release(&cols[k]);
    return rc;
  }
  return lp__arrow_struct_make(out, cols, LP__N_COLS, (int64_t)n, NULL, 0, err);
}

lp_status lp__store_records_stream(const lp_store_record *recs, size_t n, uint32_t dim,
                                   struct ArrowArrayStream *out, lp_error *err) {
  struct ArrowSchema as = {0};
  LP_TRY(lp__store_arrow_schema(dim, &as, err));
  lp__schema ls;
  memset(&ls, 0, sizeof ls);
  lp_status rc = lp__wschema_from_arrow(&as, &ls, err);
  as.release(&as);
  if (rc != LP_OK) return rc;
  struct ArrowArray *batch = malloc(sizeof *batch);
  if (batch == NULL) rc = lp_error_set(err, LP_ENOMEM, "store: out of memory");
  if (rc == LP_OK) rc = lp__store_records_batch(recs, n, dim, batch, err);
  if (rc == LP_OK) rc = lp__batches_stream(&ls, batch, 1, out, err);
  else free(batch);
  lp__wschema_reset(&ls);
  return rc;
}
