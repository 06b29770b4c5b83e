/* Exact distance kernels for k-nearest-neighbour search, with LanceDB's definitions (all in float32):
 *   l2     = squared Euclidean distance, sum (q_i - r_i)^2
 *   cosine = 1 - q.r / (|q| |r|); NaN when either vector is all zeros (LanceDB 0.31.0 gives NaN there and
 *            leaves such rows out of search results: the caller drops NaN distances)
 *   dot    = 1 - q.r
 * One query against n row-major rows of dim values each (float32, or float16 rows with a float32 query).
 * Variants for SSE2, AVX2+FMA(+F16C) and AVX-512F are picked at run time from the CPU, with a portable
 * scalar fallback; any dim >= 1 works. Summation order differs between variants (results agree to about
 * 1e-6 relative). Thread-safe, no allocation. Internal. */
#ifndef LP_QUERY_DISTANCE_H
#define LP_QUERY_DISTANCE_H

#include <stddef.h>
#include <stdint.h>

typedef enum lp__dist_kind { LP__DIST_L2, LP__DIST_COSINE, LP__DIST_DOT } lp__dist_kind;

typedef enum lp__simd { LP__SIMD_SCALAR, LP__SIMD_SSE2, LP__SIMD_AVX2, LP__SIMD_AVX512, LP__SIMD_COUNT } lp__simd;

/* A batch kernel: out[i] = distance(query, rows + i*dim) for i in [0, n). */
typedef void (*lp__dist_f32_fn)(const float *query, const float *rows, size_t n, size_t dim, float *out);
typedef void (*lp__dist_f16_fn)(const float *query, const uint16_t *rows, size_t n, size_t dim, float *out);

/* Integer kernel of the 8-bit shadow (sq8.h): out[i] = sum over j of (query[j] - rows[i*dim + j])^2.
 * Exact when every query code is in [-128, 383] and dim <= 4096 (no overflow of its 32-bit sums). */
typedef void (*lp__dist_sq8_fn)(const int16_t *query, const uint8_t *rows, size_t n, size_t dim, uint32_t *out);

typedef struct lp__dist_kernels {
  const char *name; /* "scalar", "sse2", "avx2", "avx512" */
  lp__dist_f32_fn f32[3]; /* indexed by lp__dist_kind */
  lp__dist_f16_fn f16[3];
  lp__dist_sq8_fn sq8_l2;
} lp__dist_kernels;

/* The kernels of one instruction set, or NULL when this CPU lacks it (or it was not compiled in). */
const lp__dist_kernels *lp__dist_kernels_for(lp__simd level);
/* The fastest kernels this CPU runs; env LP_DIST_KERNEL=scalar|sse2|avx2|avx512 forces a level the CPU
 * runs (read once, at the first call). Thread-safe. */
const lp__dist_kernels *lp__dist_kernels_best(void);

/* Convenience: best kernels, one call. dim >= 1; out holds n floats. */
void lp__dist_f32(lp__dist_kind kind, const float *query, const float *rows, size_t n, size_t dim, float *out);
void lp__dist_f16(lp__dist_kind kind, const float *query, const uint16_t *rows, size_t n, size_t dim, float *out);

/* Parse "l2" / "euclidean", "cosine", "dot" (case-insensitive); -1 when unknown. */
int lp__dist_kind_parse(const char *name);

/* IEEE half to float (exact). */
float lp__half_to_float(uint16_t h);
/* A double to the nearest IEEE half, ties to even, in one rounding (so a float argument rounds exactly as
 * a float-to-half conversion would); overflow gives infinity, NaN a quiet NaN. Search rounds the query
 * this way for a float16 column (LanceDB casts the query to the column's type); the CLI prints float16. */
uint16_t lp__half_from_double(double d);

#endif
