/* Binding a parsed predicate to a schema: resolves column paths, converts literals into the compared
 * column's type (rejecting what LanceDB 0.31.0 rejects), folds literal-only comparisons, and lowers the
 * tree to the node kinds the evaluator runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/predicate_int.h"
#include "query/predicate_like.h"

#define NS_PER_DAY 86400000000000LL

typedef lp__binder binder;

vclass lp__pred_type_class(lp__type t) {
  switch (t) {
  case LP__TYPE_BOOL: return VC_BOOL;
  case LP__TYPE_INT8: case LP__TYPE_INT16: case LP__TYPE_INT32: case LP__TYPE_INT64: return VC_INT;
  case LP__TYPE_UINT8: case LP__TYPE_UINT16: case LP__TYPE_UINT32: case LP__TYPE_UINT64: return VC_UINT;
  case LP__TYPE_FLOAT16: case LP__TYPE_FLOAT32: case LP__TYPE_FLOAT64: return VC_FLOAT;
  case LP__TYPE_UTF8: case LP__TYPE_LARGE_UTF8: return VC_STR;
  case LP__TYPE_BINARY: case LP__TYPE_LARGE_BINARY: return VC_BIN;
  case LP__TYPE_DATE32: return VC_DATE;
  case LP__TYPE_TIMESTAMP: return VC_TS;
  default: return VC_NESTED;
  }
}

const char *lp__pred_type_name(lp__type t) {
  static const char *const names[] = {"null", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                                      "uint32", "uint64", "float16", "float32", "float64", "utf8",
                                      "large_utf8", "binary", "large_binary", "date32", "timestamp",
                                      "fixed_size_list", "list", "large_list", "struct"};
  return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

static const char *lit_name(pn_lit l) {
  static const char *const names[] = {"NULL", "boolean", "integer", "float", "string", "date", "timestamp"};
  return names[l];
}

void lp__bnode_free(bnode *n) {
  if (n == NULL) return;
  lp__bnode_free(n->a);
  lp__bnode_free(n->b);
  free(n->ls.p);
  free(n->keys);
  if (n->strs != NULL)
    for (size_t i = 0; i < n->n_items; i++) free(n->strs[i].p);
  free(n->strs);
  lp__like_free(n->like);
  lp__vnode_free(n->va);
  lp__vnode_free(n->vb);
  free(n);
}

void lp__pred_bound_free(lp__pred_bound *b) {
  if (b == NULL) return;
  lp__bnode_free(b->root);
  for (size_t i = 0; i < b->n_cols; i++) free(b->cols[i].name);
  free(b->cols);
  free(b->top_used);
  free(b);
}

static bnode *bnew(binder *bd, bkind kind) {
  bnode *n = calloc(1, sizeof *n);
  if (n == NULL) lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory");
  else n->kind = kind;
  return n;
}

static bnode *bconst(binder *bd, int8_t cst) {
  bnode *n = bnew(bd, B_CONST);
  if (n != NULL) n->cst = cst;
  return n;
}

static char *dotted(const pn_node *c) {
  size_t len = 1;
  for (size_t i = 0; i < c->n_path; i++) len += strlen(c->path[i]) + 1;
  char *s = malloc(len), *p = s;
  if (s == NULL) return NULL;
  for (size_t i = 0; i < c->n_path; i++) {
    if (i) *p++ = '.';
    size_t k = strlen(c->path[i]);
    memcpy(p, c->path[i], k);
    p += k;
  }
  *p = '\0';
  return s;
}

/* LanceDB's pseudo-columns, in LP__PRED_ROWID / LP__PRED_ROWADDR order: nullable uint64, as LanceDB
 * types them. A real column of the same name wins. (`_rowoffset` is not one: LanceDB 0.31.0 refuses it in
 * filters with "Column _rowoffset does not exist".) */
static const lp__field PSEUDO_FIELDS[LP__PRED_N_PSEUDO] = {
    {.name = "_rowid", .id = -1, .parent_id = -1, .type = LP__TYPE_UINT64, .nullable = true},
    {.name = "_rowaddr", .id = -1, .parent_id = -1, .type = LP__TYPE_UINT64, .nullable = true},
};

int lp__pred_pseudo_index(const char *name) {
  for (int k = 0; k < LP__PRED_N_PSEUDO; k++)
    if (strcmp(PSEUDO_FIELDS[k].name, name) == 0) return k;
  return -1;
}

/* Resolve a column reference; returns its index in b->cols or -1 with the error set. */
#define resolve lp__pred_resolve
int lp__pred_resolve(binder *bd, const pn_node *c) {
  char *name = dotted(c);
  if (name == NULL) return lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory"), -1;
  bcol col = {0};
  const lp__field *f = NULL;
  for (size_t i = 0; i < bd->n_fields; i++)
    if (strcmp(bd->fields[i].name, c->path[0]) == 0) {
      f = &bd->fields[i];
      col.top = i;
      break;
    }
  if (f == NULL) {
    int pseudo = lp__pred_pseudo_index(c->path[0]);
    if (pseudo >= 0 && c->n_path > 1) {
      lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: column '%.100s': %s is uint64, not a struct", c->pos,
                   name, c->path[0]);
      free(name);
      return -1;
    }
    if (pseudo >= 0) {
      col.top = bd->n_fields + (size_t)pseudo;
      f = &PSEUDO_FIELDS[pseudo];
    }
  }
  if (f == NULL) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: no column named '%s'", c->pos, c->path[0]);
    free(name);
    return -1;
  }
  if (c->n_path - 1 > LP__PRED_MAX_PATH) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: column '%.100s': nested deeper than %d levels", name,
                 LP__PRED_MAX_PATH);
    free(name);
    return -1;
  }
  for (size_t k = 1; k < c->n_path; k++) {
    const lp__field *next = NULL;
    if (f->type == LP__TYPE_STRUCT)
      for (size_t j = 0; j < f->n_children; j++)
        if (strcmp(f->children[j].name, c->path[k]) == 0) {
          next = &f->children[j];
          col.child[col.depth++] = (uint32_t)j;
          break;
        }
    if (next == NULL) {
      lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: column '%.100s': %s", c->pos, name,
                   f->type == LP__TYPE_STRUCT ? "no such struct field" : "not a struct, has no fields");
      free(name);
      return -1;
    }
    f = next;
  }
  col.type = f->type;
  col.unit = f->unit;
  col.name = name;
  if (f->type == LP__TYPE_FIXED_SIZE_LIST) {
    col.elem = f->elem_type, col.list_size = f->list_size;
  } else if ((f->type == LP__TYPE_LIST || f->type == LP__TYPE_LARGE_LIST) && f->n_children == 1) {
    col.elem = f->children[0].type, col.elem_unit = f->children[0].unit;
  }
  lp__pred_bound *b = bd->b;
  bcol *nc = realloc(b->cols, (b->n_cols + 1) * sizeof *nc);
  if (nc == NULL) {
    free(name);
    return lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory"), -1;
  }
  b->cols = nc;
  b->cols[b->n_cols] = col;
  return (int)b->n_cols++;
}

/* ---- literal conversion -------------------------------------------------------------------------- */

/* Order-preserving 64-bit keys for IN lists. */
static uint64_t key_signed(int64_t v) { return (uint64_t)v ^ (1ULL << 63); }

static int64_t tokey64(double d) {
  int64_t b;
  memcpy(&b, &d, 8);
  return b ^ (int64_t)((uint64_t)(b >> 63) >> 1);
}
static int32_t tokey32(float f) {
  int32_t b;
  memcpy(&b, &f, 4);
  return b ^ (int32_t)((uint32_t)(b >> 31) >> 1);
}
static int16_t tokey16(uint16_t h) {
  int16_t b = (int16_t)h;
  return (int16_t)(b ^ (int16_t)((uint16_t)(b >> 15) >> 1));
}

/* float to IEEE half, round to nearest even (the cast DataFusion applies to a literal). */
static uint16_t float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xFF, man = x & 0x7FFFFF;
  if (exp == 0xFF) return (uint16_t)(sign | 0x7C00 | (man ? 0x200 | (man >> 13) : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7C00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    man |= 0x800000;
    int shift = 14 - e;
    uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = (uint32_t)e << 10 | man >> 13, rem = man & 0x1FFF;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++; /* may carry into the exponent: correct */
  return (uint16_t)(sign | half);
}

static int64_t unit_ns(lp__time_unit u) {
  return u == LP__UNIT_S ? 1000000000LL : u == LP__UNIT_MS ? 1000000LL : u == LP__UNIT_US ? 1000LL : 1;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

/* A literal converted to a column's domain: exact, or lying strictly between v and v+1 ("between"). */
typedef struct conv {
  int64_t i;
  uint64_t u;
  bbytes s;
  bool between;
} conv;

static lp_status mismatch(binder *bd, const bcol *c, const pn_node *lit, const char *why) {
  return lp_error_set(bd->err, LP_EINVAL,
                      "predicate: at character %u: column '%.100s' (%s) cannot be compared with %s literal%s%s",
                      lit->pos, c->name, lp__pred_type_name(c->type), lit_name(lit->lit), why ? ": " : "", why ? why : "");
}

static lp_status convert(binder *bd, const bcol *c, const pn_node *lit, conv *out) {
  memset(out, 0, sizeof *out);
  switch (lp__pred_type_class(c->type)) {
  case VC_BOOL:
    if (lit->lit != LIT_BOOL) return mismatch(bd, c, lit, NULL);
    out->i = lit->i;
    return LP_OK;
  case VC_INT: {
    if (lit->lit != LIT_INT) return mismatch(bd, c, lit, lit->lit == LIT_FLOAT ? "not an integer" : NULL);
    int bits = c->type == LP__TYPE_INT8 ? 8 : c->type == LP__TYPE_INT16 ? 16 : c->type == LP__TYPE_INT32 ? 32 : 64;
    if (bits < 64 && (lit->i < -(1LL << (bits - 1)) || lit->i >= (1LL << (bits - 1))))
      return mismatch(bd, c, lit, "out of the column type's range");
    out->i = lit->i;
    return LP_OK;
  }
  case VC_UINT: {
    if (lit->lit != LIT_INT) return mismatch(bd, c, lit, lit->lit == LIT_FLOAT ? "not an integer" : NULL);
    int bits = c->type == LP__TYPE_UINT8 ? 8 : c->type == LP__TYPE_UINT16 ? 16 : c->type == LP__TYPE_UINT32 ? 32 : 64;
    if (lit->i < 0 || (bits < 64 && lit->i >= (1LL << bits)))
      return mismatch(bd, c, lit, "out of the column type's range");
    out->u = (uint64_t)lit->i;
    return LP_OK;
  }
  case VC_FLOAT: {
    if (lit->lit != LIT_INT && lit->lit != LIT_FLOAT) return mismatch(bd, c, lit, NULL);
    double d = lit->lit == LIT_INT ? (double)lit->i : lit->f;
    if (c->type == LP__TYPE_FLOAT64) out->i = tokey64(d);
    else if (c->type == LP__TYPE_FLOAT32) out->i = tokey32((float)d);
    else out->i = tokey16(float_to_half((float)d));
    return LP_OK;
  }
  case VC_STR:
  case VC_BIN:
    if (lit->lit != LIT_STRING) return mismatch(bd, c, lit, NULL);
    if (lp__pred_type_class(c->type) == VC_BIN) /* LanceDB converts no string literal to binary */
      return mismatch(bd, c, lit, NULL);
    out->s.p = malloc(lit->s_len + 1);
    if (out->s.p == NULL) return lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory");
    memcpy(out->s.p, lit->s, lit->s_len);
    out->s.n = lit->s_len;
    return LP_OK;
  case VC_DATE:
    if (lit->lit == LIT_DATE) {
      if (lit->i < INT32_MIN || lit->i > INT32_MAX) return mismatch(bd, c, lit, "out of range");
      out->i = lit->i;
      return LP_OK;
    }
    if (lit->lit == LIT_TIMESTAMP) { /* the date column is compared on the timestamp's time line */
      out->i = floor_div(lit->i, NS_PER_DAY);
      out->between = out->i * NS_PER_DAY != lit->i;
      return LP_OK;
    }
    return mismatch(bd, c, lit, NULL);
  case VC_TS: {
    int64_t ns;
    if (lit->lit == LIT_TIMESTAMP) {
      ns = lit->i;
    } else if (lit->lit == LIT_DATE) {
      if (__builtin_mul_overflow(lit->i, NS_PER_DAY, &ns)) return mismatch(bd, c, lit, "out of range");
    } else {
      return mismatch(bd, c, lit, NULL);
    }
    int64_t per = unit_ns(c->unit);
    out->i = floor_div(ns, per);
    out->between = out->i * per != ns;
    return LP_OK;
  }
  case VC_NESTED: break;
  }
  return lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: column '%.100s' is a %s and cannot be compared",
                      lit->pos, c->name, lp__pred_type_name(c->type));
}

static pn_cmp flip(pn_cmp op) {
  switch (op) {
  case CMP_LT: return CMP_GT;
  case CMP_LE: return CMP_GE;
  case CMP_GT: return CMP_LT;
  case CMP_GE: return CMP_LE;
  default: return op;
  }
}

/* column op literal. */
static bnode *bind_cmp_lit(binder *bd, const pn_node *colnode, pn_cmp op, const pn_node *lit) {
  if (lit->lit == LIT_NULL) {
    if (resolve(bd, colnode) < 0) return NULL;
    return bconst(bd, -1);
  }
  int ci = resolve(bd, colnode);
  if (ci < 0) return NULL;
  conv cv;
  if (convert(bd, &bd->b->cols[ci], lit, &cv) != LP_OK) return NULL;
  bnode *n = bnew(bd, B_CMP_LIT);
  if (n == NULL) {
    free(cv.s.p);
    return NULL;
  }
  n->col = ci;
  n->op = op;
  n->li = cv.i;
  n->lu = cv.u;
  n->ls = cv.s;
  if (cv.between) { /* literal strictly between column values v and v+1, v = n->li */
    switch (op) {
    case CMP_EQ: n->kind = B_NONNULL, n->cst = 0; break;
    case CMP_NE: n->kind = B_NONNULL, n->cst = 1; break;
    case CMP_LT: case CMP_LE: n->op = CMP_LE; break;
    case CMP_GT: case CMP_GE: n->op = CMP_GT; break;
    }
  }
  return n;
}

static int cmp_result(pn_cmp op, int c) {
  switch (op) {
  case CMP_EQ: return c == 0;
  case CMP_NE: return c != 0;
  case CMP_LT: return c < 0;
  case CMP_LE: return c <= 0;
  case CMP_GT: return c > 0;
  case CMP_GE: return c >= 0;
  }
  return 0;
}

/* literal op literal, folded now. */
static bnode *bind_lit_lit(binder *bd, const pn_node *x, pn_cmp op, const pn_node *y, uint32_t pos) {
  if (x->lit == LIT_NULL || y->lit == LIT_NULL) return bconst(bd, -1);
  int c;
  bool xn = x->lit == LIT_INT || x->lit == LIT_FLOAT, yn = y->lit == LIT_INT || y->lit == LIT_FLOAT;
  bool xt = x->lit == LIT_DATE || x->lit == LIT_TIMESTAMP, yt = y->lit == LIT_DATE || y->lit == LIT_TIMESTAMP;
  if (xn && yn) {
    if (x->lit == LIT_INT && y->lit == LIT_INT) {
      c = (x->i > y->i) - (x->i < y->i);
    } else {
      int64_t kx = tokey64(x->lit == LIT_INT ? (double)x->i : x->f), ky = tokey64(y->lit == LIT_INT ? (double)y->i : y->f);
      c = (kx > ky) - (kx < ky);
    }
  } else if (xt && yt) {
    __int128 vx = x->lit == LIT_DATE ? (__int128)x->i * NS_PER_DAY : x->i;
    __int128 vy = y->lit == LIT_DATE ? (__int128)y->i * NS_PER_DAY : y->i;
    c = (vx > vy) - (vx < vy);
  } else if (x->lit == LIT_STRING && y->lit == LIT_STRING) {
    size_t m = x->s_len < y->s_len ? x->s_len : y->s_len;
    c = memcmp(x->s, y->s, m);
    if (c == 0) c = (x->s_len > y->s_len) - (x->s_len < y->s_len);
  } else if (x->lit == LIT_BOOL && y->lit == LIT_BOOL) {
    c = (int)(x->i - y->i);
  } else {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: cannot compare %s literal with %s literal", pos,
                 lit_name(x->lit), lit_name(y->lit));
    return NULL;
  }
  return bconst(bd, (int8_t)cmp_result(op, c));
}

static bool comparable(vclass a, vclass b) {
  bool an = a == VC_INT || a == VC_UINT || a == VC_FLOAT, bn = b == VC_INT || b == VC_UINT || b == VC_FLOAT;
  bool at = a == VC_DATE || a == VC_TS, bt = b == VC_DATE || b == VC_TS;
  bool ab = a == VC_STR || a == VC_BIN, bb = b == VC_STR || b == VC_BIN;
  return (an && bn) || (at && bt) || (ab && bb) || (a == VC_BOOL && b == VC_BOOL);
}

static bnode *bind_bool(binder *bd, const pn_node *n);

static bool is_condition(const pn_node *n) {
  return !(n->kind == PN_COLUMN || n->kind == PN_LITERAL || lp__pn_is_computed(n));
}

static void clear_error(lp_error *err) {
  if (err != NULL) err->code = LP_OK, err->message[0] = '\0';
}

static bnode *bind_cmp(binder *bd, const pn_node *n, bool top) {
  const pn_node *x = n->a, *y = n->b;
  if (top && x->kind == PN_COLUMN && (y->kind == PN_CMP || y->kind == PN_AND || y->kind == PN_OR)) {
    int ci = resolve(bd, x);
    if (ci < 0) return NULL;
    bcol col = bd->b->cols[ci]; /* a copy: b->cols may grow */
    if (lp__lance_check_literals(bd, y, &col) != LP_OK) return NULL;
  }
  if (is_condition(x) || is_condition(y)) {
    /* A comparison between conditions: only = and != have a meaning we support. */
    if (n->op != CMP_EQ && n->op != CMP_NE) {
      lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: only = and != compare conditions", n->pos);
      return NULL;
    }
    bnode *e = bnew(bd, B_BOOLEQ);
    if (e == NULL) return NULL;
    e->op = n->op;
    if ((e->a = bind_bool(bd, x)) == NULL || (e->b = bind_bool(bd, y)) == NULL) {
      lp__bnode_free(e);
      return NULL;
    }
    return e;
  }
  if (lp__pn_is_computed(x) || lp__pn_is_computed(y)) return lp__vbind_cmp(bd, x, n->op, y, n->pos, top);
  if (x->kind == PN_LITERAL && y->kind == PN_LITERAL) return bind_lit_lit(bd, x, n->op, y, n->pos);
  if (x->kind == PN_LITERAL || y->kind == PN_LITERAL) {
    bnode *e = x->kind == PN_LITERAL ? bind_cmp_lit(bd, y, flip(n->op), x) : bind_cmp_lit(bd, x, n->op, y);
    /* Below NOT, IS, ... LanceDB leaves the literal alone and DataFusion coerces both sides (i > 1.5
     * compares as float64 there) */
    if (e == NULL && !top && bd->err != NULL && bd->err->code == LP_EINVAL) {
      clear_error(bd->err);
      return lp__vbind_cmp(bd, x, n->op, y, n->pos, false);
    }
    return e;
  }
  int c1 = resolve(bd, x), c2 = c1 < 0 ? -1 : resolve(bd, y);
  if (c2 < 0) return NULL;
  const bcol *a = &bd->b->cols[c1], *b = &bd->b->cols[c2];
  if (!comparable(lp__pred_type_class(a->type), lp__pred_type_class(b->type))) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: column '%.80s' (%s) cannot be compared with column '%.80s' (%s)",
                 n->pos, a->name, lp__pred_type_name(a->type), b->name, lp__pred_type_name(b->type));
    return NULL;
  }
  bnode *e = bnew(bd, B_CMP_COL);
  if (e == NULL) return NULL;
  e->col = c1;
  e->col2 = c2;
  e->op = n->op;
  bd->b->needs_mat = true;
  return e;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}
static int cmp_bytes(const void *a, const void *b) {
  const bbytes *x = a, *y = b;
  size_t m = x->n < y->n ? x->n : y->n;
  int c = m ? memcmp(x->p, y->p, m) : 0;
  return c ? c : (x->n > y->n) - (x->n < y->n);
}

static uint64_t conv_key(const bcol *c, const conv *cv) {
  switch (lp__pred_type_class(c->type)) {
  case VC_UINT: return cv->u;
  default: return key_signed(cv->i);
  }
}

static bnode *bind_in(binder *bd, const pn_node *n) {
  if (n->a->kind != PN_COLUMN) {
    lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: IN applies to a column only", n->pos);
    return NULL;
  }
  int ci = resolve(bd, n->a);
  if (ci < 0) return NULL;
  bnode *e = bnew(bd, B_IN);
  if (e == NULL) return NULL;
  e->col = ci;
  e->negated = n->negated;
  const bcol *c = &bd->b->cols[ci];
  bool bytes = lp__pred_type_class(c->type) == VC_STR || lp__pred_type_class(c->type) == VC_BIN;
  if (bytes) e->strs = calloc(n->n_list + 1, sizeof *e->strs);
  else e->keys = calloc(n->n_list + 1, sizeof *e->keys);
  if (e->strs == NULL && e->keys == NULL) {
    lp__bnode_free(e);
    lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n->n_list; i++) {
    const pn_node *item = n->list[i];
    if (item->kind != PN_LITERAL) {
      lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: IN lists hold literals only", item->pos);
      goto fail;
    }
    if (item->lit == LIT_NULL) {
      e->in_has_null = true;
      continue;
    }
    conv cv;
    if (convert(bd, c, item, &cv) != LP_OK) goto fail;
    if (cv.between) continue; /* equal to no value of the column */
    if (bytes) e->strs[e->n_items++] = cv.s;
    else e->keys[e->n_items++] = conv_key(c, &cv);
  }
  /* Sort and drop duplicates so evaluation can binary-search. */
  if (bytes) {
    qsort(e->strs, e->n_items, sizeof *e->strs, cmp_bytes);
    size_t k = 0;
    for (size_t i = 0; i < e->n_items; i++) {
      if (k > 0 && cmp_bytes(&e->strs[k - 1], &e->strs[i]) == 0) {
        free(e->strs[i].p);
        continue;
      }
      e->strs[k++] = e->strs[i];
    }
    e->n_items = k;
  } else {
    qsort(e->keys, e->n_items, sizeof *e->keys, cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < e->n_items; i++)
      if (k == 0 || e->keys[k - 1] != e->keys[i]) e->keys[k++] = e->keys[i];
    e->n_items = k;
  }
  return e;
fail:
  lp__bnode_free(e);
  return NULL;
}

static bnode *bind_like(binder *bd, const pn_node *n) {
  if (n->a->kind != PN_COLUMN) {
    lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: LIKE applies to a column only", n->pos);
    return NULL;
  }
  int ci = resolve(bd, n->a);
  if (ci < 0) return NULL;
  const bcol *c = &bd->b->cols[ci];
  vclass vc = lp__pred_type_class(c->type);
  if (vc != VC_STR && vc != VC_BIN) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: column '%.100s' (%s) is not a string: LIKE needs one",
                 n->pos, c->name, lp__pred_type_name(c->type));
    return NULL;
  }
  bnode *e = bnew(bd, B_LIKE);
  if (e == NULL) return NULL;
  e->col = ci;
  e->negated = n->negated;
  if (lp__like_compile(n->b->s, n->b->s_len, n->ilike, &e->like, bd->err) != LP_OK) {
    lp__bnode_free(e);
    return NULL;
  }
  return e;
}

static bnode *bind_bool_in(binder *bd, const pn_node *n, bool top);

/* Any expression in a boolean position. */
static bnode *bind_bool(binder *bd, const pn_node *n) {
  bool top = bd->top;
  if (n->kind != PN_AND && n->kind != PN_OR) bd->top = false;
  bnode *e = bind_bool_in(bd, n, top);
  bd->top = top;
  return e;
}

/* x [NOT] IN (a, b, ...) over a computed x: x = a OR x = b ..., which has the same three-valued result. */
#define MAX_COMPUTED_IN 64
static bnode *bind_in_computed(binder *bd, const pn_node *n) {
  if (n->n_list > MAX_COMPUTED_IN) {
    lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: IN over a computed value takes at most %d items",
                 n->pos, MAX_COMPUTED_IN);
    return NULL;
  }
  bnode *acc = NULL;
  for (size_t i = 0; i < n->n_list; i++) {
    bnode *eq = lp__vbind_cmp(bd, n->a, CMP_EQ, n->list[i], n->list[i]->pos, false);
    if (eq == NULL) {
      lp__bnode_free(acc);
      return NULL;
    }
    if (acc == NULL) {
      acc = eq;
      continue;
    }
    bnode *o = bnew(bd, B_OR);
    if (o == NULL) {
      lp__bnode_free(acc);
      lp__bnode_free(eq);
      return NULL;
    }
    o->a = acc, o->b = eq, o->col = o->col2 = -1;
    acc = o;
  }
  if (acc != NULL && n->negated) {
    bnode *no = bnew(bd, B_NOT);
    if (no == NULL) {
      lp__bnode_free(acc);
      return NULL;
    }
    no->a = acc, no->col = no->col2 = -1;
    acc = no;
  }
  return acc;
}

static bnode *bind_bool_in(binder *bd, const pn_node *n, bool top) {
  bnode *e;
  switch (n->kind) {
  case PN_ARITH:
  case PN_NEG:
  case PN_CAST:
  case PN_FUNC: return lp__vbind_bool(bd, n);
  case PN_COLUMN: {
    int ci = resolve(bd, n);
    if (ci < 0) return NULL;
    const bcol *c = &bd->b->cols[ci];
    if (c->type != LP__TYPE_BOOL) {
      lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: column '%.100s' (%s) is not boolean", n->pos,
                   c->name, lp__pred_type_name(c->type));
      return NULL;
    }
    e = bnew(bd, B_BOOLCOL);
    if (e != NULL) e->col = ci;
    return e;
  }
  case PN_LITERAL:
    if (n->lit == LIT_NULL) return bconst(bd, -1);
    if (n->lit == LIT_BOOL) return bconst(bd, (int8_t)n->i);
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: a %s literal is not a condition", n->pos,
                 lit_name(n->lit));
    return NULL;
  case PN_CMP: return bind_cmp(bd, n, top);
  case PN_IN: return lp__pn_is_computed(n->a) ? bind_in_computed(bd, n) : bind_in(bd, n);
  case PN_LIKE: return lp__pn_is_computed(n->a) ? lp__vbind_like(bd, n) : bind_like(bd, n);
  case PN_AND:
  case PN_OR:
  case PN_NOT:
  case PN_IS_BOOL:
    e = bnew(bd, n->kind == PN_AND ? B_AND : n->kind == PN_OR ? B_OR : n->kind == PN_NOT ? B_NOT : B_IS_BOOL);
    if (e == NULL) return NULL;
    e->negated = n->negated;
    e->truth = n->truth;
    if ((e->a = bind_bool(bd, n->a)) == NULL || (n->b != NULL && (e->b = bind_bool(bd, n->b)) == NULL)) {
      lp__bnode_free(e);
      return NULL;
    }
    return e;
  case PN_IS_NULL:
    if (lp__pn_is_computed(n->a)) return lp__vbind_isnull(bd, n->a, n->negated);
    if (n->a->kind == PN_LITERAL) return bconst(bd, (int8_t)((n->a->lit == LIT_NULL) != n->negated));
    if (n->a->kind == PN_COLUMN) {
      int ci = resolve(bd, n->a);
      if (ci < 0) return NULL;
      e = bnew(bd, B_ISNULL);
      if (e != NULL) e->col = ci, e->negated = n->negated;
      return e;
    }
    e = bnew(bd, B_ISNULL_EXPR);
    if (e == NULL) return NULL;
    e->negated = n->negated;
    if ((e->a = bind_bool(bd, n->a)) == NULL) {
      lp__bnode_free(e);
      return NULL;
    }
    return e;
  }
  return NULL;
}

/* Scratch levels: the left operand reuses its parent's bitmaps, the right one needs a level more. */
static uint32_t levels(const bnode *n) {
  if (n == NULL) return 0;
  uint32_t a = levels(n->a), b = n->b ? levels(n->b) + 1 : 0;
  return (a > b ? a : b);
}

static lp_status finish(lp__pred_bound *b, lp_error *err) {
  b->top_used = calloc(b->n_cols + 1, sizeof *b->top_used);
  if (b->top_used == NULL) return lp_error_set(err, LP_ENOMEM, "predicate: out of memory");
  for (size_t i = 0; i < b->n_cols; i++) {
    size_t t = b->cols[i].top, k = b->n_top_used;
    if (t >= b->n_fields) { /* a pseudo-column: the caller supplies it, no field to load */
      b->pseudo |= 1u << (t - b->n_fields);
      continue;
    }
    bool dup = false;
    for (size_t j = 0; j < k; j++) dup |= b->top_used[j] == t;
    if (dup) continue;
    while (k > 0 && b->top_used[k - 1] > t) {
      b->top_used[k] = b->top_used[k - 1];
      k--;
    }
    b->top_used[k] = t;
    b->n_top_used++;
  }
  b->levels = levels(b->root) + 1;
  return LP_OK;
}

lp_status lp__pred_bind(const lp__pred *p, const lp__field *fields, size_t n_fields, lp__pred_bound **out,
                        lp_error *err) {
  *out = NULL;
  if (p == NULL || (fields == NULL && n_fields > 0))
    return lp_error_set(err, LP_EINVAL, "predicate: bind: no predicate or no fields");
  lp__pred_bound *b = calloc(1, sizeof *b);
  if (b == NULL) return lp_error_set(err, LP_ENOMEM, "predicate: out of memory");
  binder bd = {.fields = fields, .n_fields = n_fields, .b = b, .text = p->text, .err = err, .top = true,
               .root_node = p->root};
  b->n_fields = n_fields;
  const pn_node *r = p->root;
  if (r->kind == PN_LITERAL && r->lit != LIT_BOOL) {
    lp__pred_bound_free(b);
    return lp_error_set(err, LP_EINVAL, "predicate: at character %u: the filter is a %s literal, not a condition",
                        r->pos, lit_name(r->lit));
  }
  /* LanceDB makes a filter that is a bare regexp_match(...) (a list) the test that it is not NULL. */
  if (r->kind == PN_FUNC && strcmp(r->s, "regexp_match") == 0) b->root = lp__vbind_isnull(&bd, r, true);
  else b->root = bind_bool(&bd, r);
  if (b->root == NULL) {
    lp__pred_bound_free(b);
    return err != NULL && err->code != LP_OK ? err->code : LP_EINVAL;
  }
  lp__vslots_compact(b);
  lp_status rc = finish(b, err);
  if (rc != LP_OK) {
    lp__pred_bound_free(b);
    return rc;
  }
  *out = b;
  return LP_OK;
}

lp_status lp__pred_compile(const char *text, const lp__field *fields, size_t n_fields, lp__pred_bound **out,
                           lp_error *err) {
  lp__pred *p;
  *out = NULL;
  LP_TRY(lp__pred_parse(text, strlen(text), &p, err));
  lp_status rc = lp__pred_bind(p, fields, n_fields, out, err);
  lp__pred_free(p);
  return rc;
}

void lp__pred_bound_columns(const lp__pred_bound *b, const size_t **out_idx, size_t *out_n) {
  *out_idx = b->top_used;
  *out_n = b->n_top_used;
}

unsigned lp__pred_bound_pseudo(const lp__pred_bound *b) { return b->pseudo; }

/* ---- binding to an Arrow C schema ---------------------------------------------------------------- */

static void arrow_fields_reset(lp__field *f, size_t n) {
  for (size_t i = 0; i < n; i++) {
    arrow_fields_reset(f[i].children, f[i].n_children);
    free(f[i].children);
  }
}

/* Minimal mapping of Arrow format strings to lp__field types; unknown formats map to LIST (nested), so
 * such columns may only be tested with IS NULL. Names are borrowed from the schema. */
static lp_status arrow_to_fields(const struct ArrowSchema *s, lp__field *out, int depth, lp_error *err) {
  memset(out, 0, sizeof *out);
  if (s == NULL || s->format == NULL || depth > LP__PRED_MAX_PATH)
    return lp_error_set(err, LP_EINVAL, "predicate: bind: malformed Arrow schema");
  const char *f = s->format;
  out->name = (char *)(s->name ? s->name : "");
  static const struct { const char *fmt; lp__type t; } simple[] = {
      {"b", LP__TYPE_BOOL}, {"c", LP__TYPE_INT8}, {"s", LP__TYPE_INT16}, {"i", LP__TYPE_INT32},
      {"l", LP__TYPE_INT64}, {"C", LP__TYPE_UINT8}, {"S", LP__TYPE_UINT16}, {"I", LP__TYPE_UINT32},
      {"L", LP__TYPE_UINT64}, {"e", LP__TYPE_FLOAT16}, {"f", LP__TYPE_FLOAT32}, {"g", LP__TYPE_FLOAT64},
      {"u", LP__TYPE_UTF8}, {"U", LP__TYPE_LARGE_UTF8}, {"z", LP__TYPE_BINARY}, {"Z", LP__TYPE_LARGE_BINARY},
      {"tdD", LP__TYPE_DATE32}, {"n", LP__TYPE_NULL}};
  out->type = LP__TYPE_LIST;
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
    if (strcmp(f, simple[i].fmt) == 0) out->type = simple[i].t;
  if (strncmp(f, "ts", 2) == 0 && f[2] != '\0' && f[3] == ':') {
    out->type = LP__TYPE_TIMESTAMP;
    out->unit = f[2] == 's' ? LP__UNIT_S : f[2] == 'm' ? LP__UNIT_MS : f[2] == 'u' ? LP__UNIT_US : LP__UNIT_NS;
  }
  if (strcmp(f, "+s") == 0) {
    out->type = LP__TYPE_STRUCT;
    if (s->n_children < 0 || (s->n_children > 0 && s->children == NULL))
      return lp_error_set(err, LP_EINVAL, "predicate: bind: malformed Arrow struct schema");
    out->children = calloc((size_t)s->n_children + 1, sizeof *out->children);
    if (out->children == NULL) return lp_error_set(err, LP_ENOMEM, "predicate: out of memory");
    for (int64_t i = 0; i < s->n_children; i++) {
      out->n_children++;
      LP_TRY(arrow_to_fields(s->children[i], &out->children[i], depth + 1, err));
    }
  }
  return LP_OK;
}

lp_status lp__pred_bind_arrow(const lp__pred *p, const struct ArrowSchema *schema, lp__pred_bound **out,
                              lp_error *err) {
  *out = NULL;
  lp__field root;
  lp_status rc = arrow_to_fields(schema, &root, 0, err);
  if (rc == LP_OK && root.type != LP__TYPE_STRUCT)
    rc = lp_error_set(err, LP_EINVAL, "predicate: bind: the Arrow schema is '%s', expected a struct '+s'",
                      schema->format);
  if (rc == LP_OK) rc = lp__pred_bind(p, root.children, root.n_children, out, err);
  arrow_fields_reset(&root, 1);
  return rc;
}

lp_status lp__pred_bound_finish(lp__pred_bound *b, lp_error *err) { return finish(b, err); }
