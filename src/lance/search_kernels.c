/* Distance kernels for flat search: squared L2, cosine distance and dot distance of many stored vectors
 * against one query, float32 or float16 elements. Three levels (AVX-512, AVX2+FMA+F16C, portable), each
 * compiled with a target attribute and picked at run time, so the library still runs on any x86-64. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lance/search_int.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LP_X86 1
#endif

float lp__f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu, bits;
  if (exp == 0x1f) bits = sign | 0x7f800000u | (man << 13); /* inf / nan */
  else if (exp != 0) bits = sign | ((exp + 112) << 23) | (man << 13);
  else if (man == 0) bits = sign;
  else { /* subnormal: normalise */
    exp = 113;
    while ((man & 0x400u) == 0) {
      man <<= 1;
      exp--;
    }
    bits = sign | (exp << 23) | ((man & 0x3ffu) << 13);
  }
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

uint16_t lp__f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0)); /* inf/nan */
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);                                   /* overflow */
  if (ax < 0x38800000u) { /* subnormal or zero in half: scale by 2^24 and round */
    float a;
    memcpy(&a, &ax, sizeof a);
    float scaled = a * 16777216.0f; /* 2^24: half subnormal unit */
    uint32_t m = (uint32_t)lrintf(scaled);
    return (uint16_t)(sign | m);
  }
  uint32_t mant = ax & 0x7fffffu, e = (ax >> 23) - 112;
  uint32_t h = (e << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
  return (uint16_t)(sign | h);
}

/* Turn the accumulated sums of one vector into LanceDB's distance. */
static inline float finish(const lp__search_query *q, float acc, float vv) {
  switch (q->metric) {
    case LP_METRIC_COSINE: return 1.0f - acc / (q->q_norm * sqrtf(vv));
    case LP_METRIC_DOT: return 1.0f - acc;
    default: return acc;
  }
}

/* ---- portable ---- */

static void generic_f32(const lp__search_query *q, const float *rows, size_t n, float *out) {
  const size_t dim = q->dim;
  for (size_t r = 0; r < n; r++) {
    const float *v = rows + r * dim;
    float a[4] = {0, 0, 0, 0}, b[4] = {0, 0, 0, 0};
    size_t i = 0;
    if (q->metric == LP_METRIC_L2) {
      for (; i + 4 <= dim; i += 4)
        for (int j = 0; j < 4; j++) {
          float d = q->q[i + j] - v[i + j];
          a[j] += d * d;
        }
      for (; i < dim; i++) a[0] += (q->q[i] - v[i]) * (q->q[i] - v[i]);
    } else {
      for (; i + 4 <= dim; i += 4)
        for (int j = 0; j < 4; j++) {
          a[j] += q->q[i + j] * v[i + j];
          b[j] += v[i + j] * v[i + j];
        }
      for (; i < dim; i++) {
        a[0] += q->q[i] * v[i];
        b[0] += v[i] * v[i];
      }
    }
    out[r] = finish(q, (a[0] + a[1]) + (a[2] + a[3]), (b[0] + b[1]) + (b[2] + b[3]));
  }
}

static void generic_f16(const lp__search_query *q, const uint16_t *rows, size_t n, float *out) {
  const size_t dim = q->dim;
  for (size_t r = 0; r < n; r++) {
    const uint16_t *v = rows + r * dim;
    float a = 0, b = 0;
    for (size_t i = 0; i < dim; i++) {
      float x = lp__f16_to_f32(v[i]);
      if (q->metric == LP_METRIC_L2) a += (q->q[i] - x) * (q->q[i] - x);
      else {
        a += q->q[i] * x;
        b += x * x;
      }
    }
    out[r] = finish(q, a, b);
  }
}

static const lp__sdist_kernels GENERIC = {"generic", generic_f32, generic_f16};

#ifdef LP_X86
/* ---- AVX2 + FMA + F16C: 8 lanes, two accumulators per sum ---- */

__attribute__((target("avx2,fma"))) static inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* One vector against the query; `load` gives 8 stored values as float at element i. */
#define AVX2_BODY(LOAD, SCALAR)                                                                 \
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();                                   \
  __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();                                   \
  size_t i = 0;                                                                                 \
  if (q->metric == LP_METRIC_L2) {                                                              \
    for (; i + 16 <= dim; i += 16) {                                                            \
      __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(qq + i), LOAD(i));                              \
      __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(qq + i + 8), LOAD(i + 8));                      \
      a0 = _mm256_fmadd_ps(d0, d0, a0);                                                         \
      a1 = _mm256_fmadd_ps(d1, d1, a1);                                                         \
    }                                                                                           \
    for (; i + 8 <= dim; i += 8) {                                                              \
      __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(qq + i), LOAD(i));                              \
      a0 = _mm256_fmadd_ps(d0, d0, a0);                                                         \
    }                                                                                           \
  } else {                                                                                      \
    for (; i + 16 <= dim; i += 16) {                                                            \
      __m256 x0 = LOAD(i), x1 = LOAD(i + 8);                                                    \
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(qq + i), x0, a0);                                    \
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(qq + i + 8), x1, a1);                                \
      b0 = _mm256_fmadd_ps(x0, x0, b0);                                                         \
      b1 = _mm256_fmadd_ps(x1, x1, b1);                                                         \
    }                                                                                           \
    for (; i + 8 <= dim; i += 8) {                                                              \
      __m256 x0 = LOAD(i);                                                                      \
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(qq + i), x0, a0);                                    \
      b0 = _mm256_fmadd_ps(x0, x0, b0);                                                         \
    }                                                                                           \
  }                                                                                             \
  float a = hsum256(_mm256_add_ps(a0, a1)), b = hsum256(_mm256_add_ps(b0, b1));                \
  for (; i < dim; i++) {                                                                        \
    float x = SCALAR(i);                                                                        \
    if (q->metric == LP_METRIC_L2) a += (qq[i] - x) * (qq[i] - x);                              \
    else {                                                                                      \
      a += qq[i] * x;                                                                           \
      b += x * x;                                                                               \
    }                                                                                           \
  }

__attribute__((target("avx2,fma"))) static void avx2_f32(const lp__search_query *q, const float *rows, size_t n,
                                                         float *out) {
  const size_t dim = q->dim;
  const float *qq = q->q;
  for (size_t r = 0; r < n; r++) {
    const float *v = rows + r * dim;
    if (r + 2 < n) _mm_prefetch((const char *)(v + 2 * dim), _MM_HINT_T0);
#define LOAD_F32(k) _mm256_loadu_ps(v + (k))
#define SCALAR_F32(k) v[k]
    AVX2_BODY(LOAD_F32, SCALAR_F32)
    out[r] = finish(q, a, b);
  }
}

__attribute__((target("avx2,fma,f16c"))) static void avx2_f16(const lp__search_query *q, const uint16_t *rows,
                                                              size_t n, float *out) {
  const size_t dim = q->dim;
  const float *qq = q->q;
  for (size_t r = 0; r < n; r++) {
    const uint16_t *v = rows + r * dim;
#define LOAD_F16(k) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + (k))))
#define SCALAR_F16(k) lp__f16_to_f32(v[k])
    AVX2_BODY(LOAD_F16, SCALAR_F16)
    out[r] = finish(q, a, b);
  }
}

static const lp__sdist_kernels AVX2 = {"avx2", avx2_f32, avx2_f16};

/* ---- AVX-512: 16 lanes, masked tail ---- */

__attribute__((target("avx512f"))) static void avx512_f32(const lp__search_query *q, const float *rows, size_t n,
                                                          float *out) {
  const size_t dim = q->dim;
  const float *qq = q->q;
  const size_t tail = dim % 16, body = dim - tail;
  const __mmask16 m = (__mmask16)((1u << tail) - 1u);
  for (size_t r = 0; r < n; r++) {
    const float *v = rows + r * dim;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
    size_t i = 0;
    if (q->metric == LP_METRIC_L2) {
      for (; i + 32 <= body; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(qq + i), _mm512_loadu_ps(v + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(qq + i + 16), _mm512_loadu_ps(v + i + 16));
        a0 = _mm512_fmadd_ps(d0, d0, a0);
        a1 = _mm512_fmadd_ps(d1, d1, a1);
      }
      for (; i < body; i += 16) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(qq + i), _mm512_loadu_ps(v + i));
        a0 = _mm512_fmadd_ps(d0, d0, a0);
      }
      if (tail) {
        __m512 d0 = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, qq + i), _mm512_maskz_loadu_ps(m, v + i));
        a1 = _mm512_fmadd_ps(d0, d0, a1);
      }
    } else {
      for (; i < body; i += 16) {
        __m512 x = _mm512_loadu_ps(v + i);
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(qq + i), x, a0);
        b0 = _mm512_fmadd_ps(x, x, b0);
      }
      if (tail) {
        __m512 x = _mm512_maskz_loadu_ps(m, v + i);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, qq + i), x, a1);
        b1 = _mm512_fmadd_ps(x, x, b1);
      }
    }
    out[r] = finish(q, _mm512_reduce_add_ps(_mm512_add_ps(a0, a1)), _mm512_reduce_add_ps(_mm512_add_ps(b0, b1)));
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) static void avx512_f16(const lp__search_query *q, const uint16_t *rows,
                                                          size_t n, float *out) {
  const size_t dim = q->dim;
  const float *qq = q->q;
  const size_t tail = dim % 16, body = dim - tail;
  const __mmask16 m = (__mmask16)((1u << tail) - 1u);
  for (size_t r = 0; r < n; r++) {
    const uint16_t *v = rows + r * dim;
    __m512 a0 = _mm512_setzero_ps(), b0 = _mm512_setzero_ps();
    for (size_t i = 0; i <= body; i += 16) {
      if (i == body && tail == 0) break;
      __mmask16 mm = i < body ? (__mmask16)0xffff : m;
      __m512 x = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mm, v + i));
      __m512 y = _mm512_maskz_loadu_ps(mm, qq + i);
      if (q->metric == LP_METRIC_L2) {
        __m512 d = _mm512_sub_ps(y, x);
        a0 = _mm512_fmadd_ps(d, d, a0);
      } else {
        a0 = _mm512_fmadd_ps(y, x, a0);
        b0 = _mm512_fmadd_ps(x, x, b0);
      }
    }
    out[r] = finish(q, _mm512_reduce_add_ps(a0), _mm512_reduce_add_ps(b0));
  }
}

static const lp__sdist_kernels AVX512 = {"avx512", avx512_f32, avx512_f16};
#endif

const lp__sdist_kernels *lp__sdist_kernels_level(const char *name) {
  if (strcmp(name, "generic") == 0) return &GENERIC;
#ifdef LP_X86
  __builtin_cpu_init();
  if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c"))
    return &AVX2;
  if (strcmp(name, "avx512") == 0 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
    return &AVX512;
#endif
  return NULL;
}

static const lp__sdist_kernels *chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static void choose(void) {
  const char *forced = getenv("LP_SEARCH_KERNEL");
  if (forced && (chosen = lp__sdist_kernels_level(forced)) != NULL) return;
  if ((chosen = lp__sdist_kernels_level("avx512")) != NULL) return;
  if ((chosen = lp__sdist_kernels_level("avx2")) != NULL) return;
  chosen = &GENERIC;
}

const lp__sdist_kernels *lp__sdist_kernels_get(void) {
  pthread_once(&chosen_once, choose);
  return chosen;
}
