/* Binding value expressions: arithmetic, unary minus, ||, CAST/TRY_CAST and scalar functions, typed the
 * way LanceDB 0.31.0 types them (its planner's literal coercion, then DataFusion's type coercion), with
 * the implicit casts made explicit so that every kernel of predicate_value_eval.c sees operands of one
 * type. Constant sub-expressions are folded here, once, instead of per row.
 *
 * No Debian package evaluates DataFusion's SQL dialect, so its typing rules are written here by hand and
 * checked against LanceDB by tests/interop/test_predicate_oracle.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/predicate_func.h"
#include "query/predicate_int.h"
#include "query/predicate_like.h"

/* Value nodes per predicate: each owns a chunk-sized vector at evaluation (about 66 KiB). */
#define MAX_VNODES 512

static bool is_sint(lp__type t) { return t >= LP__TYPE_INT8 && t <= LP__TYPE_INT64; }
static bool is_uint(lp__type t) { return t >= LP__TYPE_UINT8 && t <= LP__TYPE_UINT64; }
static bool is_int(lp__type t) { return is_sint(t) || is_uint(t); }
static bool is_float(lp__type t) { return t >= LP__TYPE_FLOAT16 && t <= LP__TYPE_FLOAT64; }
static bool is_num(lp__type t) { return is_int(t) || is_float(t); }
static bool is_str(lp__type t) { return t == LP__TYPE_UTF8 || t == LP__TYPE_LARGE_UTF8; }
static bool is_bytes(lp__type t) { return is_str(t) || t == LP__TYPE_BINARY || t == LP__TYPE_LARGE_BINARY; }
static bool is_time(lp__type t) { return t == LP__TYPE_DATE32 || t == LP__TYPE_TIMESTAMP; }

#define int_bits lp__pred_int_bits
int lp__pred_int_bits(lp__type t) {
  switch (t) {
  case LP__TYPE_INT8: case LP__TYPE_UINT8: return 8;
  case LP__TYPE_INT16: case LP__TYPE_UINT16: return 16;
  case LP__TYPE_INT32: case LP__TYPE_UINT32: return 32;
  default: return 64;
  }
}

static lp__type sint_of_bits(int bits) {
  return bits <= 8 ? LP__TYPE_INT8 : bits <= 16 ? LP__TYPE_INT16 : bits <= 32 ? LP__TYPE_INT32 : LP__TYPE_INT64;
}
static lp__type uint_of_bits(int bits) {
  return bits <= 8 ? LP__TYPE_UINT8 : bits <= 16 ? LP__TYPE_UINT16 : bits <= 32 ? LP__TYPE_UINT32 : LP__TYPE_UINT64;
}

static vrep rep_of(lp__type t) {
  if (is_uint(t)) return R_U64;
  if (is_float(t)) return R_F64;
  if (is_bytes(t)) return R_STR;
  return R_I64;
}

static const char *vtype_name(const vnode *v) {
  if (v->kind == V_CONST && v->is_null) return "NULL";
  return lp__pred_type_name(v->type);
}

void lp__vnode_free(vnode *v) {
  if (v == NULL) return;
  for (size_t i = 0; i < v->n_args; i++) lp__vnode_free(v->args[i]);
  free(v->args);
  free(v->ks.p);
  if (v->aux_free != NULL) v->aux_free(v->aux);
  free(v);
}

static vnode *vnew(lp__binder *bd, vkind kind, lp__type type, uint32_t pos) {
  if (bd->b->n_slots >= MAX_VNODES) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: expression too large (more than %d computed values)",
                 pos, MAX_VNODES);
    return NULL;
  }
  vnode *v = calloc(1, sizeof *v);
  if (v == NULL) {
    lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory");
    return NULL;
  }
  v->kind = kind;
  v->type = type;
  v->rep = rep_of(type);
  v->pos = pos;
  v->col = -1;
  v->slot = bd->b->n_slots++;
  return v;
}

static vnode *vnull(lp__binder *bd, lp__type type, uint32_t pos) {
  vnode *v = vnew(bd, V_CONST, type, pos);
  if (v != NULL) v->is_null = true;
  return v;
}

/* Attaches operands (taking ownership; frees everything on failure). */
static vnode *vwith(lp__binder *bd, vnode *v, vnode **args, size_t n) {
  if (v != NULL && n > 0) {
    v->args = calloc(n, sizeof *v->args);
    if (v->args == NULL) {
      lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory");
      lp__vnode_free(v);
      v = NULL;
    }
  }
  if (v == NULL) {
    for (size_t i = 0; i < n; i++) lp__vnode_free(args[i]);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) v->args[i] = args[i];
  v->n_args = n;
  lp__vfold(v);
  return v;
}

vnode *lp__vnew(lp__binder *bd, vkind kind, lp__type type, uint32_t pos) { return vnew(bd, kind, type, pos); }
vnode *lp__vwith(lp__binder *bd, vnode *v, vnode **args, size_t n) { return vwith(bd, v, args, n); }

/* ---- casts ---------------------------------------------------------------------------------------- */

typedef enum cast_ok { CAST_NO, CAST_YES, CAST_UNSUPPORTED } cast_ok;

/* Which casts Arrow performs, and which of them lancepool reproduces. */
static cast_ok cast_allowed(lp__type from, lp__type to) {
  if (from == LP__TYPE_NULL) return CAST_YES;
  if ((is_num(from) || from == LP__TYPE_BOOL) && (is_num(to) || to == LP__TYPE_BOOL)) return CAST_YES;
  if ((is_int(from) || from == LP__TYPE_BOOL) && is_str(to)) return CAST_YES;
  if (is_str(from) && (is_num(to) || to == LP__TYPE_BOOL || is_time(to) || is_bytes(to))) return CAST_YES;
  if (from == LP__TYPE_BINARY || from == LP__TYPE_LARGE_BINARY) {
    if (to == LP__TYPE_BINARY || to == LP__TYPE_LARGE_BINARY) return CAST_YES;
  }
  if (from == LP__TYPE_DATE32 && is_time(to)) return CAST_YES;
  if (from == LP__TYPE_TIMESTAMP && to == LP__TYPE_DATE32) return CAST_YES;
  if (from == LP__TYPE_TIMESTAMP && to == LP__TYPE_TIMESTAMP) return CAST_YES;
  if (is_float(from) && is_str(to)) return CAST_UNSUPPORTED; /* Rust's float formatting, not reproduced */
  if ((from == LP__TYPE_DATE32 && (to == LP__TYPE_INT32 || to == LP__TYPE_INT64)) ||
      (from == LP__TYPE_TIMESTAMP && to == LP__TYPE_INT64))
    return CAST_YES; /* the stored number: days, or the timestamp's units */
  if (is_time(from) && (is_str(to) || is_int(to))) return CAST_UNSUPPORTED;
  if (from == LP__TYPE_BINARY && is_str(to)) return CAST_UNSUPPORTED;
  return CAST_NO;
}

/* Wraps v in a cast to (to, unit); v is consumed. try_cast: NULL instead of an error where a value does
 * not convert. */
static vnode *vcast(lp__binder *bd, vnode *v, lp__type to, lp__time_unit unit, bool try_cast, uint32_t pos) {
  if (v == NULL) return NULL;
  if (v->type == to && (to != LP__TYPE_TIMESTAMP || v->unit == unit)) return v;
  if (v->kind == V_CONST && v->is_null) {
    v->type = to, v->unit = unit, v->rep = rep_of(to);
    return v;
  }
  switch (cast_allowed(v->type, to)) {
  case CAST_YES: break;
  case CAST_UNSUPPORTED:
    lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: a cast from %s to %s is not supported", pos,
                 vtype_name(v), lp__pred_type_name(to));
    lp__vnode_free(v);
    return NULL;
  case CAST_NO:
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: cannot cast %s to %s", pos, vtype_name(v),
                 lp__pred_type_name(to));
    lp__vnode_free(v);
    return NULL;
  }
  vnode *c = vnew(bd, V_CAST, to, pos);
  if (c != NULL) c->unit = unit, c->try_cast = try_cast;
  return vwith(bd, c, &v, 1);
}

/* ---- literals and columns ------------------------------------------------------------------------- */

static vnode *vliteral(lp__binder *bd, const pn_node *n) {
  vnode *v;
  switch (n->lit) {
  case LIT_NULL: return vnull(bd, LP__TYPE_NULL, n->pos);
  case LIT_BOOL:
  case LIT_INT:
    v = vnew(bd, V_CONST, n->lit == LIT_BOOL ? LP__TYPE_BOOL : LP__TYPE_INT64, n->pos);
    if (v != NULL) v->ki = n->i;
    return v;
  case LIT_FLOAT:
    v = vnew(bd, V_CONST, LP__TYPE_FLOAT64, n->pos);
    if (v != NULL) v->kf = n->f;
    return v;
  case LIT_DATE:
    v = vnew(bd, V_CONST, LP__TYPE_DATE32, n->pos);
    if (v != NULL) v->ki = n->i;
    return v;
  case LIT_TIMESTAMP:
    v = vnew(bd, V_CONST, LP__TYPE_TIMESTAMP, n->pos);
    if (v != NULL) v->ki = n->i, v->unit = LP__UNIT_NS;
    return v;
  case LIT_STRING:
    v = vnew(bd, V_CONST, LP__TYPE_UTF8, n->pos);
    if (v == NULL) return NULL;
    v->ks.p = malloc(n->s_len + 1);
    if (v->ks.p == NULL) {
      lp__vnode_free(v);
      lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory");
      return NULL;
    }
    memcpy(v->ks.p, n->s, n->s_len);
    v->ks.n = n->s_len;
    return v;
  }
  return NULL;
}

static vnode *vcolumn(lp__binder *bd, const pn_node *n) {
  int ci = lp__pred_resolve(bd, n);
  if (ci < 0) return NULL;
  const bcol *c = &bd->b->cols[ci];
  if (lp__pred_type_class(c->type) == VC_NESTED || c->type == LP__TYPE_NULL) {
    lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: column '%.100s' (%s) cannot be used in an expression",
                 n->pos, c->name, lp__pred_type_name(c->type));
    return NULL;
  }
  vnode *v = vnew(bd, V_COL, c->type, n->pos);
  if (v != NULL) v->col = ci, v->unit = c->unit;
  return v;
}

/* ---- arithmetic ----------------------------------------------------------------------------------- */

/* DataFusion's common numeric type of two operands: the wider integer of one signedness, the narrowest
 * signed integer holding both for mixed signedness, float64 when either is float64, else float32. */
static lp_status numeric_common(lp__binder *bd, const vnode *a, const vnode *b, uint32_t pos, lp__type *out) {
  lp__type x = a->type, y = b->type;
  if (x == LP__TYPE_FLOAT64 || y == LP__TYPE_FLOAT64) *out = LP__TYPE_FLOAT64;
  else if (is_float(x) || is_float(y)) *out = LP__TYPE_FLOAT32;
  else if (is_sint(x) == is_sint(y)) {
    int bits = int_bits(x) > int_bits(y) ? int_bits(x) : int_bits(y);
    *out = is_sint(x) ? sint_of_bits(bits) : uint_of_bits(bits);
  } else {
    int sbits = int_bits(is_sint(x) ? x : y), ubits = int_bits(is_sint(x) ? y : x);
    if (ubits == 64)
      return lp_error_set(bd->err, LP_EUNSUPPORTED,
                          "predicate: at character %u: mixing uint64 with a signed integer needs a decimal type, which is not supported",
                          pos);
    *out = sint_of_bits(sbits > 2 * ubits ? sbits : 2 * ubits);
  }
  return LP_OK;
}

static vnode *varith(lp__binder *bd, char op, vnode *a, vnode *b, uint32_t pos) {
  if (a == NULL || b == NULL) {
    lp__vnode_free(a);
    lp__vnode_free(b);
    return NULL;
  }
  bool an = a->kind == V_CONST && a->is_null, bn = b->kind == V_CONST && b->is_null;
  lp__type t;
  if (op == '|') {
    /* || casts a non-string side to a string; NULL on either side gives NULL */
    if (!is_str(a->type) && !is_str(b->type) && !an && !bn) goto bad;
    t = LP__TYPE_UTF8;
    if (!an) a = vcast(bd, a, t, 0, false, pos);
    if (!bn) b = vcast(bd, b, t, 0, false, pos);
  } else if (an || bn) {
    lp__type other = an ? b->type : a->type;
    if (!(is_num(other) || other == LP__TYPE_NULL)) goto bad;
    t = other == LP__TYPE_NULL ? LP__TYPE_INT64 : other;
  } else if (is_num(a->type) && is_num(b->type)) {
    if (numeric_common(bd, a, b, pos, &t) != LP_OK) goto fail;
    a = vcast(bd, a, t, 0, false, pos);
    b = vcast(bd, b, t, 0, false, pos);
  } else if (a->type == LP__TYPE_DATE32 && (op == '+' || op == '-') && is_int(b->type) && b->type != LP__TYPE_UINT64) {
    /* a date plus or minus whole days is a date */
    t = LP__TYPE_DATE32;
    b = vcast(bd, b, LP__TYPE_INT64, 0, false, pos);
    a = vcast(bd, a, LP__TYPE_DATE32, 0, false, pos);
  } else if (a->type == LP__TYPE_DATE32 && b->type == LP__TYPE_DATE32 && op == '-') {
    t = LP__TYPE_INT64; /* the days between */
    a = vcast(bd, a, LP__TYPE_INT64, 0, false, pos);
    b = vcast(bd, b, LP__TYPE_INT64, 0, false, pos);
  } else if (is_time(a->type) || is_time(b->type)) {
    lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: this arithmetic on dates and timestamps is not supported",
                 pos);
    goto fail;
  } else {
    goto bad;
  }
  if (a == NULL || b == NULL) goto fail;
  if (an || bn) {
    lp__vnode_free(a);
    lp__vnode_free(b);
    return vnull(bd, t, pos);
  }
  vnode *args[2] = {a, b}, *v = vnew(bd, V_ARITH, t, pos);
  if (v != NULL) v->op = op;
  return vwith(bd, v, args, 2);
bad: {
  char opt[3] = {op, op == '|' ? '|' : '\0', '\0'};
  lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: cannot apply '%s' to %s and %s", pos, opt,
               vtype_name(a), vtype_name(b));
}
fail:
  lp__vnode_free(a);
  lp__vnode_free(b);
  return NULL;
}

static vnode *vneg(lp__binder *bd, vnode *a, uint32_t pos) {
  if (a == NULL) return NULL;
  if (a->kind == V_CONST && a->is_null) return a;
  if (!(is_sint(a->type) || is_float(a->type))) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: cannot negate a value of type %s", pos, vtype_name(a));
    lp__vnode_free(a);
    return NULL;
  }
  vnode *v = vnew(bd, V_NEG, a->type, pos);
  return vwith(bd, v, &a, 1);
}

/* ---- functions ------------------------------------------------------------------------------------ */

static vnode *vfunc(lp__binder *bd, const pn_node *n) {
  if (lp__vlist_is(n->s)) return lp__vbind_list(bd, n);
  if (strcmp(n->s, "make_array") == 0) {
    lp_error_set(bd->err, LP_EUNSUPPORTED,
                 "predicate: at character %u: an array [...] is accepted only by array_has_any and array_has_all", n->pos);
    return NULL;
  }
  const lp__vfunc_def *def = lp__vfunc_find(n->s);
  if (def == NULL) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: unknown function '%.60s'", n->pos, n->s);
    return NULL;
  }
  if (n->n_list < (size_t)def->min_args || n->n_list > (size_t)def->max_args) {
    if (def->min_args == def->max_args)
      lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: %s takes %d argument%s, got %zu", n->pos, def->name,
                   def->min_args, def->min_args == 1 ? "" : "s", n->n_list);
    else
      lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: %s takes %d to %d arguments, got %zu", n->pos,
                   def->name, def->min_args, def->max_args, n->n_list);
    return NULL;
  }
  vnode *args[LP__VFUNC_MAX_ARGS] = {0};
  size_t na = n->n_list;
  for (size_t i = 0; i < na; i++) {
    args[i] = lp__vbind(bd, n->list[i]);
    if (args[i] == NULL) {
      for (size_t k = 0; k < i; k++) lp__vnode_free(args[k]);
      return NULL;
    }
  }
  /* The function types its arguments (inserting casts) and its result. */
  lp__type rt;
  lp_status rc = def->type(bd, def, args, na, n->pos, &rt);
  if (rc != LP_OK) {
    for (size_t k = 0; k < na; k++) lp__vnode_free(args[k]);
    return NULL;
  }
  vnode *v = vnew(bd, V_FUNC, rt, n->pos);
  if (v != NULL) {
    v->fn = def->id;
    v->unit = def->unit_arg >= 0 && (size_t)def->unit_arg < na ? args[def->unit_arg]->unit : LP__UNIT_NS;
  }
  if (def->prepare == NULL) return vwith(bd, v, args, na);
  bool saved = v != NULL;
  if (saved) v->kind = V_COL; /* not foldable while it has no state yet */
  v = vwith(bd, v, args, na);
  if (v == NULL) return NULL;
  v->kind = V_FUNC;
  if (def->prepare(bd, v) != LP_OK) {
    lp__vnode_free(v);
    return NULL;
  }
  lp__vfold(v);
  return v;
}

lp_status lp__vcoerce_arg(lp__binder *bd, vnode **arg, lp__type to, uint32_t pos) {
  *arg = vcast(bd, *arg, to, LP__UNIT_NS, false, pos);
  return *arg == NULL ? (bd->err != NULL && bd->err->code != LP_OK ? bd->err->code : LP_EINVAL) : LP_OK;
}

lp_status lp__vcoerce_common(lp__binder *bd, vnode **a, vnode **b, uint32_t pos, lp__type *out) {
  vnode *x = *a, *y = *b;
  bool xn = x->kind == V_CONST && x->is_null, yn = y->kind == V_CONST && y->is_null;
  lp__type t;
  if (xn && yn) t = LP__TYPE_INT64;
  else if (xn) t = y->type;
  else if (yn) t = x->type;
  else if (is_num(x->type) && is_num(y->type)) LP_TRY(numeric_common(bd, x, y, pos, &t));
  else if (is_str(x->type) && is_str(y->type)) t = LP__TYPE_UTF8;
  else if (is_bytes(x->type) && is_bytes(y->type)) t = LP__TYPE_BINARY;
  else if (x->type == y->type && x->type != LP__TYPE_TIMESTAMP) t = x->type;
  else if (is_time(x->type) && is_time(y->type)) t = LP__TYPE_TIMESTAMP;
  else if (is_time(x->type) && is_str(y->type) && y->kind == V_CONST) t = x->type;
  else if (is_time(y->type) && is_str(x->type) && x->kind == V_CONST) t = y->type;
  else
    return lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: %s and %s have no common type", pos,
                        vtype_name(x), vtype_name(y));
  lp__time_unit unit = LP__UNIT_NS;
  if (t == LP__TYPE_TIMESTAMP) {
    /* DataFusion compares two timestamps in the coarser unit (the finer one truncated toward zero); a
     * date takes the timestamp's unit */
    bool xt = x->type == LP__TYPE_TIMESTAMP, yt = y->type == LP__TYPE_TIMESTAMP;
    unit = xt && yt ? (x->unit < y->unit ? x->unit : y->unit) : xt ? x->unit : yt ? y->unit : LP__UNIT_NS;
  }
  *a = vcast(bd, x, t, unit, false, pos);
  if (*a == NULL) {
    lp__vnode_free(y);
    *b = NULL;
    return bd->err->code;
  }
  *b = vcast(bd, y, t, unit, false, pos);
  if (*b == NULL) return bd->err->code;
  *out = t;
  return LP_OK;
}

/* ---- the entry points ----------------------------------------------------------------------------- */

bool lp__pn_is_computed(const pn_node *n) {
  return n->kind == PN_ARITH || n->kind == PN_NEG || n->kind == PN_CAST || n->kind == PN_FUNC;
}

vnode *lp__vbind(lp__binder *bd, const pn_node *n) {
  switch (n->kind) {
  case PN_LITERAL: return vliteral(bd, n);
  case PN_COLUMN: return vcolumn(bd, n);
  case PN_NEG: return vneg(bd, lp__vbind(bd, n->a), n->pos);
  case PN_ARITH: {
    vnode *a = lp__vbind(bd, n->a);
    if (a == NULL) return NULL;
    return varith(bd, n->aop, a, lp__vbind(bd, n->b), n->pos);
  }
  case PN_CAST: return vcast(bd, lp__vbind(bd, n->a), n->cast_type, n->cast_unit, n->try_cast, n->pos);
  case PN_FUNC: return vfunc(bd, n);
  default: break;
  }
  lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: a condition cannot be used as a value here", n->pos);
  return NULL;
}

/* Bind a literal as the given column type, the way LanceDB's planner converts the literals of
 * `column op expression` (only through + - * / %): exactly, or an error naming the literal. */
static vnode *vliteral_as(lp__binder *bd, const pn_node *lit, const bcol *c) {
  vnode *v = vliteral(bd, lit);
  if (v == NULL || (v->kind == V_CONST && v->is_null)) return v;
  lp__type t = c->type;
  bool ok = false;
  if (is_int(t)) {
    int bits = int_bits(t);
    ok = v->type == LP__TYPE_INT64 &&
         (is_sint(t) ? (bits == 64 || (v->ki >= -(1LL << (bits - 1)) && v->ki < (1LL << (bits - 1))))
                     : (v->ki >= 0 && (bits == 64 || v->ki < (1LL << bits))));
  } else if (is_float(t)) {
    ok = v->type == LP__TYPE_INT64 || v->type == LP__TYPE_FLOAT64;
  } else if (is_bytes(t)) {
    ok = v->type == LP__TYPE_UTF8;
  } else if (t == LP__TYPE_BOOL) {
    ok = v->type == LP__TYPE_BOOL;
  } else if (is_time(t)) {
    ok = is_time(v->type);
  }
  if (!ok) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: column '%.100s' (%s) cannot be compared with %s literal",
                 lit->pos, c->name, lp__pred_type_name(t), vtype_name(v));
    lp__vnode_free(v);
    return NULL;
  }
  return vcast(bd, v, t, c->unit, false, lit->pos);
}

/* The right side of `column op expression` with its literals converted to the column's type. */
static vnode *vbind_resolved(lp__binder *bd, const pn_node *n, const bcol *c) {
  if (n->kind == PN_LITERAL) return vliteral_as(bd, n, c);
  if (n->kind != PN_ARITH) return lp__vbind(bd, n);
  vnode *a = vbind_resolved(bd, n->a, c);
  if (a == NULL) return NULL;
  return varith(bd, n->aop, a, vbind_resolved(bd, n->b, c), n->pos);
}

static bool is_int_const(const vnode *v) { return v->kind == V_CONST && !v->is_null && is_int(v->type); }

/* DataFusion drops an integer-to-integer cast compared with a literal the cast's operand type holds:
 * CAST(u AS INT) > 0 compares u itself, so no value of u fails to convert. */
static void unwrap_int_cast(vnode **side, const vnode *other) {
  vnode *c = *side;
  if (c->kind != V_CAST || !is_int(c->type) || !is_int(c->args[0]->type) || !is_int_const(other)) return;
  lp__type inner = c->args[0]->type;
  int bits = int_bits(inner);
  bool fits;
  if (other->rep == R_U64) fits = is_uint(inner) ? (bits == 64 || other->ku < (1ULL << bits)) : (bits == 64 ? other->ku <= INT64_MAX : other->ku < (1ULL << (bits - 1)));
  else if (is_sint(inner)) fits = bits == 64 || (other->ki >= -(1LL << (bits - 1)) && other->ki < (1LL << (bits - 1)));
  else fits = other->ki >= 0 && (bits == 64 || other->ki < (1LL << bits));
  if (!fits) return;
  *side = c->args[0];
  c->n_args = 0;
  lp__vnode_free(c);
}

/* A non-negative integer constant compared with a uint64 takes its type (an exact comparison); DataFusion
 * would compare the two as decimals, with the same answer. */
static vnode *const_as_uint64(lp__binder *bd, vnode *k, const vnode *other, uint32_t pos) {
  if (other->type != LP__TYPE_UINT64 || !is_int_const(k) || k->rep != R_I64 || k->ki < 0) return k;
  return vcast(bd, k, LP__TYPE_UINT64, 0, false, pos);
}

/* LanceDB's planner converts every literal under `column op <binary expression>` (through + - * / %,
 * comparisons, AND and OR) to the column's type before anything else, and refuses the filter when one
 * does not convert: `b = (1 + 1)` with b boolean is refused. */
lp_status lp__lance_check_literals(lp__binder *bd, const pn_node *y, const bcol *c) {
  if (y->kind == PN_LITERAL) {
    vnode *v = vliteral_as(bd, y, c);
    if (v == NULL) return bd->err->code;
    lp__vnode_free(v); /* a probe only (slots are renumbered after binding) */
    return LP_OK;
  }
  if (y->kind == PN_ARITH || y->kind == PN_CMP || y->kind == PN_AND || y->kind == PN_OR) {
    LP_TRY(lp__lance_check_literals(bd, y->a, c));
    return lp__lance_check_literals(bd, y->b, c);
  }
  return LP_OK;
}

bnode *lp__vbind_cmp(lp__binder *bd, const pn_node *x, pn_cmp op, const pn_node *y, uint32_t pos, bool resolve) {
  vnode *a, *b;
  /* LanceDB's planner converts the literals of `column op expression` to the column's type first. */
  if (resolve && x->kind == PN_COLUMN && y->kind == PN_ARITH) {
    a = vcolumn(bd, x);
    bcol col = a != NULL ? bd->b->cols[a->col] : (bcol){0}; /* a copy: binding y may grow b->cols */
    b = a != NULL ? vbind_resolved(bd, y, &col) : NULL;
  } else {
    a = lp__vbind(bd, x);
    b = a != NULL ? lp__vbind(bd, y) : NULL;
  }
  if (a == NULL || b == NULL) {
    lp__vnode_free(a);
    lp__vnode_free(b);
    return NULL;
  }
  if (a->type == LP__TYPE_BOOL && b->type == LP__TYPE_BOOL && op != CMP_EQ && op != CMP_NE) {
    /* ordering booleans: false < true, as Arrow does; fine as integers */
  }
  lp__type t;
  /* A literal compared with a cast: first in the cast's type, then maybe the cast goes away. */
  if (a->kind == V_CAST && b->kind == V_CONST && is_int(a->type) && is_int(b->type)) {
    b = vcast(bd, b, a->type, 0, false, pos);
    if (b == NULL) {
      lp__vnode_free(a);
      return NULL;
    }
    unwrap_int_cast(&a, b);
  } else if (b->kind == V_CAST && a->kind == V_CONST && is_int(a->type) && is_int(b->type)) {
    a = vcast(bd, a, b->type, 0, false, pos);
    if (a == NULL) {
      lp__vnode_free(b);
      return NULL;
    }
    unwrap_int_cast(&b, a);
  }
  a = const_as_uint64(bd, a, b, pos);
  b = a != NULL ? const_as_uint64(bd, b, a, pos) : b;
  if (a == NULL || b == NULL) {
    lp__vnode_free(a);
    lp__vnode_free(b);
    return NULL;
  }
  if (lp__vcoerce_common(bd, &a, &b, pos, &t) != LP_OK) {
    lp__vnode_free(a);
    lp__vnode_free(b);
    return NULL;
  }
  bnode *e = calloc(1, sizeof *e);
  if (e == NULL) {
    lp__vnode_free(a);
    lp__vnode_free(b);
    lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory");
    return NULL;
  }
  e->col = e->col2 = -1;
  if ((a->kind == V_CONST && a->is_null) || (b->kind == V_CONST && b->is_null)) {
    e->kind = B_CONST;
    e->cst = -1;
    lp__vnode_free(a);
    lp__vnode_free(b);
    return e;
  }
  e->kind = B_VCMP;
  e->op = op;
  e->va = a;
  e->vb = b;
  (void)t;
  return e;
}

static bnode *bnode_of(lp__binder *bd, bkind kind, vnode *v) {
  if (v == NULL) return NULL;
  bnode *e = calloc(1, sizeof *e);
  if (e == NULL) {
    lp__vnode_free(v);
    lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory");
    return NULL;
  }
  e->kind = kind;
  e->col = e->col2 = -1;
  e->va = v;
  return e;
}

bnode *lp__vbind_bool(lp__binder *bd, const pn_node *n) {
  vnode *v = lp__vbind(bd, n);
  if (v == NULL) return NULL;
  if (v->kind == V_CONST && v->is_null) v->type = LP__TYPE_BOOL;
  if (v->type != LP__TYPE_BOOL) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: a %s value is not a condition", n->pos, vtype_name(v));
    lp__vnode_free(v);
    return NULL;
  }
  return bnode_of(bd, B_VBOOL, v);
}

bnode *lp__vbind_isnull(lp__binder *bd, const pn_node *n, bool negated) {
  vnode *v = lp__vbind(bd, n);
  if (v != NULL && v->type == LP__TYPE_LIST && bd->b->root == NULL && negated && n == bd->root_node) {
    /* a bare regexp_match(...) filter: LanceDB tests that it matched */
  } else if (v != NULL && v->type == LP__TYPE_LIST) {
    /* LanceDB's DataFusion declares regexp_match's result never NULL and folds IS [NOT] NULL of it */
    lp__vnode_free(v);
    bnode *c = calloc(1, sizeof *c);
    if (c == NULL) {
      lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory");
      return NULL;
    }
    c->kind = B_CONST;
    c->cst = negated ? 1 : 0;
    c->col = c->col2 = -1;
    return c;
  }
  bnode *e = bnode_of(bd, B_VISNULL, v);
  if (e != NULL) e->negated = negated;
  return e;
}

bnode *lp__vbind_like(lp__binder *bd, const pn_node *n) {
  vnode *v = lp__vbind(bd, n->a);
  if (v == NULL) return NULL;
  if (!is_bytes(v->type) && !(v->kind == V_CONST && v->is_null)) {
    lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: LIKE needs a string, not %s", n->pos, vtype_name(v));
    lp__vnode_free(v);
    return NULL;
  }
  bnode *e = bnode_of(bd, B_VLIKE, v);
  if (e == NULL) return NULL;
  e->negated = n->negated;
  if (lp__like_compile(n->b->s, n->b->s_len, n->ilike, &e->like, bd->err) != LP_OK) {
    lp__bnode_free(e);
    return NULL;
  }
  return e;
}

/* ---- slots ---------------------------------------------------------------------------------------- */

static void renumber_v(vnode *v, int *next) {
  v->slot = (*next)++;
  for (size_t i = 0; i < v->n_args; i++) renumber_v(v->args[i], next);
}

static void renumber(bnode *n, int *next) {
  if (n == NULL) return;
  if (n->va) renumber_v(n->va, next);
  if (n->vb) renumber_v(n->vb, next);
  renumber(n->a, next);
  renumber(n->b, next);
}

/* Folding frees nodes: give the survivors consecutive slots. */
void lp__vslots_compact(lp__pred_bound *b) {
  int next = 0;
  renumber(b->root, &next);
  b->n_slots = next;
}
