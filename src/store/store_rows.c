/* Converting Arrow results into lp_store_row values, and freeing them. */
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
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
    for (size_t j = 0; j < r->n_values; j++) {
      free((char *)r->values[j].name);
      free((char *)r->values[j].str);
    }
    free(r->values);
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

/* Where each kind of result column is in one result batch. */
typedef struct col_map {
  struct ArrowArray *role[LP__N_COLS];
  struct ArrowSchema *role_schema[LP__N_COLS];
  const struct ArrowArray *distance, *score; /* float32 `_distance`; `_score` or `_relevance_score` */
  int64_t *extra;                            /* child positions of the extra columns rows hold */
  const lp__field **extra_field;
  size_t n_extra;
} col_map;

static lp_status map_columns(const struct ArrowArray *arr, const struct ArrowSchema *schema, const lp__store_layout *lay,
                             col_map *m, lp_error *err) {
  memset(m, 0, sizeof *m);
  m->extra = malloc(((size_t)schema->n_children + 1) * sizeof *m->extra);
  m->extra_field = malloc(((size_t)schema->n_children + 1) * sizeof *m->extra_field);
  if (m->extra == NULL || m->extra_field == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  for (int64_t c = 0; c < schema->n_children; c++) {
    const char *name = schema->children[c]->name;
    bool is_float = strcmp(schema->children[c]->format, "f") == 0;
    int role = lp__store_layout_role(lay, name);
    lp_store_value_type vt;
    const lp__field *f = lp__schema_find(&lay->schema, name);
    if (role != LP__COL_EXTRA) {
      m->role[role] = arr->children[c];
      m->role_schema[role] = schema->children[c];
    } else if (strcmp(name, "_distance") == 0 && is_float) {
      m->distance = arr->children[c];
    } else if ((strcmp(name, "_score") == 0 || strcmp(name, "_relevance_score") == 0) && is_float) {
      m->score = arr->children[c];
    } else if (f != NULL && lp__store_value_type_fits(f, &vt)) {
      m->extra_field[m->n_extra] = f;
      m->extra[m->n_extra++] = c;
    }
  }
  return LP_OK;
}

static void col_map_reset(col_map *m) {
  free(m->extra);
  free(m->extra_field);
}

static float float_at(const struct ArrowArray *a, int64_t i) {
  return a == NULL ? 0.0f : ((const float *)a->buffers[1])[a->offset + i];
}

/* Value i of a fixed-width or bool column of type t, as the lp_store_value of that type. */
static void read_number(const struct ArrowArray *a, int64_t i, lp__type t, lp_store_value *v) {
  int64_t j = a->offset + i;
  const void *d = a->buffers[1];
  switch (t) {
  case LP__TYPE_BOOL: v->type = LP_STORE_VALUE_BOOL; v->b = lp__bit_get(d, j); return;
  case LP__TYPE_FLOAT32: v->type = LP_STORE_VALUE_FLOAT; v->f = ((const float *)d)[j]; return;
  case LP__TYPE_FLOAT64: v->type = LP_STORE_VALUE_FLOAT; v->f = ((const double *)d)[j]; return;
  case LP__TYPE_INT8: v->i = ((const int8_t *)d)[j]; break;
  case LP__TYPE_INT16: v->i = ((const int16_t *)d)[j]; break;
  case LP__TYPE_INT32: case LP__TYPE_DATE32: v->i = ((const int32_t *)d)[j]; break;
  case LP__TYPE_UINT8: v->i = ((const uint8_t *)d)[j]; break;
  case LP__TYPE_UINT16: v->i = ((const uint16_t *)d)[j]; break;
  case LP__TYPE_UINT32: v->i = ((const uint32_t *)d)[j]; break;
  case LP__TYPE_UINT64: v->i = (int64_t)((const uint64_t *)d)[j]; break;
  default: v->i = ((const int64_t *)d)[j]; break;
  }
  v->type = LP_STORE_VALUE_INT;
}

/* The extra columns of row i as named values. */
static bool fill_values(lp_store_row *r, const struct ArrowArray *arr, const struct ArrowSchema *schema,
                        const col_map *m, int64_t i) {
  if (m->n_extra == 0) return true;
  r->values = calloc(m->n_extra, sizeof *r->values);
  if (r->values == NULL) return false;
  bool oom = false;
  for (size_t e = 0; e < m->n_extra && !oom; e++) {
    const struct ArrowArray *a = arr->children[m->extra[e]];
    const struct ArrowSchema *s = schema->children[m->extra[e]];
    lp_store_value *v = &r->values[r->n_values++];
    v->name = strdup(m->extra_field[e]->name);
    oom = v->name == NULL;
    if (oom || !is_valid(a, i)) continue; /* type NULL */
    lp__type t = m->extra_field[e]->type;
    if (t == LP__TYPE_UTF8 || t == LP__TYPE_LARGE_UTF8) {
      v->str = dup_str(a, s, i, &oom);
      v->type = LP_STORE_VALUE_STRING;
    } else {
      read_number(a, i, t, v);
    }
  }
  return !oom;
}

/* One row's role fields from the columns found (NULL when the column was not projected). */
static bool fill_row(lp_store_row *r, const col_map *m, int64_t i, uint32_t dim) {
  bool oom = false;
  struct ArrowArray *const *col = m->role;
  struct ArrowSchema *const *sch = m->role_schema;
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

lp_status lp__store_rows_from_arrow(const struct ArrowArray *arr, const struct ArrowSchema *schema,
                                    const lp__store_layout *lay, lp_store_rows *out, lp_error *err) {
  col_map m;
  lp_status rc = map_columns(arr, schema, lay, &m, err);
  size_t n = (size_t)arr->length;
  lp_store_row *grown = rc == LP_OK ? realloc(out->rows, (out->n + n + 1) * sizeof *grown) : NULL;
  if (rc == LP_OK && grown == NULL) rc = lp_error_set(err, LP_ENOMEM, "store: out of memory for %zu rows", n);
  if (grown != NULL) out->rows = grown;
  out->dim = lay->dim;
  for (size_t i = 0; rc == LP_OK && i < n; i++) {
    lp_store_row *r = &out->rows[out->n];
    memset(r, 0, sizeof *r);
    out->n++;
    int64_t at = arr->offset + (int64_t)i;
    r->distance = float_at(m.distance, at);
    r->score = float_at(m.score, at);
    if (!fill_row(r, &m, at, lay->dim) || !fill_values(r, arr, schema, &m, at))
      rc = lp_error_set(err, LP_ENOMEM, "store: out of memory copying row %zu", i);
  }
  col_map_reset(&m);
  return rc;
}
