/* AVX-512F distance kernels (float16 rows converted with vcvtph2ps). Compiled with function target
 * attributes and called only when the CPU reports avx512f (distance.c). 4 x 16 lanes per step; a masked
 * load takes the float32 tail. */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "lance/distance_int.h"

#define TGT __attribute__((target("avx512f")))
#define INL TGT static inline __attribute__((always_inline))

INL __m512 ld_f32(const float *p) { return _mm512_loadu_ps(p); }
INL __m512 ld_f16(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
INL __m512 tail_f32(const float *p, size_t k) { return _mm512_maskz_loadu_ps((__mmask16)((1u << k) - 1), p); }
INL __m512 tail_f16(const uint16_t *p, size_t k) {
  uint16_t t[16] = {0};
  memcpy(t, p, k * sizeof *t);
  return ld_f16(t);
}

#define STEP(a, b, acc, rr)                                            \
  do {                                                                 \
    __m512 a_ = (a), b_ = (b);                                         \
    if (kind == LP__DIST_L2) {                                         \
      __m512 d_ = _mm512_sub_ps(a_, b_);                               \
      acc = _mm512_fmadd_ps(d_, d_, acc);                              \
    } else {                                                           \
      acc = _mm512_fmadd_ps(a_, b_, acc);                              \
      if (kind == LP__DIST_COSINE) rr = _mm512_fmadd_ps(b_, b_, rr);   \
    }                                                                  \
  } while (0)

#define ROW_BODY(LD, TAIL)                                                                         \
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, r0 = s0, r1 = s0, r2 = s0, r3 = s0; \
  size_t j = 0;                                                                                    \
  for (; j + 64 <= dim; j += 64) {                                                                 \
    STEP(_mm512_loadu_ps(q + j), LD(r + j), s0, r0);                                               \
    STEP(_mm512_loadu_ps(q + j + 16), LD(r + j + 16), s1, r1);                                     \
    STEP(_mm512_loadu_ps(q + j + 32), LD(r + j + 32), s2, r2);                                     \
    STEP(_mm512_loadu_ps(q + j + 48), LD(r + j + 48), s3, r3);                                     \
  }                                                                                                \
  for (; j + 16 <= dim; j += 16) STEP(_mm512_loadu_ps(q + j), LD(r + j), s0, r0);                  \
  if (j < dim) STEP(tail_f32(q + j, dim - j), TAIL(r + j, dim - j), s1, r1);                       \
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));   \
  float rsum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(r0, r1), _mm512_add_ps(r2, r3)));  \
  return kind == LP__DIST_L2 ? sum : kind == LP__DIST_DOT ? 1.0f - sum : lp__cosine_from(sum, qq, rsum);

INL float row_f32(const float *q, const float *r, size_t dim, int kind, float qq) { ROW_BODY(ld_f32, tail_f32) }
INL float row_f16(const float *q, const uint16_t *r, size_t dim, int kind, float qq) { ROW_BODY(ld_f16, tail_f16) }

INL float qnorm2(const float *q, size_t dim) {
  __m512 s = _mm512_setzero_ps();
  size_t j = 0;
  for (; j + 16 <= dim; j += 16) s = _mm512_fmadd_ps(_mm512_loadu_ps(q + j), _mm512_loadu_ps(q + j), s);
  if (j < dim) {
    __m512 t = tail_f32(q + j, dim - j);
    s = _mm512_fmadd_ps(t, t, s);
  }
  return _mm512_reduce_add_ps(s);
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

const lp__dist_kernels lp__dist_avx512 = {
    .name = "avx512", .f32 = {l2_f32, cos_f32, dot_f32}, .f16 = {l2_f16, cos_f16, dot_f16}};
#endif
