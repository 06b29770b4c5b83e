/* Shared internals of the write operations (write_table.c, delete, upsert, compaction), private to write/.
 * What the layers above use is in write.h. Internal. */
#ifndef LP_WRITE_WRITE_INT_H
#define LP_WRITE_WRITE_INT_H

#include "format/datafile_write.h"
#include "io/storage.h"
#include "lancepool/lance.h"
#include "write/commit.h"
#include "write/write.h"

/* Tables in a store (stage.c): a write operation works on a local staging folder that stands for the table;
 * the commit uploads what the new version refers to. One operation (one thread) per staging folder. */
typedef struct lp__stage {
  lp__storage *store;   /* the database's store (borrowed) */
  char *table;          /* "<name>.lance": the table's folder in the store */
  char *local;          /* the staging folder standing for it, "<root>/<name>.lance" */
  char *root;           /* the temporary folder holding it, removed with it */
  char *name;           /* "s3://bucket/prefix/<name>.lance", for messages (NULL when out of memory) */
  char **uploaded;      /* staged files already in the store (a retried commit does not send them again) */
  size_t n_uploaded;
  struct lp__stage *next;
} lp__stage;

struct lp_db;
/* Make the staging folder for table `name` of store database db. *out_dir: its path (free with
 * lp__table_dir_free, which removes the folder). */
lp_status lp__stage_open(struct lp_db *db, const char *name, char **out_dir, lp_error *err);
/* The stage table_dir stands for, or NULL for a local table. */
lp__stage *lp__stage_find(const char *table_dir);
/* How messages name the table of table_dir: its URI in the store when staged, else table_dir itself. */
const char *lp__table_dir_name(const char *table_dir);
/* Free a path from lp__table_dir; for a staged table also forget it and remove the staging folder. */
void lp__table_dir_free(char *dir);
/* "<name>.lance/<sub>" in the store. Caller frees. */
lp_status lp__stage_key(const lp__stage *s, const char *sub, char **out, lp_error *err);
/* Upload staged files (paths under s->local) to the store, each once. */
lp_status lp__stage_upload(lp__stage *s, char *const *paths, size_t n, lp_error *err);
/* The committed versions in the store, ascending (LP_ENOTFOUND: none), and the latest. */
lp_status lp__stage_versions(const lp__stage *s, uint64_t **out, size_t *out_n, lp_error *err);
lp_status lp__stage_latest(const lp__stage *s, uint64_t *out, lp_error *err);
/* Remove every object of the table (its versions first). LP_ENOTFOUND when there was none. */
lp_status lp__stage_drop(lp__stage *s, lp_error *err);

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

/* ---- compaction's index remapping (index_remap.c) ---- */

struct lp__index_meta;
/* Where every row address of the rewritten fragments goes. Group k: the old fragments olds[k][0..n_old[k])
 * of table t's version (their deletions are read from t), rewritten as new fragments new_ids[k][...] of
 * new_rows[k][...] rows. */
typedef struct lp__rowmap lp__rowmap;
lp_status lp__rowmap_new(lp_table *t, const lp__fragment *const *olds, const size_t *n_old,
                         const uint64_t *const *new_ids, const uint64_t *const *new_rows, const size_t *n_new,
                         size_t n_groups, lp__rowmap **out, lp_error *err);
void lp__rowmap_free(lp__rowmap *m);
/* The new address of `addr` (unchanged when its fragment was not rewritten); false when the row was
 * deleted (it is dropped from the index). */
bool lp__rowmap_apply(const lp__rowmap *m, uint64_t addr, uint64_t *out);

/* Can compaction rewrite this index entry (IVF_PQ, IVF_FLAT, IVF_SQ without HNSW)? */
bool lp__index_remappable(const struct lp__index_meta *m);

/* Write _indices/<new_uuid>/ from _indices/<old_uuid>/ with every row address mapped through map: index.idx
 * copied, auxiliary.idx rewritten. Their sizes in *index_size, *aux_size. */
lp_status lp__index_remap_files(const char *table_dir, const char *old_uuid, const char *new_uuid, const lp__rowmap *map,
                                uint64_t *index_size, uint64_t *aux_size, lp_error *err);
/* Read auxiliary.idx held in memory as lp__index_remap_files reads it, and remap its rows with no fragment
 * rewritten: the fuzz target of that reader. */
lp_status lp__index_remap_parse(const uint8_t *aux, size_t len, lp_error *err);
/* Remove what lp__index_remap_files wrote (nothing refers to it). */
void lp__index_remap_unlink(const char *table_dir, const char *uuid);

/* The fragment ids of one rewrite group. */
typedef struct lp__remap_ids {
  const uint64_t *old_ids, *new_ids;
  size_t n_old, n_new;
} lp__remap_ids;

typedef struct lp__index_remap_out {
  uint8_t *section;      /* the new IndexSection (in the arena) */
  size_t len;
  lp__ptrvec rewritten;  /* Lance__Table__Transaction__Rewrite__RewrittenIndex * (in the arena) */
  char (*uuids)[37];     /* the new index directories written (malloc'd) */
  size_t n_uuids;
} lp__index_remap_out;

/* The index section (bytes of a base version) after compaction: every entry whose bitmap holds rewritten
 * fragments gets remapped files under a new uuid, its bitmap with each group's old ids replaced by its new
 * ids, and a RewrittenIndex record; the other entries are kept as they are. LP_ECONFLICT when such an entry
 * cannot be remapped. */
lp_status lp__index_section_remap(const char *table_dir, const uint8_t *section, size_t len, const lp__rowmap *map,
                                  const lp__remap_ids *groups, size_t n_groups, lp__arena *a, lp__index_remap_out *out,
                                  lp_error *err);
/* Free o's list (and, when unlink_files, remove the directories it names: the attempt was abandoned). */
void lp__index_remap_out_reset(const char *table_dir, lp__index_remap_out *o, bool unlink_files);

#endif
