/* Scalar functions of predicates, as DataFusion defines them (LanceDB 0.31.0 hands every function call
 * to DataFusion): each has a typing rule, which coerces its arguments the way DataFusion's signatures do,
 * and a kernel over a chunk of rows. Strings are UTF-8 and lengths and positions count characters.
 * Written here because no Debian package provides DataFusion's function library. */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "query/predicate_func.h"

enum {
  F_LENGTH, F_OCTET_LENGTH, F_LOWER, F_UPPER, F_STARTS_WITH, F_ENDS_WITH, F_CONTAINS, F_STRPOS, F_ABS,
  F_COALESCE, F_NULLIF,
};

#define ARG(k) (&x->slots[v->args[k]->slot])

static bool is_str_t(lp__type t) {
  return t == LP__TYPE_UTF8 || t == LP__TYPE_LARGE_UTF8;
}
static bool is_null_const(const vnode *a) { return a->kind == V_CONST && a->is_null; }
static bool is_num_t(lp__type t) { return t >= LP__TYPE_INT8 && t <= LP__TYPE_FLOAT64; }

static lp_status arg_error(lp__binder *bd, const lp__vfunc_def *def, size_t k, const vnode *a, const char *want,
                           uint32_t pos) {
  return lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: argument %zu of %s must be %s, not %s", pos, k + 1,
                      def->name, want, is_null_const(a) ? "NULL" : lp__pred_type_name(a->type));
}

/* Every argument a string (a NULL literal counts as one). */
static lp_status want_strings(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos) {
  for (size_t k = 0; k < n; k++) {
    if (is_null_const(args[k])) LP_TRY(lp__vcoerce_arg(bd, &args[k], LP__TYPE_UTF8, pos));
    if (!is_str_t(args[k]->type)) return arg_error(bd, def, k, args[k], "a string", pos);
  }
  return LP_OK;
}

static lp_status type_length(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                             lp__type *out) {
  LP_TRY(want_strings(bd, def, args, n, pos));
  *out = args[0]->type == LP__TYPE_LARGE_UTF8 ? LP__TYPE_INT64 : LP__TYPE_INT32;
  return LP_OK;
}

static lp_status type_str_to_str(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                                 lp__type *out) {
  LP_TRY(want_strings(bd, def, args, n, pos));
  *out = LP__TYPE_UTF8;
  return LP_OK;
}

static lp_status type_str_test(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                               lp__type *out) {
  LP_TRY(want_strings(bd, def, args, n, pos));
  *out = def->id == F_STRPOS ? LP__TYPE_INT32 : LP__TYPE_BOOL;
  return LP_OK;
}

static lp_status type_abs(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                          lp__type *out) {
  (void)n;
  if (is_null_const(args[0])) LP_TRY(lp__vcoerce_arg(bd, &args[0], LP__TYPE_INT64, pos));
  if (!is_num_t(args[0]->type)) return arg_error(bd, def, 0, args[0], "a number", pos);
  *out = args[0]->type;
  return LP_OK;
}

/* All arguments in their common type, which is the result's. */
static lp_status type_common(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                             lp__type *out) {
  (void)def;
  size_t first = 0;
  while (first + 1 < n && is_null_const(args[first])) first++;
  for (size_t k = 0; k < n; k++) {
    if (k == first) continue;
    lp__type t;
    LP_TRY(lp__vcoerce_common(bd, &args[first], &args[k], pos, &t));
  }
  /* A second pass: an argument seen early may need the type widened by a later one. */
  for (size_t k = 0; k < n; k++) {
    if (k == first) continue;
    lp__type t;
    LP_TRY(lp__vcoerce_common(bd, &args[first], &args[k], pos, &t));
  }
  *out = is_null_const(args[first]) ? LP__TYPE_INT64 : args[first]->type;
  if (*out == LP__TYPE_NULL) *out = LP__TYPE_INT64;
  for (size_t k = 0; k < n; k++) LP_TRY(lp__vcoerce_arg(bd, &args[k], *out, pos));
  return LP_OK;
}

/* ---- UTF-8 ---------------------------------------------------------------------------------------- */

static size_t utf8_chars(const uint8_t *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) c += (s[i] & 0xC0) != 0x80;
  return c;
}

/* Decodes one code point at s[*i] (advancing *i); invalid bytes decode as themselves. */
static uint32_t utf8_next(const uint8_t *s, size_t n, size_t *i) {
  uint8_t c = s[*i];
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (*i + (size_t)len > n) len = 1;
  uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
  for (int k = 1; k < len; k++) cp = cp << 6 | (s[*i + (size_t)k] & 0x3F);
  *i += (size_t)len;
  return cp;
}

static size_t utf8_put(uint8_t *o, uint32_t cp) {
  if (cp < 0x80) return o[0] = (uint8_t)cp, 1;
  if (cp < 0x800) return o[0] = (uint8_t)(0xC0 | cp >> 6), o[1] = (uint8_t)(0x80 | (cp & 0x3F)), 2;
  if (cp < 0x10000)
    return o[0] = (uint8_t)(0xE0 | cp >> 12), o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)),
           o[2] = (uint8_t)(0x80 | (cp & 0x3F)), 3;
  return o[0] = (uint8_t)(0xF0 | cp >> 18), o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F)),
         o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (uint8_t)(0x80 | (cp & 0x3F)), 4;
}

/* Unicode simple case mappings from the C library's C.UTF-8 locale (Rust's to_lowercase/to_uppercase
 * use the full mappings; the few multi-character ones, such as ß to SS, are not reproduced). */
static locale_t g_utf8;
static pthread_once_t g_utf8_once = PTHREAD_ONCE_INIT;
static void utf8_locale_init(void) { g_utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }

static uint32_t case_map(uint32_t cp, bool upper) {
  if (cp < 0x80) return upper ? (cp >= 'a' && cp <= 'z' ? cp - 32 : cp) : (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
  if (g_utf8 == (locale_t)0) return cp;
  return (uint32_t)(upper ? towupper_l((wint_t)cp, g_utf8) : towlower_l((wint_t)cp, g_utf8));
}

/* ---- kernels -------------------------------------------------------------------------------------- */

#define FOR_LIVE(mask, j)                                                        \
  for (int64_t w_ = 0; w_ < x->nw; w_++)                                         \
    for (uint64_t m_ = (mask)[w_]; m_ != 0; m_ &= m_ - 1)                        \
      for (int64_t j = w_ * 64 + __builtin_ctzll(m_), once_ = 1; once_; once_ = 0)

/* out valid = act and every argument valid (NULL in, NULL out). */
static void strict_valid(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  for (int64_t w = 0; w < x->nw; w++) {
    uint64_t m = act[w];
    for (size_t k = 0; k < v->n_args; k++) m &= x->slots[v->args[k]->slot].valid[w];
    o->valid[w] = m;
  }
}

static lp_status eval_length(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0);
  bool bytes = v->fn == F_OCTET_LENGTH;
  FOR_LIVE(o->valid, j) o->v.i[j] = (int64_t)(bytes ? a->v.s[j].n : utf8_chars(a->v.s[j].p, a->v.s[j].n));
  return LP_OK;
}

static lp_status eval_case(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0);
  bool upper = v->fn == F_UPPER;
  pthread_once(&g_utf8_once, utf8_locale_init);
  size_t need = 0;
  FOR_LIVE(o->valid, j) need += a->v.s[j].n * 2 + 4; /* a mapping can at most double a character's bytes */
  if (!lp__vslot_reserve(o, need)) return lp_error_set(x->err, LP_ENOMEM, "predicate: eval: out of memory");
  size_t at = 0;
  FOR_LIVE(o->valid, j) {
    const uint8_t *s = a->v.s[j].p;
    size_t n = a->v.s[j].n, i = 0;
    uint8_t *dst = o->arena + at, *p = dst;
    while (i < n) p += utf8_put(p, case_map(utf8_next(s, n, &i), upper));
    o->v.s[j] = (vstr){dst, (size_t)(p - dst)};
    at += (size_t)(p - dst);
  }
  return LP_OK;
}

static const uint8_t *find_bytes(const uint8_t *h, size_t hn, const uint8_t *nd, size_t nn) {
  if (nn == 0) return h;
  if (nn > hn) return NULL;
  return memmem(h, hn, nd, nn);
}

static lp_status eval_str_test(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0), *b = ARG(1);
  FOR_LIVE(o->valid, j) {
    const uint8_t *s = a->v.s[j].p, *t = b->v.s[j].p;
    size_t sn = a->v.s[j].n, tn = b->v.s[j].n;
    int64_t r;
    switch (v->fn) {
    case F_STARTS_WITH: r = tn <= sn && (tn == 0 || memcmp(s, t, tn) == 0); break;
    case F_ENDS_WITH: r = tn <= sn && (tn == 0 || memcmp(s + sn - tn, t, tn) == 0); break;
    case F_CONTAINS: r = find_bytes(s, sn, t, tn) != NULL; break;
    default: { /* strpos: 1-based character position, 0 when absent */
      const uint8_t *hit = find_bytes(s, sn, t, tn);
      r = hit == NULL ? 0 : (int64_t)utf8_chars(s, (size_t)(hit - s)) + 1;
      break;
    }
    }
    o->v.i[j] = r;
  }
  return LP_OK;
}

static lp_status eval_abs(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0);
  if (v->rep == R_F64) {
    FOR_LIVE(o->valid, j) o->v.f[j] = fabs(a->v.f[j]);
  } else if (v->rep == R_U64) {
    FOR_LIVE(o->valid, j) o->v.u[j] = a->v.u[j];
  } else {
    int bits = lp__pred_int_bits(v->type);
    int64_t min = bits == 64 ? INT64_MIN : -(1LL << (bits - 1));
    FOR_LIVE(o->valid, j) {
      if (a->v.i[j] == min)
        return lp_error_set(x->err, LP_EINVAL, "predicate: at character %u: abs overflows %s", v->pos,
                            lp__pred_type_name(v->type));
      o->v.i[j] = a->v.i[j] < 0 ? -a->v.i[j] : a->v.i[j];
    }
  }
  return LP_OK;
}

static void copy_value(lp__vslot *o, const lp__vslot *a, int64_t j, vrep rep) {
  switch (rep) {
  case R_I64: o->v.i[j] = a->v.i[j]; break;
  case R_U64: o->v.u[j] = a->v.u[j]; break;
  case R_F64: o->v.f[j] = a->v.f[j]; break;
  case R_STR: o->v.s[j] = a->v.s[j]; break;
  }
}

static lp_status eval_coalesce(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  uint64_t left[LP__CHUNK_WORDS];
  for (int64_t w = 0; w < x->nw; w++) left[w] = act[w], o->valid[w] = 0;
  for (size_t k = 0; k < v->n_args; k++) {
    const lp__vslot *a = ARG(k);
    uint64_t take[LP__CHUNK_WORDS];
    for (int64_t w = 0; w < x->nw; w++) take[w] = left[w] & a->valid[w], left[w] &= ~take[w], o->valid[w] |= take[w];
    FOR_LIVE(take, j) copy_value(o, a, j, v->rep);
  }
  return LP_OK;
}

static bool same_value(const lp__vslot *a, const lp__vslot *b, int64_t j, vrep rep) {
  switch (rep) {
  case R_I64: return a->v.i[j] == b->v.i[j];
  case R_U64: return a->v.u[j] == b->v.u[j];
  case R_F64: return a->v.f[j] == b->v.f[j] || (isnan(a->v.f[j]) && isnan(b->v.f[j]));
  case R_STR: return a->v.s[j].n == b->v.s[j].n && (a->v.s[j].n == 0 || memcmp(a->v.s[j].p, b->v.s[j].p, a->v.s[j].n) == 0);
  }
  return false;
}

static lp_status eval_nullif(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  const lp__vslot *a = ARG(0), *b = ARG(1);
  for (int64_t w = 0; w < x->nw; w++) o->valid[w] = a->valid[w] & act[w];
  FOR_LIVE(o->valid, j) {
    if ((b->valid[j / 64] >> (j % 64) & 1) && same_value(a, b, j, v->rep)) o->valid[j / 64] &= ~(1ULL << (j % 64));
    else copy_value(o, a, j, v->rep);
  }
  return LP_OK;
}

/* ---- the table ------------------------------------------------------------------------------------ */

static const lp__vfunc_def g_funcs[] = {
    {"length", F_LENGTH, 1, 1, type_length, eval_length, false},
    {"char_length", F_LENGTH, 1, 1, type_length, eval_length, false},
    {"character_length", F_LENGTH, 1, 1, type_length, eval_length, false},
    {"octet_length", F_OCTET_LENGTH, 1, 1, type_length, eval_length, false},
    {"lower", F_LOWER, 1, 1, type_str_to_str, eval_case, false},
    {"upper", F_UPPER, 1, 1, type_str_to_str, eval_case, false},
    {"starts_with", F_STARTS_WITH, 2, 2, type_str_test, eval_str_test, false},
    {"ends_with", F_ENDS_WITH, 2, 2, type_str_test, eval_str_test, false},
    {"contains", F_CONTAINS, 2, 2, type_str_test, eval_str_test, false},
    {"strpos", F_STRPOS, 2, 2, type_str_test, eval_str_test, false},
    {"instr", F_STRPOS, 2, 2, type_str_test, eval_str_test, false},
    {"abs", F_ABS, 1, 1, type_abs, eval_abs, false},
    {"coalesce", F_COALESCE, 1, LP__VFUNC_MAX_ARGS, type_common, eval_coalesce, false},
    {"nullif", F_NULLIF, 2, 2, type_common, eval_nullif, false},
};

const lp__vfunc_def *lp__vfunc_find(const char *name) {
  for (size_t i = 0; i < sizeof g_funcs / sizeof g_funcs[0]; i++)
    if (strcmp(g_funcs[i].name, name) == 0) return &g_funcs[i];
  return NULL;
}

const lp__vfunc_def *lp__vfunc_get(int id) {
  for (size_t i = 0; i < sizeof g_funcs / sizeof g_funcs[0]; i++)
    if (g_funcs[i].id == id) return &g_funcs[i];
  return NULL;
}
