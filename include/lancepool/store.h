/* lancepool's pooled memory store: a LanceDB table of records (id, path, text, vector, metadata,
 * created_at) whose every operation borrows a connection from the store's pool (a stand-in in
 * src/store/store_conns.c until the generic lp_pool lands; swapping it changes that one file).
 *
 * On disk the store is an ordinary Lance table that official LanceDB opens as it would any other:
 *   id utf8 (not null, unique key), path utf8, text utf8, vector fixed_size_list<float32, dim>,
 *   metadata utf8 (a JSON object), created_at timestamp[us].
 *
 * Threads: an lp_store is thread-safe; any number of threads may call any function on one store at the same
 * time (except lp_store_close(), which must be the last call). Results (lp_store_rows) belong to the caller.
 *
 * Freshness: every operation sees every commit made before it started, by this process, another process
 * or official LanceDB (checked when a connection is acquired; see freshness_interval_ms).
 * Writes (add, upsert, delete) from concurrent threads are grouped into one commit per short window; each
 * call returns once its own change is committed, or with that commit's error. */
#ifndef LANCEPOOL_STORE_H
#define LANCEPOOL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lp_store lp_store;

typedef enum lp_metric {
  LP_METRIC_L2 = 0,     /* squared Euclidean distance (LanceDB's "l2") */
  LP_METRIC_COSINE = 1, /* 1 - cos(a, b) */
  LP_METRIC_DOT = 2,    /* 1 - a.b (LanceDB's "dot") */
} lp_metric;

#define LP_STORE_MAX_DIM 65536

typedef struct lp_store_config {
  uint32_t dim;                    /* vector dimension; required (checked against an existing table) */
  uint32_t max_connections;        /* pooled connections at most (default 8) */
  uint32_t acquire_timeout_ms;     /* how long an operation waits for a free connection (default 5000) */
  uint32_t freshness_interval_ms;  /* how stale a pooled connection's view may be; 0 = check on every acquire */
  uint32_t group_commit_window_us; /* how long a commit waits for more writers to join it; default 2000 */
  uint32_t compact_min_fragments;  /* maintenance compacts once the table has this many fragments (default 16) */
  double compact_deleted_ratio;    /* ... or this fraction of its rows deleted (default 0.2) */
  uint64_t retention_ms;           /* maintenance removes versions older than this (default 600000: 10 min) */
  bool create_if_missing;          /* create the table when it does not exist (default true) */
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
} lp_store_record;

/* One record read back. Every pointer is owned by the lp_store_rows it is in. */
typedef struct lp_store_row {
  char *id, *path, *text, *metadata; /* path/text/metadata NULL when null in the table */
  float *vector;                     /* dim floats, or NULL when null */
  int64_t created_at_us;
  bool has_created_at;
  float distance;                    /* search results only */
} lp_store_row;

typedef struct lp_store_rows {
  lp_store_row *rows;
  size_t n;
  uint32_t dim;
} lp_store_rows;

/* Free the rows and what they hold; the struct itself is the caller's. Accepts NULL. */
LP_API void lp_store_rows_reset(lp_store_rows *rows);

/* Open the store table `table` in database directory `dir` (created with its parents when missing and
 * cfg->create_if_missing). LP_EINVAL when an existing table is not a store table of dimension cfg->dim.
 * Caller owns *out; close with lp_store_close(). */
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

/* Delete by ids, by path, or by a predicate (LanceDB's SQL subset, e.g. "path LIKE '/a/%'"). *out_deleted
 * (may be NULL) receives the number of rows deleted. Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_delete_ids(lp_store *s, const char *const *ids, size_t n_ids,
                                                   uint64_t *out_deleted, lp_error *err);
LP_API LP_MUST_CHECK lp_status lp_store_delete_path(lp_store *s, const char *path, uint64_t *out_deleted,
                                                    lp_error *err);
LP_API LP_MUST_CHECK lp_status lp_store_delete_where(lp_store *s, const char *predicate, uint64_t *out_deleted,
                                                     lp_error *err);

/* Exact k nearest neighbours of query (dim floats) by metric, among the rows matching `predicate` (NULL:
 * all rows; applied before ranking), nearest first, ties by id. Caller owns *out. Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_search(lp_store *s, const float *query, uint32_t dim, size_t k,
                                               const char *predicate, lp_metric metric, lp_store_rows *out,
                                               lp_error *err);

/* Number of records. Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_store_count(lp_store *s, uint64_t *out, lp_error *err);

/* Rewrite the table's small fragments into large ones and drop deleted rows, as an ordinary commit.
 * Thread-safe; concurrent readers and writers are not disturbed. */
LP_API LP_MUST_CHECK lp_status lp_store_compact(lp_store *s, lp_error *err);

/* Counters of the store's connection pool and commits (counters only increase). */
typedef struct lp_store_stats {
  uint64_t hits;      /* acquisitions served by an idle connection (= reused) */
  uint64_t misses;    /* acquisitions that had to create a connection */
  uint64_t created, destroyed, reused, expired, waits, timeouts;
  uint64_t commits;   /* write commits made by the group committer */
  uint64_t writes;    /* write calls committed (writes / commits = average group size) */
  size_t size, in_use, idle;
} lp_store_stats;

/* A consistent snapshot of the counters. Thread-safe. */
LP_API void lp_store_stats_get(lp_store *s, lp_store_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* LANCEPOOL_STORE_H */
