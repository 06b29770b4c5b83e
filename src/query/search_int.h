/* Internals of the search module (search.c, search_where.c) shared between its files. Internal.
 * The distance kernels and the top-k heap are the project's one kernel library: distance.h, topk.h. */
#ifndef LP_QUERY_SEARCH_INT_H
#define LP_QUERY_SEARCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/schema.h"
#include "query/distance.h"
#include "query/predicate.h"
#include "query/topk.h"
#include "lancepool/lance.h"

/* Parse and bind `where` against table t's schema; *out = NULL when where is NULL or empty. */
lp_status lp__search_compile_filter(lp_table *t, const char *where, lp__pred_bound **out, lp_error *err);

/* Evaluate pb over n_rows live rows (first_pos.. , or positions[] when not NULL): cols has the table's
 * n_fields + LP__PRED_N_PSEUDO entries, the fields pb reads set; the pseudo-columns are filled in here. */
lp_status lp__search_eval(lp_table *t, const lp__pred_bound *pb, const struct ArrowArray **cols, int64_t n_rows,
                          uint64_t first_pos, const uint64_t *positions, uint8_t *sel, int64_t *n_sel, lp_error *err);

/* Called once per batch of a filter pass, in order: rows [first_pos, first_pos + n_rows) among the live
 * rows, sel one bit per row (1 = the filter is TRUE), n_sel of them set. */
typedef lp_status (*lp__sel_fn)(void *ctx, uint64_t first_pos, const uint8_t *sel, int64_t n_rows, int64_t n_sel,
                                lp_error *err);

/* Scan only the columns pb reads (batches of at most 8192 rows) and call fn with each batch's selection. */
lp_status lp__search_filter_pass(lp_table *t, const lp__pred_bound *pb, lp__sel_fn fn, void *ctx, lp_error *err);

/* Counters since the process started (tests check that the bounded pass ran, and how much it pruned):
 * chunks searched through an 8-bit shadow, and candidates measured exactly after them. */
void lp__search_sq8_counts(uint64_t *bounded_chunks, uint64_t *refined_rows);

/* ---- LanceDB's IVF indexes (search_ivf.c) ---- */

typedef struct lp__ivf lp__ivf;

/* lp__ivf_open's reason when the column's index has another metric than the query (compare with strcmp). */
#define LP__IVF_OTHER_METRIC "the query metric differs from the index's"

/* One approximate nearest row: its index distance, row address and live position. */
typedef struct lp__ivf_hit {
  float dist;
  uint64_t rowid, pos;
} lp__ivf_hit;

/* Load the IVF_FLAT or 8-bit IVF_PQ index (all its deltas) on vector column vf of t's version, when it can
 * answer a query of `metric` exactly as LanceDB would. *out NULL (and *why a static reason) when the column
 * has no index, or one lancepool does not search: the caller then searches exactly. Errors: unreadable or
 * damaged index files (LP_ECORRUPT, LP_EIO). */
lp_status lp__ivf_open(lp_table *t, const lp__field *vf, lp__dist_kind metric, lp__ivf **out, const char **why,
                       lp_error *err);
void lp__ivf_free(lp__ivf *x);
/* The metric of column vf's vector index (*found false and L2 when it has none or its details do not say). */
lp_status lp__ivf_index_metric(lp_table *t, const lp__field *vf, lp__dist_kind *metric, bool *found, lp_error *err);
/* Parse one delta from its two files held in memory (index.idx and auxiliary.idx) as lp__ivf_open would, and
 * free it again: the fuzz target of the index file readers. */
lp_status lp__ivf_parse_files(const uint8_t *index_idx, size_t index_len, const uint8_t *aux, size_t aux_len, bool pq,
                              uint32_t dim, lp_error *err);
/* Does the index hold rows of fragment frag_id? */
bool lp__ivf_covers(const lp__ivf *x, uint64_t frag_id);
/* The best kp rows of the nprobes nearest partitions of every delta, by (index distance, row address),
 * skipping rows LanceDB's prefilter masks (gone fragments, deleted rows, sel bit 0 when sel is given). */
lp_status lp__ivf_search(lp_table *t, const lp__ivf *x, const float *query, size_t dim, int nprobes,
                         const uint8_t *sel, size_t kp, lp__ivf_hit **out, size_t *out_n, lp_error *err);

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
