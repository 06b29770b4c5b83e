/* Value expressions evaluated into Arrow arrays of a column's type: the right-hand sides of
 * `update --set 'col = EXPR'` (LanceDB's update with SQL values). The expression is the value part of the
 * filter language (predicate.h): it is bound with the filter binder (lp__vbind), cast to the target
 * column's type with DataFusion's casting rules (lp__vcoerce_arg), evaluated a chunk at a time with the
 * filter's value evaluator (lp__veval), and the chunks are written out as one Arrow array. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "query/distance.h"
#include "query/predicate_int.h"

struct lp__expr {
  lp__pred_bound *b; /* root: a B_VISNULL node whose va is the value (so the binder's free and slots apply) */
  lp__type type;     /* of the target column */
  lp__time_unit unit;
  bool nullable;
  char *target;      /* column name, for messages */
};

/* The column types a value can be written into. */
static bool settable(lp__type t) {
  switch (t) {
  case LP__TYPE_BOOL:
  case LP__TYPE_INT8: case LP__TYPE_INT16: case LP__TYPE_INT32: case LP__TYPE_INT64:
  case LP__TYPE_UINT8: case LP__TYPE_UINT16: case LP__TYPE_UINT32: case LP__TYPE_UINT64:
  case LP__TYPE_FLOAT16: case LP__TYPE_FLOAT32: case LP__TYPE_FLOAT64:
  case LP__TYPE_UTF8: case LP__TYPE_LARGE_UTF8: case LP__TYPE_BINARY: case LP__TYPE_LARGE_BINARY:
  case LP__TYPE_DATE32: case LP__TYPE_TIMESTAMP: return true;
  default: return false;
  }
}

void lp__expr_free(lp__expr *e) {
  if (e == NULL) return;
  lp__pred_bound_free(e->b);
  free(e->target);
  free(e);
}

/* target NULL: the value keeps its own (DataFusion's) type, for a new column. */
static lp_status bind_value(const lp__pred *p, const lp__field *fields, size_t n_fields, const lp__field *target,
                            lp__pred_bound *b, lp_error *err) {
  lp__binder bd = {.fields = fields, .n_fields = n_fields, .b = b, .text = p->text, .err = err, .top = false,
                   .root_node = p->root};
  b->n_fields = n_fields;
  b->root = calloc(1, sizeof *b->root);
  if (b->root == NULL) return lp_error_set(err, LP_ENOMEM, "expression: out of memory");
  b->root->kind = B_VISNULL;
  vnode *v = lp__vbind(&bd, p->root);
  if (v == NULL) return err != NULL && err->code != LP_OK ? err->code : LP_EINVAL;
  lp_status rc = target ? lp__vcoerce_arg(&bd, &v, target->type, p->root->pos) : LP_OK;
  b->root->va = v; /* freed with b from here on */
  if (rc != LP_OK) return rc;
  while (lp__vfold(v)) {
  }
  b->root->va = v;
  lp__vslots_compact(b);
  return lp__pred_bound_finish(b, err);
}

lp_status lp__expr_compile(const char *text, const lp__field *fields, size_t n_fields, const lp__field *target,
                           lp__expr **out, lp_error *err) {
  *out = NULL;
  if (text == NULL || target == NULL || (fields == NULL && n_fields > 0))
    return lp_error_set(err, LP_EINVAL, "expression: no text, target or fields");
  if (!settable(target->type))
    return lp_error_set(err, LP_EUNSUPPORTED, "expression: column \"%.100s\" is a %s column; only scalar columns "
                        "(booleans, numbers, strings, binaries, dates, timestamps) can be given a value",
                        target->name, lp__pred_type_name(target->type));
  lp__pred *p = NULL;
  lp_status rc = lp__pred_parse(text, strlen(text), &p, err);
  if (rc != LP_OK) {
    lp_error_wrap(err, "value of \"%.100s\": ", target->name);
    return rc;
  }
  lp__expr *e = calloc(1, sizeof *e);
  if (e == NULL || (e->b = calloc(1, sizeof *e->b)) == NULL || (e->target = strdup(target->name)) == NULL)
    rc = lp_error_set(err, LP_ENOMEM, "expression: out of memory");
  if (rc == LP_OK) rc = bind_value(p, fields, n_fields, target, e->b, err);
  lp__pred_free(p);
  if (rc != LP_OK) {
    lp__expr_free(e);
    lp_error_wrap(err, "value of \"%.100s\": ", target->name);
    return rc;
  }
  e->type = target->type;
  e->unit = target->unit;
  e->nullable = target->nullable;
  *out = e;
  return LP_OK;
}

/* Whether the value can be NULL where no column it reads is NULL-free, as DataFusion decides the
 * nullability of a new column: a column as declared (members of structs always), a literal only when it
 * is NULL, arithmetic and plain casts when an operand can, anything else (functions, TRY_CAST) always. */
static bool value_nullable(const vnode *v, const lp__pred_bound *b, const lp__field *fields) {
  switch (v->kind) {
  case V_CONST: return v->is_null;
  case V_COL: return b->cols[v->col].depth > 0 || fields[b->cols[v->col].top].nullable;
  case V_CAST:
    if (v->try_cast) return true;
    /* fall through */
  case V_NEG:
  case V_ARITH:
    for (size_t i = 0; i < v->n_args; i++)
      if (value_nullable(v->args[i], b, fields)) return true;
    return false;
  default: return true;
  }
}

lp_status lp__expr_compile_new(const char *text, const lp__field *fields, size_t n_fields, const char *name,
                               lp__field *out_field, lp__expr **out, lp_error *err) {
  *out = NULL;
  memset(out_field, 0, sizeof *out_field);
  if (text == NULL || name == NULL || (fields == NULL && n_fields > 0))
    return lp_error_set(err, LP_EINVAL, "expression: no text, name or fields");
  lp__pred *p = NULL;
  lp_status rc = lp__pred_parse(text, strlen(text), &p, err);
  lp__expr *e = NULL;
  if (rc == LP_OK && ((e = calloc(1, sizeof *e)) == NULL || (e->b = calloc(1, sizeof *e->b)) == NULL ||
                      (e->target = strdup(name)) == NULL))
    rc = lp_error_set(err, LP_ENOMEM, "expression: out of memory");
  if (rc == LP_OK) rc = bind_value(p, fields, n_fields, NULL, e->b, err);
  lp__pred_free(p);
  const vnode *v = rc == LP_OK ? e->b->root->va : NULL;
  if (v && !settable(v->type))
    rc = lp_error_set(err, LP_EINVAL, "the value is of type %s; a new column needs a boolean, number, string, "
                      "binary, date or timestamp value (CAST a NULL to one)", lp__pred_type_name(v->type));
  if (v && rc == LP_OK) {
    e->type = out_field->type = v->type;
    e->unit = out_field->unit = v->unit;
    e->nullable = out_field->nullable = value_nullable(v, e->b, fields);
    out_field->id = out_field->parent_id = -1;
    out_field->name = strdup(name);
    out_field->logical_type = lp__logical_type_format(out_field);
    if (out_field->name == NULL || out_field->logical_type == NULL)
      rc = lp_error_set(err, LP_ENOMEM, "expression: out of memory");
  }
  if (rc != LP_OK) {
    lp__field_reset(out_field);
    lp__expr_free(e);
    lp_error_wrap(err, "value of new column \"%.100s\": ", name);
    return rc;
  }
  *out = e;
  return LP_OK;
}

void lp__expr_columns(const lp__expr *e, const size_t **out_idx, size_t *out_n) {
  lp__pred_bound_columns(e->b, out_idx, out_n);
}

/* ---- evaluation into an Arrow array --------------------------------------------------------------- */

typedef struct out_buf {
  uint8_t *valid, *data, *bytes; /* bytes: the values of string / binary columns */
  int64_t nulls;
  size_t width, bytes_len, bytes_cap;
  bool large;
} out_buf;

static size_t type_width(lp__type t) {
  switch (t) {
  case LP__TYPE_BOOL: return 0; /* bits */
  case LP__TYPE_INT8: case LP__TYPE_UINT8: return 1;
  case LP__TYPE_INT16: case LP__TYPE_UINT16: case LP__TYPE_FLOAT16: return 2;
  case LP__TYPE_INT32: case LP__TYPE_UINT32: case LP__TYPE_FLOAT32: case LP__TYPE_DATE32: return 4;
  default: return 8;
  }
}

static bool is_bytes_type(lp__type t) {
  return t == LP__TYPE_UTF8 || t == LP__TYPE_LARGE_UTF8 || t == LP__TYPE_BINARY || t == LP__TYPE_LARGE_BINARY;
}

static lp_status out_init(out_buf *o, lp__type t, int64_t n, lp_error *err) {
  memset(o, 0, sizeof *o);
  o->large = t == LP__TYPE_LARGE_UTF8 || t == LP__TYPE_LARGE_BINARY;
  o->width = is_bytes_type(t) ? (o->large ? 8 : 4) : type_width(t);
  size_t data_len = o->width ? (size_t)(n + 1) * o->width : (size_t)(n + 7) / 8;
  o->valid = lp__arrow_buf_calloc((size_t)(n + 7) / 8 + 1);
  o->data = lp__arrow_buf_calloc(data_len + 1);
  if (is_bytes_type(t)) {
    o->bytes_cap = 64;
    o->bytes = lp__arrow_buf_alloc(o->bytes_cap);
  }
  if (o->valid == NULL || o->data == NULL || (is_bytes_type(t) && o->bytes == NULL))
    return lp_error_set(err, LP_ENOMEM, "expression: out of memory");
  return LP_OK;
}

static void out_free(out_buf *o) {
  lp__arrow_buf_free(o->valid);
  lp__arrow_buf_free(o->data);
  lp__arrow_buf_free(o->bytes);
}

static lp_status append_bytes(out_buf *o, const uint8_t *p, size_t n, lp_error *err) {
  if (o->bytes_len + n > o->bytes_cap) {
    size_t cap = o->bytes_cap;
    while (cap < o->bytes_len + n) cap *= 2;
    if (!o->large && cap > INT32_MAX) return lp_error_set(err, LP_EINVAL, "expression: more than 2 GiB of strings");
    uint8_t *nb = lp__arrow_buf_realloc(o->bytes, o->bytes_cap, cap);
    if (nb == NULL) return lp_error_set(err, LP_ENOMEM, "expression: out of memory");
    o->bytes = nb;
    o->bytes_cap = cap;
  }
  if (n) memcpy(o->bytes + o->bytes_len, p, n);
  o->bytes_len += n;
  return LP_OK;
}

static int64_t unit_divisor(lp__time_unit u) {
  return u == LP__UNIT_S ? 1000000000 : u == LP__UNIT_MS ? 1000000 : u == LP__UNIT_US ? 1000 : 1;
}

/* Row i of the chunk (the value's slot s) into row `row` of the output. */
static lp_status put_value(const lp__expr *e, const lp__vslot *s, int64_t i, int64_t row, out_buf *o, lp_error *err) {
  uint8_t *d = o->data;
  switch (e->type) {
  case LP__TYPE_BOOL: if (s->v.i[i]) lp__bit_set(d, row); break;
  case LP__TYPE_INT8: ((int8_t *)d)[row] = (int8_t)s->v.i[i]; break;
  case LP__TYPE_INT16: ((int16_t *)d)[row] = (int16_t)s->v.i[i]; break;
  case LP__TYPE_INT32: case LP__TYPE_DATE32: ((int32_t *)d)[row] = (int32_t)s->v.i[i]; break;
  case LP__TYPE_INT64: ((int64_t *)d)[row] = s->v.i[i]; break;
  case LP__TYPE_TIMESTAMP: {
    /* the cast gave nanoseconds; the column's unit is coarser or equal (floor, as Arrow truncates) */
    int64_t q = unit_divisor(e->unit), v = s->v.i[i];
    ((int64_t *)d)[row] = v / q - (v % q < 0);
    break;
  }
  case LP__TYPE_UINT8: ((uint8_t *)d)[row] = (uint8_t)s->v.u[i]; break;
  case LP__TYPE_UINT16: ((uint16_t *)d)[row] = (uint16_t)s->v.u[i]; break;
  case LP__TYPE_UINT32: ((uint32_t *)d)[row] = (uint32_t)s->v.u[i]; break;
  case LP__TYPE_UINT64: ((uint64_t *)d)[row] = s->v.u[i]; break;
  case LP__TYPE_FLOAT16: ((uint16_t *)d)[row] = lp__half_from_double(s->v.f[i]); break;
  case LP__TYPE_FLOAT32: ((float *)d)[row] = (float)s->v.f[i]; break;
  case LP__TYPE_FLOAT64: ((double *)d)[row] = s->v.f[i]; break;
  default: LP_TRY(append_bytes(o, s->v.s[i].p, s->v.s[i].n, err)); break;
  }
  if (is_bytes_type(e->type)) {
    if (o->large) ((int64_t *)d)[row + 1] = (int64_t)o->bytes_len;
    else ((int32_t *)d)[row + 1] = (int32_t)o->bytes_len;
  }
  return LP_OK;
}

static lp_status put_null(const lp__expr *e, int64_t row, out_buf *o, lp_error *err) {
  if (!e->nullable)
    return lp_error_set(err, LP_EINVAL, "expression: the value of non-nullable column \"%.100s\" is NULL in row %" PRId64,
                        e->target, row);
  o->nulls++;
  if (is_bytes_type(e->type)) {
    if (o->large) ((int64_t *)o->data)[row + 1] = (int64_t)o->bytes_len;
    else ((int32_t *)o->data)[row + 1] = (int32_t)o->bytes_len;
  }
  return LP_OK;
}

static lp_status finish_array(const lp__expr *e, out_buf *o, int64_t n, struct ArrowArray *out, lp_error *err) {
  void *bufs[3] = {o->nulls ? o->valid : NULL, o->data, o->bytes};
  int nb = is_bytes_type(e->type) ? 3 : 2;
  int64_t nulls = o->nulls;
  if (nulls == 0) lp__arrow_buf_free(o->valid);
  if (!is_bytes_type(e->type)) lp__arrow_buf_free(o->bytes);
  memset(o, 0, sizeof *o); /* the buffers now belong to the array */
  return lp__arrow_array_make(out, n, nulls, nb, bufs, NULL, 0, err);
}

/* Evaluation context as the filter evaluator sets it up, for value nodes only. */
static lp_status ectx_open(const lp__pred_bound *b, const struct ArrowArray *const *cols, size_t n_cols, int64_t n_rows,
                           lp__ectx *x, lp_error *err) {
  memset(x, 0, sizeof *x);
  x->b = b;
  x->err = err;
  x->rc = calloc(b->n_cols + 1, sizeof *x->rc);
  x->scratch = malloc((size_t)(b->levels * 3 + 3) * LP__CHUNK_WORDS * 8);
  x->slots = calloc((size_t)b->n_slots + 1, sizeof *x->slots);
  if (x->rc == NULL || x->scratch == NULL || x->slots == NULL)
    return lp_error_set(err, LP_ENOMEM, "expression: out of memory");
  x->acts = x->scratch + (size_t)b->levels * 2 * LP__CHUNK_WORDS;
  x->v1 = x->acts + (size_t)b->levels * LP__CHUNK_WORDS;
  x->v2 = x->v1 + LP__CHUNK_WORDS;
  x->tmp = x->v2 + LP__CHUNK_WORDS;
  for (size_t i = 0; i < b->n_cols; i++) {
    if (b->cols[i].top >= n_cols || cols[b->cols[i].top] == NULL)
      return lp_error_set(err, LP_EINVAL, "expression: column \"%.100s\" not given", b->cols[i].name);
    LP_TRY(lp__pred_locate_column(&b->cols[i], cols[b->cols[i].top], n_rows, &x->rc[i], err));
  }
  return LP_OK;
}

static void ectx_close(const lp__pred_bound *b, lp__ectx *x) {
  for (int i = 0; x->slots != NULL && i < b->n_slots; i++) free(x->slots[i].arena);
  free(x->slots);
  free(x->rc);
  free(x->scratch);
}

lp_status lp__expr_eval(const lp__expr *e, const struct ArrowArray *const *cols, size_t n_cols, int64_t n_rows,
                        struct ArrowArray *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  if (e == NULL || n_rows < 0 || (cols == NULL && n_cols > 0))
    return lp_error_set(err, LP_EINVAL, "expression: eval: bad arguments");
  const lp__pred_bound *b = e->b;
  const vnode *v = b->root->va;
  lp__ectx x;
  out_buf o;
  lp_status rc = ectx_open(b, cols, n_cols, n_rows, &x, err);
  if (rc == LP_OK) rc = out_init(&o, e->type, n_rows, err);
  else memset(&o, 0, sizeof o);
  for (x.start = 0; rc == LP_OK && x.start < n_rows; x.start += LP__CHUNK_ROWS) {
    x.cnt = n_rows - x.start < LP__CHUNK_ROWS ? n_rows - x.start : LP__CHUNK_ROWS;
    x.nw = (x.cnt + 63) / 64;
    for (int64_t w = 0; w < x.nw; w++) x.acts[w] = lp__tail_mask(x.cnt, w);
    rc = lp__veval(&x, v, x.acts);
    const lp__vslot *s = rc == LP_OK ? &x.slots[v->slot] : NULL;
    for (int64_t i = 0; rc == LP_OK && i < x.cnt; i++) {
      int64_t row = x.start + i;
      if ((s->valid[i / 64] >> (i % 64)) & 1) {
        lp__bit_set(o.valid, row);
        rc = put_value(e, s, i, row, &o, err);
      } else {
        rc = put_null(e, row, &o, err);
      }
    }
  }
  ectx_close(b, &x);
  if (rc == LP_OK) rc = finish_array(e, &o, n_rows, out, err);
  out_free(&o);
  if (rc != LP_OK) lp_error_wrap(err, "value of \"%.100s\": ", e->target);
  return rc;
}
