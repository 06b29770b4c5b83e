/* lancepool's embedded LanceDB engine: databases (directories of Lance tables), tables, versions, scans.
 *
 * Threads: an lp_session is thread-safe and meant to be shared (the pool's factory owns one). Everything
 * else (lp_db, lp_table, and the streams they produce) is used by one thread at a time; a connection pool
 * gives concurrency by handing each thread its own lp_db.
 *
 * Results leave the engine through the Arrow C Data Interface (arrow_c.h). Rows are always the table's live
 * rows (deleted rows never appear) in natural order: fragment order, then row order inside a fragment. */
#ifndef LANCEPOOL_LANCE_H
#define LANCEPOOL_LANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/arrow_c.h"
#include "lancepool/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Session: decoded metadata shared across connections ---------------------------------------- */

typedef struct lp_session lp_session;

typedef struct lp_session_config {
  size_t cache_bytes;        /* budget for decoded manifests, data-file metadata, deletion vectors; default 256 MiB */
  size_t vector_cache_bytes; /* budget for decoded vector columns kept for lp_table_search (one entry per
                                fragment and vector column, least recently used evicted first; an entry larger
                                than the budget is never kept); 0 = keep none, each search then reads and
                                decodes the vectors from the table's files; default 512 MiB */
} lp_session_config;

/* Fill cfg with the defaults. */
LP_API void lp_session_config_init(lp_session_config *cfg);

/* Create a session. cfg may be NULL for defaults. Caller owns *out; release with lp_session_unref().
 * Thread-safe: one session may serve any number of connections on any threads. */
LP_API LP_MUST_CHECK lp_status lp_session_create(const lp_session_config *cfg, lp_session **out, lp_error *err);

/* Reference counting: every lp_db opened with a session holds a reference, so the creator may drop its
 * own reference at any time. Both accept NULL. Thread-safe. */
LP_API lp_session *lp_session_ref(lp_session *s);
LP_API void lp_session_unref(lp_session *s);

typedef struct lp_session_stats {
  uint64_t hits, misses, evictions;
  size_t bytes_used, bytes_budget;
  size_t entries;
  /* the vector cache (vector_cache_bytes), counted apart */
  uint64_t vector_hits, vector_misses, vector_evictions;
  size_t vector_bytes_used, vector_bytes_budget;
} lp_session_stats;

/* A consistent snapshot of the cache counters. Thread-safe. */
LP_API void lp_session_stats_get(lp_session *s, lp_session_stats *out);

/* ---- Database: a directory of tables (a "connection") ------------------------------------------- */

typedef struct lp_db lp_db;

/* Open the database in directory `dir` (it must exist). `session` may be NULL: the connection then caches
 * nothing beyond its own open tables. Caller owns *out; close with lp_db_close(). Cheap: no file is read. */
LP_API LP_MUST_CHECK lp_status lp_db_open(const char *dir, lp_session *session, lp_db **out, lp_error *err);

/* One setting of a database in object storage ("s3://bucket/prefix"), with LanceDB's storageOptions keys:
 * "endpoint", "region", "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "allow_http",
 * "ca_file", "virtual_hosted_style_request", "allow_invalid_certificates", "max_retries", "timeout",
 * "connect_timeout", "max_connections", ... (README, "Object storage"). */
typedef struct lp_storage_option {
  const char *key;
  const char *value;
} lp_storage_option;

/* lp_db_open with storage settings for an s3:// database; they take precedence over the AWS_* variables,
 * which fill in the rest. An unknown key or a bad value is LP_EINVAL naming it. A local folder takes no
 * storage settings: n_options > 0 is LP_EINVAL there. options is borrowed by the call. */
LP_API LP_MUST_CHECK lp_status lp_db_open_with_options(const char *dir, lp_session *session,
                                                       const lp_storage_option *options, size_t n_options,
                                                       lp_db **out, lp_error *err);

/* Close a connection and everything it opened that is still open. Accepts NULL. */
LP_API void lp_db_close(lp_db *db);

/* The database directory, as given to lp_db_open. Borrowed; valid until lp_db_close(). */
LP_API const char *lp_db_dir(const lp_db *db);

/* Names of the tables in the database (directories `<name>.lance`), sorted bytewise. Caller owns the
 * array and the strings; free with lp_strings_free(*out_names, *out_n). */
LP_API LP_MUST_CHECK lp_status lp_db_table_names(lp_db *db, char ***out_names, size_t *out_n, lp_error *err);
LP_API void lp_strings_free(char **strings, size_t n);

/* ---- Tables ------------------------------------------------------------------------------------ */

typedef struct lp_table lp_table;

#define LP_VERSION_LATEST 0

/* Open table `name` at `version` (LP_VERSION_LATEST for the newest committed version). Opening the latest
 * version always re-checks the table's newest manifest (a directory listing, no decoding when the session
 * already holds it), so another writer's commit is seen. LP_ENOTFOUND when the table or version does not
 * exist. Caller owns *out; close with lp_table_close(). */
LP_API LP_MUST_CHECK lp_status lp_table_open(lp_db *db, const char *name, uint64_t version, lp_table **out,
                                             lp_error *err);
LP_API void lp_table_close(lp_table *t);

/* The version this handle reads. */
LP_API uint64_t lp_table_version(const lp_table *t);

/* The table's name. Borrowed; valid until lp_table_close(). */
LP_API const char *lp_table_name(const lp_table *t);

typedef struct lp_version_info {
  uint64_t version;
  int64_t timestamp_us; /* commit time, microseconds since the Unix epoch */
} lp_version_info;

/* Every version of the table still on disk, ascending. Caller owns *out (free()). */
LP_API LP_MUST_CHECK lp_status lp_table_versions(lp_table *t, lp_version_info **out, size_t *out_n, lp_error *err);

/* The table's schema as an Arrow struct schema ("+s") whose children are the top-level columns. Field
 * metadata carries the Lance field id under "lance:field_id". Caller owns *out (call out->release). */
LP_API LP_MUST_CHECK lp_status lp_table_schema(lp_table *t, struct ArrowSchema *out, lp_error *err);

/* Number of live rows, from the manifest alone. */
LP_API LP_MUST_CHECK lp_status lp_table_count_rows(lp_table *t, uint64_t *out, lp_error *err);

/* One of LanceDB's indexes on the table, as LanceDB's listIndices and indexStats show it: the entries
 * (an index and its deltas) sharing one name, taken together. */
typedef struct lp_index_info {
  char *name;               /* e.g. "vec_idx" */
  char *type;               /* LanceDB's type name: IvfPq, IvfFlat, IvfSq, IvfRq, IvfHnswPq, IvfHnswSq,
                               BTree, Bitmap, LabelList, FTS; "Unknown" for details lancepool cannot read */
  char *columns;            /* the indexed columns, comma-separated (nested fields as a.b) */
  uint64_t indexed_rows;    /* live rows of the fragments the index covers */
  uint64_t unindexed_rows;  /* live rows of the other fragments */
  size_t n_deltas;          /* index entries under this name */
} lp_index_info;

/* The table's indexes at its version, sorted by name (system indexes left out). Caller frees with
 * lp_index_info_free. LP_ECORRUPT when the manifest's index section does not decode. */
LP_API LP_MUST_CHECK lp_status lp_table_indices(lp_table *t, lp_index_info **out, size_t *out_n, lp_error *err);
LP_API void lp_index_info_free(lp_index_info *v, size_t n);

typedef struct lp_scan_options {
  const char *const *columns; /* top-level column names to return, in this order; NULL = all, schema order */
  size_t n_columns;
  uint64_t offset;            /* live rows to skip first */
  uint64_t limit;             /* at most this many rows; UINT64_MAX = no limit */
  uint32_t batch_rows;        /* rows per batch at most; 0 = engine default (8192) */
  bool with_row_id;           /* append LanceDB's `_rowid` (uint64) as the last column, as withRowId() does:
                                 the row address, or the stable row id on tables that have them */
} lp_scan_options;

/* Fill opts with: all columns, offset 0, no limit, default batch size, no row ids. */
LP_API void lp_scan_options_init(lp_scan_options *opts);

/* Start a scan of the live rows. *out is a stream of struct arrays with the projected schema; it borrows t,
 * so release it before lp_table_close(). opts may be NULL. */
LP_API LP_MUST_CHECK lp_status lp_table_scan(lp_table *t, const lp_scan_options *opts,
                                             struct ArrowArrayStream *out, lp_error *err);

/* Random access: rows at the given positions among the live rows (0 .. count-1, any order, repeats allowed),
 * returned in the order asked, as one struct array with the projected columns (columns NULL = all).
 * LP_EINVAL for a position past the end. Caller owns *out_array and *out_schema. */
LP_API LP_MUST_CHECK lp_status lp_table_take(lp_table *t, const uint64_t *positions, size_t n_positions,
                                             const char *const *columns, size_t n_columns,
                                             struct ArrowArray *out_array, struct ArrowSchema *out_schema,
                                             lp_error *err);


/* ---- Search: nearest neighbours and filtered scans ---------------------------------------------- */
/* Exact (flat) k-nearest-neighbour search over a fixed_size_list<float32|float16> column, with LanceDB's
 * distances (the `_distance` it reports): L2 is the squared Euclidean distance, COSINE is 1 - cosine
 * similarity, DOT is 1 - dot product. Rows whose vector is null, and rows whose distance is NaN (e.g. a
 * zero vector under COSINE), are never candidates, as in LanceDB. Filters use the SQL subset of
 * src/lance/predicate.h. Same threading rule as the rest of this header: one thread at a time per table
 * (a search may use worker threads of its own inside the call). The first search of a fragment reads and
 * decodes its vector column from the table's files; with a session the decoded column is then kept in the
 * session's vector cache (lp_session_config.vector_cache_bytes) for later searches from any connection. */

/* LP_METRIC_DEFAULT: what LanceDB does when a query names no metric: the metric of the column's vector
 * index, or L2 when it has none (and L2 with bypass_index, as LanceDB's bypassVectorIndex). */
typedef enum lp_metric { LP_METRIC_L2 = 0, LP_METRIC_COSINE = 1, LP_METRIC_DOT = 2, LP_METRIC_DEFAULT = 3 } lp_metric;

/* Parse "l2", "cosine" or "dot" (case-insensitive; "euclidean" is l2). LP_EINVAL names the text otherwise. */
LP_API LP_MUST_CHECK lp_status lp_metric_parse(const char *text, lp_metric *out, lp_error *err);

typedef struct lp_search_options {
  const char *column;         /* vector column; NULL = the table's only fixed_size_list<float> column */
  const float *vector;        /* the query vector (borrowed for the call); dim values */
  size_t dim;
  lp_metric metric;           /* default LP_METRIC_DEFAULT */
  int64_t k;                  /* results wanted; must be > 0; default 10 */
  uint64_t offset;            /* ranked results to skip first (after filtering) */
  const char *where;          /* SQL-subset filter, NULL = none */
  bool postfilter;            /* false (LanceDB's default): rows failing `where` are never candidates, so k
                                 results come back whenever k rows pass. true: the filter is applied to
                                 the k + offset nearest rows, so fewer may come back. */
  const char *const *columns; /* columns to return, in this order; NULL = all, schema order */
  size_t n_columns;
  int n_threads;              /* worker threads for this query; 0 = one per core, at most 8 */
  /* LanceDB's own vector index on the column (IVF_FLAT or 8-bit IVF_PQ, with the query's metric) is used
   * as LanceDB uses it; any other index, or none, means an exact search. */
  int nprobes;                /* partitions probed per index delta; 0 = LanceDB's default, 20 */
  int refine_factor;          /* > 0: re-rank the k * refine_factor index candidates by exact distance */
  bool bypass_index;          /* search exactly even when an index exists */
  bool fast_search;           /* search only the fragments the index covers (skip unindexed rows) */
  bool with_row_id;           /* append LanceDB's `_rowid` (uint64) after `_distance`, as withRowId() does */
} lp_search_options;

/* Fill opts with: auto column, no vector, LP_METRIC_DEFAULT, k = 10, offset 0, no filter, all columns, auto threads. */
LP_API void lp_search_options_init(lp_search_options *opts);

/* Run one search. On LP_OK *out_array is a struct array with one row per result in rank order (distance
 * ascending, ties broken by row position) holding the projected columns and then `_distance` (float32),
 * and *out_schema describes it; the caller owns both. LP_EINVAL (with the reason) for: no such column, a
 * column that is not a float vector, no vector column or more than one when none is named, a query of
 * the wrong dimension, NaN or infinity in the query, k <= 0, a bad filter. */
LP_API LP_MUST_CHECK lp_status lp_table_search(lp_table *t, const lp_search_options *opts,
                                               struct ArrowArray *out_array, struct ArrowSchema *out_schema,
                                               lp_error *err);

/* ---- Full-text and hybrid search -------------------------------------------------------------------
 * BM25 keyword search over a utf8/large_utf8 column that has a LanceDB full-text (inverted) index, with
 * LanceDB's tokenizer settings as recorded in the index and LanceDB's scores (`_score`). lancepool
 * computes the answer itself over the table's rows (it does not read the index's posting lists); rows
 * appended after the index was built are searched too, scored as LanceDB scores its unindexed rows. The
 * first search of a fragment tokenises its text column; with a session the result is kept in the
 * session's vector cache (same budget) for later searches. Same threading rule as lp_table_search. */

typedef enum lp_fts_operator { LP_FTS_OR = 0, LP_FTS_AND = 1 } lp_fts_operator;

typedef struct lp_text_search_options {
  const char *query;          /* the text to search for (borrowed for the call) */
  const char *column;         /* text column; NULL = the only column with a full-text index (or else the
                                 only string column) */
  int64_t k;                  /* results wanted; must be > 0; default 10 */
  const char *where;          /* SQL-subset pre-filter, NULL = none */
  const char *const *columns; /* columns to return, in this order; NULL = all, schema order */
  size_t n_columns;
  lp_fts_operator op;         /* OR (default): any term; AND: every term the index knows */
  bool phrase;                /* the terms in this order, next to each other (needs an index with positions) */
  int32_t fuzziness;          /* 0 (default) = exact terms; n > 0 = up to n edits; -1 = by term length */
  uint32_t max_expansions;    /* fuzzy: at most this many index terms in all; default 50 */
} lp_text_search_options;

/* Fill opts with: no query, auto column, k = 10, no filter, all columns, OR, no phrase, exact terms. */
LP_API void lp_text_search_options_init(lp_text_search_options *opts);

/* Run one BM25 search. On LP_OK *out_array is a struct array with one row per result, best first (score
 * descending, ties by row position), holding the projected columns and then `_score` (float32); the
 * caller owns it and *out_schema. A query with no searchable terms (empty, only stop words) gives no
 * rows, as in LanceDB. The column's index: LanceDB's full-text index, else lancepool's own
 * (lp_db_create_index), else none: then LanceDB's default settings over every row (LanceDB itself refuses
 * to search a column without an index). LP_EINVAL for: no query, k <= 0, a column that is not
 * utf8/large_utf8, no column named when the table has several string columns and no index, a phrase
 * query on an index without positions, a bad filter; LP_EUNSUPPORTED for tokenizer settings lancepool
 * does not implement. */
LP_API LP_MUST_CHECK lp_status lp_table_text_search(lp_table *t, const lp_text_search_options *opts,
                                                    struct ArrowArray *out_array, struct ArrowSchema *out_schema,
                                                    lp_error *err);

typedef enum lp_rerank { LP_RERANK_RRF = 0, LP_RERANK_LINEAR = 1 } lp_rerank;

/* Hybrid search: a vector search and a text search over the same table, fused. */
typedef struct lp_hybrid_search_options {
  lp_search_options vector;     /* its k, columns and where are ignored: the fields below apply */
  lp_text_search_options text;  /* its k, columns and where are ignored: the fields below apply */
  int64_t k;                    /* fused results wanted; default 10 */
  const char *where;            /* pre-filter of both legs */
  const char *const *columns;   /* projection, NULL = all */
  size_t n_columns;
  lp_rerank rerank;             /* RRF (default) or LINEAR */
  double alpha;                 /* RRF: weight of the vector leg, default 0.5 (plain RRF); LINEAR: weight of
                                   the vector leg's normalised score, default 0.7 */
} lp_hybrid_search_options;

/* Fill opts with both legs' defaults, k = 10, RRF, alpha unset (the reranker's own default). */
LP_API void lp_hybrid_search_options_init(lp_hybrid_search_options *opts);

/* Run both legs (each fetching its own candidates as LanceDB's hybrid query does) and fuse them; the result
 * holds the projected columns and then `_relevance_score` (float32), best first. Errors as both legs'. */
LP_API LP_MUST_CHECK lp_status lp_table_hybrid_search(lp_table *t, const lp_hybrid_search_options *opts,
                                                      struct ArrowArray *out_array, struct ArrowSchema *out_schema,
                                                      lp_error *err);

/* A scan of the live rows for which `where` is TRUE (NULL or "" = every row), in natural order, with
 * opts' projection, and offset/limit counted among the matching rows. Otherwise as lp_table_scan. */
LP_API LP_MUST_CHECK lp_status lp_table_scan_where(lp_table *t, const lp_scan_options *opts, const char *where,
                                                   struct ArrowArrayStream *out, lp_error *err);

/* Number of live rows for which `where` is TRUE (NULL or "" = all live rows). */
LP_API LP_MUST_CHECK lp_status lp_table_count_where(lp_table *t, const char *where, uint64_t *out,
                                                    lp_error *err);

/* ---- Writing ------------------------------------------------------------------------------------
 *
 * Every write commits one new version atomically (or nothing): data, deletion and transaction files are
 * written first under fresh names, then the manifest is published with link(), the mechanism LanceDB uses,
 * so lancepool and LanceDB processes can commit to one table concurrently. A writer that loses the race
 * re-reads the new latest version and rebases when the operations do not conflict (two appends; an append
 * and a delete), else fails with LP_ECONFLICT. Tables are named by `name` inside db's directory; the calls
 * read the table's newest version themselves, so they need no open lp_table. One thread per lp_db. */

typedef struct lp_write_options {
  bool durable;                /* fsync files and directories before/after publishing (default true) */
  uint32_t max_rows_per_file;  /* rows per data file (= fragment) at most; default 1048576 */
  uint32_t max_rows_per_page;  /* rows per page at most; default 65536 (wide vectors get fewer) */
  int max_commit_attempts;     /* attempts when other writers keep committing first; default 100 */
  const char *data_storage_version; /* lp_db_create_table only: the new table's data storage version, "2.1"
                                       (LanceDB 0.31.0's default), "2.0" or "2.2"; NULL = "2.1", or on overwrite
                                       the table's own. Other writes keep the table's version and fail with
                                       LP_EUNSUPPORTED on a version lancepool does not write. */
} lp_write_options;

/* Fill opts with the defaults. */
LP_API void lp_write_options_init(lp_write_options *opts);

/* Create table `name` (version 1) with the columns of `schema` (an Arrow struct schema) and the rows of
 * `data` (may be NULL: an empty table; when schema is NULL the stream's schema is used). LP_EEXIST when the
 * table exists, unless `overwrite`: then the rows replace the table's content (and schema) in a new
 * version; old versions stay readable. data is consumed and released. opts may be NULL. */
LP_API LP_MUST_CHECK lp_status lp_db_create_table(lp_db *db, const char *name, const struct ArrowSchema *schema,
                                                  struct ArrowArrayStream *data, bool overwrite,
                                                  const lp_write_options *opts, uint64_t *out_version,
                                                  lp_error *err);

/* Append the rows of `data` (whose schema must equal the table's) as one new version. data is consumed. */
LP_API LP_MUST_CHECK lp_status lp_db_add(lp_db *db, const char *name, struct ArrowArrayStream *data,
                                         const lp_write_options *opts, uint64_t *out_version, lp_error *err);

/* Delete the rows matching `predicate` (the SQL subset of the read path). *out_deleted = rows deleted;
 * when none match, no version is committed and *out_version is the current one. */
LP_API LP_MUST_CHECK lp_status lp_db_delete(lp_db *db, const char *name, const char *predicate,
                                            const lp_write_options *opts, uint64_t *out_deleted,
                                            uint64_t *out_version, lp_error *err);

/* Make old version `version` the content of a new latest version. */
LP_API LP_MUST_CHECK lp_status lp_db_restore(lp_db *db, const char *name, uint64_t version,
                                             const lp_write_options *opts, uint64_t *out_version, lp_error *err);

/* Compaction: rewrite runs of small fragments (fewer than half of opts->max_rows_per_file live rows) and
 * fragments with at least a tenth of their rows deleted into new fragments of live rows only (at most
 * max_rows_per_file rows each), as one commit; the rows and their order do not change. *out_rewritten
 * (may be NULL) = fragments replaced; when there is nothing to do no version is committed. */
LP_API LP_MUST_CHECK lp_status lp_db_compact(lp_db *db, const char *name, const lp_write_options *opts,
                                             uint64_t *out_version, uint64_t *out_rewritten, lp_error *err);

/* Update (LanceDB's update with SQL values): in the rows matching `where` (NULL: every row), set column
 * columns[i] to the value of expression values[i] (the value part of the filter language: columns,
 * literals, arithmetic, casts, functions), computed from the row's old values and cast to the column's
 * type as LanceDB does. Only scalar columns can be set. As LanceDB 0.31.0 does, the old rows are deleted
 * and their new versions written as new fragments, in one Update commit. *out_updated = rows updated; when
 * none match, LanceDB still commits a version (an Update that changes nothing), and so does this. A value that does not
 * type-check or fails to compute (division by zero, failed cast, NULL into a non-nullable column) is
 * LP_EINVAL and nothing is committed. */
LP_API LP_MUST_CHECK lp_status lp_db_update(lp_db *db, const char *name, const char *const *columns,
                                            const char *const *values, size_t n_set, const char *where,
                                            const lp_write_options *opts, uint64_t *out_updated,
                                            uint64_t *out_version, lp_error *err);

/* Schema changes (LanceDB's alterColumns with rename / nullable, and dropColumns), applied in this order
 * by name, in one Project commit as LanceDB 0.31.0 writes it; the data files are not rewritten. Only
 * top-level columns. Renaming onto an existing column, an unknown column, dropping every column or an
 * indexed one is an error (LP_EINVAL / LP_EUNSUPPORTED) and nothing is committed.
 * Or new columns (LanceDB's addColumns with SQL values; not together with the changes above, as LanceDB
 * commits them separately): column add_name[i] gets the value of expression add_value[i] (the value part
 * of the filter language) over the existing columns, in its own type (as DataFusion types it), nullable
 * unless it cannot be NULL; one new data file per fragment holds the new columns, in one Merge commit. A
 * name already taken or given twice, an expression that does not type-check or fails to compute on some
 * live row is LP_EINVAL and nothing is committed (deleted rows are not computed, as in LanceDB). */
typedef struct lp_alter_options {
  const char *const *rename_from, *const *rename_to; /* n_rename pairs */
  size_t n_rename;
  const char *const *nullable; /* columns made nullable */
  size_t n_nullable;
  const char *const *drop;     /* columns dropped */
  size_t n_drop;
  const char *const *add_name, *const *add_value; /* n_add new columns and their values */
  size_t n_add;
} lp_alter_options;

LP_API LP_MUST_CHECK lp_status lp_db_alter(lp_db *db, const char *name, const lp_alter_options *a,
                                           const lp_write_options *opts, uint64_t *out_version, lp_error *err);

/* ---- tags: LanceDB's named versions (<table>/_refs/tags/<name>.json, shared with LanceDB) ----
 * Tag names: [A-Za-z0-9_.-]+, not starting with '.' or '-', without "..", not ending in ".lock".
 * Cleanup keeps every tagged version (as LanceDB's does). Tags of LanceDB branches are not listed. */
typedef struct lp_tag {
  char *name;
  uint64_t version;
} lp_tag;

/* Every main-line tag of table `table`, in name order. Free with lp_tags_free. */
LP_API LP_MUST_CHECK lp_status lp_db_tags(lp_db *db, const char *table, lp_tag **out, size_t *out_n, lp_error *err);
LP_API void lp_tags_free(lp_tag *tags, size_t n);
/* The version tag `tag` names (LP_ENOTFOUND when there is no such tag); open it with lp_table_open. */
LP_API LP_MUST_CHECK lp_status lp_db_tag_version(lp_db *db, const char *table, const char *tag,
                                                 uint64_t *out_version, lp_error *err);
/* Name version `version` (which must exist) `tag`. LP_EEXIST when the tag exists. */
LP_API LP_MUST_CHECK lp_status lp_db_tag_create(lp_db *db, const char *table, const char *tag, uint64_t version,
                                                lp_error *err);
/* Remove tag `tag` (LP_ENOTFOUND when there is none); the version stays. */
LP_API LP_MUST_CHECK lp_status lp_db_tag_delete(lp_db *db, const char *table, const char *tag, lp_error *err);

/* Merge insert (LanceDB's mergeInsert): which clauses apply. */
typedef struct lp_merge_options {
  const char *const *on;    /* key columns (top-level integer, date, timestamp, string or binary columns) */
  size_t n_on;
  bool update_all;          /* whenMatchedUpdateAll: a matched target row is replaced by its source row */
  const char *update_where; /* ...only where this holds (NULL: always); names target.col and source.col */
  bool insert_all;          /* whenNotMatchedInsertAll: source rows without a match are inserted */
  bool delete_not_matched;  /* whenNotMatchedBySourceDelete: live rows no source row matches are deleted */
  const char *delete_where; /* ...only where this holds (NULL: all of them); names the table's columns */
} lp_merge_options;

/* Merge the rows of `data` (the table's schema; consumed) into table `name` by the key columns of m, in one
 * Update commit as LanceDB 0.31.0 writes it (replaced and deleted rows get deletion files, written rows new
 * fragments); a NULL key matches nothing. A key that appears twice in the source is LP_EINVAL and nothing
 * is committed (LanceDB refuses it when the key matches a row). Like LanceDB's, a merge that changes
 * nothing still commits a version. *out_updated, *out_inserted, *out_deleted = rows replaced, inserted,
 * deleted (each may be NULL). */
LP_API LP_MUST_CHECK lp_status lp_db_merge(lp_db *db, const char *name, const lp_merge_options *m,
                                           struct ArrowArrayStream *data, const lp_write_options *opts,
                                           uint64_t *out_updated, uint64_t *out_inserted,
                                           uint64_t *out_deleted, uint64_t *out_version, lp_error *err);

/* Upsert (merge insert) by the top-level key column `key`: rows of `data` whose key matches a live row
 * replace it, the others are inserted, in one commit. Keys in `data` must be unique and not null.
 * *out_updated / *out_inserted (may be NULL) count the rows. data is consumed. */
LP_API LP_MUST_CHECK lp_status lp_db_upsert(lp_db *db, const char *name, const char *key,
                                            struct ArrowArrayStream *data, const lp_write_options *opts,
                                            uint64_t *out_updated, uint64_t *out_inserted,
                                            uint64_t *out_version, lp_error *err);

/* Delete versions committed more than older_than_seconds ago (never the latest nor a tagged one) and every file that no
 * remaining version uses (files no version ever used only when older than the cut-off too, so commits
 * in progress are safe). *out_versions / *out_files (may be NULL) count what was removed. */
LP_API LP_MUST_CHECK lp_status lp_db_cleanup(lp_db *db, const char *name, uint64_t older_than_seconds,
                                             uint64_t *out_versions, uint64_t *out_files, lp_error *err);

/* Index creation. `type` names the index kind; only "fts" (a full-text index) is built by lancepool so
 * far: "ivf_pq", "ivf_flat", "ivf_sq", "ivf_hnsw_sq", "btree" and "bitmap" are refused with LP_EUNSUPPORTED,
 * anything else with LP_EINVAL.
 *
 * The full-text index is lancepool's own (README, "Full-text search"): its settings are committed as a
 * table config entry (an UpdateConfig version, which LanceDB keeps and ignores), and each fragment's
 * tokenised text is saved under <table>/_lancepool/fts/, so lp_table_text_search does not tokenise saved
 * fragments again after a reopen; fragments added later are tokenised on first search. LanceDB does not
 * see or use it. A column that has LanceDB's own full-text index is refused (LP_EEXIST). */
typedef struct lp_index_options {
  const char *column;          /* required */
  const char *type;            /* required: "fts", ... */
  const char *name;            /* NULL = "<column>_idx", LanceDB's default */
  bool replace;                /* replace an index of the same column (else LP_EEXIST) */
  /* fts: LanceDB 0.31.0's Index.fts() defaults, set by lp_index_options_init */
  const char *base_tokenizer;  /* "simple" (default), "whitespace", "raw", "ngram" */
  const char *language;        /* stemming and stop words: "English" (default), ... */
  bool with_position;          /* keep positions: phrase queries need them (default false) */
  uint32_t max_token_length;   /* drop longer tokens; default 40, 0 = no limit */
  bool lower_case, stem, remove_stop_words, ascii_folding; /* default true */
  uint32_t min_ngram_length, max_ngram_length; /* ngram tokenizer: default 3, 3 */
  bool prefix_only;            /* ngram tokenizer: only prefixes (default false) */
} lp_index_options;

LP_API void lp_index_options_init(lp_index_options *o);

/* Build an index on table `name`'s latest version and commit it. *out_version = the new version;
 * out_name (cap bytes, may be NULL) receives the index's name. opts (the write options) may be NULL. */
LP_API LP_MUST_CHECK lp_status lp_db_create_index(lp_db *db, const char *name, const lp_index_options *index,
                                                  const lp_write_options *opts, char *out_name, size_t out_name_cap,
                                                  uint64_t *out_version, lp_error *err);

/* Remove table `name` and all its files. LP_ENOTFOUND when it does not exist. */
LP_API LP_MUST_CHECK lp_status lp_db_drop_table(lp_db *db, const char *name, lp_error *err);

#ifdef __cplusplus
}
#endif
#endif /* LANCEPOOL_LANCE_H */
