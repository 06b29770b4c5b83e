/* The write layer's interface for the layers above it (the store): appends that report the data files they
 * committed, deletes of located rows, and cleanup that spares a writer's files in progress. The public write
 * operations are in lancepool/lance.h. Internal. */
#ifndef LP_WRITE_WRITE_H
#define LP_WRITE_WRITE_H

#include <stdint.h>
#include <time.h>

#include "format/datafile_write.h"
#include "lancepool/lance.h"

/* Data files written for one operation, not yet committed. */
typedef struct lp__written {
  lp__dfw_result *files;
  size_t n;
} lp__written;

/* lp_db_add that also hands back, in *out_files (may be NULL; free with lp__written_reset), the data
 * files the committed version gained: their names and row counts, in the order of the rows. */
lp_status lp__db_add_written(lp_db *db, const char *name, struct ArrowArrayStream *data,
                             const lp_write_options *opts, uint64_t *out_version, lp__written *out_files,
                             lp_error *err);
void lp__written_reset(lp__written *w);

/* lp_db_cleanup with a tighter rule for files no version ever used: they are removed only when they are
 * older than orphans_before too (when it is > 0 and earlier than the version cut-off). A caller that
 * knows when its own uncommitted writes started passes that time, so cleanup never takes their files. */
lp_status lp__db_cleanup(lp_db *db, const char *name, uint64_t older_than_seconds, time_t orphans_before,
                         uint64_t *out_versions, uint64_t *out_files, lp_error *err);

/* One physical row of a fragment. */
typedef struct lp__row_ref {
  uint64_t frag; /* fragment id */
  uint32_t row;  /* physical row */
} lp__row_ref;

/* Delete the listed rows (located in version at_version; any order, repeats allowed) as one Delete commit
 * recording `predicate` (which should select the same rows): no predicate is evaluated. Rows already
 * deleted are not counted. Rebased over concurrent commits as long as every listed fragment still holds
 * the same data files; otherwise LP_ECONFLICT (then delete by the predicate instead). */
lp_status lp__db_delete_rows(lp_db *db, const char *name, uint64_t at_version, const lp__row_ref *rows, size_t n,
                             const char *predicate, const lp_write_options *opts, uint64_t *out_deleted,
                             uint64_t *out_version, lp_error *err);

#endif
