/* The pooled store's shared id index (store_index.c). Internal. */
#ifndef LP_STORE_INDEX_H
#define LP_STORE_INDEX_H

#include "write/write.h"
#include "store/store_int.h"

typedef struct lp__store_index lp__store_index;

/* An empty index of the ids in column id_column (utf8 or large_utf8). */
LP_MUST_CHECK lp_status lp__store_index_create(const char *id_column, lp__store_index **out, lp_error *err);
void lp__store_index_destroy(lp__store_index *x);

/* Live positions in t of ids[0..n) (UINT64_MAX when absent), bringing the index to t's version first.
 * *out_used = false (and pos untouched) when the index already serves a newer version than t: the caller
 * must find the ids another way. Thread-safe. */
LP_MUST_CHECK lp_status lp__store_index_lookup(lp__store_index *x, lp_table *t, const char *const *ids, size_t n,
                                               uint64_t *pos, bool *out_used, lp_error *err);

/* Where the ids live in t: found[i], and refs[i] (fragment, physical row) when found; as lookup
 * otherwise. Thread-safe. */
LP_MUST_CHECK lp_status lp__store_index_locate(lp__store_index *x, lp_table *t, const char *const *ids, size_t n,
                                               lp__row_ref *refs, bool *found, bool *out_used, lp_error *err);

/* The store committed data file `file_name` (inside data/) holding ids[0..n_rows) in row order: when the
 * index next meets a new fragment made of that one file, it takes the ids from here instead of reading the
 * file. The ids are copied. A note that is never matched is dropped after a while. Thread-safe. */
void lp__store_index_note(lp__store_index *x, const char *file_name, const char *const *ids, uint64_t n_rows);

#endif
