/* Shared internals of the write operations (write_table.c, delete, upsert, compaction), private to write/.
 * What the layers above use is in write.h. Internal. */
#ifndef LP_WRITE_WRITE_INT_H
#define LP_WRITE_WRITE_INT_H

#include "format/datafile_write.h"
#include "lancepool/lance.h"
#include "write/commit.h"
#include "write/write.h"

void lp__wopts_resolve(const lp_write_options *in, lp_write_options *out);
/* "<db dir>/<name>.lance" after checking the name. Caller frees. */
lp_status lp__table_dir(lp_db *db, const char *name, char **out, lp_error *err);

/* Write the batches as data files of format `version`, at most o->max_rows_per_file rows each (fsynced when
 * durable). On failure nothing is left behind. */
lp_status lp__write_batches(const char *table_dir, const lp__schema *schema, const lp_write_options *o,
                            lp__file_version version, struct ArrowArray *batches, size_t n_batches, lp__written *out,
                            lp_error *err);
/* The data file version for new files of the table whose latest version is `base`: its data storage
 * version. LP_EUNSUPPORTED, naming the table (`table`) and the version, when lancepool cannot write it:
 * every write that adds data files checks this first, so that no table ever mixes versions. */
lp_status lp__table_file_version(const lp__base *base, const char *table, lp__file_version *out, lp_error *err);
/* LP_ECONFLICT unless version `base` (met when rebasing) still has the data storage version the new files
 * were written in. */
lp_status lp__check_file_version(const lp__base *base, lp__file_version written, lp_error *err);
/* A data storage version by its manifest name ("2.0", "2.1"); LP_EUNSUPPORTED for others. */
lp_status lp__storage_version_parse(const char *name, lp__file_version *out, lp_error *err);
/* Add the data files of w to plan: as fragments first_id, first_id+1... of the new manifest, as fragments
 * (id 0) to op_list (a fragment list of the operation message), and to the files the commit fsyncs. */
lp_status lp__plan_add_files(lp__plan *plan, const char *table_dir, const lp__written *w, uint64_t first_id,
                             lp__ptrvec *op_list, lp_error *err);
void lp__written_unlink(const char *table_dir, lp__written *w);
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
struct lp__frag_reader;
struct lp__pred_bound;
/* Physical row offsets (ascending) of the fragment open in r whose rows match the bound predicate b and are
 * not deleted yet (delete.c). Caller frees *out. */
lp_status lp__frag_pred_matches(struct lp_table *t, struct lp__frag_reader *r, const struct lp__pred_bound *b,
                                uint32_t **out, size_t *out_n, lp_error *err);
lp_status lp__frag_live_batches(struct lp_table *t, const struct lp__fragment *f, const size_t *cols, size_t n_cols,
                                struct ArrowArray **out, size_t *out_n, lp_error *err);

#endif
