/* Portable distance kernels (plain C, four partial sums so the compiler may still vectorise). */
#include "lance/distance_int.h"

#define ROW_LOOP(ELEM_T, LOAD)                                                                  \
  for (size_t i = 0; i < n; i++) {                                                              \
    const ELEM_T *r = rows + i * dim;                                                           \
    float s[4] = {0, 0, 0, 0}, rr[4] = {0, 0, 0, 0};                                            \
    size_t j = 0;                                                                               \
    for (; j + 4 <= dim; j += 4)                                                                \
      for (int u = 0; u < 4; u++) {                                                             \
        float a = q[j + u], b = LOAD(r[j + u]);                                                 \
        BODY(s[u], rr[u], a, b);                                                                \
      }                                                                                         \
    for (; j < dim; j++) {                                                                      \
      float a = q[j], b = LOAD(r[j]);                                                           \
      BODY(s[0], rr[0], a, b);                                                                  \
    }                                                                                           \
    float sum = (s[0] + s[1]) + (s[2] + s[3]), rsum = (rr[0] + rr[1]) + (rr[2] + rr[3]);        \
    (void)rsum;                                                                                 \
    out[i] = FINISH(sum, rsum);                                                                 \
  }

#define F32(x) (x)
#define F16(x) lp__half_to_float(x)

static float qnorm2(const float *q, size_t dim) {
  float s = 0;
  for (size_t j = 0; j < dim; j++) s += q[j] * q[j];
  return s;
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

const lp__dist_kernels lp__dist_scalar = {
    .name = "scalar", .f32 = {l2_f32, cos_f32, dot_f32}, .f16 = {l2_f16, cos_f16, dot_f16}};
