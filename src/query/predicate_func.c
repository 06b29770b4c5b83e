/* Scalar functions of predicates, as DataFusion defines them (LanceDB 0.31.0 hands every function call
 * to DataFusion): each has a typing rule, which coerces its arguments the way DataFusion's signatures do,
 * and a kernel over a chunk of rows. Strings are UTF-8 and lengths and positions count characters.
 * Written here because no Debian package provides DataFusion's function library. */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <wctype.h>

#include "query/predicate_func.h"
#include "query/predicate_regex.h"

enum {
  F_LENGTH, F_OCTET_LENGTH, F_LOWER, F_UPPER, F_STARTS_WITH, F_ENDS_WITH, F_CONTAINS, F_STRPOS, F_ABS,
  F_COALESCE, F_NULLIF, F_LEFT, F_RIGHT, F_BTRIM, F_LTRIM, F_RTRIM, F_REPLACE, F_CONCAT, F_CONCAT_WS, F_LPAD,
  F_RPAD, F_REVERSE, F_SPLIT_PART, F_REPEAT, F_ASCII, F_ROUND, F_TRUNC, F_SQRT, F_EXP, F_LN, F_LOG10, F_LOG,
  F_SIGNUM, F_POWER, F_GREATEST, F_LEAST, F_NOW, F_CURRENT_DATE, F_DATE_PART, F_DATE_TRUNC, F_TO_TIMESTAMP,
  F_INITCAP, F_REGEXP_LIKE, F_REGEXP_MATCH, F_REGEXP_REPLACE,
};

/* Longest string a function may build (lpad, repeat): beyond it the row is an error, not an allocation. */
#define MAX_BUILT_BYTES (1u << 20)
/* What replace may add to one row's string (its input may be longer than MAX_BUILT_BYTES). */
#define MAX_GROWTH_BYTES (64u << 20)


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

static lp_status want_arg(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t k, int w, uint32_t pos);

static lp_status type_length(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                             lp__type *out) {
  (void)n;
  if (!is_str_t(args[0]->type)) LP_TRY(want_arg(bd, def, args, 0, 3 /* W_TEXTABLE */, pos));
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
  *out = def->id == F_STRPOS || def->id == F_ASCII ? LP__TYPE_INT32 : LP__TYPE_BOOL;
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
    while (i < n) {
      if (s[i] < 0x80) { /* ASCII, byte by byte */
        uint8_t c = s[i++];
        *p++ = upper ? (c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c) : (c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c);
        continue;
      }
      p += utf8_put(p, case_map(utf8_next(s, n, &i), upper));
    }
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

/* ---- typing helpers for the second group ---------------------------------------------------------- */

typedef enum want { W_STR, W_INT, W_NUM, W_TEXTABLE, W_TIME } want;

/* Coerces args[k] to what the function takes: W_INT to int64, W_NUM to a number (kept), W_TEXTABLE to a
 * string (from a string, an integer or a boolean), W_TIME to a date or timestamp (kept). */
static lp_status want_arg(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t k, int w, uint32_t pos) {
  vnode *a = args[k];
  lp__type t = a->type;
  switch ((want)w) {
  case W_STR:
    if (is_null_const(a) || is_str_t(t)) return lp__vcoerce_arg(bd, &args[k], is_null_const(a) ? LP__TYPE_UTF8 : t, pos);
    return arg_error(bd, def, k, a, "a string", pos);
  case W_INT:
    if (is_null_const(a) || (t >= LP__TYPE_INT8 && t <= LP__TYPE_UINT64 && t != LP__TYPE_UINT64))
      return lp__vcoerce_arg(bd, &args[k], LP__TYPE_INT64, pos);
    return arg_error(bd, def, k, a, "an integer", pos);
  case W_NUM:
    if (is_null_const(a)) return lp__vcoerce_arg(bd, &args[k], LP__TYPE_FLOAT64, pos);
    if (is_num_t(t)) return LP_OK;
    return arg_error(bd, def, k, a, "a number", pos);
  case W_TEXTABLE:
    if (is_null_const(a) || is_str_t(t) || t == LP__TYPE_BOOL || (t >= LP__TYPE_INT8 && t <= LP__TYPE_UINT64))
      return lp__vcoerce_arg(bd, &args[k], LP__TYPE_UTF8, pos);
    return arg_error(bd, def, k, a, "a string or an integer", pos);
  case W_TIME:
    if (t == LP__TYPE_DATE32 || t == LP__TYPE_TIMESTAMP) return LP_OK;
    if (is_null_const(a)) return lp__vcoerce_arg(bd, &args[k], LP__TYPE_DATE32, pos);
    return arg_error(bd, def, k, a, "a date or a timestamp", pos);
  }
  return LP_OK;
}

static lp_status type_str_int(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                              lp__type *out) {
  /* left, right, repeat: (string, int); lpad, rpad: (string, int [, string]); split_part (string, string, int) */
  for (size_t k = 0; k < n; k++) {
    bool is_int = def->id == F_SPLIT_PART ? k == 2 : k == 1;
    LP_TRY(want_arg(bd, def, args, k, is_int ? W_INT : W_STR, pos));
  }
  *out = LP__TYPE_UTF8;
  return LP_OK;
}

static lp_status type_concat(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                             lp__type *out) {
  for (size_t k = 0; k < n; k++) LP_TRY(want_arg(bd, def, args, k, W_TEXTABLE, pos));
  *out = LP__TYPE_UTF8;
  return LP_OK;
}

/* Math on floats: integers become float64, float32 stays float32. */
static lp_status type_math(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                           lp__type *out) {
  if (def->id == F_ROUND || def->id == F_TRUNC) {
    LP_TRY(want_arg(bd, def, args, 0, W_NUM, pos));
    if (n > 1) LP_TRY(want_arg(bd, def, args, 1, W_INT, pos));
    *out = args[0]->type == LP__TYPE_FLOAT32 ? LP__TYPE_FLOAT32 : LP__TYPE_FLOAT64;
    return lp__vcoerce_arg(bd, &args[0], *out, pos);
  }
  bool all_f32 = true;
  for (size_t k = 0; k < n; k++) {
    LP_TRY(want_arg(bd, def, args, k, W_NUM, pos));
    all_f32 &= args[k]->type == LP__TYPE_FLOAT32;
  }
  *out = all_f32 && def->id != F_POWER && def->id != F_LOG ? LP__TYPE_FLOAT32 : LP__TYPE_FLOAT64;
  for (size_t k = 0; k < n; k++) LP_TRY(lp__vcoerce_arg(bd, &args[k], *out, pos));
  return LP_OK;
}

static lp_status type_now(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                          lp__type *out) {
  (void)bd, (void)args, (void)n, (void)pos;
  *out = def->id == F_NOW ? LP__TYPE_TIMESTAMP : LP__TYPE_DATE32;
  return LP_OK;
}

static bool const_text(const vnode *a, const char *const *names, size_t n_names, size_t *which) {
  if (a->kind != V_CONST || a->is_null || a->rep != R_STR) return false;
  for (size_t i = 0; i < n_names; i++)
    if (strlen(names[i]) == a->ks.n && strncasecmp((const char *)a->ks.p, names[i], a->ks.n) == 0) return *which = i, true;
  return false;
}

static const char *const g_parts[] = {"year", "quarter", "month", "week", "day", "hour", "minute", "second",
                                      "millisecond", "microsecond", "nanosecond", "dow", "doy", "epoch"};
enum { P_YEAR, P_QUARTER, P_MONTH, P_WEEK, P_DAY, P_HOUR, P_MINUTE, P_SECOND, P_MS, P_US, P_NS, P_DOW, P_DOY, P_EPOCH };
#define N_PARTS (sizeof g_parts / sizeof g_parts[0])

static lp_status type_date_fn(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                              lp__type *out) {
  (void)n;
  size_t which;
  size_t n_names = def->id == F_DATE_PART ? N_PARTS : P_US + 1;
  if (!const_text(args[0], g_parts, n_names, &which))
    return lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: the first argument of %s must be a quoted part such as 'month'",
                        pos, def->name);
  if (def->id == F_DATE_TRUNC && (which == P_NS)) return arg_error(bd, def, 0, args[0], "a coarser unit", pos);
  LP_TRY(want_arg(bd, def, args, 1, W_TIME, pos));
  if (def->id == F_DATE_PART) {
    *out = which == P_EPOCH ? LP__TYPE_FLOAT64 : LP__TYPE_INT32;
    return LP_OK;
  }
  *out = LP__TYPE_TIMESTAMP;
  if (args[1]->type == LP__TYPE_DATE32) LP_TRY(lp__vcoerce_arg(bd, &args[1], LP__TYPE_TIMESTAMP, pos));
  return LP_OK;
}

static lp_status type_to_timestamp(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                                   lp__type *out) {
  (void)n;
  lp__type t = args[0]->type;
  *out = LP__TYPE_TIMESTAMP;
  if (is_str_t(t) || is_null_const(args[0])) return lp__vcoerce_arg(bd, &args[0], LP__TYPE_TIMESTAMP, pos);
  if (t >= LP__TYPE_INT8 && t <= LP__TYPE_UINT32) return lp__vcoerce_arg(bd, &args[0], LP__TYPE_INT64, pos);
  if (t == LP__TYPE_INT64 || t == LP__TYPE_TIMESTAMP) return LP_OK;
  return arg_error(bd, def, 0, args[0], "a string or an integer (seconds)", pos);
}

/* ---- string kernels of the second group ----------------------------------------------------------- */

/* Byte offset of character `chars` of s (n when past the end). */
static size_t char_offset(const uint8_t *s, size_t n, size_t chars) {
  size_t i = 0;
  while (i < n && chars > 0) {
    i++;
    while (i < n && (s[i] & 0xC0) == 0x80) i++;
    chars--;
  }
  return i;
}

/* Writes `total` bytes (a multiple of n) of src repeated, doubling what is written: few large copies. */
static void repeat_bytes(uint8_t *dst, const uint8_t *src, size_t n, size_t total) {
  if (total == 0 || n == 0) return;
  memcpy(dst, src, n);
  for (size_t done = n; done < total;) {
    size_t c = done < total - done ? done : total - done;
    memcpy(dst + done, dst, c);
    done += c;
  }
}

static lp_status too_long(lp__ectx *x, const vnode *v) {
  return lp_error_set(x->err, LP_EINVAL, "predicate: at character %u: %s would build a string longer than %u bytes",
                      v->pos, lp__vfunc_get(v->fn)->name, v->fn == F_REPLACE ? MAX_GROWTH_BYTES : MAX_BUILT_BYTES);
}

static lp_status eval_left_right(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0), *b = ARG(1);
  FOR_LIVE(o->valid, j) {
    const uint8_t *s = a->v.s[j].p;
    size_t n = a->v.s[j].n, len = utf8_chars(s, n);
    int64_t k = b->v.i[j];
    size_t keep = k >= 0 ? ((uint64_t)k < len ? (size_t)k : len) : ((uint64_t)-k < len ? len - (size_t)-k : 0);
    size_t from = v->fn == F_LEFT ? 0 : char_offset(s, n, len - keep);
    size_t to = v->fn == F_LEFT ? char_offset(s, n, keep) : n;
    o->v.s[j] = (vstr){s + from, to - from};
  }
  return LP_OK;
}

/* Is code point cp among the characters of set? */
static bool in_set(uint32_t cp, const uint8_t *set, size_t n) {
  size_t i = 0;
  while (i < n)
    if (utf8_next(set, n, &i) == cp) return true;
  return false;
}

static lp_status eval_trim(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0), *b = v->n_args > 1 ? ARG(1) : NULL;
  FOR_LIVE(o->valid, j) {
    const uint8_t *s = a->v.s[j].p, *set = b ? b->v.s[j].p : (const uint8_t *)" ";
    size_t n = a->v.s[j].n, sn = b ? b->v.s[j].n : 1, from = 0, to = n;
    if (v->fn != F_RTRIM)
      while (from < to) {
        size_t i = from;
        if (!in_set(utf8_next(s, to, &i), set, sn)) break;
        from = i;
      }
    if (v->fn != F_LTRIM)
      while (to > from) {
        size_t k = to - 1;
        while (k > from && (s[k] & 0xC0) == 0x80) k--;
        size_t i = k;
        if (!in_set(utf8_next(s, to, &i), set, sn)) break;
        to = k;
      }
    o->v.s[j] = (vstr){s + from, to - from};
  }
  return LP_OK;
}

static lp_status eval_replace(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0), *b = ARG(1), *c = ARG(2);
  size_t need = 0;
  FOR_LIVE(o->valid, j) {
    size_t n = a->v.s[j].n, fn = b->v.s[j].n, tn = c->v.s[j].n;
    size_t hits = 0; /* the matches, counted exactly, so the result's size is known */
    if (fn == 0) {
      hits = utf8_chars(a->v.s[j].p, n) + 1;
    } else {
      for (size_t i = 0; i + fn <= n;) {
        const uint8_t *hit = find_bytes(a->v.s[j].p + i, n - i, b->v.s[j].p, fn);
        if (hit == NULL) break;
        hits++;
        i = (size_t)(hit - a->v.s[j].p) + fn;
      }
    }
    if (tn > 0 && hits > MAX_GROWTH_BYTES / tn) return too_long(x, v);
    need += n + hits * tn;
  }
  if (!lp__vslot_reserve(o, need)) return lp_error_set(x->err, LP_ENOMEM, "predicate: eval: out of memory");
  size_t at = 0;
  FOR_LIVE(o->valid, j) {
    const uint8_t *s = a->v.s[j].p, *f = b->v.s[j].p, *t = c->v.s[j].p;
    size_t n = a->v.s[j].n, fn = b->v.s[j].n, tn = c->v.s[j].n, i = 0;
    uint8_t *dst = o->arena + at, *p = dst;
    if (fn == 0) { /* as Rust's str::replace: the replacement goes between every character and at both ends */
      for (;;) {
        if (tn) memcpy(p, t, tn), p += tn;
        if (i >= n) break;
        size_t k = i;
        utf8_next(s, n, &k);
        memcpy(p, s + i, k - i), p += k - i, i = k;
      }
    } else {
      while (i < n) {
        const uint8_t *hit = find_bytes(s + i, n - i, f, fn);
        size_t upto = hit ? (size_t)(hit - s) : n;
        if (upto > i) memcpy(p, s + i, upto - i), p += upto - i;
        if (!hit) break;
        if (tn) memcpy(p, t, tn), p += tn;
        i = upto + fn;
      }
    }
    o->v.s[j] = (vstr){dst, (size_t)(p - dst)};
    at += (size_t)(p - dst);
  }
  return LP_OK;
}

/* concat ignores NULL arguments (all NULL gives ''); concat_ws puts its first argument between the
 * non-NULL others and is NULL only when that separator is. */
static lp_status eval_concat(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  bool ws = v->fn == F_CONCAT_WS;
  size_t first = ws ? 1 : 0;
  for (int64_t w = 0; w < x->nw; w++) o->valid[w] = act[w] & (ws ? ARG(0)->valid[w] : ~0ULL);
  size_t need = 0;
  FOR_LIVE(o->valid, j) {
    for (size_t k = first; k < v->n_args; k++) need += ARG(k)->v.s[j].n + (ws ? ARG(0)->v.s[j].n : 0);
  }
  if (!lp__vslot_reserve(o, need)) return lp_error_set(x->err, LP_ENOMEM, "predicate: eval: out of memory");
  size_t at = 0;
  FOR_LIVE(o->valid, j) {
    uint8_t *dst = o->arena + at, *p = dst;
    bool any = false;
    for (size_t k = first; k < v->n_args; k++) {
      const lp__vslot *a = ARG(k);
      if (!(a->valid[j / 64] >> (j % 64) & 1)) continue;
      if (ws && any && ARG(0)->v.s[j].n) memcpy(p, ARG(0)->v.s[j].p, ARG(0)->v.s[j].n), p += ARG(0)->v.s[j].n;
      if (a->v.s[j].n) memcpy(p, a->v.s[j].p, a->v.s[j].n), p += a->v.s[j].n;
      any = true;
    }
    o->v.s[j] = (vstr){dst, (size_t)(p - dst)};
    at += (size_t)(p - dst);
  }
  return LP_OK;
}

/* Bytes of s padded to `target` characters with the fill f (as eval_pad builds it): s itself when it is
 * long enough or the fill is empty, else s plus whole copies of the fill and the first characters of one
 * more. */
static size_t pad_bytes(const uint8_t *s, size_t n, const uint8_t *f, size_t fn, size_t target) {
  size_t chars = utf8_chars(s, n);
  if (chars >= target || fn == 0) return n;
  size_t pad = target - chars, fill_chars = utf8_chars(f, fn);
  if (fill_chars == 0) fill_chars = 1;
  return n + pad / fill_chars * fn + char_offset(f, fn, pad % fill_chars);
}

static lp_status eval_pad(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0), *b = ARG(1), *c = v->n_args > 2 ? ARG(2) : NULL;
  /* the exact bytes of each padded row, each within MAX_BUILT_BYTES, so a long fill (or one of stray bytes,
     which counts as one character) cannot make the reservation explode */
  size_t need = 0;
  FOR_LIVE(o->valid, j) {
    int64_t len = b->v.i[j];
    if (len > (int64_t)MAX_BUILT_BYTES) return too_long(x, v);
    size_t row = pad_bytes(a->v.s[j].p, a->v.s[j].n, c ? c->v.s[j].p : (const uint8_t *)" ", c ? c->v.s[j].n : 1,
                           len > 0 ? (size_t)len : 0);
    if (row > a->v.s[j].n && row > MAX_BUILT_BYTES) return too_long(x, v);
    need += row;
  }
  if (!lp__vslot_reserve(o, need)) return lp_error_set(x->err, LP_ENOMEM, "predicate: eval: out of memory");
  size_t at = 0;
  FOR_LIVE(o->valid, j) {
    const uint8_t *s = a->v.s[j].p, *f = c ? c->v.s[j].p : (const uint8_t *)" ";
    size_t n = a->v.s[j].n, fn = c ? c->v.s[j].n : 1, chars = utf8_chars(s, n);
    int64_t want_len = b->v.i[j];
    size_t target = want_len > 0 ? (size_t)want_len : 0;
    if (chars >= target || fn == 0) { /* truncate (an empty fill pads nothing) */
      o->v.s[j] = (vstr){s, char_offset(s, n, target < chars ? target : chars)};
      continue;
    }
    uint8_t *dst = o->arena + at, *p = dst;
    size_t pad = target - chars, fill_chars = utf8_chars(f, fn);
    if (fill_chars == 0) fill_chars = 1; /* a fill of stray continuation bytes counts as one character */
    if (v->fn == F_RPAD) memcpy(p, s, n), p += n;
    /* the fill's characters, cycled: whole copies of the fill, then the first characters of one more */
    size_t whole = pad / fill_chars * fn, part = char_offset(f, fn, pad % fill_chars);
    repeat_bytes(p, f, fn, whole);
    p += whole;
    memcpy(p, f, part), p += part;
    if (v->fn == F_LPAD) memcpy(p, s, n), p += n;
    o->v.s[j] = (vstr){dst, (size_t)(p - dst)};
    at += (size_t)(p - dst);
  }
  return LP_OK;
}

static lp_status eval_reverse(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0);
  size_t need = 0;
  FOR_LIVE(o->valid, j) need += a->v.s[j].n;
  if (!lp__vslot_reserve(o, need)) return lp_error_set(x->err, LP_ENOMEM, "predicate: eval: out of memory");
  size_t at = 0;
  FOR_LIVE(o->valid, j) {
    const uint8_t *s = a->v.s[j].p;
    size_t n = a->v.s[j].n, i = 0;
    uint8_t *dst = o->arena + at;
    while (i < n) { /* each character's bytes keep their order */
      size_t k = i;
      utf8_next(s, n, &k);
      memcpy(dst + n - k, s + i, k - i);
      i = k;
    }
    o->v.s[j] = (vstr){dst, n};
    at += n;
  }
  return LP_OK;
}

static lp_status eval_split_part(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0), *b = ARG(1), *c = ARG(2);
  FOR_LIVE(o->valid, j) {
    const uint8_t *s = a->v.s[j].p, *d = b->v.s[j].p;
    size_t n = a->v.s[j].n, dn = b->v.s[j].n;
    int64_t k = c->v.i[j];
    if (k == 0) return lp_error_set(x->err, LP_EINVAL, "predicate: at character %u: split_part: field position must not be zero", v->pos);
    /* the parts' bounds, counted from the front or (k < 0) from the back */
    size_t parts = 1;
    for (size_t i = 0; dn > 0 && i + dn <= n;) {
      const uint8_t *hit = find_bytes(s + i, n - i, d, dn);
      if (!hit) break;
      parts++;
      i = (size_t)(hit - s) + dn;
    }
    int64_t want_idx = k > 0 ? k - 1 : (int64_t)parts + k;
    o->v.s[j] = (vstr){s, 0};
    if (want_idx < 0 || (size_t)want_idx >= parts) continue;
    size_t start = 0, idx = 0;
    for (;;) {
      const uint8_t *hit = dn > 0 ? find_bytes(s + start, n - start, d, dn) : NULL;
      size_t end = hit ? (size_t)(hit - s) : n;
      if ((int64_t)idx == want_idx) {
        o->v.s[j] = (vstr){s + start, end - start};
        break;
      }
      if (!hit) break;
      start = end + dn;
      idx++;
    }
  }
  return LP_OK;
}

static lp_status eval_repeat(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0), *b = ARG(1);
  size_t need = 0;
  FOR_LIVE(o->valid, j) {
    int64_t k = b->v.i[j];
    if (k > 0 && (uint64_t)k * a->v.s[j].n > MAX_BUILT_BYTES) return too_long(x, v);
    need += k > 0 ? (size_t)k * a->v.s[j].n : 0;
  }
  if (!lp__vslot_reserve(o, need)) return lp_error_set(x->err, LP_ENOMEM, "predicate: eval: out of memory");
  size_t at = 0;
  FOR_LIVE(o->valid, j) {
    size_t len = b->v.i[j] > 0 ? (size_t)b->v.i[j] * a->v.s[j].n : 0;
    repeat_bytes(o->arena + at, a->v.s[j].p, a->v.s[j].n, len);
    o->v.s[j] = (vstr){o->arena + at, len};
    at += len;
  }
  return LP_OK;
}

static lp_status eval_ascii(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0);
  FOR_LIVE(o->valid, j) {
    size_t i = 0;
    o->v.i[j] = a->v.s[j].n ? (int64_t)utf8_next(a->v.s[j].p, a->v.s[j].n, &i) : 0;
  }
  return LP_OK;
}

/* ---- math ----------------------------------------------------------------------------------------- */

static double round_digits(double d, int64_t digits, bool trunc_only) {
  if (digits == 0) return trunc_only ? trunc(d) : round(d);
  double scale = pow(10.0, (double)digits);
  return (trunc_only ? trunc(d * scale) : round(d * scale)) / scale;
}

static lp_status eval_math(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0), *b = v->n_args > 1 ? ARG(1) : NULL;
  bool f32 = v->type == LP__TYPE_FLOAT32;
  FOR_LIVE(o->valid, j) {
    double d = a->v.f[j], r;
    switch (v->fn) {
    case F_ROUND: r = round_digits(d, b ? b->v.i[j] : 0, false); break;
    case F_TRUNC: r = round_digits(d, b ? b->v.i[j] : 0, true); break;
    case F_SQRT: r = sqrt(d); break;
    case F_EXP: r = exp(d); break;
    case F_LN: r = log(d); break;
    case F_LOG10: r = log10(d); break;
    case F_LOG: r = b ? log(b->v.f[j]) / log(d) : log10(d); break; /* log(base, x) */
    case F_SIGNUM: r = d == 0 ? 0 : isnan(d) ? d : d < 0 ? -1 : 1; break;
    default: r = pow(d, b->v.f[j]); break;
    }
    /* logarithms of negative numbers: the positive NaN LanceDB gives (glibc's is negative); the square root's
     * NaN is the processor's negative one in both */
    if (isnan(r) && (v->fn == F_LN || v->fn == F_LOG10 || v->fn == F_LOG)) r = NAN;
    o->v.f[j] = f32 ? (double)(float)r : r;
  }
  return LP_OK;
}

/* greatest / least skip NULLs; floats compare in IEEE total order, as Arrow does. */
static int64_t fkey(double d) {
  int64_t b;
  memcpy(&b, &d, 8);
  return b ^ (int64_t)((uint64_t)(b >> 63) >> 1);
}

static int cmp_values(const lp__vslot *a, const lp__vslot *b, int64_t j, vrep rep) {
  switch (rep) {
  case R_I64: return (a->v.i[j] > b->v.i[j]) - (a->v.i[j] < b->v.i[j]);
  case R_U64: return (a->v.u[j] > b->v.u[j]) - (a->v.u[j] < b->v.u[j]);
  case R_F64: return (fkey(a->v.f[j]) > fkey(b->v.f[j])) - (fkey(a->v.f[j]) < fkey(b->v.f[j]));
  case R_STR: {
    size_t m = a->v.s[j].n < b->v.s[j].n ? a->v.s[j].n : b->v.s[j].n;
    int c = m ? memcmp(a->v.s[j].p, b->v.s[j].p, m) : 0;
    return c ? c : (a->v.s[j].n > b->v.s[j].n) - (a->v.s[j].n < b->v.s[j].n);
  }
  }
  return 0;
}

static lp_status eval_extreme(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  int sign = v->fn == F_GREATEST ? 1 : -1;
  for (int64_t w = 0; w < x->nw; w++) o->valid[w] = 0;
  for (size_t k = 0; k < v->n_args; k++) {
    const lp__vslot *a = ARG(k);
    uint64_t live[LP__CHUNK_WORDS];
    for (int64_t w = 0; w < x->nw; w++) live[w] = a->valid[w] & act[w];
    FOR_LIVE(live, j) {
      bool have = o->valid[j / 64] >> (j % 64) & 1;
      if (!have || cmp_values(a, o, j, v->rep) * sign > 0) copy_value(o, a, j, v->rep);
      o->valid[j / 64] |= 1ULL << (j % 64);
    }
  }
  return LP_OK;
}

/* ---- time ----------------------------------------------------------------------------------------- */

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2);
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t per_second(lp__time_unit u) {
  return u == LP__UNIT_S ? 1 : u == LP__UNIT_MS ? 1000 : u == LP__UNIT_US ? 1000000 : 1000000000;
}

static lp_status eval_now(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  int64_t val = v->fn == F_NOW ? ns : floor_div(ns, 86400000000000LL);
  for (int64_t w = 0; w < x->nw; w++) o->valid[w] = act[w];
  for (int64_t j = 0; j < x->cnt; j++) o->v.i[j] = val;
  return LP_OK;
}

/* ISO 8601 week number (weeks start on Monday; week 1 holds the year's first Thursday). */
static int64_t iso_week(int64_t days) {
  int64_t dow = ((days % 7) + 7 + 3) % 7; /* Monday 0; 1970-01-01 was a Thursday */
  int64_t thursday = days - dow + 3, y, m, d;
  civil_from_days(thursday, &y, &m, &d);
  return (thursday - days_from_civil(y, 1, 1)) / 7 + 1;
}

static lp_status eval_date_fn(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  size_t part = 0;
  const vnode *t = v->args[1];
  const_text(v->args[0], g_parts, N_PARTS, &part);
  const lp__vslot *a = ARG(1);
  bool is_date = t->type == LP__TYPE_DATE32;
  int64_t per = is_date ? 1 : per_second(t->unit), per_day = is_date ? 1 : 86400 * per;
  FOR_LIVE(o->valid, j) {
    int64_t raw = a->v.i[j], days = floor_div(raw, per_day), within = raw - days * per_day; /* units into the day */
    int64_t y, m, d;
    civil_from_days(days, &y, &m, &d);
    if (v->fn == F_DATE_TRUNC) {
      int64_t r;
      switch (part) {
      case P_YEAR: r = days_from_civil(y, 1, 1) * per_day; break;
      case P_QUARTER: r = days_from_civil(y, (m - 1) / 3 * 3 + 1, 1) * per_day; break;
      case P_MONTH: r = days_from_civil(y, m, 1) * per_day; break;
      case P_WEEK: r = (days - (((days % 7) + 7 + 3) % 7)) * per_day; break;
      case P_DAY: r = days * per_day; break;
      case P_HOUR: r = raw - within % (3600 * per); break;
      case P_MINUTE: r = raw - within % (60 * per); break;
      case P_SECOND: r = raw - within % per; break;
      case P_MS: r = per >= 1000 ? raw - within % (per / 1000) : raw; break;
      default: r = per >= 1000000 ? raw - within % (per / 1000000) : raw; break;
      }
      o->v.i[j] = r;
      continue;
    }
    int64_t secs_in_day = within / per, frac = within % per; /* frac in units */
    int64_t r;
    switch (part) {
    case P_YEAR: r = y; break;
    case P_QUARTER: r = (m - 1) / 3 + 1; break;
    case P_MONTH: r = m; break;
    case P_WEEK: r = iso_week(days); break;
    case P_DAY: r = d; break;
    case P_HOUR: r = secs_in_day / 3600; break;
    case P_MINUTE: r = secs_in_day / 60 % 60; break;
    case P_SECOND: r = secs_in_day % 60; break;
    case P_MS: r = secs_in_day % 60 * 1000 + frac * 1000 / per; break;
    case P_US: r = secs_in_day % 60 * 1000000 + frac * 1000000 / per; break;
    case P_NS: r = secs_in_day % 60 * 1000000000 + frac * (1000000000 / per); break;
    case P_DOW: r = ((days % 7) + 7 + 4) % 7; break; /* Sunday 0 */
    case P_DOY: r = days - days_from_civil(y, 1, 1) + 1; break;
    default: /* epoch: seconds as float64 */
      o->v.f[j] = (double)floor_div(raw, per) + (double)(raw - floor_div(raw, per) * per) / (double)per;
      if (is_date) o->v.f[j] = (double)raw * 86400.0;
      continue;
    }
    o->v.i[j] = r;
  }
  return LP_OK;
}

static lp_status eval_to_timestamp(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const vnode *t = v->args[0];
  const lp__vslot *a = ARG(0);
  FOR_LIVE(o->valid, j) {
    int64_t r = a->v.i[j];
    if (t->type == LP__TYPE_TIMESTAMP) { /* to nanoseconds */
      if (__builtin_mul_overflow(r, 1000000000 / per_second(t->unit), &r))
        return lp_error_set(x->err, LP_EINVAL, "predicate: at character %u: to_timestamp overflows", v->pos);
    } else if (__builtin_mul_overflow(r, (int64_t)1000000000, &r)) { /* seconds */
      return lp_error_set(x->err, LP_EINVAL, "predicate: at character %u: to_timestamp: %lld seconds overflow", v->pos,
                          (long long)a->v.i[j]);
    }
    o->v.i[j] = r;
  }
  return LP_OK;
}


/* ---- initcap and the regular expressions ---------------------------------------------------------- */

static lp_status eval_initcap(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  strict_valid(x, v, act, o);
  const lp__vslot *a = ARG(0);
  pthread_once(&g_utf8_once, utf8_locale_init);
  size_t need = 0;
  FOR_LIVE(o->valid, j) need += a->v.s[j].n * 2 + 4;
  if (!lp__vslot_reserve(o, need)) return lp_error_set(x->err, LP_ENOMEM, "predicate: eval: out of memory");
  size_t at = 0;
  FOR_LIVE(o->valid, j) {
    const uint8_t *s = a->v.s[j].p;
    size_t n = a->v.s[j].n, i = 0;
    uint8_t *dst = o->arena + at, *p = dst;
    bool word_start = true;
    while (i < n) { /* the first letter of every alphanumeric run upper, the others lower */
      uint32_t cp = utf8_next(s, n, &i);
      bool alnum = cp < 0x80 ? ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') || (cp >= '0' && cp <= '9')
                             : g_utf8 != (locale_t)0 && iswalnum_l((wint_t)cp, g_utf8);
      p += utf8_put(p, case_map(cp, word_start && alnum));
      word_start = !alnum;
    }
    o->v.s[j] = (vstr){dst, (size_t)(p - dst)};
    at += (size_t)(p - dst);
  }
  return LP_OK;
}

static lp_status type_regex(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                            lp__type *out) {
  LP_TRY(want_strings(bd, def, args, n, pos));
  *out = def->id == F_REGEXP_LIKE ? LP__TYPE_BOOL : def->id == F_REGEXP_MATCH ? LP__TYPE_LIST : LP__TYPE_UTF8;
  return LP_OK;
}

static lp_status prepare_regex(lp__binder *bd, vnode *v) {
  const lp__vfunc_def *def = lp__vfunc_get(v->fn);
  bool replace = v->fn == F_REGEXP_REPLACE;
  return lp__regex_prepare(bd, v, def->name, 1, replace ? 3 : 2, replace);
}

static lp_status eval_regex(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  if (v->fn == F_REGEXP_REPLACE) return lp__regex_eval_replace(x, v, act, o);
  return lp__regex_eval_test(x, v, act, o, v->fn == F_REGEXP_MATCH);
}

/* ---- the table ------------------------------------------------------------------------------------ */

static const lp__vfunc_def g_funcs[] = {
    {"length", F_LENGTH, 1, 1, type_length, eval_length, false, -1, NULL},
    {"char_length", F_LENGTH, 1, 1, type_length, eval_length, false, -1, NULL},
    {"character_length", F_LENGTH, 1, 1, type_length, eval_length, false, -1, NULL},
    {"octet_length", F_OCTET_LENGTH, 1, 1, type_length, eval_length, false, -1, NULL},
    {"lower", F_LOWER, 1, 1, type_str_to_str, eval_case, false, -1, NULL},
    {"upper", F_UPPER, 1, 1, type_str_to_str, eval_case, false, -1, NULL},
    {"starts_with", F_STARTS_WITH, 2, 2, type_str_test, eval_str_test, false, -1, NULL},
    {"ends_with", F_ENDS_WITH, 2, 2, type_str_test, eval_str_test, false, -1, NULL},
    {"contains", F_CONTAINS, 2, 2, type_str_test, eval_str_test, false, -1, NULL},
    {"strpos", F_STRPOS, 2, 2, type_str_test, eval_str_test, false, -1, NULL},
    {"instr", F_STRPOS, 2, 2, type_str_test, eval_str_test, false, -1, NULL},
    {"abs", F_ABS, 1, 1, type_abs, eval_abs, false, -1, NULL},
    {"coalesce", F_COALESCE, 1, LP__VFUNC_MAX_ARGS, type_common, eval_coalesce, false, -1, NULL},
    {"nullif", F_NULLIF, 2, 2, type_common, eval_nullif, false, -1, NULL},
    {"left", F_LEFT, 2, 2, type_str_int, eval_left_right, false, -1, NULL},
    {"right", F_RIGHT, 2, 2, type_str_int, eval_left_right, false, -1, NULL},
    {"btrim", F_BTRIM, 1, 2, type_str_to_str, eval_trim, false, -1, NULL},
    {"ltrim", F_LTRIM, 1, 2, type_str_to_str, eval_trim, false, -1, NULL},
    {"rtrim", F_RTRIM, 1, 2, type_str_to_str, eval_trim, false, -1, NULL},
    {"replace", F_REPLACE, 3, 3, type_str_to_str, eval_replace, false, -1, NULL},
    {"concat", F_CONCAT, 1, LP__VFUNC_MAX_ARGS, type_concat, eval_concat, false, -1, NULL},
    {"concat_ws", F_CONCAT_WS, 2, LP__VFUNC_MAX_ARGS, type_concat, eval_concat, false, -1, NULL},
    {"lpad", F_LPAD, 2, 3, type_str_int, eval_pad, false, -1, NULL},
    {"rpad", F_RPAD, 2, 3, type_str_int, eval_pad, false, -1, NULL},
    {"reverse", F_REVERSE, 1, 1, type_str_to_str, eval_reverse, false, -1, NULL},
    {"split_part", F_SPLIT_PART, 3, 3, type_str_int, eval_split_part, false, -1, NULL},
    {"repeat", F_REPEAT, 2, 2, type_str_int, eval_repeat, false, -1, NULL},
    {"ascii", F_ASCII, 1, 1, type_str_test, eval_ascii, false, -1, NULL},
    {"round", F_ROUND, 1, 2, type_math, eval_math, false, -1, NULL},
    {"trunc", F_TRUNC, 1, 2, type_math, eval_math, false, -1, NULL},
    {"sqrt", F_SQRT, 1, 1, type_math, eval_math, false, -1, NULL},
    {"exp", F_EXP, 1, 1, type_math, eval_math, false, -1, NULL},
    {"ln", F_LN, 1, 1, type_math, eval_math, false, -1, NULL},
    {"log10", F_LOG10, 1, 1, type_math, eval_math, false, -1, NULL},
    {"log", F_LOG, 1, 2, type_math, eval_math, false, -1, NULL},
    {"signum", F_SIGNUM, 1, 1, type_math, eval_math, false, -1, NULL},
    {"power", F_POWER, 2, 2, type_math, eval_math, false, -1, NULL},
    {"pow", F_POWER, 2, 2, type_math, eval_math, false, -1, NULL},
    {"greatest", F_GREATEST, 1, LP__VFUNC_MAX_ARGS, type_common, eval_extreme, false, -1, NULL},
    {"least", F_LEAST, 1, LP__VFUNC_MAX_ARGS, type_common, eval_extreme, false, -1, NULL},
    /* now() and current_date are fixed for a query: DataFusion folds them when planning, so do we */
    {"now", F_NOW, 0, 0, type_now, eval_now, false, -1, NULL},
    {"current_date", F_CURRENT_DATE, 0, 0, type_now, eval_now, false, -1, NULL},
    {"date_part", F_DATE_PART, 2, 2, type_date_fn, eval_date_fn, false, -1, NULL},
    {"datepart", F_DATE_PART, 2, 2, type_date_fn, eval_date_fn, false, -1, NULL},
    {"date_trunc", F_DATE_TRUNC, 2, 2, type_date_fn, eval_date_fn, false, 1, NULL},
    {"datetrunc", F_DATE_TRUNC, 2, 2, type_date_fn, eval_date_fn, false, 1, NULL},
    {"to_timestamp", F_TO_TIMESTAMP, 1, 1, type_to_timestamp, eval_to_timestamp, false, -1, NULL},
    {"initcap", F_INITCAP, 1, 1, type_str_to_str, eval_initcap, false, -1, NULL},
    {"regexp_like", F_REGEXP_LIKE, 2, 3, type_regex, eval_regex, false, -1, prepare_regex},
    /* a list of the groups in DataFusion; lancepool knows only whether it is NULL (no match) */
    {"regexp_match", F_REGEXP_MATCH, 2, 3, type_regex, eval_regex, false, -1, prepare_regex},
    {"regexp_replace", F_REGEXP_REPLACE, 3, 4, type_regex, eval_regex, false, -1, prepare_regex},
};

const lp__vfunc_def *lp__vfunc_find(const char *name) {
  for (size_t i = 0; i < sizeof g_funcs / sizeof g_funcs[0]; i++)
    if (strcmp(g_funcs[i].name, name) == 0) return &g_funcs[i];
  return NULL;
}

const lp__vfunc_def *lp__vfunc_get(int id) {
  for (size_t i = 0; i < sizeof g_funcs / sizeof g_funcs[0]; i++)
    if (g_funcs[i].id == id) return &g_funcs[i];
  return lp__vlist_def(id);
}
