/* lancepool's pooled memory store: a LanceDB table of records (id, path, text, vector, metadata,
 * created_at) whose every operation borrows a connection from the store's lp_pool (pool.h).
 *
 * On disk the store is an ordinary Lance table that official LanceDB opens as it would any other. A new
 * store gets the store layout:
 *   id utf8 (not null, unique key), path utf8, text utf8, vector fixed_size_list<float32, dim>,
 *   metadata utf8 (a JSON object), created_at timestamp[us].
 * An existing table may have any schema (e.g. a code-search table written by LanceDB): cfg.columns names
 * its id, vector, text and path columns; every other column is an extra column, read into
 * lp_store_row.values and written from lp_store_record.values (named values).
 *
 * Threads: an lp_store is thread-safe; any number of threads may call any function on one store at the same
 * time (except lp_store_close(), which must be the last call). Results (lp_store_rows) belong to the caller.
 *
 * Freshness: with freshness_interval_ms 0 (the default) every operation sees every commit made before it
 * started, by this process, another process or official LanceDB (the newest manifest is re-checked when a
 * connection is acquired). Writes (add, upsert, delete) from concurrent threads are grouped into one commit
 * per short window; each call returns once its own change is committed, or with that commit's error. */
#ifndef LANCEPOOL_STORE_H
#define LANCEPOOL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"
#include "lancepool/lance.h"
#include "lancepool/pool.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lp_store lp_store;

/* Metrics: lp_metric of lance.h (LP_METRIC_L2 squared Euclidean, LP_METRIC_COSINE, LP_METRIC_DOT). */

#define LP_STORE_MAX_DIM 65536

/* Which columns of the table play the store's roles. NULL = the default name ("id", "vector", "text",
 * "path"). id must be utf8/large_utf8, vector fixed_size_list<float32, dim>, text and path utf8/large_utf8.
 * A column named here explicitly must exist (LP_EINVAL otherwise); text and path left NULL are optional:
 * without a text column there is no text/hybrid search, without a path column no lp_store_paths /
 * lp_store_delete_path. Columns named "metadata" (utf8) and "created_at" (timestamp[us]) fill the
 * record's metadata / created_at fields; every other column is an extra column. */
typedef struct lp_store_columns {
  const char *id, *vector, *text, *path;
} lp_store_columns;

/* A named value of an extra column. Writing: type must suit the column (STRING for utf8 columns; INT for
 * integer and timestamp columns, in the column's unit; FLOAT for float columns; BOOL for bool), NULL
 * writes a null. Reading: extra columns of those types come back as such; columns of other types (lists,
 * structs, binary) are not read into rows. */
typedef enum lp_store_value_type {
  LP_STORE_VALUE_NULL = 0,
  LP_STORE_VALUE_STRING,
  LP_STORE_VALUE_INT,
  LP_STORE_VALUE_FLOAT,
  LP_STORE_VALUE_BOOL
} lp_store_value_type;

typedef struct lp_store_value {
  const char *name;          /* the column */
  lp_store_value_type type;
  const char *str;           /* STRING */
  int64_t i;                 /* INT */
  double f;                  /* FLOAT */
  bool b;                    /* BOOL */
} lp_store_value;

typedef struct lp_store_config {
  uint32_t dim;                    /* vector dimension; required (checked against an existing table) */
  lp_pool_config pool;             /* the connection pool (lp_pool_config_init's defaults, except name
                                      "lancepool-store", max_connections 8, min_connections 1,
                                      acquire_timeout_ms 5000, cleanup_interval_ms 1000) */
  uint32_t freshness_interval_ms;  /* how stale a pooled connection's view may be; 0 = check on every acquire */
  uint32_t group_commit_window_us; /* how long a commit waits for more writers to join it; default 1000 */
  bool durable;                    /* fsync every commit (default true) */
  size_t cache_bytes;              /* the shared session's vector cache: decoded vector blocks and their
                                      8-bit shadows (default 1 GiB; a flat search is fast only when every
                                      block fits). Manifests and file metadata have the session's default
                                      budget (lp_session_config.cache_bytes) */
  /* Maintenance, run by the pool's cleanup task every pool.cleanup_interval_ms (lp_pool_factory.maintain;
   * 0 interval = never; lp_store_maintain() runs one pass on demand): */
  uint32_t compact_min_fragments;  /* compact once the table has this many fragments (default 32) ... */
  double compact_deleted_ratio;    /* ... or this fraction of its physical rows deleted (default 0.2) */
  uint32_t compact_target_rows;    /* compaction merges fragments of fewer than half this many live rows
                                      into files of at most this many (default 65536); larger ones are
                                      rewritten only when a tenth of their rows are deleted */
  uint64_t retention_ms;           /* remove versions older than this (default 600000: 10 min) */
  bool create_if_missing;          /* create the table when it does not exist (default true), with the store
                                      layout (then cfg.columns must name the default columns or none) */
  lp_store_columns columns;        /* the column roles of an existing table (all NULL: the defaults) */
  /* Optional health check run by the pool's validate callback when an idle connection is acquired (subject
   * to pool.validation_bypass_ms; a failure destroys that connection and the pool tries another or opens a
   * new one): for tests and custom checks. */
  lp_status (*conn_check)(void *ctx, lp_error *err);
  void *conn_check_ctx;
  /* Settings of a store in object storage (dir "s3://bucket/prefix"), as lp_db_open_with_options takes
   * them; copied by lp_store_open. Default none (the AWS_* variables). */
  const lp_storage_option *storage_options;
  size_t n_storage_options;
} lp_store_config;

/* Fill cfg with the defaults (dim 0: the caller must set it). */
LP_API void lp_store_config_init(lp_store_config *cfg);

/* One record to write. Borrowed by the call. metadata NULL means "{}"; path and text may be NULL. */
typedef struct lp_store_record {
  const char *id;       /* non-empty, unique in one call */
  const char *path;
  const char *text;
  const float *vector;  /* `dim` floats */
  uint32_t dim;         /* the vector's length: must equal the store's dimension */
  const char *metadata; /* a JSON object */
  int64_t created_at_us;
  /* Extra columns (tables with other columns than the store layout's). A nullable column a record does
   * not name gets a null; a non-nullable one it does not name fails the call with LP_EINVAL; a name that
   * is not an extra column of the table, or a value of the wrong type, too. path/text/metadata for a
   * table without such a column must be NULL. */
  const lp_store_value *values;
  size_t n_values;
} lp_store_record;

/* One record read back. Every pointer is owned by the lp_store_rows it is in. */
typedef struct lp_store_row {
  char *id, *path, *text, *metadata; /* path/text/metadata NULL when null in the table */
  float *vector;                     /* dim floats, or NULL when null */
  int64_t created_at_us;
  bool has_created_at;
  float distance;                    /* vector search results: `_distance` */
  float score;                       /* text search: BM25 `_score`; hybrid: `_relevance_score` */
  lp_store_value *values;            /* the extra columns returned (names and strings owned by the rows) */
  size_t n_values;
} lp_store_row;

typedef struct lp_store_rows {
  lp_store_row *rows;
  size_t n;
  uint32_t dim;
} lp_store_rows;

/* Free the rows and what they hold; the struct itself is the caller's. Accepts NULL. */
LP_API void lp_store_rows_reset(lp_store_rows *rows);

/* Open the store table `table` in database directory `dir` (created with its parents, with the store
 * layout, when missing and cfg->create_if_missing). An existing table may have any schema: cfg->columns
 * names its role columns; LP_EINVAL names a role column that is missing or has the wrong type (e.g. a
 * vector column that is not fixed_size_list<float32, cfg->dim>). The roles are resolved once, here: a
 * schema change by another writer later needs a new lp_store_open. Caller owns *out; close with
 * lp_store_close(). */
LP_API LP_MUST_CHECK lp_status lp_store_open(const char *dir, const char *table, const lp_store_config *cfg,
                                             lp_store **out, lp_error *err);

/* Drain the pool (waits for connections in use), finish pending commits, and free the store. Accepts NULL. */
LP_API void lp_store_close(lp_store *s);

/* Add n records. LP_EEXIST when an id is already in the table; LP_EINVAL for bad input (empty id,
 * duplicate id in the call, wrong dimension, metadata not a JSON object). On any error nothing of this
 * call is committed. Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_add(lp_store *s, const lp_store_record *recs, size_t n, lp_error *err);

/* Insert or replace n records by id, atomically. Same input checks as lp_store_add. Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_upsert(lp_store *s, const lp_store_record *recs, size_t n, lp_error *err);

/* The records with the given ids, in the order asked; ids not in the table are skipped. Caller owns
 * *out (lp_store_rows_reset). Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_get(lp_store *s, const char *const *ids, size_t n_ids, lp_store_rows *out,
                                            lp_error *err);

/* Delete by ids (the id column), by path (the path column; LP_EINVAL without one), or by a predicate
 * (LanceDB's SQL subset, e.g. "path LIKE '/a/%'"). *out_deleted (may be NULL) receives the number of rows
 * deleted. Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_delete_ids(lp_store *s, const char *const *ids, size_t n_ids,
                                                   uint64_t *out_deleted, lp_error *err);
LP_API LP_MUST_CHECK lp_status lp_store_delete_path(lp_store *s, const char *path, uint64_t *out_deleted,
                                                    lp_error *err);
LP_API LP_MUST_CHECK lp_status lp_store_delete_where(lp_store *s, const char *predicate, uint64_t *out_deleted,
                                                     lp_error *err);

/* Exact k nearest neighbours of query (dim floats) by metric, among the rows matching `predicate` (NULL:
 * all rows; applied before ranking), nearest first, ties by row position (lp_table_search), every column
 * rows can hold: lp_store_query_run in VECTOR mode. Caller owns *out. Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_search(lp_store *s, const float *query, uint32_t dim, size_t k,
                                               const char *predicate, lp_metric metric, lp_store_rows *out,
                                               lp_error *err);

/* The search modes of lp_store_query. */
typedef enum lp_store_search_mode {
  LP_STORE_SEARCH_VECTOR = 0, /* exact kNN of `vector` (as lp_store_search) */
  LP_STORE_SEARCH_TEXT,       /* BM25 over the text column, as lp_table_text_search (with the column's FTS
                                 index settings, else LanceDB's default tokenizer) */
  LP_STORE_SEARCH_HYBRID      /* both, fused by reciprocal rank (k = 60), as lp_table_hybrid_search */
} lp_store_search_mode;

typedef struct lp_store_query {
  lp_store_search_mode mode;
  const float *vector;        /* VECTOR, HYBRID: dim floats */
  uint32_t dim;
  lp_metric metric;           /* default LP_METRIC_L2 */
  const char *text;           /* TEXT, HYBRID: the keywords */
  size_t k;                   /* results wanted; default 10 */
  const char *where;          /* filter applied before ranking, to both legs of a hybrid search */
  double alpha;               /* HYBRID: weight of the vector leg in [0, 1] (weighted RRF); NAN (default)
                                 = plain RRF */
  const char *const *columns; /* columns to return; NULL = every column rows can hold */
  size_t n_columns;
} lp_store_query;

/* Fill q with: VECTOR, L2, k = 10, no filter, plain RRF, every column. */
LP_API void lp_store_query_init(lp_store_query *q);

/* Run one search: results best first with distance (VECTOR) or score (TEXT: BM25, HYBRID: relevance).
 * LP_EINVAL for a wrong-dimension or missing vector, no keywords, a store without a text column (TEXT,
 * HYBRID), a bad filter or an unknown column; the engine's errors otherwise. Caller owns *out.
 * Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_query_run(lp_store *s, const lp_store_query *q, lp_store_rows *out,
                                                  lp_error *err);

/* As lp_store_get, returning only `columns` (NULL: every column rows can hold). Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_get_columns(lp_store *s, const char *const *ids, size_t n_ids,
                                                    const char *const *columns, size_t n_columns,
                                                    lp_store_rows *out, lp_error *err);

/* The distinct non-null values of the path column among live rows, sorted (bytewise). Caller frees with
 * lp_store_paths_free. LP_EINVAL when the store has no path column. Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_paths(lp_store *s, char ***out_paths, size_t *out_n, lp_error *err);
LP_API void lp_store_paths_free(char **paths, size_t n);

/* Number of records. Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_count(lp_store *s, uint64_t *out, lp_error *err);

/* Rewrite the table's small fragments into large ones and drop deleted rows, as an ordinary commit.
 * Thread-safe; concurrent readers and writers are not disturbed (the compaction runs beside the write
 * queue; when a concurrent delete touches the fragments it rewrites it is redone, and after a few such
 * losses it fails with LP_ECONFLICT, committing nothing). *out_rewritten (may be NULL) = fragments
 * replaced (0: nothing to do, no commit). */
LP_API LP_MUST_CHECK lp_status lp_store_compact(lp_store *s, uint64_t *out_rewritten, lp_error *err);

/* One maintenance pass now: compact when the thresholds are crossed (a compaction that keeps losing to
 * concurrent deletes is left for the next pass), then remove versions older than retention_ms. *out_compacted (may be NULL) = true when it compacted. Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_maintain(lp_store *s, bool *out_compacted, lp_error *err);

/* The store's counters: its pool's statistics snapshot plus commit and maintenance counters. */
typedef struct lp_store_stats {
  lp_pool_stats pool;    /* lp_pool_stats_get of the store's pool */
  uint64_t commits;      /* write commits made by the group committer */
  uint64_t writes;       /* write calls committed (writes / commits = average group size) */
  uint64_t compactions;  /* maintenance compactions */
  uint64_t cleanups;     /* maintenance version cleanups that removed something */
  uint64_t maintenance_errors;
} lp_store_stats;

/* A snapshot of the counters. Thread-safe. */
LP_API void lp_store_stats_get(lp_store *s, lp_store_stats *out);

/* The store's pool (borrowed; valid until lp_store_close), e.g. for lp_pool_stats_prometheus. */
LP_API lp_pool *lp_store_pool(lp_store *s);

#ifdef __cplusplus
}
#endif
#endif /* LANCEPOOL_STORE_H */
