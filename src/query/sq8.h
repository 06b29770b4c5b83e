/* An 8-bit shadow of a block of float32 vectors, for a bounded first pass of exact L2 search. Internal.
 *
 * Why: a flat search over 100,000 x 384 float32 vectors reads 154 MB per query and is bound by memory
 * bandwidth. The shadow holds one byte per value (a quarter of the bytes) plus, per row, an upper bound
 * on how far the row lies from its 8-bit approximation. A query quantised onto the same grid gives, from
 * integer arithmetic alone, an interval [lb, ub] that surely holds each row's true squared distance. The
 * rows whose interval could reach the k best are then measured exactly with the float32 kernel, so the
 * answer (rows, order, distances to the bit) is the one the plain pass gives. Pruning quality depends
 * on the data; correctness does not.
 *
 * The grid: per dimension an offset lo[d] (the column's least finite value), one step s for every
 * dimension (so integer distances are isotropic): x^[d] = lo[d] + s * code[d], code in 0..255. A row
 * with a non-finite value or a value beyond +-1e15 is "wild": no bound (resid = +inf); such rows are
 * always measured exactly. */
#ifndef LP_QUERY_SQ8_H
#define LP_QUERY_SQ8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

typedef struct lp__sq8 {
  size_t dim;
  uint64_t n_rows;
  double step;           /* s > 0 */
  float *lo;             /* dim offsets */
  uint8_t *codes;        /* n_rows * dim */
  float *resid;          /* per row: >= |x - x^| (Euclidean), +inf for a wild row */
  float resid_max;       /* largest finite resid */
  bool has_wild;         /* some row is wild */
  size_t size_bytes;     /* memory held */
} lp__sq8;

/* Query codes are kept in this range so that the kernels' 16-bit differences and 32-bit sums cannot
 * overflow for dim <= LP__SQ8_MAX_DIM (a query outside the grid is clamped; its own residual grows). */
#define LP__SQ8_QMIN (-128)
#define LP__SQ8_QMAX 383
#define LP__SQ8_MAX_DIM 4096

/* Build the shadow of n_rows row-major float32 vectors (rows that are null may hold anything; they are
 * never asked about). dim in [1, LP__SQ8_MAX_DIM]. Free with lp__sq8_free. */
LP_MUST_CHECK lp_status lp__sq8_build(const float *values, uint64_t n_rows, size_t dim, lp__sq8 **out,
                                      lp_error *err);
void lp__sq8_free(lp__sq8 *q);

/* A query on one shadow's grid. */
typedef struct lp__sq8_query {
  int16_t *codes;   /* dim codes in [LP__SQ8_QMIN, LP__SQ8_QMAX] */
  double resid;     /* >= |q - q^| */
} lp__sq8_query;

/* Quantise query q onto sq's grid. false (nothing allocated) when the query cannot be bounded
 * (a value beyond +-1e15) or memory runs out: the caller then measures every row exactly. */
bool lp__sq8_query_init(const lp__sq8 *sq, const float *q, lp__sq8_query *out);
void lp__sq8_query_free(lp__sq8_query *qq);

/* Bounds of the true squared L2 distance of a row whose integer sum of squared code differences is isum
 * and whose residual bound is row_resid: *lb <= |q - x|^2 <= *ub (both rounded outwards). */
void lp__sq8_bounds(const lp__sq8 *sq, const lp__sq8_query *qq, uint32_t isum, float row_resid, float *lb,
                    float *ub);

/* The largest isum a row of this shadow can have and still have lb <= t, for any finite row residual:
 * rows above it are certainly farther than t. +inf when t is +inf. */
double lp__sq8_isum_limit(const lp__sq8 *sq, const lp__sq8_query *qq, float t);

/* How the search uses shadows: env LP_SEARCH_SQ8 = "off" (never), "always" (every float32 block of any
 * size, cached or not: tests compare both paths), anything else or unset: blocks of at least 2,048 rows
 * and 32 dimensions that live in the session's vector cache. Read once. */
typedef enum lp__sq8_mode { LP__SQ8_AUTO, LP__SQ8_OFF, LP__SQ8_ALWAYS } lp__sq8_mode;
lp__sq8_mode lp__sq8_mode_get(void);
/* Override the mode (tests compare the bounded and the plain pass in one process). */
void lp__sq8_mode_set(lp__sq8_mode m);

#endif
