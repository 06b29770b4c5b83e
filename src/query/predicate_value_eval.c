/* Evaluating value expressions a chunk of rows at a time: every vnode fills its own vector (validity
 * bitmap + values) with one loop per operation over the chunk, so no syntax tree is walked per row.
 * Semantics follow DataFusion as LanceDB 0.31.0 runs it: NULL in, NULL out; + - * wrap around in the
 * result's integer type; integer / and % by zero, and MIN / -1, are errors; float results of a float32
 * type are rounded to float32; CAST reports a value that does not convert, TRY_CAST gives NULL.
 * Errors are reported only for rows of `act` (the rows whose result matters). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/predicate_func.h"
#include "query/distance.h" /* lp__half_to_float */
#include "query/predicate_int.h"

#define NS_PER_DAY 86400000000000LL

bool lp__vslot_reserve(lp__vslot *s, size_t need) {
  if (need == 0) need = 1; /* an arena always exists, so arena + 0 is a valid pointer */
  if (need <= s->arena_cap) return true;
  size_t cap = s->arena_cap ? s->arena_cap : 4096;
  while (cap < need) cap *= 2;
  uint8_t *p = realloc(s->arena, cap);
  if (p == NULL) return false;
  s->arena = p;
  s->arena_cap = cap;
  return true;
}

static lp_status oom(lp__ectx *x) { return lp_error_set(x->err, LP_ENOMEM, "predicate: eval: out of memory"); }

static int64_t wrap_s(int64_t v, int bits) {
  if (bits == 64) return v;
  return (int64_t)((uint64_t)v << (64 - bits)) >> (64 - bits);
}
static uint64_t wrap_u(uint64_t v, int bits) { return bits == 64 ? v : v & ((1ULL << bits) - 1); }

#define type_bits lp__pred_int_bits

static double round_to(lp__type t, double d) { return t == LP__TYPE_FLOAT64 ? d : (double)(float)d; }

/* ---- constants and columns ------------------------------------------------------------------------ */

static void eval_const(lp__ectx *x, const vnode *v, lp__vslot *o) {
  for (int64_t w = 0; w < x->nw; w++) o->valid[w] = v->is_null ? 0 : lp__tail_mask(x->cnt, w);
  if (v->is_null) return;
  for (int64_t j = 0; j < x->cnt; j++) {
    switch (v->rep) {
    case R_I64: o->v.i[j] = v->ki; break;
    case R_U64: o->v.u[j] = v->ku; break;
    case R_F64: o->v.f[j] = v->kf; break;
    case R_STR: o->v.s[j] = (vstr){v->ks.p, v->ks.n}; break;
    }
  }
}

static lp_status eval_column(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  const bcol *bc = &x->b->cols[v->col];
  const lp__rcol *c = &x->rc[v->col];
  lp__ectx_validity(x, c, o->valid);
  const void *d = c->leaf->n_buffers > 1 ? c->leaf->buffers[1] : NULL; /* a fixed_size_list has one */
  int64_t k0 = c->off + x->start, n = x->cnt;
  switch (bc->type) {
  case LP__TYPE_BOOL:
    for (int64_t j = 0; j < n; j++) o->v.i[j] = (((const uint8_t *)d)[(k0 + j) >> 3] >> ((k0 + j) & 7)) & 1;
    break;
  case LP__TYPE_INT8: for (int64_t j = 0; j < n; j++) o->v.i[j] = ((const int8_t *)d)[k0 + j]; break;
  case LP__TYPE_INT16: for (int64_t j = 0; j < n; j++) o->v.i[j] = ((const int16_t *)d)[k0 + j]; break;
  case LP__TYPE_INT32:
  case LP__TYPE_DATE32: for (int64_t j = 0; j < n; j++) o->v.i[j] = ((const int32_t *)d)[k0 + j]; break;
  case LP__TYPE_INT64:
  case LP__TYPE_TIMESTAMP: memcpy(o->v.i, (const int64_t *)d + k0, (size_t)n * 8); break;
  case LP__TYPE_UINT8: for (int64_t j = 0; j < n; j++) o->v.u[j] = ((const uint8_t *)d)[k0 + j]; break;
  case LP__TYPE_UINT16: for (int64_t j = 0; j < n; j++) o->v.u[j] = ((const uint16_t *)d)[k0 + j]; break;
  case LP__TYPE_UINT32: for (int64_t j = 0; j < n; j++) o->v.u[j] = ((const uint32_t *)d)[k0 + j]; break;
  case LP__TYPE_UINT64: memcpy(o->v.u, (const uint64_t *)d + k0, (size_t)n * 8); break;
  case LP__TYPE_FLOAT16:
    for (int64_t j = 0; j < n; j++) o->v.f[j] = lp__half_to_float(((const uint16_t *)d)[k0 + j]);
    break;
  case LP__TYPE_FLOAT32: for (int64_t j = 0; j < n; j++) o->v.f[j] = ((const float *)d)[k0 + j]; break;
  case LP__TYPE_FLOAT64: memcpy(o->v.f, (const double *)d + k0, (size_t)n * 8); break;
  case LP__TYPE_UTF8:
  case LP__TYPE_LARGE_UTF8:
  case LP__TYPE_BINARY:
  case LP__TYPE_LARGE_BINARY: {
    bool large = bc->type == LP__TYPE_LARGE_UTF8 || bc->type == LP__TYPE_LARGE_BINARY;
    uint64_t need[LP__CHUNK_WORDS];
    for (int64_t w = 0; w < x->nw; w++) need[w] = o->valid[w] & act[w];
    FOR_ROWS(need, j) {
      if (!lp__ectx_str_at(c, large, x->start + j, &o->v.s[j].p, &o->v.s[j].n))
        return lp_error_set(x->err, LP_EINVAL, "predicate: column '%.100s': row %lld: string offsets are not ascending",
                            bc->name, (long long)(x->start + j));
    }
    break;
  }
  case LP__TYPE_LIST:
  case LP__TYPE_LARGE_LIST:
  case LP__TYPE_FIXED_SIZE_LIST: break; /* an operand of a list function, which reads the arrays itself */
  default:
    return lp_error_set(x->err, LP_EINVAL, "predicate: column '%.100s': cannot be read as a value", bc->name);
  }
  return LP_OK;
}

/* ---- arithmetic ----------------------------------------------------------------------------------- */

static lp_status run_error(lp__ectx *x, const vnode *v, const char *what) {
  return lp_error_set(x->err, LP_EINVAL, "predicate: at character %u: %s", v->pos, what);
}

static lp_status arith_int(lp__ectx *x, const vnode *v, const uint64_t *live, const lp__vslot *a, const lp__vslot *b,
                           lp__vslot *o) {
  int bits = type_bits(v->type);
  int64_t n = x->cnt;
  const int64_t *p = a->v.i, *q = b->v.i;
  int64_t *r = o->v.i;
  switch (v->op) {
  case '+': for (int64_t j = 0; j < n; j++) r[j] = wrap_s((int64_t)((uint64_t)p[j] + (uint64_t)q[j]), bits); break;
  case '-': for (int64_t j = 0; j < n; j++) r[j] = wrap_s((int64_t)((uint64_t)p[j] - (uint64_t)q[j]), bits); break;
  case '*': for (int64_t j = 0; j < n; j++) r[j] = wrap_s((int64_t)((uint64_t)p[j] * (uint64_t)q[j]), bits); break;
  case '/':
  case '%': {
    int64_t min = bits == 64 ? INT64_MIN : -(1LL << (bits - 1));
    FOR_ROWS(live, j) {
      if (q[j] == 0) return run_error(x, v, "division by zero");
      if (q[j] == -1 && p[j] == min) return run_error(x, v, "integer overflow in division");
      r[j] = v->op == '/' ? p[j] / q[j] : p[j] % q[j];
    }
    break;
  }
  }
  return LP_OK;
}

static lp_status arith_uint(lp__ectx *x, const vnode *v, const uint64_t *live, const lp__vslot *a, const lp__vslot *b,
                            lp__vslot *o) {
  int bits = type_bits(v->type);
  int64_t n = x->cnt;
  const uint64_t *p = a->v.u, *q = b->v.u;
  uint64_t *r = o->v.u;
  switch (v->op) {
  case '+': for (int64_t j = 0; j < n; j++) r[j] = wrap_u(p[j] + q[j], bits); break;
  case '-': for (int64_t j = 0; j < n; j++) r[j] = wrap_u(p[j] - q[j], bits); break;
  case '*': for (int64_t j = 0; j < n; j++) r[j] = wrap_u(p[j] * q[j], bits); break;
  case '/':
  case '%':
    FOR_ROWS(live, j) {
      if (q[j] == 0) return run_error(x, v, "division by zero");
      r[j] = v->op == '/' ? p[j] / q[j] : p[j] % q[j];
    }
    break;
  }
  return LP_OK;
}

static void arith_float(lp__ectx *x, const vnode *v, const lp__vslot *a, const lp__vslot *b, lp__vslot *o) {
  int64_t n = x->cnt;
  const double *p = a->v.f, *q = b->v.f;
  double *r = o->v.f;
  switch (v->op) {
  case '+': for (int64_t j = 0; j < n; j++) r[j] = p[j] + q[j]; break;
  case '-': for (int64_t j = 0; j < n; j++) r[j] = p[j] - q[j]; break;
  case '*': for (int64_t j = 0; j < n; j++) r[j] = p[j] * q[j]; break;
  case '/': for (int64_t j = 0; j < n; j++) r[j] = p[j] / q[j]; break;
  case '%': for (int64_t j = 0; j < n; j++) r[j] = fmod(p[j], q[j]); break;
  }
  if (v->type != LP__TYPE_FLOAT64)
    for (int64_t j = 0; j < n; j++) r[j] = (double)(float)r[j];
}

static lp_status concat2(lp__ectx *x, const uint64_t *live, const lp__vslot *a, const lp__vslot *b, lp__vslot *o) {
  size_t need = 0;
  FOR_ROWS(live, j) need += a->v.s[j].n + b->v.s[j].n;
  if (!lp__vslot_reserve(o, need)) return oom(x);
  size_t at = 0;
  FOR_ROWS(live, j) {
    uint8_t *dst = o->arena + at;
    if (a->v.s[j].n) memcpy(dst, a->v.s[j].p, a->v.s[j].n);
    if (b->v.s[j].n) memcpy(dst + a->v.s[j].n, b->v.s[j].p, b->v.s[j].n);
    o->v.s[j] = (vstr){dst, a->v.s[j].n + b->v.s[j].n};
    at += o->v.s[j].n;
  }
  return LP_OK;
}

/* Numbers are computed, and their errors (a division by zero) reported, on every row, as DataFusion
 * evaluates both sides of AND and OR on the whole batch; strings only on the rows of act. */
static uint64_t rows_of(const vnode *v, const uint64_t *act, int64_t w) { return v->rep == R_STR ? act[w] : ~0ULL; }

static lp_status eval_arith(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  const lp__vslot *a = &x->slots[v->args[0]->slot], *b = &x->slots[v->args[1]->slot];
  for (int64_t w = 0; w < x->nw; w++) o->valid[w] = a->valid[w] & b->valid[w] & rows_of(v, act, w);
  switch (v->rep) {
  case R_I64: return arith_int(x, v, o->valid, a, b, o);
  case R_U64: return arith_uint(x, v, o->valid, a, b, o);
  case R_F64: arith_float(x, v, a, b, o); return LP_OK;
  case R_STR: return concat2(x, o->valid, a, b, o);
  }
  return LP_OK;
}

static void eval_neg(lp__ectx *x, const vnode *v, lp__vslot *o) {
  const lp__vslot *a = &x->slots[v->args[0]->slot];
  for (int64_t w = 0; w < x->nw; w++) o->valid[w] = a->valid[w];
  if (v->rep == R_F64) {
    for (int64_t j = 0; j < x->cnt; j++) o->v.f[j] = -a->v.f[j];
  } else {
    int bits = type_bits(v->type);
    for (int64_t j = 0; j < x->cnt; j++) o->v.i[j] = wrap_s((int64_t)(0 - (uint64_t)a->v.i[j]), bits);
  }
}

/* ---- casts ---------------------------------------------------------------------------------------- */

/* Strict decimal integer text, as Arrow parses it: optional sign, digits, nothing else. */
static bool text_to_i64(const uint8_t *s, size_t n, int64_t *out) {
  char buf[32];
  if (n == 0 || n >= sizeof buf) return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  size_t i = buf[0] == '+' || buf[0] == '-';
  if (i == n) return false;
  for (size_t k = i; k < n; k++)
    if (buf[k] < '0' || buf[k] > '9') return false;
  errno = 0;
  char *end;
  long long v = strtoll(buf, &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

static bool text_to_u64(const uint8_t *s, size_t n, uint64_t *out) {
  int64_t v;
  if (n > 0 && s[0] == '-') return false;
  if (text_to_i64(s, n, &v)) return *out = (uint64_t)v, true;
  /* above INT64_MAX: digits only */
  char buf[32];
  size_t i = n > 0 && s[0] == '+';
  if (n == i || n - i >= sizeof buf) return false;
  memcpy(buf, s + i, n - i);
  buf[n - i] = '\0';
  if (strspn(buf, "0123456789") != n - i) return false;
  errno = 0;
  char *end;
  unsigned long long u = strtoull(buf, &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = u;
  return true;
}

static bool text_to_f64(const uint8_t *s, size_t n, double *out) {
  char buf[400];
  if (n == 0 || n >= sizeof buf) return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  for (size_t k = 0; k < n; k++) /* no spaces, hex floats or the like */
    if (!(strchr("0123456789+-.eE", buf[k]) != NULL || (buf[k] | 0x20) == 'i' || (buf[k] | 0x20) == 'n' ||
          (buf[k] | 0x20) == 'f' || (buf[k] | 0x20) == 't' || (buf[k] | 0x20) == 'y' || (buf[k] | 0x20) == 'a'))
      return false;
  char *end;
  *out = strtod(buf, &end);
  return *end == '\0';
}

static bool text_to_bool(const uint8_t *s, size_t n, int64_t *out) {
  static const char *const yes[] = {"t", "true", "y", "yes", "on", "1"}, *const no[] = {"f", "false", "n", "no", "off", "0"};
  for (size_t k = 0; k < 6; k++) {
    if (strlen(yes[k]) == n && strncasecmp((const char *)s, yes[k], n) == 0) return *out = 1, true;
    if (strlen(no[k]) == n && strncasecmp((const char *)s, no[k], n) == 0) return *out = 0, true;
  }
  return false;
}

static int64_t unit_per_s(lp__time_unit u) {
  return u == LP__UNIT_S ? 1 : u == LP__UNIT_MS ? 1000 : u == LP__UNIT_US ? 1000000 : 1000000000;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

static bool fits_int(lp__type t, double d) {
  int bits = type_bits(t);
  if (isnan(d)) return false;
  double lo, hi; /* valid range [lo, hi) after truncation */
  if (t >= LP__TYPE_UINT8 && t <= LP__TYPE_UINT64) lo = -1.0 + 0x1p-60, hi = ldexp(1.0, bits);
  else lo = -ldexp(1.0, bits - 1), hi = ldexp(1.0, bits - 1);
  double tr = trunc(d);
  return tr >= lo && tr < hi && !(t >= LP__TYPE_UINT8 && t <= LP__TYPE_UINT64 && tr < 0);
}

static bool sint_fits(lp__type t, int64_t v) {
  int bits = type_bits(t);
  return bits == 64 || (v >= -(1LL << (bits - 1)) && v < (1LL << (bits - 1)));
}
static bool uint_fits(lp__type t, uint64_t v) {
  int bits = type_bits(t);
  return bits == 64 || v < (1ULL << bits);
}

static bool is_uint_t(lp__type t) { return t >= LP__TYPE_UINT8 && t <= LP__TYPE_UINT64; }
static bool is_sint_t(lp__type t) { return t >= LP__TYPE_INT8 && t <= LP__TYPE_INT64; }

/* Converts row j of a into o; false when the value does not convert. */
static bool cast_one(const vnode *to, const vnode *from, const lp__vslot *a, int64_t j, lp__vslot *o, char *scratch,
                     size_t *scratch_len) {
  lp__type ft = from->type, tt = to->type;
  if (from->rep == R_STR) {
    const uint8_t *s = a->v.s[j].p;
    size_t n = a->v.s[j].n;
    if (to->rep == R_STR) return o->v.s[j] = a->v.s[j], true;
    if (tt == LP__TYPE_BOOL) return text_to_bool(s, n, &o->v.i[j]);
    if (is_sint_t(tt)) return text_to_i64(s, n, &o->v.i[j]) && sint_fits(tt, o->v.i[j]);
    if (is_uint_t(tt)) return text_to_u64(s, n, &o->v.u[j]) && uint_fits(tt, o->v.u[j]);
    if (to->rep == R_F64) return text_to_f64(s, n, &o->v.f[j]) && (o->v.f[j] = round_to(tt, o->v.f[j]), true);
    if (tt == LP__TYPE_DATE32) return lp__pred_text_to_date((const char *)s, n, &o->v.i[j]);
    if (tt == LP__TYPE_TIMESTAMP) {
      int64_t ns;
      if (!lp__pred_text_to_timestamp((const char *)s, n, &ns)) return false;
      o->v.i[j] = floor_div(ns, 1000000000 / unit_per_s(to->unit));
      return true;
    }
    return false;
  }
  if (to->rep == R_STR) { /* integers and booleans to text */
    int len;
    if (ft == LP__TYPE_BOOL) len = snprintf(scratch, 32, "%s", a->v.i[j] ? "true" : "false");
    else if (from->rep == R_U64) len = snprintf(scratch, 32, "%" PRIu64, a->v.u[j]);
    else len = snprintf(scratch, 32, "%" PRId64, a->v.i[j]);
    o->v.s[j] = (vstr){(const uint8_t *)scratch, (size_t)len};
    *scratch_len = (size_t)len;
    return true;
  }
  if (ft == LP__TYPE_DATE32 || ft == LP__TYPE_TIMESTAMP) {
    int64_t v = a->v.i[j];
    if (ft == LP__TYPE_DATE32 && tt == LP__TYPE_TIMESTAMP)
      return !__builtin_mul_overflow(v, 86400 * unit_per_s(to->unit), &o->v.i[j]);
    if (ft == LP__TYPE_TIMESTAMP && tt == LP__TYPE_DATE32)
      return o->v.i[j] = floor_div(v, 86400 * unit_per_s(from->unit)), true;
    if (ft == LP__TYPE_TIMESTAMP && tt == LP__TYPE_TIMESTAMP) {
      if (to->unit < from->unit) /* coarser: Arrow divides, truncating toward zero */
        return o->v.i[j] = v / (unit_per_s(from->unit) / unit_per_s(to->unit)), true;
      return !__builtin_mul_overflow(v, unit_per_s(to->unit) / unit_per_s(from->unit), &o->v.i[j]);
    }
    return o->v.i[j] = v, true;
  }
  /* numbers and booleans */
  if (tt == LP__TYPE_BOOL) {
    o->v.i[j] = from->rep == R_F64 ? a->v.f[j] != 0 : from->rep == R_U64 ? a->v.u[j] != 0 : a->v.i[j] != 0;
    return true;
  }
  if (from->rep == R_F64) {
    double d = a->v.f[j];
    if (to->rep == R_F64) return o->v.f[j] = round_to(tt, d), true;
    if (!fits_int(tt, d)) return false;
    if (to->rep == R_U64) o->v.u[j] = (uint64_t)trunc(d);
    else o->v.i[j] = (int64_t)trunc(d);
    return true;
  }
  if (from->rep == R_U64) {
    uint64_t u = a->v.u[j];
    if (to->rep == R_F64) return o->v.f[j] = round_to(tt, (double)u), true;
    if (to->rep == R_U64) return o->v.u[j] = u, uint_fits(tt, u);
    return o->v.i[j] = (int64_t)u, u <= INT64_MAX && sint_fits(tt, (int64_t)u);
  }
  int64_t i = a->v.i[j]; /* signed integers and booleans */
  if (to->rep == R_F64) return o->v.f[j] = round_to(tt, (double)i), true;
  if (to->rep == R_U64) return o->v.u[j] = (uint64_t)i, i >= 0 && uint_fits(tt, (uint64_t)i);
  return o->v.i[j] = i, sint_fits(tt, i);
}

static void describe_value(const vnode *from, const lp__vslot *a, int64_t j, char *buf, size_t cap) {
  switch (from->rep) {
  case R_I64: snprintf(buf, cap, "%" PRId64, a->v.i[j]); break;
  case R_U64: snprintf(buf, cap, "%" PRIu64, a->v.u[j]); break;
  case R_F64: snprintf(buf, cap, "%g", a->v.f[j]); break;
  case R_STR: snprintf(buf, cap, "'%.*s'", (int)(a->v.s[j].n > 40 ? 40 : a->v.s[j].n), (const char *)a->v.s[j].p); break;
  }
}

static lp_status eval_cast(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  const vnode *from = v->args[0];
  const lp__vslot *a = &x->slots[from->slot];
  for (int64_t w = 0; w < x->nw; w++) o->valid[w] = a->valid[w] & (from->rep == R_STR ? act[w] : rows_of(v, act, w));
  bool to_text = v->rep == R_STR && from->rep != R_STR;
  if (to_text) { /* at most 21 bytes a number */
    size_t rows = 0;
    for (int64_t w = 0; w < x->nw; w++) rows += (size_t)__builtin_popcountll(o->valid[w]);
    if (!lp__vslot_reserve(o, rows * 32)) return oom(x);
  }
  size_t at = 0;
  FOR_ROWS(o->valid, j) {
    size_t len = 0;
    char *scratch = to_text ? (char *)o->arena + at : NULL;
    if (!cast_one(v, from, a, j, o, scratch, &len)) {
      if (v->try_cast) {
        o->valid[j / 64] &= ~(1ULL << (j % 64));
        continue;
      }
      char val[64], msg[160];
      describe_value(from, a, j, val, sizeof val);
      snprintf(msg, sizeof msg, "cannot cast value %s to %s", val, lp__pred_type_name(v->type));
      return run_error(x, v, msg);
    }
    at += len;
  }
  return LP_OK;
}

/* ---- the walk ------------------------------------------------------------------------------------- */

lp_status lp__veval(lp__ectx *x, const vnode *v, const uint64_t *act) {
  lp__vslot *o = &x->slots[v->slot];
  for (size_t i = 0; i < v->n_args; i++) LP_TRY(lp__veval(x, v->args[i], act));
  switch (v->kind) {
  case V_CONST: eval_const(x, v, o); return LP_OK;
  case V_COL: return eval_column(x, v, act, o);
  case V_NEG: eval_neg(x, v, o); return LP_OK;
  case V_ARITH: return eval_arith(x, v, act, o);
  case V_CAST: return eval_cast(x, v, act, o);
  case V_FUNC: {
    const lp__vfunc_def *def = lp__vfunc_get(v->fn);
    if (def == NULL) return lp_error_set(x->err, LP_EINVAL, "predicate: unknown function id %d", v->fn);
    return def->eval(x, v, act, o);
  }
  }
  return lp_error_set(x->err, LP_EINVAL, "predicate: unknown value node kind %d", (int)v->kind);
}

/* Constant folding: evaluate the node on one row with its constant operands, then keep the value. */
bool lp__vfold(vnode *v) {
  if (v->kind == V_CONST || v->kind == V_COL || v->n_args > LP__VFUNC_MAX_ARGS) return false;
  if (v->kind == V_FUNC) {
    const lp__vfunc_def *def = lp__vfunc_get(v->fn);
    if (def == NULL || def->is_volatile) return false;
  }
  for (size_t i = 0; i < v->n_args; i++)
    if (v->args[i]->kind != V_CONST) return false;
  /* Slots 0..n-1 for the operands, n for the node, on a one-row chunk. */
  size_t n = v->n_args;
  lp__vslot *slots = calloc(n + 1, sizeof *slots);
  if (slots == NULL) return false;
  int saved[LP__VFUNC_MAX_ARGS + 1];
  for (size_t i = 0; i < n; i++) saved[i] = v->args[i]->slot, v->args[i]->slot = (int)i;
  saved[n] = v->slot;
  v->slot = (int)n;
  lp_error err = {0};
  lp__ectx x = {.slots = slots, .cnt = 1, .nw = 1, .err = &err};
  uint64_t act = 1;
  bool ok = lp__veval(&x, v, &act) == LP_OK;
  for (size_t i = 0; i < n; i++) v->args[i]->slot = saved[i];
  v->slot = saved[n];
  const lp__vslot *o = &slots[n];
  if (ok) {
    bool is_null = (o->valid[0] & 1) == 0;
    uint8_t *copy = NULL;
    if (!is_null && v->rep == R_STR) {
      copy = malloc(o->v.s[0].n + 1);
      if (copy == NULL) ok = false;
      else if (o->v.s[0].n) memcpy(copy, o->v.s[0].p, o->v.s[0].n);
    }
    if (ok) {
      for (size_t i = 0; i < n; i++) lp__vnode_free(v->args[i]);
      free(v->args);
      v->args = NULL;
      v->n_args = 0;
      v->kind = V_CONST;
      v->is_null = is_null;
      if (!is_null) {
        if (v->rep == R_STR) v->ks.p = copy, v->ks.n = o->v.s[0].n;
        else if (v->rep == R_U64) v->ku = o->v.u[0];
        else if (v->rep == R_F64) v->kf = o->v.f[0];
        else v->ki = o->v.i[0];
      }
    }
  }
  for (size_t i = 0; i <= n; i++) free(slots[i].arena);
  free(slots);
  return ok;
}
