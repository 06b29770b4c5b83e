/* Internals of the search module (search.c, search_where.c) shared between its files. Internal.
 * The distance kernels and the top-k heap are the project's one kernel library: distance.h, topk.h. */
#ifndef LP_QUERY_SEARCH_INT_H
#define LP_QUERY_SEARCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/predicate.h"
#include "query/topk.h"
#include "lancepool/lance.h"

/* Parse and bind `where` against table t's schema; *out = NULL when where is NULL or empty. */
lp_status lp__search_compile_filter(lp_table *t, const char *where, lp__pred_bound **out, lp_error *err);

/* Called once per batch of a filter pass, in order: rows [first_pos, first_pos + n_rows) among the live
 * rows, sel one bit per row (1 = the filter is TRUE), n_sel of them set. */
typedef lp_status (*lp__sel_fn)(void *ctx, uint64_t first_pos, const uint8_t *sel, int64_t n_rows, int64_t n_sel,
                                lp_error *err);

/* Scan only the columns pb reads (batches of at most 8192 rows) and call fn with each batch's selection. */
lp_status lp__search_filter_pass(lp_table *t, const lp__pred_bound *pb, lp__sel_fn fn, void *ctx, lp_error *err);

/* Counters since the process started (tests check that the bounded pass ran, and how much it pruned):
 * chunks searched through an 8-bit shadow, and candidates measured exactly after them. */
void lp__search_sq8_counts(uint64_t *bounded_chunks, uint64_t *refined_rows);

/* The result of a search: the rows at hits[i].pos (live positions), projected to `columns` (NULL = all),
 * plus a nullable float32 column score_name holding hits[i].dist. Caller owns both outputs. */
lp_status lp__search_build_result(lp_table *t, const char *const *columns, size_t n_columns, const lp__topk_item *hits,
                                  size_t n, const char *score_name, struct ArrowArray *out_array,
                                  struct ArrowSchema *out_schema, lp_error *err);

/* The hits of a vector search (distance in .dist), in rank order, offset and k applied. Caller frees *out. */
lp_status lp__vector_search_hits(lp_table *t, const lp_search_options *o, lp__topk_item **out, size_t *out_n,
                                 lp_error *err);

/* Every hit of a text search (score in .dist), best first (score descending, then position); `where`
 * replaces o->where and o->k is not applied. Caller frees *out. */
lp_status lp__text_search_hits(lp_table *t, const lp_text_search_options *o, const char *where, lp__topk_item **out,
                               size_t *out_n, lp_error *err);

#endif
