/* Writing Lance data files, format 2.1 (and 2.0, see lp__file_version), from Arrow arrays. Internal.
 *
 * Encodings are the minimal valid set (encodings-2.1.md section 4): mini-block pages with Flat / Variable /
 * FixedSizeList values and Flat{16} rep/def levels, full-zip pages for values of 256 bytes and more, and
 * all-null pages. One writer is used by one thread at a time. */
#ifndef LP_FORMAT_DATAFILE_WRITE_H
#define LP_FORMAT_DATAFILE_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "format/schema.h"
#include "lancepool/arrow_c.h"
#include "lancepool/error.h"

#define LP__DFW_NAME_LEN 56 /* 50 characters + ".lance" */

/* The data file format versions this writer produces; a table's data files must all have the table's
 * data storage version (its manifest's data_format). */
typedef enum lp__file_version {
  LP__FILE_V2_1 = 0, /* footer 2.1, manifest "2.1": LanceDB 0.31.0's default ("stable") */
  LP__FILE_V2_0 = 1, /* footer 0.3, manifest "2.0": LanceDB's default of 2024 */
  LP__FILE_V2_2 = 2, /* footer 2.2, manifest "2.2": 2.1's layout with large mini-block chunk grammar */
} lp__file_version;

/* The manifest's name of a version ("2.0", "2.1"), and its numbers in a DataFile message. */
const char *lp__file_version_name(lp__file_version v);
void lp__file_version_numbers(lp__file_version v, uint32_t *major, uint32_t *minor);

typedef struct lp__dfw_options {
  uint32_t page_rows;   /* rows per page at most (vectors may get fewer); default 65536 */
  bool durable;         /* fsync the file before it is renamed into place */
  lp__file_version version; /* default 2.1 */
} lp__dfw_options;

typedef struct lp__dfw_result {
  char name[LP__DFW_NAME_LEN + 1]; /* file name inside data/ */
  uint64_t size_bytes;
  uint64_t n_rows;
  int32_t *field_ids;   /* the field id of each column; owned (free()) */
  size_t n_columns;
  lp__file_version version;
} lp__dfw_result;

typedef struct lp__dfw lp__dfw;

/* Start a data file in directory data_dir (created if missing) for rows of `schema` (borrowed until
 * finish/abort). Writes to a temporary file until lp__dfw_finish. */
lp_status lp__dfw_open(const char *data_dir, const lp__schema *schema, const lp__dfw_options *opts, lp__dfw **out,
                       lp_error *err);

/* Append rows [row_start, row_start + n_rows) of `batch`, a struct array whose children are the schema's
 * top-level columns (validated by the caller). Values are checked as they are encoded (e.g. a null in a
 * non-nullable field is LP_EINVAL naming the column). */
lp_status lp__dfw_write(lp__dfw *w, const struct ArrowArray *batch, int64_t row_start, int64_t n_rows,
                        lp_error *err);

uint64_t lp__dfw_rows(const lp__dfw *w);

/* Index files: write `p` (n bytes) as the next global buffer; *out_index = its entry in the file's global
 * buffer table (1, 2, ...; entry 0 is the FileDescriptor). */
lp_status lp__dfw_add_global_buffer(lp__dfw *w, const void *p, size_t n, uint32_t *out_index, lp_error *err);

/* Index files: write `schema` (borrowed until finish; its fields must describe the columns written) as the
 * FileDescriptor's schema instead of one built from the writer's lp__schema, so that a rewritten index file
 * keeps its original field definitions and metadata. */
struct Lance__File__Schema;
void lp__dfw_set_file_schema(lp__dfw *w, const struct Lance__File__Schema *schema);

/* Write the metadata and footer, flush, and give the file its final name. Frees w in every case (on
 * failure the temporary file is removed). */
lp_status lp__dfw_finish(lp__dfw *w, lp__dfw_result *out, lp_error *err);

/* Drop an unfinished file. Accepts NULL. */
void lp__dfw_abort(lp__dfw *w);

void lp__dfw_result_reset(lp__dfw_result *r);

#endif
