/* Deletion vectors: the set of deleted row offsets of one fragment, read from either kind of deletion file
 * (`.arrow`: an Arrow IPC file with one uint32 column; `.bin`: a 32-bit roaring bitmap). Internal.
 *
 * A decoded vector is immutable and reference counted, so the session cache shares it across threads. */
#ifndef LP_FORMAT_DELETION_H
#define LP_FORMAT_DELETION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

typedef enum lp__deletion_kind {
  LP__DELETION_ARROW = 0,  /* DeletionFile.file_type ARROW_ARRAY, ".arrow" */
  LP__DELETION_BITMAP = 1, /* DeletionFile.file_type BITMAP, ".bin" */
} lp__deletion_kind;

typedef struct lp__deletion_vec {
  uint32_t *rows; /* deleted row offsets, strictly ascending */
  size_t n_rows;
  int refs;       /* atomic; use lp__deletion_vec_ref/unref */
} lp__deletion_vec;

/* Decode a deletion file held in memory. `path` names the file in messages. LP_ECORRUPT when the bytes are
 * not a valid file of that kind; LP_EUNSUPPORTED for a compression codec other than ZSTD. New reference. */
lp_status lp__deletion_parse(const uint8_t *bytes, size_t size, lp__deletion_kind kind, const char *path,
                             lp__deletion_vec **out, lp_error *err);

/* Read and decode the deletion file at `path`. */
lp_status lp__deletion_read(const char *path, lp__deletion_kind kind, lp__deletion_vec **out, lp_error *err);

lp__deletion_vec *lp__deletion_vec_ref(lp__deletion_vec *v); /* thread-safe */
void lp__deletion_vec_unref(lp__deletion_vec *v);            /* thread-safe; accepts NULL */
size_t lp__deletion_vec_size_bytes(const lp__deletion_vec *v);
/* Deleted rows below physical row `row` (binary search; v may be NULL: none). */
size_t lp__deletion_vec_rank(const lp__deletion_vec *v, uint64_t row);
/* Is physical row `row` deleted (v may be NULL: no)? */
bool lp__deletion_vec_has(const lp__deletion_vec *v, uint64_t row);

#endif
