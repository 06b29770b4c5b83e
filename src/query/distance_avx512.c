/* AVX-512F distance kernels (float16 rows converted with vcvtph2ps). Compiled with function target
 * attributes and called only when the CPU reports avx512f (distance.c). 16 lanes per step; a scalar loop takes
 * the remainder. */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "query/distance_int.h"

#define TGT __attribute__((target("avx512f")))
#define INL TGT static inline __attribute__((always_inline))

INL __m512 ld_f32(const float *p) { return _mm512_loadu_ps(p); }
INL __m512 ld_f16(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
#define STEP(a, b, acc, rr) LP__DIST_STEP(_mm512_add_ps, _mm512_mul_ps, _mm512_sub_ps, a, b, acc, rr)

/* One register of sixteen lanes, the remainder one by one (distance_int.h: the order LanceDB sums in);
 * leaves sum (and rsum, the row's sum of squares, for cosine). */
#define ROW_SUMS(LD, SC)                                                                           \
  __m512 s0 = _mm512_setzero_ps(), r0 = s0;                                                        \
  size_t j = 0;                                                                                    \
  for (; j + 16 <= dim; j += 16) STEP(_mm512_loadu_ps(q + j), LD(r + j), s0, r0);                  \
  float ts = 0, tr = 0, lanes[16];                                                                 \
  for (; j < dim; j++) lp__dist_rest(kind, q[j], SC(r + j), &ts, &tr);                        \
  _mm512_storeu_ps(lanes, s0);                                                                     \
  float sum = ts + lp__lanes_sum16(lanes);                                                         \
  _mm512_storeu_ps(lanes, r0);                                                                     \
  float rsum = tr + lp__lanes_sum16(lanes);

#define ROW_BODY(LD, SC)                                                                           \
  ROW_SUMS(LD, SC)                                                                                 \
  return kind == LP__DIST_L2 ? sum : kind == LP__DIST_DOT ? 1.0f - sum : lp__cosine_from(sum, qq, rsum);

INL float sc_f32(const float *p) { return *p; }
INL float sc_f16(const uint16_t *p) { return lp__half_to_float(*p); }

INL float row_f32(const float *q, const float *r, size_t dim, int kind, float qq) { ROW_BODY(ld_f32, sc_f32) }
INL float row_f16(const float *q, const uint16_t *r, size_t dim, int kind, float qq) { ROW_BODY(ld_f16, sc_f16) }

/* |q|^2 in the same order as the rows' sums of squares. */
INL float qnorm2(const float *q, size_t dim) {
  const int kind = LP__DIST_DOT;
  const float *r = q;
  ROW_SUMS(ld_f32, sc_f32)
  (void)rsum;
  return sum;
}

#define BATCH(NAME, ELEM_T, ROW, KIND)                                                    \
  TGT static void NAME(const float *q, const ELEM_T *rows, size_t n, size_t dim, float *out) { \
    float qq = (KIND) == LP__DIST_COSINE ? qnorm2(q, dim) : 0.0f;                           \
    for (size_t i = 0; i < n; i++) out[i] = ROW(q, rows + i * dim, dim, (KIND), qq);        \
  }
BATCH(l2_f32, float, row_f32, LP__DIST_L2)
BATCH(cos_f32, float, row_f32, LP__DIST_COSINE)
BATCH(dot_f32, float, row_f32, LP__DIST_DOT)
BATCH(l2_f16, uint16_t, row_f16, LP__DIST_L2)
BATCH(cos_f16, uint16_t, row_f16, LP__DIST_COSINE)
BATCH(dot_f16, uint16_t, row_f16, LP__DIST_DOT)

const lp__dist_kernels lp__dist_avx512 = {.name = "avx512",
                                          .f32 = {l2_f32, cos_f32, dot_f32},
                                          .f16 = {l2_f16, cos_f16, dot_f16},
                                          .sq8_l2 = lp__sq8_l2_avx2};
#endif
