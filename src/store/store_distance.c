/* Distance kernels of the store's exact search. Written with GCC vector extensions so they use SIMD
 * registers without -ffast-math; eight independent lanes keep the additions in a fixed order, so a result
 * does not depend on the thread or run. (To be swapped for src/lance/distance.h when it lands.) */
#include <math.h>
#include <string.h>

#include "store/store_int.h"

typedef float v8f __attribute__((vector_size(32)));

static float hsum(v8f v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

static v8f load8(const float *p) {
  v8f v;
  memcpy(&v, p, sizeof v);
  return v;
}

static float l2(const float *a, const float *b, uint32_t dim) {
  v8f acc = {0};
  uint32_t d = 0;
  for (; d + 8 <= dim; d += 8) {
    v8f x = load8(a + d) - load8(b + d);
    acc += x * x;
  }
  float s = hsum(acc);
  for (; d < dim; d++) s += (a[d] - b[d]) * (a[d] - b[d]);
  return s;
}

static float dot(const float *a, const float *b, uint32_t dim) {
  v8f acc = {0};
  uint32_t d = 0;
  for (; d + 8 <= dim; d += 8) acc += load8(a + d) * load8(b + d);
  float s = hsum(acc);
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
