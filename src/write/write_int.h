/* Shared internals of the write operations (write_table.c, delete, upsert, compaction). Internal. */
#ifndef LP_LANCE_WRITE_INT_H
#define LP_LANCE_WRITE_INT_H

#include <time.h>

#include "lance/commit.h"
#include "lance/datafile_write.h"
#include "lancepool/lance.h"

/* Data files written for one operation, not yet committed. */
typedef struct lp__written {
  lp__dfw_result *files;
  size_t n;
} lp__written;

void lp__wopts_resolve(const lp_write_options *in, lp_write_options *out);
/* "<db dir>/<name>.lance" after checking the name. Caller frees. */
lp_status lp__table_dir(lp_db *db, const char *name, char **out, lp_error *err);

/* Write the batches as data files of at most o->max_rows_per_file rows each (fsynced when durable). On
 * failure nothing is left behind. */
lp_status lp__write_batches(const char *table_dir, const lp__schema *schema, const lp_write_options *o,
                            struct ArrowArray *batches, size_t n_batches, lp__written *out, lp_error *err);
/* Add the data files of w to plan: as fragments first_id, first_id+1... of the new manifest, as fragments
 * (id 0) to op_list (a fragment list of the operation message), and to the files the commit fsyncs. */
lp_status lp__plan_add_files(lp__plan *plan, const char *table_dir, const lp__written *w, uint64_t first_id,
                             lp__ptrvec *op_list, lp_error *err);
void lp__written_unlink(const char *table_dir, lp__written *w);
/* lp_db_add that also hands back, in *out_files (may be NULL; free with lp__written_reset), the data
 * files the committed version gained: their names and row counts, in the order of the rows. */
lp_status lp__db_add_written(lp_db *db, const char *name, struct ArrowArrayStream *data,
                             const lp_write_options *opts, uint64_t *out_version, lp__written *out_files,
                             lp_error *err);
void lp__written_reset(lp__written *w);

lp_status lp__stream_collect(struct ArrowArrayStream *s, const lp__schema *expect, lp__schema *out_schema,
                             struct ArrowArray **out, size_t *out_n, lp_error *err);
void lp__batches_free(struct ArrowArray *b, size_t n);

bool lp__base_has_deletions(const lp__base *base);

/* Free a list of file paths written by an attempt (and delete the files when unlink_them: nothing refers
 * to them). */
void lp__paths_forget(char ***paths, size_t *n, bool unlink_them);

/* Sorted union of two strictly ascending row lists (malloc'd, *out_n entries); NULL when out of memory. */
uint32_t *lp__rows_union(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, size_t *out_n);

/* Give fragment base->pb->fragments[frag_index] (with id fragment_id) a deletion file of `rows` (n, sorted):
 * the file is written (kind by LanceDB's rule from `old_is_bitmap`), its path appended to
 * (*written)[*n_written] (the caller unlinks them when the attempt is abandoned), and the fragment with
 * the new deletion file goes to plan->fragments and to op_list (of the operation message). *out = its ref. */
lp_status lp__plan_deletion(lp__plan *plan, const char *table_dir, const lp__base *base, size_t frag_index,
                            uint64_t fragment_id, bool old_is_bitmap, const uint32_t *rows, size_t n, bool durable,
                            lp__ptrvec *op_list, char ***written, size_t *n_written, lp__deletion_ref *out,
                            lp_error *err);
/* The id for a version's next new fragment: max_fragment_id + 1, else the largest fragment id + 1, else
 * 0. *has_max / *max_id: whether the version has a largest id and which. */
uint64_t lp__next_fragment_id(const lp__base *base, bool *has_max, uint64_t *max_id);

/* The live (not deleted) rows of fragment f of open table t as struct batches of the top-level columns
 * cols[0..n_cols) (cols NULL = all, in schema order). Caller frees with lp__batches_free. */
struct lp_table;
struct lp__fragment;
lp_status lp__frag_live_batches(struct lp_table *t, const struct lp__fragment *f, const size_t *cols, size_t n_cols,
                                struct ArrowArray **out, size_t *out_n, lp_error *err);

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
