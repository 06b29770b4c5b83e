/* Private to distance_*.c: each instruction-set file defines one kernel table. */
#ifndef LP_QUERY_DISTANCE_INT_H
#define LP_QUERY_DISTANCE_INT_H

#include <math.h>

#include "query/distance.h"

extern const lp__dist_kernels lp__dist_scalar;
#if defined(__x86_64__)
extern const lp__dist_kernels lp__dist_sse2;
extern const lp__dist_kernels lp__dist_avx2;
extern const lp__dist_kernels lp__dist_avx512;
/* The AVX2 integer kernel, which the AVX-512 table shares (every AVX-512 CPU runs AVX2). */
void lp__sq8_l2_avx2(const int16_t *q, const uint8_t *rows, size_t n, size_t dim, uint32_t *out);
#endif

/* The integer kernel one row at a time, for remainders and the portable table. */
static inline uint32_t lp__sq8_row_tail(const int16_t *q, const uint8_t *r, size_t from, size_t dim) {
  uint32_t s = 0;
  for (size_t j = from; j < dim; j++) {
    int32_t d = (int32_t)q[j] - (int32_t)r[j];
    s += (uint32_t)(d * d);
  }
  return s;
}

/* Summation order, the same at every level and the same as LanceDB's own kernels (checked against its
 * `_distance` values by tests/interop): sixteen lane sums, lane u taking elements u, u+16, u+32, ... of
 * the whole groups of 16, each step a separate multiply and add (no fused multiply-add); the elements
 * after the last whole group summed one by one; the result is that remainder plus the sixteen lanes added
 * in lane order. Distances then agree with LanceDB's to the last bit for float32 L2 and dot. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF /* clang would fuse a * b + c inside one expression; GCC does not in ISO C */
#endif
static inline float lp__lanes_sum16(const float lanes[16]) {
  float t = 0;
  for (int u = 0; u < 16; u++) t += lanes[u];
  return t;
}

/* One step over a whole register of lanes, for any instruction set (ADD, MUL, SUB its intrinsics): acc
 * gains the distance's terms, rr the row's squares (cosine only). `kind` must be in scope. */
#define LP__DIST_STEP(ADD, MUL, SUB, a, b, acc, rr)             \
  do {                                                          \
    if (kind == LP__DIST_L2) {                                  \
      acc = ADD(acc, MUL(SUB(a, b), SUB(a, b)));                \
    } else {                                                    \
      acc = ADD(acc, MUL(a, b));                                \
      if (kind == LP__DIST_COSINE) rr = ADD(rr, MUL(b, b));     \
    }                                                           \
  } while (0)

/* One element after the last whole group of 16: the same terms, one by one. */
static inline void lp__dist_rest(int kind, float a, float b, float *s, float *rr) {
  if (kind == LP__DIST_L2) {
    *s += (a - b) * (a - b);
  } else {
    *s += a * b;
    *rr += b * b;
  }
}

/* The three distances from their sums, as LanceDB computes them in float32. */
static inline float lp__cosine_from(float dot, float qq, float rr) {
  return 1.0f - dot / sqrtf(qq) / sqrtf(rr); /* two divisions, as LanceDB writes it */
}

#endif
