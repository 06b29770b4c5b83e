/* Building Arrow C Data Interface arrays inside the engine: arrays that own their buffers (64-byte aligned),
 * one release callback for all of them, record-batch (struct) assembly from child arrays, and slicing and
 * concatenation helpers. Internal.
 *
 * Every array made here has private_data pointing to an lp__arrow_priv that owns its buffers, its
 * children and its dictionary; release frees them all and sets release to NULL, as the C Data Interface
 * asks. Functions that take a child array by pointer take ownership of it (they move it, leaving the
 * source with release == NULL), also when they fail. Thread-compatible: no shared state. */
#ifndef LP_FORMAT_ARROW_UTIL_H
#define LP_FORMAT_ARROW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/arrow_c.h"
#include "lancepool/error.h"

#define LP__ARROW_ALIGN 64   /* bytes: alignment of every buffer allocated here */
#define LP__ARROW_MAX_BUFFERS 3

/* Memory allocated with the alignment above, its size rounded up to a multiple of 64 and the padding
 * zeroed (so bit-unpacking may write whole words past the end). Free with lp__arrow_buf_free. */
void *lp__arrow_buf_alloc(size_t size_bytes);
void *lp__arrow_buf_calloc(size_t size_bytes);
/* Grow a buffer made by lp__arrow_buf_alloc, keeping its first old_size bytes. NULL on failure (the old
 * buffer is then still valid). */
void *lp__arrow_buf_realloc(void *buf, size_t old_size, size_t new_size);
void lp__arrow_buf_free(void *buf);

/* Make an array that owns `buffers` (each from lp__arrow_buf_alloc or NULL) and `children` (moved in;
 * the array of pointers is copied). n_buffers <= LP__ARROW_MAX_BUFFERS. On failure frees the buffers and
 * releases the children. `out` must not be live. */
lp_status lp__arrow_array_make(struct ArrowArray *out, int64_t length, int64_t null_count, int n_buffers,
                               void *const *buffers, struct ArrowArray **children, int n_children,
                               lp_error *err);

/* Assemble a struct array (a record batch when the children are the table's columns) of `length` rows
 * from n_children child arrays, each moved in (each must have `length` rows). `validity` is an owned
 * bitmap (or NULL: no nulls); null_count counts its zero bits. */
lp_status lp__arrow_struct_make(struct ArrowArray *out, struct ArrowArray *children, size_t n_children,
                                int64_t length, void *validity, int64_t null_count, lp_error *err);

/* An array of `length` nulls of the Arrow type described by `schema` (the matching child arrays are
 * made too). */
lp_status lp__arrow_make_nulls(struct ArrowArray *out, const struct ArrowSchema *schema, int64_t length,
                               lp_error *err);

/* Release an array if it is live (release != NULL); accepts NULL. */
void lp__arrow_release(struct ArrowArray *a);

/* Move src into dst (dst takes ownership; src->release becomes NULL). */
void lp__arrow_move(struct ArrowArray *src, struct ArrowArray *dst);

/* Count the zero bits of a validity bitmap over bits [offset, offset + length). */
int64_t lp__arrow_count_nulls(const uint8_t *validity, int64_t offset, int64_t length);

static inline bool lp__bit_get(const uint8_t *bits, int64_t i) {
  return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void lp__bit_set(uint8_t *bits, int64_t i) {
  bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}
static inline void lp__bit_clear(uint8_t *bits, int64_t i) {
  bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}
/* Copy n bits from src starting at bit src_off to dst starting at bit dst_off. */
void lp__bits_copy(uint8_t *dst, int64_t dst_off, const uint8_t *src, int64_t src_off, int64_t n);

/* A new, independent array holding rows [offset, offset + length) of `src` (of the Arrow type `schema`),
 * with offset 0 in every level: validity re-based, list offsets re-based to start at 0, values copied.
 * src is only read. */
lp_status lp__arrow_slice_copy(const struct ArrowArray *src, const struct ArrowSchema *schema, int64_t offset,
                               int64_t length, struct ArrowArray *out, lp_error *err);

/* Concatenate n arrays of the Arrow type `schema` into one new array (offset 0). The inputs are released
 * (moved in), also on failure. Supports the types the engine produces: primitives, bool, (large) utf8 and
 * binary, fixed-size lists, (large) lists and structs. */
lp_status lp__arrow_concat(struct ArrowArray *arrays, size_t n, const struct ArrowSchema *schema,
                           struct ArrowArray *out, lp_error *err);

/* Bits per value of a primitive Arrow format string ("b" 1, "c"/"C" 8, ..., "tsu:UTC" 64, "tdD" 32,
 * "w:16" 128); 0 when the format is not a fixed-width primitive. */
int lp__arrow_format_bit_width(const char *format);

#endif
