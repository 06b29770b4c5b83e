/* Committing a new table version (table-format.md section 7): transaction file, manifest staged in
 * _versions/ and published with link() (fails with EEXIST when another writer took the version — the
 * same mechanism as LanceDB, so both can commit to one table), rebase-and-retry on a lost race, hint file,
 * and fsync of everything before it becomes visible when durable. Internal; one thread per call. */
#ifndef LP_LANCE_COMMIT_H
#define LP_LANCE_COMMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "lance/manifest.h"
#include "lance/pbwire.h"
#include "lance/schema.h"

/* Transaction operation numbers (lance.table.Transaction oneof). */
enum { LP__OP_APPEND = 100, LP__OP_DELETE = 101, LP__OP_OVERWRITE = 102, LP__OP_CREATE_INDEX = 103,
       LP__OP_REWRITE = 104, LP__OP_MERGE = 105, LP__OP_RESTORE = 106, LP__OP_UPDATE = 108 };

/* One committed version as read for a commit: raw bytes for verbatim carry-over plus the decoded view. */
typedef struct lp__base {
  uint64_t version;          /* 0: the table has no version yet */
  uint8_t *file;             /* the whole manifest file (owned) */
  size_t file_len;
  const uint8_t *msg;        /* the Manifest protobuf inside file */
  size_t msg_len;
  const uint8_t *index;      /* IndexSection bytes inside file, or NULL */
  size_t index_len;
  const uint8_t *txn;        /* inline Transaction bytes, or NULL */
  size_t txn_len;
  lp__pb_field *frag_raw;    /* payload of each Manifest.fragments entry, same order as m->fragments */
  size_t n_frag_raw;
  lp__manifest *m;           /* decoded (a reference) */
} lp__base;

/* Parse a manifest file held in memory (copied); `path` names it in messages. */
lp_status lp__base_from_bytes(const uint8_t *bytes, size_t len, const char *path, lp__base *out, lp_error *err);
lp_status lp__base_load(const char *table_dir, uint64_t version, lp__base *out, lp_error *err);
/* The newest version (LP_ENOTFOUND when the table has none). */
lp_status lp__base_load_latest(const char *table_dir, lp__base *out, lp_error *err);
void lp__base_reset(lp__base *b);
/* The operation (LP__OP_*) of the version's inline transaction; 0 when it has none. */
uint32_t lp__base_txn_op(const lp__base *b);

/* What an operation wants committed on top of a base. */
typedef struct lp__plan {
  lp__buf fragments;          /* the new manifest's fragments: complete tagged field-2 entries */
  bool has_max_fragment_id;
  uint64_t max_fragment_id;
  bool has_deletions;         /* some fragment in `fragments` has a deletion file */
  const lp__schema *schema;   /* non-NULL: replace the schema (create/overwrite) */
  const lp__base *content;    /* non-NULL: carry fields over from this version instead of the base (restore) */
  bool keep_index;            /* copy the carried-over version's index section */
  bool noop;                  /* nothing to commit: lp__commit returns the base version */
  uint32_t op;                /* LP__OP_* */
  lp__buf op_body;            /* the operation message */
  char **sync_paths;          /* files written for this plan without fsync (owned); see lp__plan_sync */
  size_t n_sync_paths;
} lp__plan;

void lp__plan_init(lp__plan *p);
void lp__plan_reset(lp__plan *p);
/* Name a file (data or deletion file, written without fsync) that the plan's version refers to: a durable
 * commit fsyncs it and its directory, together with the transaction and manifest files, before it
 * publishes the version. */
lp_status lp__plan_sync(lp__plan *p, const char *path, lp_error *err);

/* Build the plan for one attempt against `base` (base->version == 0 when creating). Called again after a
 * lost race, with the new latest version; must leave `plan` fully built or fail. */
typedef lp_status (*lp__prepare_fn)(void *ctx, const lp__base *base, lp__plan *plan, lp_error *err);

typedef struct lp__commit_opts {
  bool durable;       /* fsync files and directories (default true) */
  bool create;        /* the table must not have a version yet (LP_EEXIST otherwise) */
  int max_attempts;   /* default 100 */
} lp__commit_opts;

/* Run prepare + commit until it lands, a conflicting concurrent operation is found (LP_ECONFLICT), or the
 * attempts run out (LP_ECONFLICT). *out_version = the committed version. */
lp_status lp__commit(const char *table_dir, const lp__commit_opts *opts, lp__prepare_fn prepare, void *ctx,
                     uint64_t *out_version, lp_error *err);

/* Encoding helpers for operations. */
typedef struct lp__deletion_ref {
  int kind;                  /* 0 arrow, 1 bitmap */
  uint64_t read_version, id, num_deleted_rows;
} lp__deletion_ref;

/* A DataFragment with one data file. id 0 is omitted (as in transactions). */
void lp__encode_fragment(lp__buf *b, uint32_t field, uint64_t id, const char *file_name, const int32_t *field_ids,
                         size_t n_columns, uint64_t size_bytes, uint64_t physical_rows);
/* Re-encode an existing fragment payload with its deletion file replaced (del == NULL: removed). */
void lp__encode_fragment_with_deletion(lp__buf *b, uint32_t field, const lp__pb_field *raw, const lp__deletion_ref *del);

/* fsync a directory (no-op when !durable). */
lp_status lp__fsync_dir(const char *dir, bool durable, lp_error *err);
/* fsync every path (files or directories) at once, from several threads, so the file system can commit
 * them in one journal transaction instead of one after another. LP_EIO names the first that failed. */
lp_status lp__fsync_paths(const char *const *paths, size_t n, lp_error *err);
/* Random lowercase hyphenated UUID v4 (37 bytes with NUL). */
void lp__uuid(char out[37]);
uint64_t lp__random_u64(void);

#endif
