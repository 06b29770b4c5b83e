/* What the 2.0 page writer (datafile_write_v20.c) shares with the file writer of datafile_write.c: the
 * file's buffers and column metadata. Private to format/. */
#ifndef LP_FORMAT_DATAFILE_WRITE_INT_H
#define LP_FORMAT_DATAFILE_WRITE_INT_H

#include <protobuf-c/protobuf-c.h>

#include "format/datafile_write.h"
#include "io/arena.h"

/* Write one page buffer at the next 64-aligned position of the file; *out_off = its offset. */
lp_status lp__dfw_put_buffer(lp__dfw *w, const void *p, size_t n, uint64_t *out_off, lp_error *err);

/* Record a page of column col: its buffers, `rows` (the column's own rows: items for a list's child),
 * the number of the column's first row in the page, and its encoding (a message packed into an Any of
 * `type_url`). */
lp_status lp__dfw_add_page_any(lp__dfw *w, size_t col, const uint64_t *offs, const uint64_t *sizes, size_t n_bufs,
                               uint64_t rows, uint64_t first_row, const char *type_url, const ProtobufCMessage *enc,
                               lp_error *err);

lp__arena *lp__dfw_arena(lp__dfw *w);
const lp__schema *lp__dfw_schema(const lp__dfw *w);
uint32_t lp__dfw_page_rows(const lp__dfw *w);
/* Rows written so far to each column (2.0 files; one entry per column). */
uint64_t *lp__dfw_column_rows(lp__dfw *w);

/* Format 2.0: the columns are every field in pre-order (lists and structs too; a fixed-size list is one
 * column). */
size_t lp__dfw20_count_columns(const lp__schema *s);
/* Field ids of the columns, in column order, into ids[0..lp__dfw20_count_columns). */
void lp__dfw20_column_ids(const lp__schema *s, int32_t *ids);
/* Rows [row_start, row_start + n_rows) of the struct array `batch` as 2.0 pages. */
lp_status lp__dfw20_write(lp__dfw *w, const struct ArrowArray *batch, int64_t row_start, int64_t n_rows,
                          lp_error *err);
/* Before the column metadata is written: the pages written last (a struct column gets one page for all its
 * rows). */
lp_status lp__dfw20_finish(lp__dfw *w, lp_error *err);

#endif
