/* Portable distance kernels in plain C, in the summation order of distance_int.h (the vector variants'
 * and LanceDB's own), so every level gives the same figures. The compiler may vectorise the lane loop. */
#include <string.h>

#include "query/distance_int.h"

#define LANES 16

#define ROW_LOOP(ELEM_T, LOAD)                                                                  \
  for (size_t i = 0; i < n; i++) {                                                              \
    const ELEM_T *r = rows + i * dim;                                                           \
    float s[LANES] = {0}, rr[LANES] = {0}, ts = 0, tr = 0;                                      \
    size_t j = 0;                                                                               \
    for (; j + LANES <= dim; j += LANES)                                                        \
      for (int u = 0; u < LANES; u++) {                                                         \
        float a = q[j + u], b = LOAD(r[j + u]);                                                 \
        BODY(s[u], rr[u], a, b);                                                                \
      }                                                                                         \
    for (; j < dim; j++) {                                                                      \
      float a = q[j], b = LOAD(r[j]);                                                           \
      BODY(ts, tr, a, b);                                                                       \
    }                                                                                           \
    float sum = ts + lp__lanes_sum16(s), rsum = tr + lp__lanes_sum16(rr);                       \
    (void)rsum;                                                                                 \
    out[i] = FINISH(sum, rsum);                                                                 \
  }

#define F32(x) (x)
#define F16(x) lp__half_to_float(x)

/* |q|^2 in the same order as the rows' sums of squares. */
static float qnorm2(const float *q, size_t dim) {
  float out[1];
  const size_t n = 1;
  const float *rows = q;
#define BODY(s, rr, a, b) (s) += (a) * (b)
#define FINISH(sum, rsum) (sum)
  ROW_LOOP(float, F32)
#undef BODY
#undef FINISH
  return out[0];
}

#define BODY(s, rr, a, b) (s) += ((a) - (b)) * ((a) - (b))
#define FINISH(sum, rsum) (sum)
static void l2_f32(const float *q, const float *rows, size_t n, size_t dim, float *out) { ROW_LOOP(float, F32) }
static void l2_f16(const float *q, const uint16_t *rows, size_t n, size_t dim, float *out) { ROW_LOOP(uint16_t, F16) }
#undef BODY
#undef FINISH

#define BODY(s, rr, a, b) (s) += (a) * (b)
#define FINISH(sum, rsum) (1.0f - (sum))
static void dot_f32(const float *q, const float *rows, size_t n, size_t dim, float *out) { ROW_LOOP(float, F32) }
static void dot_f16(const float *q, const uint16_t *rows, size_t n, size_t dim, float *out) { ROW_LOOP(uint16_t, F16) }
#undef BODY
#undef FINISH

#define BODY(s, rr, a, b) ((s) += (a) * (b), (rr) += (b) * (b))
#define FINISH(sum, rsum) lp__cosine_from(sum, qq, rsum)
static void cos_f32(const float *q, const float *rows, size_t n, size_t dim, float *out) {
  float qq = qnorm2(q, dim);
  ROW_LOOP(float, F32)
}
static void cos_f16(const float *q, const uint16_t *rows, size_t n, size_t dim, float *out) {
  float qq = qnorm2(q, dim);
  ROW_LOOP(uint16_t, F16)
}

static void sq8_l2(const int16_t *q, const uint8_t *rows, size_t n, size_t dim, uint32_t *out) {
  for (size_t i = 0; i < n; i++) out[i] = lp__sq8_row_tail(q, rows + i * dim, 0, dim);
}

const lp__dist_kernels lp__dist_scalar = {
    .name = "scalar", .f32 = {l2_f32, cos_f32, dot_f32}, .f16 = {l2_f16, cos_f16, dot_f16}, .sq8_l2 = sq8_l2};

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
