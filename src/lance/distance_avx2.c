/* AVX2 + FMA distance kernels (F16C converts float16 rows). Compiled with function target attributes
 * and called only when the CPU reports avx2, fma and f16c (distance.c). 4 x 8 lanes per step. */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "lance/distance_int.h"

#define TGT __attribute__((target("avx2,fma,f16c")))
#define INL TGT static inline __attribute__((always_inline))

INL float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

INL __m256 ld_f32(const float *p) { return _mm256_loadu_ps(p); }
INL __m256 ld_f16(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

/* The first k < 8 values, zeros after (no read past them). */
INL __m256i tail_mask(size_t k) {
  static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256((const __m256i *)(m + 8 - k));
}
INL __m256 tail_f32(const float *p, size_t k) { return _mm256_maskload_ps(p, tail_mask(k)); }
INL __m256 tail_f16(const uint16_t *p, size_t k) {
  uint16_t t[8] = {0};
  memcpy(t, p, k * sizeof *t);
  return ld_f16(t);
}

/* acc += contribution of (a, b) for the distance kind; rr += b*b for cosine. */
#define STEP(a, b, acc, rr)                                            \
  do {                                                                 \
    __m256 a_ = (a), b_ = (b);                                         \
    if (kind == LP__DIST_L2) {                                         \
      __m256 d_ = _mm256_sub_ps(a_, b_);                               \
      acc = _mm256_fmadd_ps(d_, d_, acc);                              \
    } else {                                                           \
      acc = _mm256_fmadd_ps(a_, b_, acc);                              \
      if (kind == LP__DIST_COSINE) rr = _mm256_fmadd_ps(b_, b_, rr);   \
    }                                                                  \
  } while (0)

#define ROW_BODY(LD, TAIL)                                                                         \
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, r0 = s0, r1 = s0, r2 = s0, r3 = s0; \
  size_t j = 0;                                                                                    \
  for (; j + 32 <= dim; j += 32) {                                                                 \
    STEP(_mm256_loadu_ps(q + j), LD(r + j), s0, r0);                                               \
    STEP(_mm256_loadu_ps(q + j + 8), LD(r + j + 8), s1, r1);                                       \
    STEP(_mm256_loadu_ps(q + j + 16), LD(r + j + 16), s2, r2);                                     \
    STEP(_mm256_loadu_ps(q + j + 24), LD(r + j + 24), s3, r3);                                     \
  }                                                                                                \
  for (; j + 8 <= dim; j += 8) STEP(_mm256_loadu_ps(q + j), LD(r + j), s0, r0);                    \
  if (j < dim) STEP(tail_f32(q + j, dim - j), TAIL(r + j, dim - j), s1, r1);                       \
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));                   \
  float rsum = hsum(_mm256_add_ps(_mm256_add_ps(r0, r1), _mm256_add_ps(r2, r3)));                  \
  return kind == LP__DIST_L2 ? sum : kind == LP__DIST_DOT ? 1.0f - sum : lp__cosine_from(sum, qq, rsum);

INL float row_f32(const float *q, const float *r, size_t dim, int kind, float qq) { ROW_BODY(ld_f32, tail_f32) }
INL float row_f16(const float *q, const uint16_t *r, size_t dim, int kind, float qq) { ROW_BODY(ld_f16, tail_f16) }

INL float qnorm2(const float *q, size_t dim) {
  __m256 s = _mm256_setzero_ps();
  size_t j = 0;
  for (; j + 8 <= dim; j += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), _mm256_loadu_ps(q + j), s);
  if (j < dim) {
    __m256 t = tail_f32(q + j, dim - j);
    s = _mm256_fmadd_ps(t, t, s);
  }
  return hsum(s);
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

const lp__dist_kernels lp__dist_avx2 = {
    .name = "avx2", .f32 = {l2_f32, cos_f32, dot_f32}, .f16 = {l2_f16, cos_f16, dot_f16}};
#endif
