/* Lance data files (format 2.1; 2.0 where LanceDB 0.31.0 can still write it): decoding the footer and
 * column metadata, and decoding pages of one field into Arrow arrays. Internal.
 *
 * The decoded metadata (lp__datafile_meta) is immutable and reference counted, so the session cache can
 * share it between connections on any thread. Reading pages takes a file descriptor and is one thread at a
 * time per call (it uses pread, so several threads may share one fd). */
#ifndef LP_FORMAT_DATAFILE_H
#define LP_FORMAT_DATAFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/schema.h"
#include "io/storage.h"
#include "lancepool/arrow_c.h"
#include "lancepool/error.h"

typedef struct lp__datafile_meta lp__datafile_meta;

/* Read and decode the footer, offset tables, global buffer 0 and every column's metadata of the data file
 * open as `fd`, whose size is file_size. `path` only names the file in error messages. New reference in
 * *out. LP_ECORRUPT (naming the file and what was wrong) on bad bytes, LP_EIO on a failed read. */
lp_status lp__datafile_meta_read(int fd, uint64_t file_size, const char *path, lp__datafile_meta **out,
                                 lp_error *err);

/* The same for the object `path` of a store (a table on S3): three ranged reads, footer, global buffer
 * offsets, then the metadata tail, as with a local file. */
lp_status lp__datafile_meta_read_store(lp__storage *store, const char *path, uint64_t file_size,
                                       lp__datafile_meta **out, lp_error *err);

/* The same from bytes in memory holding the whole file (tests and fuzzing). */
lp_status lp__datafile_meta_parse(const uint8_t *file, size_t file_size, const char *path,
                                  lp__datafile_meta **out, lp_error *err);

lp__datafile_meta *lp__datafile_meta_ref(lp__datafile_meta *m);   /* thread-safe */
void lp__datafile_meta_unref(lp__datafile_meta *m);               /* thread-safe; accepts NULL */
size_t lp__datafile_meta_size_bytes(const lp__datafile_meta *m);  /* memory held, for the cache budget */
uint64_t lp__datafile_meta_num_rows(const lp__datafile_meta *m);
uint32_t lp__datafile_meta_num_columns(const lp__datafile_meta *m);

/* The value of `key` in the file schema's metadata (*len bytes, not NUL-terminated), or NULL. */
const uint8_t *lp__datafile_meta_schema_value(const lp__datafile_meta *m, const char *key, size_t *len);

/* Position of global buffer `i` (0 = the FileDescriptor; index files keep payloads in 1, 2...), checked to
 * lie inside the file when the metadata was read. false when there is no such buffer. */
bool lp__datafile_meta_global_buffer(const lp__datafile_meta *m, uint32_t i, uint64_t *off, uint64_t *len);

/* The footer's version: (2, 1) for 2.1 files, (0, 3) for 2.0 files. */
void lp__datafile_meta_version(const lp__datafile_meta *m, uint16_t *major, uint16_t *minor);


/* Columns `field` occupies in this file: its leaves in 2.1 (a packed struct is one leaf); in 2.0 every
 * field of the subtree, parents included. */
uint32_t lp__datafile_field_num_columns(const lp__datafile_meta *m, const lp__field *field);

/* Where the pages of a field are: the file and its metadata, borrowed for the duration of a call. Reads go
 * through pread(fd) unless `bytes` is non-NULL (then the whole file is in memory: tests and fuzzing) or
 * `store` is (then they are ranged reads of `path`, relative to the store: a table on S3). */
typedef struct lp__datafile_src {
  int fd;
  const uint8_t *bytes;
  const char *path;
  const lp__datafile_meta *meta;
  lp__storage *store;
} lp__datafile_src;

/* Decode rows [row_start, row_start + n_rows) of `field` (a top-level field of the table schema) whose
 * first column in this file is column `first_column` (2.1: its first leaf, the further leaves follow in
 * pre-order; 2.0: the field's own column, its descendants' columns follow in pre-order).
 * *out is an Arrow array of the field's Arrow type (see lp__field_to_arrow); caller owns it. */
lp_status lp__datafile_read_range(const lp__datafile_src *src, const lp__field *field, uint32_t first_column,
                                  uint64_t row_start, uint64_t n_rows, struct ArrowArray *out, lp_error *err);

/* Decode the rows at `rows` (strictly ascending row numbers within the file) of `field`. */
lp_status lp__datafile_take(const lp__datafile_src *src, const lp__field *field, uint32_t first_column,
                            const uint64_t *rows, size_t n_rows, struct ArrowArray *out, lp_error *err);

/* Global buffer `i` of the file, read whole into a new malloc'd buffer (*out, *out_len). LP_ECORRUPT when
 * the file has no such buffer or it is larger than max_bytes. */
lp_status lp__datafile_global_buffer_read(const lp__datafile_src *src, uint32_t i, size_t max_bytes, uint8_t **out,
                                          size_t *out_len, lp_error *err);
/* Pages of column `column` (0 when there is no such column). */
size_t lp__datafile_column_num_pages(const lp__datafile_meta *m, uint32_t column);

/* One line describing a page: its rows, layout, rep/def layers and encoding tree, e.g.
 * "rows 0+5000 mini_block layers[3] values=inline_bitpacking(32) def=inline_bitpacking(16) chunks=5".
 * Truncated to cap bytes (always NUL-terminated). LP_EINVAL when there is no such page. */
lp_status lp__datafile_describe_page(const lp__datafile_meta *m, uint32_t column, size_t page, char *buf, size_t cap,
                                     lp_error *err);

#endif
