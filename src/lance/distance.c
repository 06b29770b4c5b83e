/* Distance kernel dispatch: the best instruction set this CPU supports, chosen with
 * __builtin_cpu_supports, and the helpers shared by all variants. */
#include <string.h>
#include <strings.h>

#include "lance/distance_int.h"

const lp__dist_kernels *lp__dist_kernels_for(lp__simd level) {
  switch (level) {
  case LP__SIMD_SCALAR: return &lp__dist_scalar;
#if defined(__x86_64__)
  case LP__SIMD_SSE2: return __builtin_cpu_supports("sse2") ? &lp__dist_sse2 : NULL;
  case LP__SIMD_AVX2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")
               ? &lp__dist_avx2
               : NULL;
  case LP__SIMD_AVX512: return __builtin_cpu_supports("avx512f") ? &lp__dist_avx512 : NULL;
#endif
  default: return NULL;
  }
}

const lp__dist_kernels *lp__dist_kernels_best(void) {
  for (int l = LP__SIMD_COUNT - 1; l > 0; l--) {
    const lp__dist_kernels *k = lp__dist_kernels_for((lp__simd)l);
    if (k != NULL) return k;
  }
  return &lp__dist_scalar;
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

float lp__half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF, x;
  if (exp == 0x1F) {
    x = sign | 0x7F800000 | man << 13;
  } else if (exp == 0) {
    if (man == 0) {
      x = sign;
    } else {
      int e = -1;
      do {
        e++;
        man <<= 1;
      } while ((man & 0x400) == 0);
      x = sign | (uint32_t)(127 - 15 - e) << 23 | (man & 0x3FF) << 13;
    }
  } else {
    x = sign | (exp + 112) << 23 | man << 13;
  }
  float f;
  memcpy(&f, &x, 4);
  return f;
}
