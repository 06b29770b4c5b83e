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

#include "format/schema.h"

/* Column positions of the store layout (a new store's schema), and the roles a column can play. */
enum { LP__COL_ID, LP__COL_PATH, LP__COL_TEXT, LP__COL_VECTOR, LP__COL_METADATA, LP__COL_CREATED_AT, LP__N_COLS };
#define LP__COL_EXTRA (-1)
extern const char *const lp__store_columns[LP__N_COLS];

/* The table's columns and the role each plays, resolved when the store opens (store_layout.c). */
typedef struct lp__store_layout lp__store_layout;
struct lp__store_layout {
  uint32_t dim;
  lp__schema schema;              /* the table's schema as resolved */
  const char *role[LP__N_COLS];   /* the column playing each role (names inside schema), NULL when none */
  const char **readable;          /* the columns rows can hold (roles and extras of supported types) */
  size_t n_readable;
};

/* Resolve the roles of t's columns: cols names them (NULL = defaults), dim is the vector's dimension.
 * LP_EINVAL names a missing column or a wrong type. Free with lp__store_layout_free. */
LP_MUST_CHECK lp_status lp__store_layout_resolve(lp_table *t, uint32_t dim, const lp_store_columns *cols,
                                                 struct lp__store_layout **out, lp_error *err);
/* The role of top-level column `name` (LP__COL_*), or LP__COL_EXTRA. */
int lp__store_layout_role(const struct lp__store_layout *lay, const char *name);
/* Can an extra column of this type be read into / written from lp_store_value? */
bool lp__store_value_type_fits(const lp__field *f, lp_store_value_type *out_type);
/* The value a record gives for column `name`, or NULL. */
const lp_store_value *lp__store_record_value(const lp_store_record *r, const char *name);

/* Convert rows of a struct array (any subset of the table's columns, plus `_distance`, `_score` or
 * `_relevance_score`) into out->rows[out->n..]. */
LP_MUST_CHECK lp_status lp__store_rows_from_arrow(const struct ArrowArray *arr, const struct ArrowSchema *schema,
                                                  const struct lp__store_layout *lay, lp_store_rows *out,
                                                  lp_error *err);

/* A search of any mode on an open table (the pooled store keeps one per connection). */
LP_MUST_CHECK lp_status lp__store_table_query(lp_table *t, const struct lp__store_layout *lay,
                                              const lp_store_query *q, lp_store_rows *out, lp_error *err);
/* q = a vector search of these parameters (lp_store_search's). */
void lp__store_vector_query(lp_store_query *q, const float *query, uint32_t dim, size_t k, const char *predicate,
                            lp_metric metric);
/* The live positions of ids[0..n_ids) in t by scanning its id column `id_column` (pos[i] = UINT64_MAX when
 * absent; an id that appears twice gets its first position). */
LP_MUST_CHECK lp_status lp__store_find_ids(lp_table *t, const char *id_column, const char *const *ids, size_t n_ids,
                                           uint64_t *pos, lp_error *err);
/* idx: the store's id index (store_index.h), or NULL to scan the id column. columns NULL: every readable. */
LP_MUST_CHECK lp_status lp__store_table_get(lp_table *t, const struct lp__store_layout *lay,
                                            struct lp__store_index *idx, const char *const *ids, size_t n_ids,
                                            const char *const *columns, size_t n_columns, lp_store_rows *out,
                                            lp_error *err);
/* The distinct non-null paths of t's live rows, sorted. */
LP_MUST_CHECK lp_status lp__store_table_paths(lp_table *t, const struct lp__store_layout *lay, char ***out_paths,
                                              size_t *out_n, lp_error *err);

/* Validate a batch of records for add/upsert: non-empty unique ids, vectors present, metadata a JSON
 * object (NULL allowed), values naming extra columns with fitting types, every non-nullable extra column
 * given. LP_EINVAL names the record and what is wrong. */
LP_MUST_CHECK lp_status lp__store_validate(const lp_store_record *recs, size_t n, const struct lp__store_layout *lay,
                                           lp_error *err);

/* A utf8/large-utf8 array's value i (borrowed bytes). false when null. */
bool lp__arrow_str(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i, const char **out_p,
                   size_t *out_len);

/* The store layout's Arrow schema (dimension dim), for creating a new store table. */
LP_MUST_CHECK lp_status lp__store_arrow_schema(uint32_t dim, struct ArrowSchema *out, lp_error *err);

#endif
