/* Internals of the store shared by its files. Internal.
 *
 * The store's operations come in two layers: connection-level functions (lp__store_conn_*) that work on one
 * lp_db and know nothing of pools, and the public lp_store_* functions that borrow a connection from the
 * pool, run a connection-level function, and give the connection back (`lancepool bench` also calls the
 * connection-level layer directly for its per-op and persistent modes). */
#ifndef LP_STORE_INT_H
#define LP_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/arrow_c.h"
#include "lancepool/lance.h"
#include "lancepool/store.h"

/* Column positions of the store schema. */
enum { LP__COL_ID, LP__COL_PATH, LP__COL_TEXT, LP__COL_VECTOR, LP__COL_METADATA, LP__COL_CREATED_AT, LP__N_COLS };
extern const char *const lp__store_columns[LP__N_COLS];

/* Check that the open table t is a store table of dimension dim (LP_EINVAL naming what differs). */
LP_MUST_CHECK lp_status lp__store_check_schema(lp_table *t, uint32_t dim, lp_error *err);

/* Exact kNN over table `table` of db (latest version), through lp_table_search. */
LP_MUST_CHECK lp_status lp__store_conn_search(lp_db *db, const char *table, const float *query, uint32_t dim,
                                              size_t k, const char *predicate, lp_metric metric,
                                              lp_store_rows *out, lp_error *err);

/* The records with the given ids, in the order asked (missing ids skipped). */
LP_MUST_CHECK lp_status lp__store_conn_get(lp_db *db, const char *table, const char *const *ids, size_t n_ids,
                                           lp_store_rows *out, lp_error *err);

/* Convert rows of a struct array with store columns (by name, any subset) into out->rows[at..]. */
LP_MUST_CHECK lp_status lp__store_rows_from_arrow(const struct ArrowArray *arr, const struct ArrowSchema *schema,
                                                  uint32_t dim, const float *distances, lp_store_rows *out,
                                                  lp_error *err);

/* The same on an open table (the pooled store keeps one per connection). */
LP_MUST_CHECK lp_status lp__store_table_search(lp_table *t, const float *query, uint32_t dim, size_t k,
                                               const char *predicate, lp_metric metric, lp_store_rows *out,
                                               lp_error *err);
/* The live positions of ids[0..n_ids) in t by scanning its id column (pos[i] = UINT64_MAX when absent;
 * an id that appears twice gets its first position). */
LP_MUST_CHECK lp_status lp__store_find_ids(lp_table *t, const char *const *ids, size_t n_ids, uint64_t *pos,
                                           lp_error *err);
/* idx: the store's id index (store_index.h), or NULL to scan the id column. */
struct lp__store_index;
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
LP_MUST_CHECK lp_status lp__store_records_stream(const lp_store_record *recs, size_t n, uint32_t dim,
                                                 struct ArrowArrayStream *out, lp_error *err);

/* Connection-level writes (one commit each; opts may be NULL for the engine's defaults). conn_add fails
 * with LP_EEXIST when an id is already in the table (checked against the latest version before
 * committing). */
LP_MUST_CHECK lp_status lp__store_conn_create(lp_db *db, const char *table, uint32_t dim, lp_error *err);
LP_MUST_CHECK lp_status lp__store_conn_add(lp_db *db, const char *table, const lp_store_record *recs, size_t n,
                                           uint32_t dim, const lp_write_options *opts,
                                           struct lp__store_index *idx, lp_error *err);
LP_MUST_CHECK lp_status lp__store_conn_upsert(lp_db *db, const char *table, const lp_store_record *recs, size_t n,
                                              uint32_t dim, const lp_write_options *opts, lp_error *err);
LP_MUST_CHECK lp_status lp__store_conn_delete_ids(lp_db *db, const char *table, const char *const *ids, size_t n,
                                                  const lp_write_options *opts, uint64_t *out_deleted,
                                                  lp_error *err);
/* Which of ids[] are in the table's latest version: found[i] set true (through idx when not NULL). */
LP_MUST_CHECK lp_status lp__store_conn_exists(lp_db *db, const char *table, struct lp__store_index *idx,
                                              const char *const *ids, size_t n, bool *found, lp_error *err);
/* Delete by ids through the store's id index (rows located, no predicate evaluated; falls back to the
 * predicate when the index cannot answer). found[i]: ids[i] was in the table. */
LP_MUST_CHECK lp_status lp__store_conn_delete_located(lp_db *db, const char *table, struct lp__store_index *idx,
                                                      const char *const *ids, size_t n, const lp_write_options *opts,
                                                      bool *found, uint64_t *out_deleted, lp_error *err);
LP_MUST_CHECK lp_status lp__store_db_delete(lp_db *db, const char *table, const char *predicate,
                                            const lp_write_options *opts, uint64_t *out_deleted, lp_error *err);
/* "id IN ('a', 'b')" with quotes escaped; caller frees; NULL when out of memory. */
char *lp__store_ids_predicate(const char *const *ids, size_t n);

#endif
