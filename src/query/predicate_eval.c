/* Evaluating a bound predicate over Arrow arrays, column-at-a-time. Rows are processed in chunks of
 * CHUNK_ROWS; every node yields two bitmaps per chunk, T (rows where it is TRUE) and F (FALSE); NULL is
 * neither. Then AND is (T=aT&bT, F=aF|bF), OR is (T=aT|bT, F=aF&bF) and NOT swaps them, which is SQL's
 * three-valued logic word by word. Scratch is allocated once per call and stays cache-resident.
 * Bitmaps are read as little-endian words (Arrow's LSB bit order on x86-64 and ARM64). */
#include <stdlib.h>
#include <string.h>

#include "query/distance.h" /* lp__half_to_float */
#include "query/predicate_int.h"
#include "query/predicate_like.h"

#define CHUNK_ROWS LP__CHUNK_ROWS
#define CHUNK_WORDS LP__CHUNK_WORDS
#define NS_PER_DAY 86400000000000LL

typedef lp__rcol rcol;
typedef lp__ectx ectx;

/* ---- bit helpers --------------------------------------------------------------------------------- */

#define tail_mask lp__tail_mask
uint64_t lp__tail_mask(int64_t cnt, int64_t w) {
  int64_t left = cnt - w * 64;
  return left >= 64 ? ~0ULL : (1ULL << left) - 1;
}

/* Copies bits [bit0, bit0+cnt) of bm into out (words), zeroing bits past cnt. Reads no byte past the
 * one holding bit bit0+cnt-1. */
static void get_bits(const uint8_t *bm, int64_t bit0, int64_t cnt, uint64_t *out) {
  int64_t nbytes = (cnt + 7) / 8, nw = (cnt + 63) / 64;
  uint8_t *o = (uint8_t *)out;
  memset(out, 0, (size_t)nw * 8);
  const uint8_t *p = bm + bit0 / 8;
  int sh = (int)(bit0 & 7);
  if (sh == 0) {
    memcpy(o, p, (size_t)nbytes);
  } else {
    int64_t last = (bit0 + cnt - 1) / 8 - bit0 / 8; /* index of the last readable byte relative to p */
    for (int64_t k = 0; k < nbytes; k++) {
      unsigned v = p[k] >> sh;
      if (k + 1 <= last) v |= (unsigned)p[k + 1] << (8 - sh);
      o[k] = (uint8_t)v;
    }
  }
  out[nw - 1] &= tail_mask(cnt, nw - 1);
}

/* Validity of a column for the current chunk into out. */
#define validity lp__ectx_validity
void lp__ectx_validity(const ectx *x, const rcol *c, uint64_t *out) {
  for (int64_t w = 0; w < x->nw; w++) out[w] = tail_mask(x->cnt, w);
  for (int i = 0; i < c->n_valid; i++) {
    get_bits(c->valid[i], c->voff[i] + x->start, x->cnt, x->tmp);
    for (int64_t w = 0; w < x->nw; w++) out[w] &= x->tmp[w];
  }
}

/* T = V & R, F = V & ~R; R holds the raw result for every row. */
static void finish_tf(const ectx *x, const uint64_t *v, uint64_t *t, uint64_t *f) {
  for (int64_t w = 0; w < x->nw; w++) {
    uint64_t r = t[w];
    t[w] = v[w] & r;
    f[w] = v[w] & ~r;
  }
}

/* ---- float keys (IEEE-754 total order, as Arrow compares floats) --------------------------------- */

static inline int64_t fkey64(uint64_t b) { return (int64_t)(b ^ ((uint64_t)((int64_t)b >> 63) >> 1)); }
static inline int32_t fkey32(uint32_t b) { return (int32_t)(b ^ ((uint32_t)((int32_t)b >> 31) >> 1)); }
static inline int16_t fkey16(uint16_t b) { return (int16_t)(b ^ (uint16_t)((uint16_t)((int16_t)b >> 15) >> 1)); }

/* ---- comparison kernels -------------------------------------------------------------------------- */

/* r[w] bit j = MAP(v[w*64+j]) OP lit. */
#define CMP_LOOP(T, MAP, OP, LIT)                                       \
  for (int64_t w = 0; w < x->nw; w++) {                                 \
    uint64_t bits = 0;                                                  \
    int64_t base = w * 64, m = x->cnt - base < 64 ? x->cnt - base : 64; \
    const T *vv = v + base;                                             \
    for (int64_t j = 0; j < m; j++) bits |= (uint64_t)(MAP(vv[j]) OP(LIT)) << j; \
    r[w] = bits;                                                        \
  }
#define CMP_OPS(T, MAP, LIT)                                    \
  do {                                                          \
    switch (op) {                                               \
    case CMP_EQ: CMP_LOOP(T, MAP, ==, LIT) break;              \
    case CMP_NE: CMP_LOOP(T, MAP, !=, LIT) break;              \
    case CMP_LT: CMP_LOOP(T, MAP, <, LIT) break;               \
    case CMP_LE: CMP_LOOP(T, MAP, <=, LIT) break;              \
    case CMP_GT: CMP_LOOP(T, MAP, >, LIT) break;               \
    case CMP_GE: CMP_LOOP(T, MAP, >=, LIT) break;              \
    }                                                           \
  } while (0)
#define ID(a) (a)

#define PRIM(T) const T *v = (const T *)c->leaf->buffers[1] + c->off + x->start

static void cmp_prim_lit(const ectx *x, const rcol *c, lp__type type, pn_cmp op, int64_t li, uint64_t lu,
                         uint64_t *r) {
  switch (type) {
  case LP__TYPE_INT8: { PRIM(int8_t); int8_t l = (int8_t)li; CMP_OPS(int8_t, ID, l); break; }
  case LP__TYPE_INT16: { PRIM(int16_t); int16_t l = (int16_t)li; CMP_OPS(int16_t, ID, l); break; }
  case LP__TYPE_INT32:
  case LP__TYPE_DATE32: { PRIM(int32_t); int32_t l = (int32_t)li; CMP_OPS(int32_t, ID, l); break; }
  case LP__TYPE_INT64:
  case LP__TYPE_TIMESTAMP: { PRIM(int64_t); CMP_OPS(int64_t, ID, li); break; }
  case LP__TYPE_UINT8: { PRIM(uint8_t); uint8_t l = (uint8_t)lu; CMP_OPS(uint8_t, ID, l); break; }
  case LP__TYPE_UINT16: { PRIM(uint16_t); uint16_t l = (uint16_t)lu; CMP_OPS(uint16_t, ID, l); break; }
  case LP__TYPE_UINT32: { PRIM(uint32_t); uint32_t l = (uint32_t)lu; CMP_OPS(uint32_t, ID, l); break; }
  case LP__TYPE_UINT64: { PRIM(uint64_t); CMP_OPS(uint64_t, ID, lu); break; }
  case LP__TYPE_FLOAT16: { PRIM(uint16_t); int16_t l = (int16_t)li; CMP_OPS(uint16_t, fkey16, l); break; }
  case LP__TYPE_FLOAT32: { PRIM(uint32_t); int32_t l = (int32_t)li; CMP_OPS(uint32_t, fkey32, l); break; }
  case LP__TYPE_FLOAT64: { PRIM(uint64_t); CMP_OPS(uint64_t, fkey64, li); break; }
  default: memset(r, 0, (size_t)x->nw * 8); break;
  }
}

static bool op_holds(pn_cmp op, int c) {
  switch (op) {
  case CMP_EQ: return c == 0;
  case CMP_NE: return c != 0;
  case CMP_LT: return c < 0;
  case CMP_LE: return c <= 0;
  case CMP_GT: return c > 0;
  case CMP_GE: return c >= 0;
  }
  return false;
}

/* Boolean column vs literal: the result is a function of the value bit, from a two-entry truth table. */
static void cmp_bool_lit(const ectx *x, const rcol *c, pn_cmp op, int64_t lit, uint64_t *r) {
  get_bits(c->leaf->buffers[1], c->off + x->start, x->cnt, r);
  bool r0 = op_holds(op, 0 - (int)lit), r1 = op_holds(op, 1 - (int)lit);
  for (int64_t w = 0; w < x->nw; w++) r[w] = (r1 ? r[w] : 0) | (r0 ? ~r[w] : 0);
}

static int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
  size_t m = an < bn ? an : bn;
  int c = m ? memcmp(a, b, m) : 0;
  return c ? c : (an > bn) - (an < bn);
}

static bool is_large(lp__type t) { return t == LP__TYPE_LARGE_UTF8 || t == LP__TYPE_LARGE_BINARY; }

/* Row i's bytes of a (large) utf8/binary column; false when the offsets are not ascending. */
#define str_at lp__ectx_str_at
bool lp__ectx_str_at(const rcol *c, bool large, int64_t i, const uint8_t **s, size_t *n) {
  const uint8_t *data = c->leaf->buffers[2];
  int64_t a, b;
  if (large) {
    const int64_t *o = (const int64_t *)c->leaf->buffers[1] + c->off;
    a = o[i], b = o[i + 1];
  } else {
    const int32_t *o = (const int32_t *)c->leaf->buffers[1] + c->off;
    a = o[i], b = o[i + 1];
  }
  if (a < 0 || b < a) return false;
  *s = data + a;
  *n = (size_t)(b - a);
  return true;
}

static lp_status bad_offsets(ectx *x, const bcol *bc, int64_t row) {
  return lp_error_set(x->err, LP_EINVAL, "predicate: column '%.100s': row %lld: string offsets are not ascending",
                      bc->name, (long long)(x->start + row));
}

typedef enum str_test { ST_CMP, ST_IN, ST_LIKE } str_test;

/* Byte-string kernels, one row at a time over valid rows only. */
static lp_status str_kernel(ectx *x, const bnode *n, const bcol *bc, const rcol *c, const uint64_t *v,
                            str_test kind, uint64_t *r) {
  bool large = is_large(bc->type);
  for (int64_t w = 0; w < x->nw; w++) {
    uint64_t bits = 0, live = v[w];
    while (live) {
      int j = __builtin_ctzll(live);
      live &= live - 1;
      int64_t i = x->start + w * 64 + j;
      const uint8_t *s;
      size_t len;
      if (!str_at(c, large, i, &s, &len)) return bad_offsets(x, bc, w * 64 + j);
      bool hit;
      if (kind == ST_CMP) {
        hit = op_holds(n->op, bytes_cmp(s, len, n->ls.p, n->ls.n));
      } else if (kind == ST_LIKE) {
        hit = lp__like_match(n->like, s, len);
      } else {
        size_t lo = 0, hi = n->n_items;
        hit = false;
        while (lo < hi) {
          size_t mid = (lo + hi) / 2;
          int cc = bytes_cmp(n->strs[mid].p, n->strs[mid].n, s, len);
          if (cc == 0) {
            hit = true;
            break;
          }
          if (cc < 0) lo = mid + 1;
          else hi = mid;
        }
      }
      bits |= (uint64_t)hit << j;
    }
    r[w] = bits;
  }
  return LP_OK;
}

/* Order-preserving key of row i (non-byte columns), matching the binder's IN keys. */
static uint64_t row_key(const rcol *c, lp__type t, int64_t i) {
  const void *d = c->leaf->buffers[1];
  int64_t k = c->off + i;
  switch (t) {
  case LP__TYPE_BOOL: return (((const uint8_t *)d)[k >> 3] >> (k & 7)) & 1;
  case LP__TYPE_INT8: return (uint64_t)(int64_t)((const int8_t *)d)[k] ^ (1ULL << 63);
  case LP__TYPE_INT16: return (uint64_t)(int64_t)((const int16_t *)d)[k] ^ (1ULL << 63);
  case LP__TYPE_INT32:
  case LP__TYPE_DATE32: return (uint64_t)(int64_t)((const int32_t *)d)[k] ^ (1ULL << 63);
  case LP__TYPE_INT64:
  case LP__TYPE_TIMESTAMP: return (uint64_t)((const int64_t *)d)[k] ^ (1ULL << 63);
  case LP__TYPE_UINT8: return ((const uint8_t *)d)[k];
  case LP__TYPE_UINT16: return ((const uint16_t *)d)[k];
  case LP__TYPE_UINT32: return ((const uint32_t *)d)[k];
  case LP__TYPE_UINT64: return ((const uint64_t *)d)[k];
  case LP__TYPE_FLOAT16: return (uint64_t)(int64_t)fkey16(((const uint16_t *)d)[k]) ^ (1ULL << 63);
  case LP__TYPE_FLOAT32: return (uint64_t)(int64_t)fkey32(((const uint32_t *)d)[k]) ^ (1ULL << 63);
  case LP__TYPE_FLOAT64: return (uint64_t)fkey64(((const uint64_t *)d)[k]) ^ (1ULL << 63);
  default: return 0;
  }
}

static void in_kernel(const ectx *x, const bnode *n, const bcol *bc, const rcol *c, const uint64_t *v,
                      uint64_t *r) {
  for (int64_t w = 0; w < x->nw; w++) {
    uint64_t bits = 0, live = v[w];
    while (live) {
      int j = __builtin_ctzll(live);
      live &= live - 1;
      uint64_t key = row_key(c, bc->type, x->start + w * 64 + j);
      size_t lo = 0, hi = n->n_items;
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (n->keys[mid] < key) lo = mid + 1;
        else hi = mid;
      }
      bits |= (uint64_t)(lo < n->n_items && n->keys[lo] == key) << j;
    }
    r[w] = bits;
  }
}

/* ---- column vs column ---------------------------------------------------------------------------- */

static int64_t unit_ns(lp__time_unit u) {
  return u == LP__UNIT_S ? 1000000000LL : u == LP__UNIT_MS ? 1000000LL : u == LP__UNIT_US ? 1000LL : 1;
}

/* Exact values on one scale (time in ns) as 128-bit integers. */
static void mat_exact(const ectx *x, const rcol *c, const bcol *bc, int64_t coarse_ns, __int128 *out) {
  const void *d = c->leaf->buffers[1];
  int64_t k0 = c->off + x->start;
  switch (bc->type) {
  case LP__TYPE_BOOL:
    for (int64_t j = 0; j < x->cnt; j++) out[j] = (((const uint8_t *)d)[(k0 + j) >> 3] >> ((k0 + j) & 7)) & 1;
    break;
  case LP__TYPE_INT8: for (int64_t j = 0; j < x->cnt; j++) out[j] = ((const int8_t *)d)[k0 + j]; break;
  case LP__TYPE_INT16: for (int64_t j = 0; j < x->cnt; j++) out[j] = ((const int16_t *)d)[k0 + j]; break;
  case LP__TYPE_INT32: for (int64_t j = 0; j < x->cnt; j++) out[j] = ((const int32_t *)d)[k0 + j]; break;
  case LP__TYPE_INT64: for (int64_t j = 0; j < x->cnt; j++) out[j] = ((const int64_t *)d)[k0 + j]; break;
  case LP__TYPE_UINT8: for (int64_t j = 0; j < x->cnt; j++) out[j] = ((const uint8_t *)d)[k0 + j]; break;
  case LP__TYPE_UINT16: for (int64_t j = 0; j < x->cnt; j++) out[j] = ((const uint16_t *)d)[k0 + j]; break;
  case LP__TYPE_UINT32: for (int64_t j = 0; j < x->cnt; j++) out[j] = ((const uint32_t *)d)[k0 + j]; break;
  case LP__TYPE_UINT64: for (int64_t j = 0; j < x->cnt; j++) out[j] = ((const uint64_t *)d)[k0 + j]; break;
  case LP__TYPE_DATE32:
    for (int64_t j = 0; j < x->cnt; j++) out[j] = (__int128)((const int32_t *)d)[k0 + j] * NS_PER_DAY;
    break;
  case LP__TYPE_TIMESTAMP: {
    /* two timestamps compare in the coarser unit, the finer truncated toward zero, as in DataFusion */
    int64_t per = unit_ns(bc->unit), coarse = coarse_ns > per ? coarse_ns : per;
    for (int64_t j = 0; j < x->cnt; j++) out[j] = (__int128)(((const int64_t *)d)[k0 + j] / (coarse / per)) * coarse;
    break;
  }
  default: memset(out, 0, (size_t)x->cnt * sizeof *out); break;
  }
}

/* Float64 total-order keys of any numeric column (integers converted to float64, as DataFusion does). */
static void mat_fkey(const ectx *x, const rcol *c, const bcol *bc, int64_t *out) {
  const void *d = c->leaf->buffers[1];
  int64_t k0 = c->off + x->start;
  for (int64_t j = 0; j < x->cnt; j++) {
    double v;
    int64_t k = k0 + j;
    switch (bc->type) {
    case LP__TYPE_INT8: v = ((const int8_t *)d)[k]; break;
    case LP__TYPE_INT16: v = ((const int16_t *)d)[k]; break;
    case LP__TYPE_INT32: v = ((const int32_t *)d)[k]; break;
    case LP__TYPE_INT64: v = (double)((const int64_t *)d)[k]; break;
    case LP__TYPE_UINT8: v = ((const uint8_t *)d)[k]; break;
    case LP__TYPE_UINT16: v = ((const uint16_t *)d)[k]; break;
    case LP__TYPE_UINT32: v = ((const uint32_t *)d)[k]; break;
    case LP__TYPE_UINT64: v = (double)((const uint64_t *)d)[k]; break;
    case LP__TYPE_FLOAT16: v = lp__half_to_float(((const uint16_t *)d)[k]); break;
    case LP__TYPE_FLOAT32: v = ((const float *)d)[k]; break;
    case LP__TYPE_FLOAT64: v = ((const double *)d)[k]; break;
    default: v = 0; break;
    }
    uint64_t bits;
    memcpy(&bits, &v, 8);
    out[j] = fkey64(bits);
  }
}

#define CMP_ARR(T)                                                                  \
  do {                                                                              \
    const T *va = x->mat1, *vb = x->mat2;                                           \
    for (int64_t w = 0; w < x->nw; w++) {                                           \
      uint64_t bits = 0;                                                            \
      int64_t base = w * 64, m = x->cnt - base < 64 ? x->cnt - base : 64;           \
      for (int64_t j = 0; j < m; j++) {                                             \
        T p = va[base + j], q = vb[base + j];                                       \
        bits |= (uint64_t)op_holds(n->op, (p > q) - (p < q)) << j;                  \
      }                                                                             \
      r[w] = bits;                                                                  \
    }                                                                               \
  } while (0)

static lp_status cmp_cols(ectx *x, const bnode *n, uint64_t *r) {
  const bcol *ba = &x->b->cols[n->col], *bb = &x->b->cols[n->col2];
  const rcol *ca = &x->rc[n->col], *cb = &x->rc[n->col2];
  vclass ka = lp__pred_type_class(ba->type), kb = lp__pred_type_class(bb->type);
  if (ka == VC_STR || ka == VC_BIN) {
    bool la = is_large(ba->type), lb = is_large(bb->type);
    for (int64_t w = 0; w < x->nw; w++) {
      uint64_t bits = 0, live = x->v1[w];
      while (live) {
        int j = __builtin_ctzll(live);
        live &= live - 1;
        int64_t i = x->start + w * 64 + j;
        const uint8_t *s1, *s2;
        size_t n1, n2;
        if (!str_at(ca, la, i, &s1, &n1)) return bad_offsets(x, ba, w * 64 + j);
        if (!str_at(cb, lb, i, &s2, &n2)) return bad_offsets(x, bb, w * 64 + j);
        bits |= (uint64_t)op_holds(n->op, bytes_cmp(s1, n1, s2, n2)) << j;
      }
      r[w] = bits;
    }
  } else if (ka == VC_FLOAT || kb == VC_FLOAT) {
    mat_fkey(x, ca, ba, x->mat1);
    mat_fkey(x, cb, bb, x->mat2);
    CMP_ARR(int64_t);
  } else {
    int64_t coarse = 1; /* ns per unit of the coarser timestamp when both are timestamps */
    if (ba->type == LP__TYPE_TIMESTAMP && bb->type == LP__TYPE_TIMESTAMP)
      coarse = unit_ns(ba->unit) > unit_ns(bb->unit) ? unit_ns(ba->unit) : unit_ns(bb->unit);
    mat_exact(x, ca, ba, coarse, x->mat1);
    mat_exact(x, cb, bb, coarse, x->mat2);
    CMP_ARR(__int128);
  }
  return LP_OK;
}

/* ---- the tree ------------------------------------------------------------------------------------ */

/* Value expression results as T/F bitmaps. */
static lp_status eval_value_node(ectx *x, const bnode *n, uint64_t *t, uint64_t *f, const uint64_t *act);

/* act: rows whose result matters (the others may get any result); value expressions compute, and report
 * errors such as a division by zero, on those rows only. */
static lp_status eval_node(ectx *x, const bnode *n, uint64_t *t, uint64_t *f, uint32_t level, const uint64_t *act) {
  int64_t nw = x->nw;
  uint64_t *t2 = x->scratch + (size_t)(level + 1) * 2 * CHUNK_WORDS, *f2 = t2 + CHUNK_WORDS;
  const rcol *c = n->col >= 0 && (size_t)n->col < x->b->n_cols ? &x->rc[n->col] : NULL;
  const bcol *bc = c ? &x->b->cols[n->col] : NULL;
  switch (n->kind) {
  case B_CONST:
    for (int64_t w = 0; w < nw; w++) {
      t[w] = n->cst == 1 ? tail_mask(x->cnt, w) : 0;
      f[w] = n->cst == 0 ? tail_mask(x->cnt, w) : 0;
    }
    return LP_OK;
  case B_BOOLCOL:
    validity(x, c, x->v1);
    get_bits(c->leaf->buffers[1], c->off + x->start, x->cnt, t);
    finish_tf(x, x->v1, t, f);
    return LP_OK;
  case B_NONNULL:
    validity(x, c, x->v1);
    for (int64_t w = 0; w < nw; w++) t[w] = n->cst ? ~0ULL : 0;
    finish_tf(x, x->v1, t, f);
    return LP_OK;
  case B_CMP_LIT: {
    validity(x, c, x->v1);
    vclass vc = lp__pred_type_class(bc->type);
    if (vc == VC_STR || vc == VC_BIN) LP_TRY(str_kernel(x, n, bc, c, x->v1, ST_CMP, t));
    else if (vc == VC_BOOL) cmp_bool_lit(x, c, n->op, n->li, t);
    else cmp_prim_lit(x, c, bc->type, n->op, n->li, n->lu, t);
    finish_tf(x, x->v1, t, f);
    return LP_OK;
  }
  case B_CMP_COL:
    validity(x, c, x->v1);
    validity(x, &x->rc[n->col2], x->v2);
    for (int64_t w = 0; w < nw; w++) x->v1[w] &= x->v2[w];
    LP_TRY(cmp_cols(x, n, t));
    finish_tf(x, x->v1, t, f);
    return LP_OK;
  case B_IN:
  case B_LIKE: {
    validity(x, c, x->v1);
    vclass vc = lp__pred_type_class(bc->type);
    if (n->kind == B_LIKE) LP_TRY(str_kernel(x, n, bc, c, x->v1, ST_LIKE, t));
    else if (vc == VC_STR || vc == VC_BIN) LP_TRY(str_kernel(x, n, bc, c, x->v1, ST_IN, t));
    else in_kernel(x, n, bc, c, x->v1, t);
    finish_tf(x, x->v1, t, f);
    if (n->kind == B_IN && n->in_has_null) /* no match against a list holding NULL is NULL */
      memset(f, 0, (size_t)nw * 8);
    if (n->negated)
      for (int64_t w = 0; w < nw; w++) {
        uint64_t s = t[w];
        t[w] = f[w];
        f[w] = s;
      }
    return LP_OK;
  }
  case B_ISNULL:
    validity(x, c, x->v1);
    for (int64_t w = 0; w < nw; w++) {
      uint64_t m = tail_mask(x->cnt, w), isnull = ~x->v1[w] & m;
      t[w] = n->negated ? x->v1[w] : isnull;
      f[w] = n->negated ? isnull : x->v1[w];
    }
    return LP_OK;
  case B_VCMP:
  case B_VBOOL:
  case B_VISNULL:
  case B_VLIKE:
    return eval_value_node(x, n, t, f, act);
  case B_ISNULL_EXPR:
  case B_IS_BOOL:
    LP_TRY(eval_node(x, n->a, t, f, level, act));
    for (int64_t w = 0; w < nw; w++) {
      uint64_t m = tail_mask(x->cnt, w), hit;
      if (n->kind == B_ISNULL_EXPR) hit = ~(t[w] | f[w]) & m;
      else hit = n->truth ? t[w] : f[w];
      t[w] = n->negated ? ~hit & m : hit;
      f[w] = n->negated ? hit : ~hit & m;
    }
    return LP_OK;
  case B_NOT:
    LP_TRY(eval_node(x, n->a, f, t, level, act)); /* swapped */
    return LP_OK;
  case B_AND:
  case B_OR:
  case B_BOOLEQ:
    LP_TRY(eval_node(x, n->a, t, f, level, act));
    if (n->kind != B_BOOLEQ) {
      /* Short circuit on the selection: b matters only where a has not decided, i.e. where an AND's a
       * is not FALSE or an OR's a is not TRUE; when no such row is left b is not evaluated at all. */
      uint64_t *act2 = x->acts + (size_t)(level + 1) * CHUNK_WORDS, any = 0;
      const uint64_t *decided = n->kind == B_AND ? f : t;
      for (int64_t w = 0; w < nw; w++) any |= act2[w] = act[w] & ~decided[w];
      if (any == 0) return LP_OK; /* a alone gives the result on every row that matters */
      LP_TRY(eval_node(x, n->b, t2, f2, level + 1, act2));
    } else {
      LP_TRY(eval_node(x, n->b, t2, f2, level + 1, act));
    }
    for (int64_t w = 0; w < nw; w++) {
      uint64_t at = t[w], af = f[w], bt = t2[w], bf = f2[w];
      if (n->kind == B_AND) {
        t[w] = at & bt, f[w] = af | bf;
      } else if (n->kind == B_OR) {
        t[w] = at | bt, f[w] = af & bf;
      } else {
        uint64_t eq = (at & bt) | (af & bf), ne = (at & bf) | (af & bt);
        t[w] = n->op == CMP_EQ ? eq : ne;
        f[w] = n->op == CMP_EQ ? ne : eq;
      }
    }
    return LP_OK;
  }
  return lp_error_set(x->err, LP_EINVAL, "predicate: unknown node kind %d", (int)n->kind);
}

/* ---- value expressions ---------------------------------------------------------------------------- */

/* Comparison of two value vectors of one representation: bits of rows in live. */
static void vcmp_kernel(const ectx *x, const bnode *n, vrep rep, const lp__vslot *a, const lp__vslot *b,
                        const uint64_t *live, uint64_t *r) {
  for (int64_t w = 0; w < x->nw; w++) {
    uint64_t bits = 0;
    for (uint64_t m = live[w]; m != 0; m &= m - 1) {
      int j0 = __builtin_ctzll(m);
      int64_t j = w * 64 + j0;
      int c;
      switch (rep) {
      case R_I64: c = (a->v.i[j] > b->v.i[j]) - (a->v.i[j] < b->v.i[j]); break;
      case R_U64: c = (a->v.u[j] > b->v.u[j]) - (a->v.u[j] < b->v.u[j]); break;
      case R_F64: { /* IEEE total order, as Arrow compares floats */
        uint64_t pa, pb;
        memcpy(&pa, &a->v.f[j], 8);
        memcpy(&pb, &b->v.f[j], 8);
        int64_t ka = fkey64(pa), kb = fkey64(pb);
        c = (ka > kb) - (ka < kb);
        break;
      }
      default: c = bytes_cmp(a->v.s[j].p, a->v.s[j].n, b->v.s[j].p, b->v.s[j].n); break;
      }
      bits |= (uint64_t)op_holds(n->op, c) << j0;
    }
    r[w] = bits;
  }
}

static lp_status eval_value_node(ectx *x, const bnode *n, uint64_t *t, uint64_t *f, const uint64_t *act) {
  LP_TRY(lp__veval(x, n->va, act));
  const lp__vslot *a = &x->slots[n->va->slot];
  int64_t nw = x->nw;
  uint64_t *live = x->v1;
  for (int64_t w = 0; w < nw; w++) live[w] = a->valid[w] & act[w];
  switch (n->kind) {
  case B_VISNULL:
    for (int64_t w = 0; w < nw; w++) {
      uint64_t isnull = ~live[w] & act[w];
      t[w] = n->negated ? live[w] : isnull;
      f[w] = n->negated ? isnull : live[w];
    }
    return LP_OK;
  case B_VBOOL:
    for (int64_t w = 0; w < nw; w++) {
      uint64_t bits = 0;
      for (uint64_t m = live[w]; m != 0; m &= m - 1) {
        int j0 = __builtin_ctzll(m);
        bits |= (uint64_t)(a->v.i[w * 64 + j0] != 0) << j0;
      }
      t[w] = bits;
    }
    finish_tf(x, live, t, f);
    return LP_OK;
  case B_VLIKE:
    for (int64_t w = 0; w < nw; w++) {
      uint64_t bits = 0;
      for (uint64_t m = live[w]; m != 0; m &= m - 1) {
        int j0 = __builtin_ctzll(m);
        const vstr *s = &a->v.s[w * 64 + j0];
        bits |= (uint64_t)lp__like_match(n->like, s->p, s->n) << j0;
      }
      t[w] = bits;
    }
    finish_tf(x, live, t, f);
    if (n->negated)
      for (int64_t w = 0; w < nw; w++) {
        uint64_t sw = t[w];
        t[w] = f[w];
        f[w] = sw;
      }
    return LP_OK;
  case B_VCMP: {
    LP_TRY(lp__veval(x, n->vb, act));
    const lp__vslot *b = &x->slots[n->vb->slot];
    for (int64_t w = 0; w < nw; w++) live[w] &= b->valid[w];
    vcmp_kernel(x, n, n->va->rep, a, b, live, t);
    finish_tf(x, live, t, f);
    return LP_OK;
  }
  default: break;
  }
  return lp_error_set(x->err, LP_EINVAL, "predicate: unknown node kind %d", (int)n->kind);
}

/* ---- locating columns ---------------------------------------------------------------------------- */

static int want_buffers(lp__type t) {
  switch (t) {
  case LP__TYPE_NULL: return 0;
  case LP__TYPE_STRUCT:
  case LP__TYPE_FIXED_SIZE_LIST: return 1;
  case LP__TYPE_UTF8:
  case LP__TYPE_LARGE_UTF8:
  case LP__TYPE_BINARY:
  case LP__TYPE_LARGE_BINARY: return 3;
  default: return 2;
  }
}

static lp_status bad_array(lp_error *err, const bcol *bc, const char *what) {
  return lp_error_set(err, LP_EINVAL, "predicate: column '%.100s': %s", bc->name, what);
}

/* Push one array's validity (if it has any) at logical index `first`. */
static void push_validity(rcol *rc, const struct ArrowArray *a, int64_t first) {
  if (a->n_buffers > 0 && a->buffers[0] != NULL && a->null_count != 0) {
    rc->valid[rc->n_valid] = a->buffers[0];
    rc->voff[rc->n_valid] = a->offset + first;
    rc->n_valid++;
  }
}

/* Walk from the top-level array down the struct path, checking shapes and lengths. parent is the batch
 * struct (or NULL) whose row `base` is row 0. */
static lp_status locate(const bcol *bc, const struct ArrowArray *top, const struct ArrowArray *parent, int64_t base,
                        int64_t n_rows, rcol *rc, lp_error *err) {
  memset(rc, 0, sizeof *rc);
  if (parent != NULL) push_validity(rc, parent, base);
  int64_t first = parent != NULL ? parent->offset + base : base; /* row 0's index in top */
  const struct ArrowArray *a = top;
  for (uint32_t lvl = 0;; lvl++) {
    if (a == NULL || a->release == NULL) return bad_array(err, bc, "array missing or released");
    if (a->offset < 0 || a->length < 0 || first < 0 || a->length - first < n_rows)
      return bad_array(err, bc, "array shorter than the batch");
    push_validity(rc, a, first);
    if (lvl == bc->depth) break;
    if (a->n_buffers < 1 || a->n_children <= (int64_t)bc->child[lvl] || a->children == NULL)
      return bad_array(err, bc, "struct array lacks the member");
    first = a->offset + first;
    a = a->children[bc->child[lvl]];
  }
  int nb = want_buffers(bc->type);
  if (a->n_buffers < nb) return bad_array(err, bc, "array has too few buffers for its type");
  if (n_rows > 0)
    for (int i = 1; i < nb && bc->type != LP__TYPE_STRUCT && bc->type != LP__TYPE_FIXED_SIZE_LIST; i++)
      if (a->buffers[i] == NULL) return bad_array(err, bc, "array has a NULL data buffer");
  rc->leaf = a;
  rc->off = a->offset + first;
  return LP_OK;
}

static lp_status run(const lp__pred_bound *b, const struct ArrowArray *const *cols, size_t n_cols,
                     const struct ArrowArray *batch, int64_t n_rows, uint8_t *out_sel, int64_t *out_n,
                     lp_error *err) {
  if (out_n) *out_n = 0;
  if (b == NULL || out_sel == NULL || n_rows < 0) return lp_error_set(err, LP_EINVAL, "predicate: eval: bad arguments");
  ectx x = {.b = b, .err = err};
  size_t words = (size_t)b->levels * 3 * CHUNK_WORDS + 3 * CHUNK_WORDS;
  x.rc = calloc(b->n_cols + 1, sizeof *x.rc);
  x.scratch = malloc(words * 8);
  if (b->needs_mat) {
    x.mat1 = malloc(CHUNK_ROWS * sizeof(__int128));
    x.mat2 = malloc(CHUNK_ROWS * sizeof(__int128));
  }
  lp_status rc = LP_OK;
  if (x.rc == NULL || x.scratch == NULL || (b->needs_mat && (x.mat1 == NULL || x.mat2 == NULL))) {
    rc = lp_error_set(err, LP_ENOMEM, "predicate: eval: out of memory");
    goto done;
  }
  if (b->n_slots > 0) {
    x.slots = calloc((size_t)b->n_slots, sizeof *x.slots);
    if (x.slots == NULL) {
      rc = lp_error_set(err, LP_ENOMEM, "predicate: eval: out of memory");
      goto done;
    }
  }
  x.acts = x.scratch + (size_t)b->levels * 2 * CHUNK_WORDS;
  x.v1 = x.acts + (size_t)b->levels * CHUNK_WORDS;
  x.v2 = x.v1 + CHUNK_WORDS;
  x.tmp = x.v2 + CHUNK_WORDS;
  for (size_t i = 0; i < b->n_cols; i++) {
    const bcol *bc = &b->cols[i];
    if (bc->top >= n_cols) {
      rc = lp_error_set(err, LP_EINVAL, "predicate: eval: column '%.100s' is field %zu, only %zu columns given",
                        bc->name, bc->top, n_cols);
      goto done;
    }
    rc = locate(bc, cols[bc->top], batch, 0, n_rows, &x.rc[i], err);
    if (rc != LP_OK) goto done;
  }
  int64_t total = 0;
  for (x.start = 0; x.start < n_rows; x.start += CHUNK_ROWS) {
    x.cnt = n_rows - x.start < CHUNK_ROWS ? n_rows - x.start : CHUNK_ROWS;
    x.nw = (x.cnt + 63) / 64;
    uint64_t *t = x.scratch, *f = t + CHUNK_WORDS;
    for (int64_t w = 0; w < x.nw; w++) x.acts[w] = tail_mask(x.cnt, w);
    rc = eval_node(&x, b->root, t, f, 0, x.acts);
    if (rc != LP_OK) goto done;
    t[x.nw - 1] &= tail_mask(x.cnt, x.nw - 1);
    for (int64_t w = 0; w < x.nw; w++) total += __builtin_popcountll(t[w]);
    memcpy(out_sel + x.start / 8, t, (size_t)(x.cnt + 7) / 8);
  }
  if (out_n) *out_n = total;
done:
  for (int i = 0; x.slots != NULL && i < b->n_slots; i++) free(x.slots[i].arena);
  free(x.slots);
  free(x.rc);
  free(x.scratch);
  free(x.mat1);
  free(x.mat2);
  return rc;
}

lp_status lp__pred_eval_columns(const lp__pred_bound *b, const struct ArrowArray *const *cols, size_t n_cols,
                                int64_t n_rows, uint8_t *out_sel, int64_t *out_n_selected, lp_error *err) {
  if (cols == NULL && n_cols > 0) return lp_error_set(err, LP_EINVAL, "predicate: eval: no columns");
  return run(b, cols, n_cols, NULL, n_rows, out_sel, out_n_selected, err);
}

lp_status lp__pred_eval(const lp__pred_bound *b, const struct ArrowArray *batch, uint8_t *out_sel,
                        int64_t *out_n_selected, lp_error *err) {
  if (batch == NULL || batch->release == NULL || batch->length < 0 || batch->offset < 0 ||
      batch->n_children < 0 || (batch->n_children > 0 && batch->children == NULL))
    return lp_error_set(err, LP_EINVAL, "predicate: eval: batch is not a valid struct array");
  if (b != NULL && (size_t)batch->n_children != b->n_fields)
    return lp_error_set(err, LP_EINVAL, "predicate: eval: batch has %lld columns, the predicate was bound to %zu",
                        (long long)batch->n_children, b->n_fields);
  return run(b, (const struct ArrowArray *const *)batch->children, (size_t)batch->n_children, batch,
             batch->length, out_sel, out_n_selected, err);
}

lp_status lp__pred_locate_column(const bcol *bc, const struct ArrowArray *top, int64_t n_rows, rcol *out, lp_error *err) {
  return locate(bc, top, NULL, 0, n_rows, out, err);
}

static void release_view(struct ArrowArray *a) { a->release = NULL; }

void lp__pred_u64_view(const uint64_t *vals, int64_t n, const void **bufs, struct ArrowArray *out) {
  bufs[0] = NULL;
  bufs[1] = vals;
  *out = (struct ArrowArray){.length = n, .n_buffers = 2, .buffers = bufs, .release = release_view};
}
