/* Committing a new table version (table-format.md section 7): transaction file, manifest staged in
 * _versions/ and published with link() (fails with EEXIST when another writer took the version — the
 * same mechanism as LanceDB, so both can commit to one table), rebase-and-retry on a lost race, hint file,
 * and fsync of everything before it becomes visible when durable. A table in a store (write/stage.c) commits
 * with uploads and one If-None-Match PUT of the manifest instead. Internal; one thread per call. */
#ifndef LP_WRITE_COMMIT_H
#define LP_WRITE_COMMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "io/arena.h"
#include "table/manifest.h"
#include "format/schema.h"

#include "table.pb-c.h"
#include "transaction.pb-c.h"

/* Transaction operation numbers (lance.table.Transaction oneof). */
enum { LP__OP_APPEND = 100, LP__OP_DELETE = 101, LP__OP_OVERWRITE = 102, LP__OP_CREATE_INDEX = 103,
       LP__OP_REWRITE = 104, LP__OP_MERGE = 105, LP__OP_RESTORE = 106, LP__OP_UPDATE = 108,
       LP__OP_PROJECT = 109, LP__OP_UPDATE_CONFIG = 110 };

/* One committed version as read for a commit: the manifest file, its Manifest message unpacked by
 * protobuf-c (fields this code does not know are kept as unknown fields and written back unchanged by a
 * commit that carries the message over), and the decoded view. */
typedef struct lp__base {
  uint64_t version;                /* 0: the table has no version yet */
  uint8_t *file;                   /* the whole manifest file (owned) */
  size_t file_len;
  const uint8_t *index;            /* IndexSection bytes inside file (copied verbatim), or NULL */
  size_t index_len;
  Lance__Table__Manifest *pb;      /* owned (protobuf-c) */
  Lance__Table__Transaction *txn;  /* the inline transaction (owned), or NULL */
  lp__manifest *m;                 /* decoded (a reference) */
  bool v1_name;                    /* its manifest has a V1 name ("<n>.manifest"): commits keep that scheme */
} lp__base;

/* Parse a manifest file held in memory (copied); `path` names it in messages. */
lp_status lp__base_from_bytes(const uint8_t *bytes, size_t len, const char *path, lp__base *out, lp_error *err);
lp_status lp__base_load(const char *table_dir, uint64_t version, lp__base *out, lp_error *err);
/* The same with only the protobuf message (out->m, version and the checks of lp__manifest_decode left out),
 * for manifests lancepool does not read but must not break, such as those of LanceDB's branches. */
lp_status lp__base_load_raw(const char *table_dir, uint64_t version, lp__base *out, lp_error *err);
/* The newest version (LP_ENOTFOUND when the table has none); hints (may be NULL) as lp__version_latest. */
struct lp__version_hints;
lp_status lp__base_load_latest(const char *table_dir, struct lp__version_hints *hints, lp__base *out, lp_error *err);
void lp__base_reset(lp__base *b);
/* The operation (LP__OP_*) of the version's inline transaction; 0 when it has none. */
uint32_t lp__base_txn_op(const lp__base *b);

/* What an operation wants committed on top of a base. The messages live in `arena` and may point into
 * the base's (or content's) unpacked manifest, which outlives the plan. */
typedef struct lp__plan {
  lp__arena *arena;           /* owns what the plan built */
  lp__ptrvec fragments;       /* Lance__Table__DataFragment *: the new manifest's fragments */
  bool has_max_fragment_id;
  uint64_t max_fragment_id;
  bool has_deletions;         /* some fragment in `fragments` has a deletion file */
  const lp__schema *schema;   /* non-NULL: replace the schema (create/overwrite) */
  const char *data_format;    /* non-NULL: the table's new data storage version, "2.0" or "2.1" (create/
                                 overwrite); else the base's is kept ("2.1" when it has none) */
  const lp__base *content;    /* non-NULL: carry fields over from this version instead of the base (restore) */
  bool keep_index;            /* copy the carried-over version's index section */
  const char *config_key;     /* non-NULL: set this table config entry to config_value (other entries kept) */
  const char *config_value;
  const uint8_t *index_section; /* non-NULL: the new version's IndexSection bytes (in arena), replacing the
                                   kept one (compaction with remapped indexes) */
  size_t index_section_len;
  bool noop;                  /* nothing to commit: lp__commit returns the base version */
  uint32_t op;                /* LP__OP_* = the Transaction.operation case */
  ProtobufCMessage *op_msg;   /* the operation message (in arena) */
  char **sync_paths;          /* files written for this plan without fsync (owned); see lp__plan_sync */
  size_t n_sync_paths;
} lp__plan;

/* LP_ENOMEM when the arena cannot be made. */
lp_status lp__plan_init(lp__plan *p, lp_error *err);
void lp__plan_reset(lp__plan *p);
/* Name a file (data or deletion file, written without fsync) that the plan's version refers to: a durable
 * commit fsyncs it and its directory, together with the transaction and manifest files, before it
 * publishes the version. */
lp_status lp__plan_sync(lp__plan *p, const char *path, lp_error *err);
/* LP_ENOMEM (naming `what`) when building the plan ran out of memory. */
lp_status lp__plan_status(const lp__plan *p, const char *what, lp_error *err);

/* Build the plan for one attempt against `base` (base->version == 0 when creating). Called again after a
 * lost race, with the new latest version; must leave `plan` fully built or fail. */
typedef lp_status (*lp__prepare_fn)(void *ctx, const lp__base *base, lp__plan *plan, lp_error *err);

typedef struct lp__commit_opts {
  bool durable;       /* fsync files and directories (default true) */
  bool create;        /* the table must not have a version yet (LP_EEXIST otherwise) */
  int max_attempts;   /* default 100 */
  struct lp__version_hints *hints; /* the session's latest versions (finding the base, remembering the
                                      committed version), or NULL */
  struct lp__base *preloaded; /* a base the caller already loaded with lp__base_load_latest, or NULL:
                                 moved in (lp__commit resets it); the first attempt uses it when it is
                                 still the latest version instead of reading and parsing it again */
} lp__commit_opts;

/* Run prepare + commit until it lands, a conflicting concurrent operation is found (LP_ECONFLICT), or the
 * attempts run out (LP_ECONFLICT). *out_version = the committed version. */
lp_status lp__commit(const char *table_dir, const lp__commit_opts *opts, lp__prepare_fn prepare, void *ctx,
                     uint64_t *out_version, lp_error *err);

/* Building fragments. */
typedef struct lp__deletion_ref {
  int kind;                  /* 0 arrow, 1 bitmap */
  uint64_t read_version, id, num_deleted_rows;
} lp__deletion_ref;

/* A DataFragment with one data file, the one `file` describes (id 0 in transactions). NULL when out of
 * memory. */
struct lp__dfw_result;
Lance__Table__DataFragment *lp__fragment_new(lp__arena *a, uint64_t id, const struct lp__dfw_result *file);
/* A copy of fragment `f` (its other fields and unknown fields shared) with its deletion file replaced
 * (del == NULL: removed). NULL when out of memory. */
Lance__Table__DataFragment *lp__fragment_with_deletion(lp__arena *a, const Lance__Table__DataFragment *f,
                                                       const lp__deletion_ref *del);

/* The bytes of a manifest file for `version`: plan->index_section, or else the kept index section of src
 * (when has_index), the packed
 * transaction `txn`, the Manifest built from plan over src (NULL: none), and the footer. Caller frees. */
lp_status lp__manifest_file_build(const lp__plan *plan, const lp__base *src, bool has_index, const uint8_t *txn,
                                  size_t txn_len, uint64_t version, const char *txn_name, uint8_t **out,
                                  size_t *out_len, lp_error *err);

#endif
