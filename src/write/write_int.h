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
/* ---- matching rows by key (key_set.c): upsert and merge ----
 * An open-addressing hash set of keys given as bytes; the bytes are borrowed. Slot hash 0 = empty. */
typedef struct lp__key_set {
  uint64_t *hash;
  const uint8_t **ptr;
  uint32_t *len;
  uint8_t *matched; /* per slot, for the caller */
  uint64_t *value;  /* per slot, for the caller */
  size_t cap, n;
} lp__key_set;

/* Room for n keys; false when out of memory (free it anyway). */
bool lp__key_set_init(lp__key_set *s, size_t n);
void lp__key_set_free(lp__key_set *s);
/* Never 0. */
uint64_t lp__key_hash(const uint8_t *p, size_t n);
/* The slot of the key, or the empty slot where it would go. */
size_t lp__key_set_find(const lp__key_set *s, const uint8_t *p, size_t n, uint64_t h);
/* The key bytes of row j of array a (a top-level key column of type t); false when the value is null. */
bool lp__key_bytes(const struct ArrowArray *a, lp__type t, int64_t j, const uint8_t **p, size_t *n);
/* LP_EINVAL unless field kf (looked up by name `key`; NULL = no such column) can be a key: an integer,
 * date, timestamp, string or binary top-level column. */
lp_status lp__key_column_check(const lp__field *kf, const char *key, lp_error *err);

/* Physical row offsets (ascending) of the fragment open in r whose rows match the bound predicate b and are
 * not deleted yet (delete.c). Caller frees *out. */
lp_status lp__frag_pred_matches(struct lp_table *t, struct lp__frag_reader *r, const struct lp__pred_bound *b,
                                uint32_t **out, size_t *out_n, lp_error *err);
/* ---- rows rewritten in one Update transaction (rewrite.c): update and merge ---- */
typedef struct lp__rewrite {
  uint64_t *removed; /* fragments whose every row is gone (in the plan's arena) */
  size_t n_removed;
  lp__ptrvec updated; /* fragments with a new deletion file */
  bool any_deletion;  /* the new version has deletion files */
} lp__rewrite;

lp_status lp__rewrite_init(lp__rewrite *rw, lp__plan *plan, size_t n_fragments, lp_error *err);
/* Fragment i of base (open in r) loses rows gone[0..n_gone) (ascending, live): it stays as it is (none),
 * gets a deletion file (its path appended to *written), or is removed (no row left). */
lp_status lp__rewrite_fragment(lp__rewrite *rw, lp__plan *plan, const char *dir, const lp__base *base, size_t i,
                               const struct lp__frag_reader *r, const uint32_t *gone, size_t n_gone, bool durable,
                               char ***written, size_t *n_written, lp_error *err);
/* The Update operation: the fragments given to lp__rewrite_fragment, the data files `files` as new fragments,
 * field_ids as fields_for_preserving_frag_bitmap. `what` names the operation in messages. */
lp_status lp__rewrite_finish(lp__rewrite *rw, lp__plan *plan, const char *dir, const lp__base *base,
                             const lp__written *files, const uint32_t *field_ids, size_t n_field_ids, const char *what,
                             lp_error *err);
/* Rows rows[0..n) (ascending, n > 0) of the fragment open in r, every column: cols[k] = top-level field k. */
lp_status lp__frag_read_rows(struct lp_table *t, struct lp__frag_reader *r, const uint32_t *rows, size_t n,
                             struct ArrowArray *cols, lp_error *err);

/* A schema change keeping the base's fragments (alter.c): the new schema, the base's largest fragment id,
 * deletion flag and index section. */
void lp__plan_schema_change(lp__plan *plan, const lp__base *base, const lp__schema *schema);
/* New columns names[i] = values[i] (add_columns.c): lp_db_alter's adds, in one Merge commit. */
lp_status lp__add_columns(lp_db *db, const char *name, const char *const *names, const char *const *values, size_t n,
                          const lp_write_options *opts, uint64_t *out_version, lp_error *err);

lp_status lp__frag_live_batches(struct lp_table *t, const struct lp__fragment *f, const size_t *cols, size_t n_cols,
                                struct ArrowArray **out, size_t *out_n, lp_error *err);

#endif
