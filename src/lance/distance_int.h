/* Private to distance_*.c: each instruction-set file defines one kernel table. */
#ifndef LP_LANCE_DISTANCE_INT_H
#define LP_LANCE_DISTANCE_INT_H

#include <math.h>

#include "lance/distance.h"

extern const lp__dist_kernels lp__dist_scalar;
#if defined(__x86_64__)
extern const lp__dist_kernels lp__dist_sse2;
extern const lp__dist_kernels lp__dist_avx2;
extern const lp__dist_kernels lp__dist_avx512;
#endif

/* The three distances from their sums, as LanceDB computes them in float32. */
static inline float lp__cosine_from(float dot, float qq, float rr) {
  return 1.0f - dot / (sqrtf(qq) * sqrtf(rr));
}

#endif
