/* Internals of the search module (search.c, search_kernels.c, search_where.c). Internal.
 *
 * The distance kernels here are the search module's own: written by hand with x86 intrinsics for
 * AVX-512, AVX2+FMA(+F16C) and a portable fallback, picked once at run time from the CPU's features. */
#ifndef LP_LANCE_SEARCH_INT_H
#define LP_LANCE_SEARCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lance/predicate.h"
#include "lancepool/lance.h"

/* A prepared query: the vector as float32 (for a float16 column: already rounded to float16 values, as
 * LanceDB casts the query to the column's type), its metric and its norm. */
typedef struct lp__search_query {
  const float *q; /* dim values */
  size_t dim;
  lp_metric metric;
  float q_norm;   /* sqrt(sum q^2), for COSINE */
} lp__search_query;

/* Distances of n consecutive vectors (row-major, dim values each) to the query, into out[0..n). */
typedef void (*lp__sdist_f32_fn)(const lp__search_query *q, const float *rows, size_t n, float *out);
typedef void (*lp__sdist_f16_fn)(const lp__search_query *q, const uint16_t *rows, size_t n, float *out);

typedef struct lp__sdist_kernels {
  const char *name; /* "avx512", "avx2", "generic" */
  lp__sdist_f32_fn f32;
  lp__sdist_f16_fn f16;
} lp__sdist_kernels;

/* The best kernels this CPU runs (chosen once, thread-safe). Setting LP_SEARCH_KERNEL=generic|avx2|avx512
 * in the environment forces a level (only a level the CPU supports). */
const lp__sdist_kernels *lp__sdist_kernels_get(void);

/* The kernels of one level, or NULL when the CPU cannot run it (tests compare levels). */
const lp__sdist_kernels *lp__sdist_kernels_level(const char *name);

/* IEEE binary16 bits to float. */
float lp__f16_to_f32(uint16_t h);
/* float to binary16 bits, round to nearest even (overflow to infinity). */
uint16_t lp__f32_to_f16(float f);

/* Parse and bind `where` against table t's schema; *out = NULL when where is NULL or empty. */
lp_status lp__search_compile_filter(lp_table *t, const char *where, lp__pred_bound **out, lp_error *err);

/* Called once per batch of a filter pass, in order: rows [first_pos, first_pos + n_rows) among the live
 * rows, sel one bit per row (1 = the filter is TRUE), n_sel of them set. */
typedef lp_status (*lp__sel_fn)(void *ctx, uint64_t first_pos, const uint8_t *sel, int64_t n_rows, int64_t n_sel,
                                lp_error *err);

/* Scan only the columns pb reads (batches of at most 65536 rows) and call fn with each batch's selection. */
lp_status lp__search_filter_pass(lp_table *t, const lp__pred_bound *pb, lp__sel_fn fn, void *ctx, lp_error *err);

#endif
