/* The list functions LanceDB 0.31.0 accepts in filters, over list, large_list and fixed_size_list columns:
 * array_length / cardinality, array_has / array_contains / list_has, array_has_any, array_has_all and
 * array_element (also written col[i]). Each reads the list column's Arrow arrays directly (the offsets and
 * the item array), so no list value is ever materialised.
 *
 * DataFusion's NULL rules, as LanceDB answers them (checked with tests/interop/test_list_oracle.c):
 * a NULL list gives NULL, except array_has_any(l, []) which is FALSE and array_has_all(l, []) which is
 * TRUE on every row; array_has is TRUE when an item equals the key and FALSE otherwise (NULL items are
 * skipped), and NULL when the key is NULL; in array_has_any / array_has_all a NULL in the array matches
 * a NULL item; array_element counts from 1, from the end when negative, and is NULL out of range (0
 * included) or where the item is NULL. */
#include <stdlib.h>
#include <string.h>

#include "query/distance.h" /* lp__half_to_float */
#include "query/predicate_func.h"

enum { LF_LENGTH = 1000, LF_CARDINALITY, LF_HAS, LF_HAS_ANY, LF_HAS_ALL, LF_ELEMENT };

/* How items and keys are compared (vnode.op). */
enum { CMP_AS_INT = 'i', CMP_AS_FLOAT = 'f', CMP_AS_BYTES = 's' };

static const struct {
  const char *name;
  int id, n_args;
} g_list_funcs[] = {
    {"array_length", LF_LENGTH, 1},  {"cardinality", LF_CARDINALITY, 1}, {"array_has", LF_HAS, 2},
    {"array_contains", LF_HAS, 2},   {"list_has", LF_HAS, 2},            {"array_has_any", LF_HAS_ANY, 2},
    {"array_has_all", LF_HAS_ALL, 2}, {"array_element", LF_ELEMENT, 2},  {"list_element", LF_ELEMENT, 2},
};

static int list_func_index(const char *name) {
  for (size_t i = 0; i < sizeof g_list_funcs / sizeof g_list_funcs[0]; i++)
    if (strcmp(g_list_funcs[i].name, name) == 0) return (int)i;
  return -1;
}

bool lp__vlist_is(const char *name) { return list_func_index(name) >= 0; }

static bool is_sint_t(lp__type t) { return t >= LP__TYPE_INT8 && t <= LP__TYPE_INT64; }
static bool is_uint_t(lp__type t) { return t >= LP__TYPE_UINT8 && t <= LP__TYPE_UINT64; }
static bool is_float_t(lp__type t) { return t >= LP__TYPE_FLOAT16 && t <= LP__TYPE_FLOAT64; }
static bool is_bytes_t(lp__type t) { return t >= LP__TYPE_UTF8 && t <= LP__TYPE_LARGE_BINARY; }
static bool is_large_t(lp__type t) { return t == LP__TYPE_LARGE_UTF8 || t == LP__TYPE_LARGE_BINARY; }
/* Items lancepool reads: booleans, integers, floats, strings, binaries and dates. */
static bool item_type_ok(lp__type t) {
  return t == LP__TYPE_BOOL || is_sint_t(t) || is_uint_t(t) || is_float_t(t) || is_bytes_t(t) || t == LP__TYPE_DATE32;
}

/* ---- binding -------------------------------------------------------------------------------------- */

static bool is_null_const(const vnode *v) { return v->kind == V_CONST && v->is_null; }

/* The list column a list function's first argument names; -1 with the error set otherwise. */
static int list_column(lp__binder *bd, const pn_node *n, const pn_node *arg) {
  if (arg->kind != PN_COLUMN) {
    lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: %s takes a list column as its first argument",
                 arg->pos, n->s);
    return -1;
  }
  int ci = lp__pred_resolve(bd, arg);
  if (ci < 0) return -1;
  const bcol *c = &bd->b->cols[ci];
  bool is_list = c->type == LP__TYPE_LIST || c->type == LP__TYPE_LARGE_LIST || c->type == LP__TYPE_FIXED_SIZE_LIST;
  if (!is_list) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: %s: column '%.100s' is %s, not a list", arg->pos,
                 n->s, c->name, lp__pred_type_name(c->type));
    return -1;
  }
  if (!item_type_ok(c->elem)) {
    lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: %s: column '%.100s' is a list of %s, not supported",
                 arg->pos, n->s, c->name, lp__pred_type_name(c->elem));
    return -1;
  }
  return ci;
}

/* Gives a key the representation the list's items compare in (v->op); the key may be NULL. */
static lp_status coerce_key(lp__binder *bd, const char *fn, lp__type item, vnode **key, char *mode) {
  vnode *k = *key;
  if (is_null_const(k)) return LP_OK;
  bool item_num = is_sint_t(item) || is_uint_t(item) || is_float_t(item);
  bool key_num = is_sint_t(k->type) || is_uint_t(k->type) || is_float_t(k->type);
  if (item_num && key_num) {
    if (is_float_t(item) || is_float_t(k->type)) {
      *mode = CMP_AS_FLOAT;
      return lp__vcoerce_arg(bd, key, LP__TYPE_FLOAT64, k->pos);
    }
    *mode = CMP_AS_INT;
    return LP_OK;
  }
  if (is_bytes_t(item) && is_bytes_t(k->type)) {
    *mode = CMP_AS_BYTES;
    return LP_OK;
  }
  if ((item == LP__TYPE_BOOL || item == LP__TYPE_DATE32) && (k->type == item || is_bytes_t(k->type))) {
    *mode = CMP_AS_INT;
    return lp__vcoerce_arg(bd, key, item, k->pos);
  }
  return lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: %s: cannot look for %s values in a list of %s", k->pos,
                      fn, lp__pred_type_name(k->type), lp__pred_type_name(item));
}

static void free_all(vnode **v, size_t n) {
  for (size_t i = 0; i < n; i++) lp__vnode_free(v[i]);
  free(v);
}

/* array_has_any / array_has_all: the items of the array literal, after the list. */
static lp_status bind_key_array(lp__binder *bd, const pn_node *n, const bcol *c, vnode **args, char *mode) {
  const pn_node *arr = n->list[1];
  bool any_float = false;
  for (size_t i = 0; i < arr->n_list; i++) {
    args[1 + i] = lp__vbind(bd, arr->list[i]);
    if (args[1 + i] == NULL) return bd->err->code;
    if (args[1 + i]->kind != V_CONST) {
      return lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: %s: the array may hold constants only",
                          arr->list[i]->pos, n->s);
    }
    char m = *mode;
    LP_TRY(coerce_key(bd, n->s, c->elem, &args[1 + i], &m));
    if (!is_null_const(args[1 + i])) *mode = m;
    any_float |= m == CMP_AS_FLOAT;
  }
  /* LanceDB's answers when the array mixes floats with a list of integers follow no rule found yet */
  if (any_float && !is_float_t(c->elem))
    return lp_error_set(bd->err, LP_EUNSUPPORTED,
                        "predicate: at character %u: %s: an array of floats against a list of integers is not supported",
                        arr->pos, n->s);
  return LP_OK;
}

static vnode *bool_const(lp__binder *bd, bool value, uint32_t pos) {
  vnode *v = lp__vnew(bd, V_CONST, LP__TYPE_BOOL, pos);
  if (v != NULL) v->ki = value;
  return v;
}

vnode *lp__vbind_list(lp__binder *bd, const pn_node *n) {
  int fi = list_func_index(n->s);
  if (fi < 0) return NULL;
  int id = g_list_funcs[fi].id;
  if (n->n_list != (size_t)g_list_funcs[fi].n_args) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: %s takes %d argument%s, got %zu", n->pos, n->s,
                 g_list_funcs[fi].n_args, g_list_funcs[fi].n_args == 1 ? "" : "s", n->n_list);
    return NULL;
  }
  bool with_array = id == LF_HAS_ANY || id == LF_HAS_ALL;
  if (with_array && (n->list[1]->kind != PN_FUNC || strcmp(n->list[1]->s, "make_array") != 0)) {
    lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: %s takes an array literal [...] as its second argument",
                 n->list[1]->pos, n->s);
    return NULL;
  }
  int ci = list_column(bd, n, n->list[0]);
  if (ci < 0) return NULL;
  /* a copy: binding the other arguments may add columns and move b->cols */
  const bcol col = bd->b->cols[ci], *c = &col;
  if (with_array && n->list[1]->n_list == 0) return bool_const(bd, id == LF_HAS_ALL, n->pos);
  size_t n_args = with_array ? 1 + n->list[1]->n_list : n->n_list;
  vnode **args = calloc(n_args, sizeof *args);
  if (args == NULL) return lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory"), NULL;
  args[0] = lp__vnew(bd, V_COL, c->type, n->list[0]->pos);
  if (args[0] == NULL) return free_all(args, n_args), NULL;
  args[0]->col = ci;
  char mode = CMP_AS_INT;
  lp_status rc = LP_OK;
  if (with_array) {
    rc = bind_key_array(bd, n, c, args, &mode);
  } else if (n_args == 2) {
    args[1] = lp__vbind(bd, n->list[1]);
    if (args[1] == NULL) rc = bd->err->code;
    else if (id == LF_HAS) rc = coerce_key(bd, n->s, c->elem, &args[1], &mode);
    else if (!is_null_const(args[1]) && !is_sint_t(args[1]->type) && !is_uint_t(args[1]->type))
      rc = lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: %s: the index is %s, not an integer",
                        n->list[1]->pos, n->s, lp__pred_type_name(args[1]->type));
    else rc = lp__vcoerce_arg(bd, &args[1], LP__TYPE_INT64, n->list[1]->pos);
  }
  if (rc != LP_OK) return free_all(args, n_args), NULL;
  lp__type rt = id == LF_ELEMENT ? c->elem : id == LF_LENGTH || id == LF_CARDINALITY ? LP__TYPE_UINT64 : LP__TYPE_BOOL;
  vnode *v = lp__vnew(bd, V_FUNC, rt, n->pos);
  if (v != NULL) v->fn = id, v->op = mode, v->unit = c->elem_unit;
  v = lp__vwith(bd, v, args, n_args);
  free(args);
  return v;
}

/* ---- evaluation ----------------------------------------------------------------------------------- */



/* The list column of a call, checked once per chunk. */
typedef struct list_view {
  const bcol *bc;
  const lp__rcol *rc;
  const struct ArrowArray *items;
} list_view;

static lp_status bad_list(lp__ectx *x, const list_view *l, const char *what) {
  return lp_error_set(x->err, LP_EINVAL, "predicate: column '%.100s': %s", l->bc->name, what);
}

static lp_status open_list(lp__ectx *x, const vnode *v, list_view *l) {
  l->bc = &x->b->cols[v->args[0]->col];
  l->rc = &x->rc[v->args[0]->col];
  const struct ArrowArray *a = l->rc->leaf;
  if (a->n_children < 1 || a->children == NULL || a->children[0] == NULL) return bad_list(x, l, "list array has no items");
  l->items = a->children[0];
  int need = is_bytes_t(l->bc->elem) ? 3 : 2;
  if (l->items->n_buffers < need || l->items->offset < 0 || l->items->length < 0 ||
      (l->items->length > 0 && (l->items->buffers[1] == NULL || (need == 3 && l->items->buffers[2] == NULL))))
    return bad_list(x, l, "list item array is malformed");
  if (l->bc->type == LP__TYPE_FIXED_SIZE_LIST && l->bc->list_size < 0) return bad_list(x, l, "negative list size");
  return LP_OK;
}

/* Row j's items, as [*b, *e) indices into the item array (before its offset). */
static lp_status list_bounds(lp__ectx *x, const list_view *l, int64_t j, int64_t *b, int64_t *e) {
  int64_t r = l->rc->off + x->start + j;
  if (l->bc->type == LP__TYPE_FIXED_SIZE_LIST) {
    *b = r * l->bc->list_size, *e = *b + l->bc->list_size;
  } else if (l->bc->type == LP__TYPE_LARGE_LIST) {
    const int64_t *offs = l->rc->leaf->buffers[1];
    *b = offs[r], *e = offs[r + 1];
  } else {
    const int32_t *offs = l->rc->leaf->buffers[1];
    *b = offs[r], *e = offs[r + 1];
  }
  if (*b < 0 || *e < *b || *e > l->items->length) return bad_list(x, l, "list offsets out of range");
  return LP_OK;
}

static bool item_valid(const list_view *l, int64_t k) {
  const uint8_t *bits = l->items->buffers[0];
  int64_t i = l->items->offset + k;
  return bits == NULL || ((bits[i >> 3] >> (i & 7)) & 1);
}

/* A scalar in one of the compare representations. */
typedef struct scalar {
  __int128 i;
  double f;
  vstr s;
} scalar;

static bool read_item(const list_view *l, int64_t k, scalar *o) {
  const struct ArrowArray *it = l->items;
  int64_t i = it->offset + k;
  const void *d = it->buffers[1];
  switch (l->bc->elem) {
  case LP__TYPE_BOOL: o->i = (((const uint8_t *)d)[i >> 3] >> (i & 7)) & 1; break;
  case LP__TYPE_INT8: o->i = ((const int8_t *)d)[i]; break;
  case LP__TYPE_INT16: o->i = ((const int16_t *)d)[i]; break;
  case LP__TYPE_INT32:
  case LP__TYPE_DATE32: o->i = ((const int32_t *)d)[i]; break;
  case LP__TYPE_INT64: o->i = ((const int64_t *)d)[i]; break;
  case LP__TYPE_UINT8: o->i = ((const uint8_t *)d)[i]; break;
  case LP__TYPE_UINT16: o->i = ((const uint16_t *)d)[i]; break;
  case LP__TYPE_UINT32: o->i = ((const uint32_t *)d)[i]; break;
  case LP__TYPE_UINT64: o->i = ((const uint64_t *)d)[i]; break;
  case LP__TYPE_FLOAT16: o->f = lp__half_to_float(((const uint16_t *)d)[i]); break;
  case LP__TYPE_FLOAT32: o->f = ((const float *)d)[i]; break;
  case LP__TYPE_FLOAT64: o->f = ((const double *)d)[i]; break;
  default: { /* strings and binaries */
    int64_t b, e;
    if (is_large_t(l->bc->elem)) b = ((const int64_t *)d)[i], e = ((const int64_t *)d)[i + 1];
    else b = ((const int32_t *)d)[i], e = ((const int32_t *)d)[i + 1];
    if (b < 0 || e < b) return false;
    o->s = (vstr){(const uint8_t *)it->buffers[2] + b, (size_t)(e - b)};
    break;
  }
  }
  if (is_float_t(l->bc->elem)) return true;
  if (!is_bytes_t(l->bc->elem)) o->f = (double)o->i;
  return true;
}

static scalar key_of(const lp__vslot *s, vrep rep, int64_t j) {
  scalar k = {0};
  switch (rep) {
  case R_I64: k.i = s->v.i[j]; break;
  case R_U64: k.i = s->v.u[j]; break;
  case R_F64: k.f = s->v.f[j]; break;
  case R_STR: k.s = s->v.s[j]; break;
  }
  return k;
}

static bool same(char mode, const scalar *a, const scalar *b) {
  if (mode == CMP_AS_FLOAT) return a->f == b->f;
  if (mode == CMP_AS_BYTES) return a->s.n == b->s.n && (a->s.n == 0 || memcmp(a->s.p, b->s.p, a->s.n) == 0);
  return a->i == b->i;
}

static bool valid_at(const uint64_t *bits, int64_t j) { return (bits[j >> 6] >> (j & 63)) & 1; }

/* Whether row j's items [b, e) hold key k (a NULL key matches a NULL item when null_matches). */
static lp_status holds(lp__ectx *x, const list_view *l, char mode, int64_t b, int64_t e, const scalar *k, bool key_null,
                       bool *found) {
  *found = false;
  for (int64_t i = b; i < e && !*found; i++) {
    bool iv = item_valid(l, i);
    if (!iv || key_null) {
      *found = !iv && key_null;
      continue;
    }
    scalar it = {0};
    if (!read_item(l, i, &it)) return bad_list(x, l, "item offsets are not ascending");
    *found = same(mode, &it, k);
  }
  return LP_OK;
}

static lp_status eval_length(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  list_view l;
  LP_TRY(open_list(x, v, &l));
  memcpy(o->valid, ARG(0)->valid, sizeof o->valid);
  uint64_t rows[LP__CHUNK_WORDS];
  for (int64_t w = 0; w < x->nw; w++) rows[w] = o->valid[w] & act[w];
  FOR_ROWS(rows, j) {
    int64_t b, e;
    LP_TRY(list_bounds(x, &l, j, &b, &e));
    o->v.u[j] = (uint64_t)(e - b);
  }
  return LP_OK;
}

static lp_status eval_has(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  list_view l;
  LP_TRY(open_list(x, v, &l));
  memcpy(o->valid, ARG(0)->valid, sizeof o->valid);
  bool one_key = v->fn == LF_HAS;
  if (one_key)
    for (int64_t w = 0; w < x->nw; w++) o->valid[w] &= ARG(1)->valid[w];
  uint64_t rows[LP__CHUNK_WORDS];
  for (int64_t w = 0; w < x->nw; w++) rows[w] = o->valid[w] & act[w];
  FOR_ROWS(rows, j) {
    int64_t b, e;
    LP_TRY(list_bounds(x, &l, j, &b, &e));
    bool all = true, any = false;
    for (size_t a = 1; a < v->n_args; a++) {
      const lp__vslot *ks = ARG(a);
      scalar k = key_of(ks, v->args[a]->rep, j);
      bool found;
      LP_TRY(holds(x, &l, v->op, b, e, &k, !valid_at(ks->valid, j), &found));
      any |= found;
      all &= found;
    }
    o->v.i[j] = v->fn == LF_HAS_ALL ? all : any;
  }
  return LP_OK;
}

static lp_status eval_element(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  list_view l;
  LP_TRY(open_list(x, v, &l));
  const lp__vslot *idx = ARG(1);
  uint64_t rows[LP__CHUNK_WORDS];
  for (int64_t w = 0; w < x->nw; w++) rows[w] = ARG(0)->valid[w] & idx->valid[w] & act[w], o->valid[w] = 0;
  FOR_ROWS(rows, j) {
    int64_t b, e, i = idx->v.i[j];
    LP_TRY(list_bounds(x, &l, j, &b, &e));
    int64_t k = i > 0 && i <= e - b ? b + i - 1 : i < 0 && i >= b - e ? e + i : -1;
    if (k < 0 || !item_valid(&l, k)) continue;
    scalar it = {0};
    if (!read_item(&l, k, &it)) return bad_list(x, &l, "item offsets are not ascending");
    o->valid[j >> 6] |= 1ULL << (j & 63);
    switch (v->rep) {
    case R_I64: o->v.i[j] = (int64_t)it.i; break;
    case R_U64: o->v.u[j] = (uint64_t)it.i; break;
    case R_F64: o->v.f[j] = it.f; break;
    case R_STR: o->v.s[j] = it.s; break;
    }
  }
  return LP_OK;
}

static const lp__vfunc_def g_list_defs[] = {
    {"array_length", LF_LENGTH, 1, 1, NULL, eval_length, false, -1, NULL},
    {"cardinality", LF_CARDINALITY, 1, 1, NULL, eval_length, false, -1, NULL},
    {"array_has", LF_HAS, 2, 2, NULL, eval_has, false, -1, NULL},
    {"array_has_any", LF_HAS_ANY, 2, 2, NULL, eval_has, false, -1, NULL},
    {"array_has_all", LF_HAS_ALL, 2, 2, NULL, eval_has, false, -1, NULL},
    {"array_element", LF_ELEMENT, 2, 2, NULL, eval_element, false, -1, NULL},
};

const lp__vfunc_def *lp__vlist_def(int id) {
  for (size_t i = 0; i < sizeof g_list_defs / sizeof g_list_defs[0]; i++)
    if (g_list_defs[i].id == id) return &g_list_defs[i];
  return NULL;
}
