/* Distance kernels of the store's exact search. Written with GCC vector extensions so they use SIMD
 * registers without -ffast-math; eight independent lanes keep the additions in a fixed order, so a result
 * does not depend on the thread or run. (To be swapped for src/lance/distance.h when it lands.) */
#include <math.h>
#include <string.h>

#include "store/store_int.h"

typedef float v4f __attribute__((vector_size(16))); /* SSE width: no ABI change without AVX */

static float hsum(v4f a, v4f b) {
  v4f v = a + b;
  return (v[0] + v[2]) + (v[1] + v[3]);
}

static v4f load4(const float *p) {
  v4f v;
  memcpy(&v, p, sizeof v);
  return v;
}

static float l2(const float *a, const float *b, uint32_t dim) {
  v4f acc0 = {0}, acc1 = {0};
  uint32_t d = 0;
  for (; d + 8 <= dim; d += 8) {
    v4f x = load4(a + d) - load4(b + d), y = load4(a + d + 4) - load4(b + d + 4);
    acc0 += x * x;
    acc1 += y * y;
  }
  float s = hsum(acc0, acc1);
  for (; d < dim; d++) s += (a[d] - b[d]) * (a[d] - b[d]);
  return s;
}

static float dot(const float *a, const float *b, uint32_t dim) {
  v4f acc0 = {0}, acc1 = {0};
  uint32_t d = 0;
  for (; d + 8 <= dim; d += 8) {
    acc0 += load4(a + d) * load4(b + d);
    acc1 += load4(a + d + 4) * load4(b + d + 4);
  }
  float s = hsum(acc0, acc1);
  for (; d < dim; d++) s += a[d] * b[d];
  return s;
}

float lp__store_distance(lp_metric metric, const float *a, const float *b, uint32_t dim) {
  switch (metric) {
    case LP_METRIC_DOT:
      return 1.0f - dot(a, b, dim);
    case LP_METRIC_COSINE: {
      float na = dot(a, a, dim), nb = dot(b, b, dim);
      if (na == 0 || nb == 0) return 1.0f;
      return 1.0f - dot(a, b, dim) / (sqrtf(na) * sqrtf(nb));
    }
    case LP_METRIC_L2:
    default:
      return l2(a, b, dim);
  }
}
