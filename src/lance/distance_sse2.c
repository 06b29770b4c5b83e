/* SSE2 distance kernels (the x86-64 baseline; no FMA). Float16 rows are converted in software, four
 * values at a time, since SSE2 has no F16C. 2 x 4 lanes per step; a scalar loop takes the tail. */
#if defined(__x86_64__)
#include <emmintrin.h>

#include "lance/distance_int.h"

#define TGT __attribute__((target("sse2")))
#define INL TGT static inline __attribute__((always_inline))

INL float hsum(__m128 s) {
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
INL __m128 ld_f32(const float *p) { return _mm_loadu_ps(p); }
INL __m128 ld_f16(const uint16_t *p) {
  return _mm_setr_ps(lp__half_to_float(p[0]), lp__half_to_float(p[1]), lp__half_to_float(p[2]),
                     lp__half_to_float(p[3]));
}
INL float sc_f32(const float *p) { return *p; }
INL float sc_f16(const uint16_t *p) { return lp__half_to_float(*p); }

#define STEP(a, b, acc, rr)                                          \
  do {                                                               \
    __m128 a_ = (a), b_ = (b);                                       \
    if (kind == LP__DIST_L2) {                                       \
      __m128 d_ = _mm_sub_ps(a_, b_);                                \
      acc = _mm_add_ps(acc, _mm_mul_ps(d_, d_));                     \
    } else {                                                         \
      acc = _mm_add_ps(acc, _mm_mul_ps(a_, b_));                     \
      if (kind == LP__DIST_COSINE) rr = _mm_add_ps(rr, _mm_mul_ps(b_, b_)); \
    }                                                                \
  } while (0)

#define ROW_BODY(LD, SC)                                                                 \
  __m128 s0 = _mm_setzero_ps(), s1 = s0, r0 = s0, r1 = s0;                               \
  size_t j = 0;                                                                          \
  for (; j + 8 <= dim; j += 8) {                                                         \
    STEP(_mm_loadu_ps(q + j), LD(r + j), s0, r0);                                        \
    STEP(_mm_loadu_ps(q + j + 4), LD(r + j + 4), s1, r1);                                \
  }                                                                                      \
  for (; j + 4 <= dim; j += 4) STEP(_mm_loadu_ps(q + j), LD(r + j), s0, r0);             \
  float sum = hsum(_mm_add_ps(s0, s1)), rsum = hsum(_mm_add_ps(r0, r1));                 \
  for (; j < dim; j++) {                                                                 \
    float a = q[j], b = SC(r + j);                                                       \
    if (kind == LP__DIST_L2) sum += (a - b) * (a - b);                                   \
    else sum += a * b, rsum += b * b;                                                    \
  }                                                                                      \
  return kind == LP__DIST_L2 ? sum : kind == LP__DIST_DOT ? 1.0f - sum : lp__cosine_from(sum, qq, rsum);

INL float row_f32(const float *q, const float *r, size_t dim, int kind, float qq) { ROW_BODY(ld_f32, sc_f32) }
INL float row_f16(const float *q, const uint16_t *r, size_t dim, int kind, float qq) { ROW_BODY(ld_f16, sc_f16) }

INL float qnorm2(const float *q, size_t dim) {
  float s = 0;
  for (size_t j = 0; j < dim; j++) s += q[j] * q[j];
  return s;
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

const lp__dist_kernels lp__dist_sse2 = {
    .name = "sse2", .f32 = {l2_f32, cos_f32, dot_f32}, .f16 = {l2_f16, cos_f16, dot_f16}};
#endif
