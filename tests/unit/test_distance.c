/* Distance kernels: every variant this CPU runs against a double-precision reference, dims 1..1536,
 * float32 and float16 rows, zero vectors (cosine NaN), and the dispatcher's choice. */
#include <math.h>

#include "query/distance.h"
#include "lp_test.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static float frand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (float)((double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* float -> half, round to nearest (test-side reference; values are small and normal). */
static uint16_t to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  int e = (int)((x >> 23) & 0xFF) - 127 + 15;
  uint32_t man = x & 0x7FFFFF;
  if ((x & 0x7FFFFFFF) == 0 || e <= 0) return (uint16_t)sign;
  uint32_t h = sign | (uint32_t)e << 10 | man >> 13;
  if ((man & 0x1FFF) > 0x1000 || ((man & 0x1FFF) == 0x1000 && (h & 1))) h++;
  return (uint16_t)h;
}

#if defined(__x86_64__)
#include <immintrin.h>
/* The CPU's float -> half conversion, round to nearest even. */
__attribute__((target("f16c"))) static uint16_t hw_half(float f) {
  return (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT), 0);
}
#endif

static double ref(int kind, const float *q, const float *r, size_t dim) {
  double s = 0, qq = 0, rr = 0;
  for (size_t j = 0; j < dim; j++) {
    double a = q[j], b = r[j];
    if (kind == LP__DIST_L2) s += (a - b) * (a - b);
    else s += a * b;
    qq += a * a, rr += b * b;
  }
  if (kind == LP__DIST_L2) return s;
  if (kind == LP__DIST_DOT) return 1.0 - s;
  return 1.0 - s / (sqrt(qq) * sqrt(rr));
}

/* float32 accumulation error grows with dim; scale the tolerance by the magnitude of the terms. */
static void check_close(const char *what, size_t dim, int kind, double want, float got, double scale) {
  double tol = 1e-5 * (fabs(want) > 1 ? fabs(want) : 1) + 2e-6 * sqrt((double)dim) * scale;
  if (!(fabs(want - got) <= tol))
    LP_FAIL("%s dim %zu kind %d: want %.9g got %.9g (tol %.3g)", what, dim, kind, want, got, tol);
}

static void test_variants(void) {
  enum { ROWS = 7 };
  size_t dims[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 384, 511, 768, 1000, 1024, 1536};
  float *q = malloc(1536 * sizeof *q), *rows = malloc(ROWS * 1536 * sizeof *rows), out[ROWS];
  float *rows_h = malloc(ROWS * 1536 * sizeof *rows_h);
  uint16_t *h = malloc(ROWS * 1536 * sizeof *h);
  int n_variants = 0;
  for (int lvl = 0; lvl < LP__SIMD_COUNT; lvl++) {
    const lp__dist_kernels *k = lp__dist_kernels_for((lp__simd)lvl);
    if (k == NULL) continue;
    n_variants++;
    fprintf(stderr, "   variant %s\n", k->name);
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
      size_t dim = dims[di];
      for (size_t j = 0; j < dim; j++) q[j] = frand();
      for (size_t j = 0; j < ROWS * dim; j++) {
        rows[j] = frand();
        h[j] = to_half(rows[j]);
        rows_h[j] = lp__half_to_float(h[j]);
      }
      for (size_t j = 0; j < dim; j++) rows[3 * dim + j] = 0; /* a zero row */
      for (size_t j = 0; j < dim; j++) rows[4 * dim + j] = q[j]; /* the query itself */
      for (int kind = 0; kind < 3; kind++) {
        k->f32[kind](q, rows, ROWS, dim, out);
        for (int r = 0; r < ROWS; r++) {
          if (kind == LP__DIST_COSINE && r == 3) {
            if (!isnan(out[r])) LP_FAIL("%s cosine with a zero row: want NaN, got %g", k->name, out[r]);
            continue;
          }
          check_close(k->name, dim, kind, ref(kind, q, rows + r * dim, dim), out[r], kind == LP__DIST_L2 ? 4 : 1);
        }
        k->f16[kind](q, h, ROWS, dim, out);
        for (int r = 0; r < ROWS; r++)
          check_close(k->name, dim, kind, ref(kind, q, rows_h + r * dim, dim), out[r], kind == LP__DIST_L2 ? 4 : 1);
      }
    }
    /* A zero query: cosine NaN for every row, l2 = |r|^2, dot = 1. */
    memset(q, 0, 100 * sizeof *q);
    k->f32[LP__DIST_COSINE](q, rows, ROWS, 100, out);
    for (int r = 0; r < ROWS; r++) CHECK(isnan(out[r]));
    k->f32[LP__DIST_DOT](q, rows, ROWS, 100, out);
    for (int r = 0; r < ROWS; r++) CHECK(out[r] == 1.0f);
    /* Identical vectors: distance ~0. */
    for (size_t j = 0; j < 100; j++) q[j] = rows[j] = frand();
    k->f32[LP__DIST_L2](q, rows, 1, 100, out);
    CHECK(out[0] == 0.0f);
    k->f32[LP__DIST_COSINE](q, rows, 1, 100, out);
    CHECK(fabsf(out[0]) < 1e-6f);
  }
  CHECK_GE(n_variants, 1);
#if defined(__x86_64__)
  CHECK(lp__dist_kernels_for(LP__SIMD_SSE2) != NULL); /* baseline of x86-64 */
  if (__builtin_cpu_supports("avx512f")) CHECK_STR_EQ(lp__dist_kernels_best()->name, "avx512");
#endif
  free(q);
  free(rows);
  free(rows_h);
  free(h);
}

static void test_dispatch_and_names(void) {
  float q[3] = {1, 2, 3}, rows[9] = {1, 2, 3, 3, 2, 1, -1, 0.5f, 0}, out[3];
  /* The figures official LanceDB 0.31.0 returns for this table (tests/interop probe): */
  lp__dist_f32(LP__DIST_L2, q, rows, 3, 3, out);
  CHECK(out[0] == 0 && out[1] == 8 && out[2] == 15.25f);
  lp__dist_f32(LP__DIST_DOT, q, rows, 3, 3, out);
  CHECK(out[0] == -13 && out[1] == -9 && out[2] == 1);
  lp__dist_f32(LP__DIST_COSINE, q, rows, 3, 3, out);
  CHECK(fabsf(out[0]) < 1e-6f && fabsf(out[1] - 0.2857143f) < 1e-6f && fabsf(out[2] - 1.0f) < 1e-6f);
  CHECK_EQ(lp__dist_kind_parse("L2"), LP__DIST_L2);
  CHECK_EQ(lp__dist_kind_parse("euclidean"), LP__DIST_L2);
  CHECK_EQ(lp__dist_kind_parse("Cosine"), LP__DIST_COSINE);
  CHECK_EQ(lp__dist_kind_parse("dot"), LP__DIST_DOT);
  CHECK_EQ(lp__dist_kind_parse("hamming"), -1);
  CHECK(lp__half_to_float(0x3C00) == 1.0f);
  CHECK(lp__half_to_float(0xC000) == -2.0f);
  CHECK(lp__half_to_float(0x0001) == 5.9604644775390625e-8f); /* smallest subnormal */
  CHECK(isinf(lp__half_to_float(0x7C00)));
  CHECK(isnan(lp__half_to_float(0x7E00)));
}

/* Rounding a float query to float16 (what search does for a float16 column): for every pair of
 * neighbouring finite halves, the float midpoint goes to the even one and the floats just either side of
 * it go to the nearer one; random floats agree with the CPU's own conversion (F16C) where it exists. */
static void test_half_rounding(void) {
  for (uint32_t h = 0; h < 0x7BFF; h++) { /* positive finite halves and their successor; sign alike */
    float lo = lp__half_to_float((uint16_t)h), hi = lp__half_to_float((uint16_t)(h + 1));
    float mid = (float)(((double)lo + (double)hi) / 2); /* exact: halves have 11 significant bits */
    CHECK_EQ(lp__half_from_double(lo), h);
    CHECK_EQ(lp__half_from_double(-(double)lo), h | 0x8000u);
    uint16_t even = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;
    if (lp__half_from_double(mid) != even) LP_FAIL("half %04x: midpoint %.9g rounds to %04x, want %04x", h, mid, lp__half_from_double(mid), even);
    CHECK_EQ(lp__half_from_double(nextafterf(mid, 0)), h);
    CHECK_EQ(lp__half_from_double(nextafterf(mid, INFINITY)), h + 1);
  }
  CHECK_EQ(lp__half_from_double(65519.99f), 0x7BFF);
  CHECK_EQ(lp__half_from_double(65520.0f), 0x7C00); /* overflow */
  CHECK_EQ(lp__half_from_double(-1e30f), 0xFC00);
  CHECK_EQ(lp__half_from_double(1e-9f), 0x0000);    /* below half the least subnormal */
  CHECK(isnan(lp__half_to_float(lp__half_from_double(NAN))));
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) { /* F16C comes with every AVX2 CPU this project dispatches to */
    for (int i = 0; i < 200000; i++) {
      float f = frand() * (i % 3 == 0 ? 70000.0f : i % 3 == 1 ? 1.0f : 1e-4f);
      uint16_t want = hw_half(f);
      if (lp__half_from_double(f) != want) LP_FAIL("%.9g: %04x, F16C says %04x", f, lp__half_from_double(f), want);
    }
  }
#endif
}

/* Every level sums in the same order (distance_int.h), so all give the same bits as the scalar kernels,
 * for every dim (whole groups of 16 and remainders), float32 and float16 rows, all three metrics. */
static void test_levels_bit_identical(void) {
  enum { ROWS = 5, MAXD = 200 };
  static float q[MAXD], rows[ROWS * MAXD], want[ROWS], got[ROWS];
  static uint16_t h[ROWS * MAXD];
  const lp__dist_kernels *ref = lp__dist_kernels_for(LP__SIMD_SCALAR);
  for (size_t dim = 1; dim <= MAXD; dim += (dim < 40 ? 1 : 7)) {
    for (size_t j = 0; j < dim; j++) q[j] = frand() * 3;
    for (size_t j = 0; j < ROWS * dim; j++) {
      rows[j] = frand() * 3;
      h[j] = to_half(rows[j]);
    }
    for (int lvl = 1; lvl < LP__SIMD_COUNT; lvl++) {
      const lp__dist_kernels *k = lp__dist_kernels_for((lp__simd)lvl);
      if (k == NULL) continue;
      for (int kind = 0; kind < 3; kind++) {
        ref->f32[kind](q, rows, ROWS, dim, want);
        k->f32[kind](q, rows, ROWS, dim, got);
        for (int r = 0; r < ROWS; r++)
          if (memcmp(&want[r], &got[r], sizeof(float)) != 0)
            LP_FAIL("%s f32 kind %d dim %zu row %d: %.9g, scalar %.9g", k->name, kind, dim, r, got[r], want[r]);
        ref->f16[kind](q, h, ROWS, dim, want);
        k->f16[kind](q, h, ROWS, dim, got);
        for (int r = 0; r < ROWS; r++)
          if (memcmp(&want[r], &got[r], sizeof(float)) != 0)
            LP_FAIL("%s f16 kind %d dim %zu row %d: %.9g, scalar %.9g", k->name, kind, dim, r, got[r], want[r]);
      }
    }
  }
}

int main(void) {
  RUN_TEST(test_variants);
  RUN_TEST(test_levels_bit_identical);
  RUN_TEST(test_dispatch_and_names);
  RUN_TEST(test_half_rounding);
  return 0;
}
