/* Converting Arrow results into lp_store_row values, and freeing them. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

const char *const lp__store_columns[LP__N_COLS] = {"id", "path", "text", "vector", "metadata", "created_at"};

void lp_store_rows_reset(lp_store_rows *rows) {
  if (rows == NULL) return;
  for (size_t i = 0; i < rows->n; i++) {
    lp_store_row *r = &rows->rows[i];
    free(r->id);
    free(r->path);
    free(r->text);
    free(r->metadata);
    free(r->vector);
  }
  free(rows->rows);
  rows->rows = NULL;
  rows->n = 0;
}

static bool is_valid(const struct ArrowArray *a, int64_t i) {
  if (a->null_count == 0 || a->buffers[0] == NULL) return true;
  int64_t j = a->offset + i;
  return (((const uint8_t *)a->buffers[0])[j >> 3] >> (j & 7)) & 1;
}

bool lp__arrow_str(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i, const char **out_p,
                   size_t *out_len) {
  if (!is_valid(a, i)) return false;
  int64_t j = a->offset + i;
  const char *data = a->buffers[2];
  if (s->format[0] == 'U') {
    const int64_t *off = a->buffers[1];
    *out_p = data + off[j];
    *out_len = (size_t)(off[j + 1] - off[j]);
  } else {
    const int32_t *off = a->buffers[1];
    *out_p = data + off[j];
    *out_len = (size_t)(off[j + 1] - off[j]);
  }
  return true;
}

static char *dup_str(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i, bool *oom) {
  const char *p;
  size_t len;
  if (!lp__arrow_str(a, s, i, &p, &len)) return NULL;
  char *out = malloc(len + 1);
  if (out == NULL) {
    *oom = true;
    return NULL;
  }
  memcpy(out, p, len);
  out[len] = '\0';
  return out;
}

/* One row's fields from the columns found (col[c] NULL when the column was not projected). */
static bool fill_row(lp_store_row *r, struct ArrowArray *const *col, struct ArrowSchema *const *sch, int64_t i,
                     uint32_t dim) {
  bool oom = false;
  if (col[LP__COL_ID]) r->id = dup_str(col[LP__COL_ID], sch[LP__COL_ID], i, &oom);
  if (col[LP__COL_PATH]) r->path = dup_str(col[LP__COL_PATH], sch[LP__COL_PATH], i, &oom);
  if (col[LP__COL_TEXT]) r->text = dup_str(col[LP__COL_TEXT], sch[LP__COL_TEXT], i, &oom);
  if (col[LP__COL_METADATA]) r->metadata = dup_str(col[LP__COL_METADATA], sch[LP__COL_METADATA], i, &oom);
  const struct ArrowArray *v = col[LP__COL_VECTOR];
  if (v != NULL && is_valid(v, i)) {
    const float *f = v->children[0]->buffers[1];
    r->vector = malloc((size_t)dim * sizeof(float));
    if (r->vector == NULL) return false;
    memcpy(r->vector, f + (v->children[0]->offset + (v->offset + i) * (int64_t)dim), (size_t)dim * sizeof(float));
  }
  const struct ArrowArray *c = col[LP__COL_CREATED_AT];
  if (c != NULL && is_valid(c, i)) {
    r->created_at_us = ((const int64_t *)c->buffers[1])[c->offset + i];
    r->has_created_at = true;
  }
  return !oom;
}

lp_status lp__store_rows_from_arrow(const struct ArrowArray *arr, const struct ArrowSchema *schema, uint32_t dim,
                                    const float *distances, lp_store_rows *out, lp_error *err) {
  struct ArrowArray *col[LP__N_COLS] = {0};
  struct ArrowSchema *sch[LP__N_COLS] = {0};
  for (int64_t c = 0; c < schema->n_children; c++)
    for (int k = 0; k < LP__N_COLS; k++)
      if (strcmp(schema->children[c]->name, lp__store_columns[k]) == 0) {
        col[k] = arr->children[c];
        sch[k] = schema->children[c];
      }
  size_t n = (size_t)arr->length;
  lp_store_row *grown = realloc(out->rows, (out->n + n + 1) * sizeof *grown);
  if (grown == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory for %zu rows", n);
  out->rows = grown;
  out->dim = dim;
  for (size_t i = 0; i < n; i++) {
    lp_store_row *r = &out->rows[out->n];
    memset(r, 0, sizeof *r);
    out->n++;
    if (distances != NULL) r->distance = distances[i];
    if (!fill_row(r, col, sch, arr->offset + (int64_t)i, dim))
      return lp_error_set(err, LP_ENOMEM, "store: out of memory copying row %zu", i);
  }
  return LP_OK;
}
