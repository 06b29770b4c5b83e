/* AVX2 + FMA distance kernels (F16C converts float16 rows). Compiled with function target attributes
 * and called only when the CPU reports avx2, fma and f16c (distance.c). 2 x 8 lanes per step; a scalar
 * loop takes the remainder. */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "query/distance_int.h"

#define TGT __attribute__((target("avx2,fma,f16c")))
#define INL TGT static inline __attribute__((always_inline))

INL __m256 ld_f32(const float *p) { return _mm256_loadu_ps(p); }
INL __m256 ld_f16(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

/* acc += contribution of (a, b) for the distance kind; rr += b*b for cosine. A separate multiply and add,
 * never a fused one (distance_int.h: the order LanceDB sums in). */
#define STEP(a, b, acc, rr) LP__DIST_STEP(_mm256_add_ps, _mm256_mul_ps, _mm256_sub_ps, a, b, acc, rr)

/* Sixteen lanes in two registers (lanes 0-7, 8-15), the remainder one by one; leaves sum and rsum. */
#define ROW_SUMS(LD, SC)                                                                           \
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, r0 = s0, r1 = s0;                                      \
  size_t j = 0;                                                                                    \
  for (; j + 16 <= dim; j += 16) {                                                                 \
    STEP(_mm256_loadu_ps(q + j), LD(r + j), s0, r0);                                               \
    STEP(_mm256_loadu_ps(q + j + 8), LD(r + j + 8), s1, r1);                                       \
  }                                                                                                \
  float ts = 0, tr = 0, lanes[16];                                                                 \
  for (; j < dim; j++) lp__dist_rest(kind, q[j], SC(r + j), &ts, &tr);                        \
  _mm256_storeu_ps(lanes, s0);                                                                     \
  _mm256_storeu_ps(lanes + 8, s1);                                                                 \
  float sum = ts + lp__lanes_sum16(lanes);                                                         \
  _mm256_storeu_ps(lanes, r0);                                                                     \
  _mm256_storeu_ps(lanes + 8, r1);                                                                 \
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

/* Sum of the eight 32-bit lanes. */
INL uint32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return (uint32_t)_mm_cvtsi128_si32(s);
}

/* Sixteen codes per step widened to 16 bits; madd squares the differences and adds them in pairs into
 * 32-bit lanes. Two rows at a time share the query's loads. */
TGT void lp__sq8_l2_avx2(const int16_t *q, const uint8_t *rows, size_t n, size_t dim, uint32_t *out) {
  size_t whole = dim & ~(size_t)15, i = 0;
  for (; i + 2 <= n; i += 2) {
    const uint8_t *a = rows + i * dim, *b = a + dim;
    __m256i sa = _mm256_setzero_si256(), sb = sa;
    for (size_t j = 0; j < whole; j += 16) {
      __m256i qv = _mm256_loadu_si256((const __m256i *)(q + j));
      __m256i da = _mm256_sub_epi16(qv, _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(a + j))));
      __m256i db = _mm256_sub_epi16(qv, _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(b + j))));
      sa = _mm256_add_epi32(sa, _mm256_madd_epi16(da, da));
      sb = _mm256_add_epi32(sb, _mm256_madd_epi16(db, db));
    }
    out[i] = hsum_epi32(sa) + lp__sq8_row_tail(q, a, whole, dim);
    out[i + 1] = hsum_epi32(sb) + lp__sq8_row_tail(q, b, whole, dim);
  }
  for (; i < n; i++) {
    const uint8_t *a = rows + i * dim;
    __m256i sa = _mm256_setzero_si256();
    for (size_t j = 0; j < whole; j += 16) {
      __m256i da = _mm256_sub_epi16(_mm256_loadu_si256((const __m256i *)(q + j)),
                                    _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(a + j))));
      sa = _mm256_add_epi32(sa, _mm256_madd_epi16(da, da));
    }
    out[i] = hsum_epi32(sa) + lp__sq8_row_tail(q, a, whole, dim);
  }
}

const lp__dist_kernels lp__dist_avx2 = {.name = "avx2",
                                        .f32 = {l2_f32, cos_f32, dot_f32},
                                        .f16 = {l2_f16, cos_f16, dot_f16},
                                        .sq8_l2 = lp__sq8_l2_avx2};
#endif
