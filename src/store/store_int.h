/* Internals of the store shared by its files, private to store/. Internal.
 *
 * The store's operations come in two layers: connection-level functions (lp__store_conn_*, store_conn.h)
 * that work on one lp_db and know nothing of pools, and the public lp_store_* functions that borrow a
 * connection from the pool, run a connection-level function, and give the connection back. */
#ifndef LP_STORE_INT_H
#define LP_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/arrow_c.h"
#include "lancepool/lance.h"
#include "lancepool/store.h"
#include "store/store_conn.h"

/* Column positions of the store schema. */
enum { LP__COL_ID, LP__COL_PATH, LP__COL_TEXT, LP__COL_VECTOR, LP__COL_METADATA, LP__COL_CREATED_AT, LP__N_COLS };
extern const char *const lp__store_columns[LP__N_COLS];

/* Convert rows of a struct array with store columns (by name, any subset) into out->rows[at..]. */
LP_MUST_CHECK lp_status lp__store_rows_from_arrow(const struct ArrowArray *arr, const struct ArrowSchema *schema,
                                                  uint32_t dim, const float *distances, lp_store_rows *out,
                                                  lp_error *err);

/* Exact kNN on an open table (the pooled store keeps one per connection), through lp_table_search. */
LP_MUST_CHECK lp_status lp__store_table_search(lp_table *t, const float *query, uint32_t dim, size_t k,
                                               const char *predicate, lp_metric metric, lp_store_rows *out,
                                               lp_error *err);
/* The live positions of ids[0..n_ids) in t by scanning its id column (pos[i] = UINT64_MAX when absent;
 * an id that appears twice gets its first position). */
LP_MUST_CHECK lp_status lp__store_find_ids(lp_table *t, const char *const *ids, size_t n_ids, uint64_t *pos,
                                           lp_error *err);
/* idx: the store's id index (store_index.h), or NULL to scan the id column. */
LP_MUST_CHECK lp_status lp__store_table_get(lp_table *t, struct lp__store_index *idx, const char *const *ids,
                                            size_t n_ids, lp_store_rows *out, lp_error *err);

/* Validate a batch of records for add/upsert: non-empty unique ids, vectors present, metadata a JSON
 * object (NULL allowed). LP_EINVAL names the record and what is wrong. */
LP_MUST_CHECK lp_status lp__store_validate(const lp_store_record *recs, size_t n, uint32_t dim, lp_error *err);

/* A utf8/large-utf8 array's value i (borrowed bytes). false when null. */
bool lp__arrow_str(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i, const char **out_p,
                   size_t *out_len);

/* The store's Arrow schema (dimension dim) and one record batch / stream of records. */
LP_MUST_CHECK lp_status lp__store_arrow_schema(uint32_t dim, struct ArrowSchema *out, lp_error *err);
LP_MUST_CHECK lp_status lp__store_records_batch(const lp_store_record *recs, size_t n, uint32_t dim,
                                                struct ArrowArray *out, lp_error *err);

#endif
