/* Distance kernel dispatch: the best instruction set this CPU supports, chosen with
 * __builtin_cpu_supports, and the helpers shared by all variants. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/distance_int.h"

#if defined(__x86_64__)
#include <cpuid.h>

/* F16C (CPUID.1:ECX bit 29): clang's __builtin_cpu_supports does not know the name. */
static int has_f16c(void) {
  unsigned a, b, c, d;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
}
#endif

const lp__dist_kernels *lp__dist_kernels_for(lp__simd level) {
  switch (level) {
  case LP__SIMD_SCALAR: return &lp__dist_scalar;
#if defined(__x86_64__)
  case LP__SIMD_SSE2: return __builtin_cpu_supports("sse2") ? &lp__dist_sse2 : NULL;
  case LP__SIMD_AVX2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c()
               ? &lp__dist_avx2
               : NULL;
  case LP__SIMD_AVX512: return __builtin_cpu_supports("avx512f") ? &lp__dist_avx512 : NULL;
#endif
  default: return NULL;
  }
}

/* The fastest level this CPU runs, or the one LP_DIST_KERNEL names (scalar, sse2, avx2, avx512) when
 * the CPU runs it: tests and benchmarks compare levels end to end. Chosen once. */
static const lp__dist_kernels *best;
static pthread_once_t best_once = PTHREAD_ONCE_INIT;

static void choose_best(void) {
  const char *forced = getenv("LP_DIST_KERNEL");
  for (int l = LP__SIMD_COUNT - 1; l >= 0; l--) {
    const lp__dist_kernels *k = lp__dist_kernels_for((lp__simd)l);
    if (k == NULL) continue;
    if (forced == NULL || forced[0] == '\0') {
      if (best == NULL) best = k;
    } else if (strcmp(forced, k->name) == 0) best = k;
  }
  if (best == NULL) best = &lp__dist_scalar;
}

const lp__dist_kernels *lp__dist_kernels_best(void) {
  pthread_once(&best_once, choose_best);
  return best;
}

void lp__dist_f32(lp__dist_kind kind, const float *query, const float *rows, size_t n, size_t dim, float *out) {
  lp__dist_kernels_best()->f32[kind](query, rows, n, dim, out);
}

void lp__dist_f16(lp__dist_kind kind, const float *query, const uint16_t *rows, size_t n, size_t dim, float *out) {
  lp__dist_kernels_best()->f16[kind](query, rows, n, dim, out);
}

int lp__dist_kind_parse(const char *name) {
  if (name == NULL) return -1;
  if (strcasecmp(name, "l2") == 0 || strcasecmp(name, "euclidean") == 0) return LP__DIST_L2;
  if (strcasecmp(name, "cosine") == 0) return LP__DIST_COSINE;
  if (strcasecmp(name, "dot") == 0) return LP__DIST_DOT;
  return -1;
}

/* Round a double to the nearest float16 (ties to even) in one step, so no double rounding happens. */
uint16_t lp__half_from_double(double d) {
  uint16_t sign = signbit(d) ? 0x8000u : 0;
  if (isnan(d)) return sign | 0x7e00u;
  double a = fabs(d);
  if (a >= 65520.0) return sign | 0x7c00u; /* 65520 is the tie between 65504 and 2^16; even goes up */
  if (a < 0x1p-14) return sign | (uint16_t)rint(a * 0x1p24); /* subnormal; 1024 encodes the least normal */
  int e;
  double f = frexp(a, &e);            /* a = f * 2^e, f in [0.5, 1) */
  double m = rint((f * 2 - 1) * 1024); /* ten fraction bits, rounded ties-to-even */
  int exp = e - 1;
  if (m == 1024) {
    m = 0;
    exp++;
  }
  if (exp > 15) return sign | 0x7c00u;
  return sign | (uint16_t)((exp + 15) << 10) | (uint16_t)m;
}
