/* SSE2 distance kernels (the x86-64 baseline; no FMA). Float16 rows are converted in software, four
 * values at a time, since SSE2 has no F16C. 4 x 4 lanes per step; a scalar loop takes the remainder. */
#if defined(__x86_64__)
#include <emmintrin.h>

#include "query/distance_int.h"

#define TGT __attribute__((target("sse2")))
#define INL TGT static inline __attribute__((always_inline))

INL __m128 ld_f32(const float *p) { return _mm_loadu_ps(p); }
INL __m128 ld_f16(const uint16_t *p) {
  return _mm_setr_ps(lp__half_to_float(p[0]), lp__half_to_float(p[1]), lp__half_to_float(p[2]),
                     lp__half_to_float(p[3]));
}
INL float sc_f32(const float *p) { return *p; }
INL float sc_f16(const uint16_t *p) { return lp__half_to_float(*p); }

#define STEP(a, b, acc, rr) LP__DIST_STEP(_mm_add_ps, _mm_mul_ps, _mm_sub_ps, a, b, acc, rr)

/* Sixteen lanes in four registers, the remainder one by one (distance_int.h); leaves sum and rsum. */
#define ROW_SUMS(LD, SC)                                                                 \
  __m128 s[4] = {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()}; \
  __m128 rr4[4] = {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()}; \
  size_t j = 0;                                                                          \
  for (; j + 16 <= dim; j += 16)                                                         \
    for (int u = 0; u < 4; u++) STEP(_mm_loadu_ps(q + j + 4 * u), LD(r + j + 4 * u), s[u], rr4[u]); \
  float ts = 0, tr = 0, lanes[16];                                                       \
  for (; j < dim; j++) lp__dist_rest(kind, q[j], SC(r + j), &ts, &tr);                        \
  for (int u = 0; u < 4; u++) _mm_storeu_ps(lanes + 4 * u, s[u]);                        \
  float sum = ts + lp__lanes_sum16(lanes);                                               \
  for (int u = 0; u < 4; u++) _mm_storeu_ps(lanes + 4 * u, rr4[u]);                      \
  float rsum = tr + lp__lanes_sum16(lanes);

#define ROW_BODY(LD, SC)                                                                 \
  ROW_SUMS(LD, SC)                                                                       \
  return kind == LP__DIST_L2 ? sum : kind == LP__DIST_DOT ? 1.0f - sum : lp__cosine_from(sum, qq, rsum);

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

/* Eight codes per step widened to 16 bits against zero; madd squares and pairs the differences. */
TGT static void sq8_l2(const int16_t *q, const uint8_t *rows, size_t n, size_t dim, uint32_t *out) {
  size_t whole = dim & ~(size_t)7;
  const __m128i zero = _mm_setzero_si128();
  for (size_t i = 0; i < n; i++) {
    const uint8_t *a = rows + i * dim;
    __m128i s = zero;
    for (size_t j = 0; j < whole; j += 8) {
      __m128i x = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(a + j)), zero);
      __m128i d = _mm_sub_epi16(_mm_loadu_si128((const __m128i *)(q + j)), x);
      s = _mm_add_epi32(s, _mm_madd_epi16(d, d));
    }
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    out[i] = (uint32_t)_mm_cvtsi128_si32(s) + lp__sq8_row_tail(q, a, whole, dim);
  }
}

const lp__dist_kernels lp__dist_sse2 = {.name = "sse2",
                                        .f32 = {l2_f32, cos_f32, dot_f32},
                                        .f16 = {l2_f16, cos_f16, dot_f16},
                                        .sq8_l2 = sq8_l2};
#endif
