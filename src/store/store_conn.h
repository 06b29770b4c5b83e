/* The store's connection-level layer: operations on one lp_db that know nothing of pools. The pooled
 * lp_store_* functions borrow a connection and call these; `lancepool bench` calls them directly for its
 * per-op and persistent modes. Internal. */
#ifndef LP_STORE_CONN_H
#define LP_STORE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/arrow_c.h"
#include "lancepool/lance.h"
#include "lancepool/store.h"

struct lp__store_index; /* the store's id index (store_index.h) */
struct lp__store_layout; /* the table's columns and their roles (store_int.h) */

/* The layout of table `table` of db at its latest version: cols names the role columns (NULL: the
 * defaults), dim the vector's dimension. LP_EINVAL names a missing column or a wrong type. */
LP_MUST_CHECK lp_status lp__store_conn_layout(lp_db *db, const char *table, uint32_t dim,
                                              const lp_store_columns *cols, struct lp__store_layout **out,
                                              lp_error *err);
void lp__store_layout_free(struct lp__store_layout *lay);

/* Exact kNN over table `table` of db (latest version), through lp_table_search. */
LP_MUST_CHECK lp_status lp__store_conn_search(lp_db *db, const char *table, const float *query, uint32_t dim,
                                              size_t k, const char *predicate, lp_metric metric,
                                              lp_store_rows *out, lp_error *err);

/* A search of any mode over table `table` of db (latest version; cols: the role columns, NULL = defaults). */
LP_MUST_CHECK lp_status lp__store_conn_query(lp_db *db, const char *table, const lp_store_columns *cols,
                                             const lp_store_query *q, lp_store_rows *out, lp_error *err);

/* The records with the given ids, in the order asked (missing ids skipped). */
LP_MUST_CHECK lp_status lp__store_conn_get(lp_db *db, const char *table, const char *const *ids, size_t n_ids,
                                           lp_store_rows *out, lp_error *err);

/* Connection-level writes (one commit each; opts may be NULL for the engine's defaults; lay NULL: the
 * table's layout with the default role columns, read now, and the records validated). conn_add fails
 * with LP_EEXIST when an id is already in the table (checked against the latest version before
 * committing). */
LP_MUST_CHECK lp_status lp__store_conn_create(lp_db *db, const char *table, uint32_t dim, lp_error *err);
LP_MUST_CHECK lp_status lp__store_conn_add(lp_db *db, const char *table, const struct lp__store_layout *lay,
                                           const lp_store_record *recs, size_t n, const lp_write_options *opts,
                                           struct lp__store_index *idx, lp_error *err);
LP_MUST_CHECK lp_status lp__store_conn_upsert(lp_db *db, const char *table, const struct lp__store_layout *lay,
                                              const lp_store_record *recs, size_t n, const lp_write_options *opts,
                                              lp_error *err);
LP_MUST_CHECK lp_status lp__store_conn_delete_ids(lp_db *db, const char *table, const char *id_column,
                                                  const char *const *ids, size_t n,
                                                  const lp_write_options *opts, uint64_t *out_deleted,
                                                  lp_error *err);
/* Which of ids[] are in the table's latest version: found[i] set true (through idx when not NULL). */
LP_MUST_CHECK lp_status lp__store_conn_exists(lp_db *db, const char *table, const char *id_column,
                                              struct lp__store_index *idx,
                                              const char *const *ids, size_t n, bool *found, lp_error *err);
/* Delete by ids through the store's id index (rows located, no predicate evaluated; falls back to the
 * predicate when the index cannot answer). found[i]: ids[i] was in the table. */
LP_MUST_CHECK lp_status lp__store_conn_delete_located(lp_db *db, const char *table, const char *id_column,
                                                      struct lp__store_index *idx,
                                                      const char *const *ids, size_t n, const lp_write_options *opts,
                                                      bool *found, uint64_t *out_deleted, lp_error *err);
LP_MUST_CHECK lp_status lp__store_db_delete(lp_db *db, const char *table, const char *predicate,
                                            const lp_write_options *opts, uint64_t *out_deleted, lp_error *err);
/* "`column` IN ('a', 'b')" with quotes escaped; caller frees; NULL when out of memory. */
char *lp__store_ids_predicate(const char *column, const char *const *ids, size_t n);

/* A stream of one record batch with every column of the layout's table (nulls for nullable extra columns
 * the records do not give). The records must have passed lp__store_validate. */
LP_MUST_CHECK lp_status lp__store_records_stream(const struct lp__store_layout *lay, const lp_store_record *recs,
                                                 size_t n, struct ArrowArrayStream *out, lp_error *err);

#endif
