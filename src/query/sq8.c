/* The 8-bit shadow of float32 vector blocks and its distance bounds (sq8.h).
 *
 * Every bound here is rounded outwards: the search's answer depends on lb never exceeding, and ub never
 * falling below, the true distance. Residuals are summed in double; the margins added below cover the
 * rounding of that arithmetic (see resid_margin) and of the final conversion to float. */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "query/sq8.h"

#define WILD_ABS 1e15 /* beyond this a value is not quantised (its row is always measured exactly) */

/* The build's two inner loops use SSE2 (the x86-64 baseline, so no run-time dispatch) four values at a
 * time, with a plain C fallback elsewhere; one row's pass costs about what its decoding did. */
#if defined(__SSE2__)
#include <emmintrin.h>
#define SQ8_SSE2 1
#endif

static bool row_is_wild(const float *x, size_t dim) {
  size_t d = 0;
#ifdef SQ8_SSE2
  const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff)), lim = _mm_set1_ps((float)WILD_ABS);
  __m128 bad = _mm_setzero_ps();
  for (; d + 4 <= dim; d += 4) /* not (|x| <= lim): NaN compares unordered, so it counts as bad */
    bad = _mm_or_ps(bad, _mm_cmpnle_ps(_mm_and_ps(_mm_loadu_ps(x + d), abs_mask), lim));
  if (_mm_movemask_ps(bad)) return true;
#endif
  for (; d < dim; d++)
    if (!(fabsf(x[d]) <= (float)WILD_ABS)) return true; /* also NaN */
  return false;
}

/* A double rounded up (down) to a float that is >= (<=) it. */
static float float_up(double v) {
  float f = (float)v;
  return (double)f < v ? nextafterf(f, INFINITY) : f;
}
static float float_down(double v) {
  float f = (float)v;
  return (double)f > v ? nextafterf(f, -INFINITY) : f;
}

/* Upper bound on the rounding error of a query's residual, summed in double over dim terms, each the
 * difference (q - lo) - step * c with |q - lo| and step * |c| at most `span`: each of the three
 * operations errs by at most 2^-53 of its operands, so a term errs by less than 2^-51 * span and the
 * Euclidean norm of the errors by sqrt(dim) times that. Doubled for the sum and the square root. */
static double resid_margin(size_t dim, double span) { return 2.0 * sqrt((double)dim) * span * 0x1p-51; }

/* Per-dimension least finite value (over rows that are not wild) and the widest span; marks wild rows. */
static void scan_ranges(const float *v, uint64_t n, size_t dim, float *lo, float *hi, uint8_t *wild) {
  for (size_t d = 0; d < dim; d++) {
    lo[d] = INFINITY;
    hi[d] = -INFINITY;
  }
  for (uint64_t r = 0; r < n; r++) {
    const float *x = v + r * dim;
    wild[r] = row_is_wild(x, dim);
    if (wild[r]) continue;
    size_t d = 0;
#ifdef SQ8_SSE2
    for (; d + 4 <= dim; d += 4) {
      __m128 xv = _mm_loadu_ps(x + d);
      _mm_storeu_ps(lo + d, _mm_min_ps(_mm_loadu_ps(lo + d), xv));
      _mm_storeu_ps(hi + d, _mm_max_ps(_mm_loadu_ps(hi + d), xv));
    }
#endif
    for (; d < dim; d++) {
      if (x[d] < lo[d]) lo[d] = x[d];
      if (x[d] > hi[d]) hi[d] = x[d];
    }
  }
  for (size_t d = 0; d < dim; d++)
    if (lo[d] > hi[d]) lo[d] = hi[d] = 0; /* no tame row */
}

static int clamp_int(double t, int lo, int hi) {
  if (!(t > lo)) return lo; /* also NaN */
  if (t > hi) return hi;
  return (int)lrint(t);
}

/* Codes and residual bound of one tame row, in float. Rounding: with x in [lo, lo + 255 step], off = x - lo,
 * step * c and their difference each err by at most 2^-24 of a value below 256 step, so a term e errs by
 * less than 2^-14 step and the norm of those errors by sqrt(dim) 2^-14 step (`margin` is twice that);
 * the float sum of e^2 (nonnegative terms, in any order) errs by less than (dim + 2) 2^-24 of itself. */
static float quantise_row(const float *lo, float inv, float step, size_t dim, const float *x, uint8_t *codes,
                          double margin) {
  float sum = 0;
  size_t d = 0;
#ifdef SQ8_SSE2
  const __m128 vinv = _mm_set1_ps(inv), vstep = _mm_set1_ps(step), half = _mm_set1_ps(0.5f);
  const __m128 zero = _mm_setzero_ps(), top = _mm_set1_ps(255.0f);
  __m128 acc = zero;
  for (; d + 4 <= dim; d += 4) {
    __m128 off = _mm_sub_ps(_mm_loadu_ps(x + d), _mm_loadu_ps(lo + d));
    __m128 t = _mm_min_ps(_mm_max_ps(_mm_add_ps(_mm_mul_ps(off, vinv), half), zero), top);
    __m128i c = _mm_cvttps_epi32(t); /* t >= 0: truncation rounds off * inv to nearest */
    __m128 e = _mm_sub_ps(off, _mm_mul_ps(vstep, _mm_cvtepi32_ps(c)));
    acc = _mm_add_ps(acc, _mm_mul_ps(e, e));
    __m128i c8 = _mm_packus_epi16(_mm_packs_epi32(c, c), c);
    int32_t four = _mm_cvtsi128_si32(c8);
    memcpy(codes + d, &four, 4);
  }
  float lanes[4];
  _mm_storeu_ps(lanes, acc);
  sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
#endif
  for (; d < dim; d++) {
    float off = x[d] - lo[d];
    int c = (int)(off * inv + 0.5f); /* off >= 0: truncation rounds to nearest */
    c = c > 255 ? 255 : c < 0 ? 0 : c;
    codes[d] = (uint8_t)c;
    float e = off - step * (float)c;
    sum += e * e;
  }
  return float_up(sqrt((double)sum * (1.0 + ((double)dim + 2.0) * 0x1p-23)) + margin);
}

lp_status lp__sq8_build(const float *values, uint64_t n_rows, size_t dim, lp__sq8 **out, lp_error *err) {
  *out = NULL;
  if (dim == 0 || dim > LP__SQ8_MAX_DIM)
    return lp_error_set(err, LP_EINVAL, "sq8: dimension %zu outside 1..%d", dim, LP__SQ8_MAX_DIM);
  if (n_rows > 0 && values == NULL) return lp_error_set(err, LP_EINVAL, "sq8: no values");
  lp__sq8 *sq = calloc(1, sizeof *sq);
  float *hi = malloc(dim * sizeof *hi);
  uint8_t *wild = malloc(n_rows ? n_rows : 1);
  if (sq) {
    sq->lo = malloc(dim * sizeof *sq->lo);
    sq->codes = malloc(n_rows > 0 ? n_rows * dim : 1);
    sq->resid = malloc((n_rows ? n_rows : 1) * sizeof *sq->resid);
  }
  if (sq == NULL || hi == NULL || wild == NULL || sq->lo == NULL || sq->codes == NULL || sq->resid == NULL) {
    free(hi);
    free(wild);
    lp__sq8_free(sq);
    return lp_error_set(err, LP_ENOMEM, "sq8: out of memory for %llu x %zu codes", (unsigned long long)n_rows, dim);
  }
  sq->dim = dim;
  sq->n_rows = n_rows;
  scan_ranges(values, n_rows, dim, sq->lo, hi, wild);
  double span = 0;
  for (size_t d = 0; d < dim; d++)
    if ((double)hi[d] - sq->lo[d] > span) span = (double)hi[d] - sq->lo[d];
  float step = span > 0 ? (float)(span / 255.0) : 1.0f;
  if (!(step >= FLT_MIN) || !isfinite(step)) step = 1.0f; /* a subnormal span: codes 0, residual = offset */
  sq->step = step; /* float-valued, so the float arithmetic of quantise_row and the bounds share one grid */
  double margin = 2.0 * sqrt((double)dim) * 0x1p-14 * sq->step;
  float inv = 1.0f / step;
  for (uint64_t r = 0; r < n_rows; r++) {
    uint8_t *codes = sq->codes + r * dim;
    if (wild[r]) {
      memset(codes, 0, dim);
      sq->resid[r] = INFINITY;
      sq->has_wild = true;
      continue;
    }
    sq->resid[r] = quantise_row(sq->lo, inv, step, dim, values + r * dim, codes, margin);
    if (sq->resid[r] > sq->resid_max) sq->resid_max = sq->resid[r];
  }
  sq->size_bytes = sizeof *sq + dim * sizeof *sq->lo + n_rows * dim + n_rows * sizeof *sq->resid;
  free(hi);
  free(wild);
  *out = sq;
  return LP_OK;
}

void lp__sq8_free(lp__sq8 *sq) {
  if (sq == NULL) return;
  free(sq->lo);
  free(sq->codes);
  free(sq->resid);
  free(sq);
}

bool lp__sq8_query_init(const lp__sq8 *sq, const float *q, lp__sq8_query *out) {
  memset(out, 0, sizeof *out);
  if (row_is_wild(q, sq->dim)) return false;
  if ((out->codes = malloc(sq->dim * sizeof *out->codes)) == NULL) return false;
  double sum = 0, span = 0, inv = 1.0 / sq->step;
  for (size_t d = 0; d < sq->dim; d++) {
    double off = (double)q[d] - (double)sq->lo[d];
    int c = clamp_int(off * inv, LP__SQ8_QMIN, LP__SQ8_QMAX);
    out->codes[d] = (int16_t)c;
    double e = off - sq->step * c;
    sum += e * e;
    double m = fabs(off) > sq->step * abs(c) ? fabs(off) : sq->step * abs(c);
    if (m > span) span = m;
  }
  out->resid = sqrt(sum) * (1 + 1e-12) + resid_margin(sq->dim, span);
  return true;
}

void lp__sq8_query_free(lp__sq8_query *qq) {
  free(qq->codes);
  qq->codes = NULL;
}

/* |q^ - x^| = step * sqrt(isum) exactly in real numbers; the true distance differs from it by at most
 * the two residuals (triangle inequality). */
void lp__sq8_bounds(const lp__sq8 *sq, const lp__sq8_query *qq, uint32_t isum, float row_resid, float *lb,
                    float *ub) {
  double a = sq->step * sqrt((double)isum), r = qq->resid + (double)row_resid;
  double lo = a - r > 0 ? a - r : 0, hi = a + r;
  *lb = float_down(lo * lo * (1 - 1e-12));
  *ub = float_up(hi * hi * (1 + 1e-12));
}

double lp__sq8_isum_limit(const lp__sq8 *sq, const lp__sq8_query *qq, float t) {
  if (!(t < INFINITY)) return INFINITY;
  double root = sqrt(t > 0 ? (double)t : 0.0) * (1 + 1e-12);
  double a = (root + qq->resid + sq->resid_max) / sq->step;
  return a * a * (1 + 1e-9) + 1.0;
}

static _Atomic int mode = LP__SQ8_AUTO;
static pthread_once_t mode_once = PTHREAD_ONCE_INIT;

static void read_mode(void) {
  const char *e = getenv("LP_SEARCH_SQ8");
  if (e == NULL) return;
  if (strcmp(e, "off") == 0) mode = LP__SQ8_OFF;
  else if (strcmp(e, "always") == 0) mode = LP__SQ8_ALWAYS;
}

lp__sq8_mode lp__sq8_mode_get(void) {
  pthread_once(&mode_once, read_mode);
  return (lp__sq8_mode)mode;
}

void lp__sq8_mode_set(lp__sq8_mode m) {
  pthread_once(&mode_once, read_mode);
  mode = m;
}
