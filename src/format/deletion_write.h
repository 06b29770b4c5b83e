/* Writing deletion files, both kinds, as LanceDB does (deletion-files.md). Internal. */
#ifndef LP_FORMAT_DELETION_WRITE_H
#define LP_FORMAT_DELETION_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/deletion.h"
#include "lancepool/error.h"

/* LanceDB's choice: a bitmap when the fragment's previous file was a bitmap or the set has 5000 rows or
 * more, else an Arrow array. */
lp__deletion_kind lp__deletion_kind_for(size_t n_rows, bool had_bitmap);

/* The bytes of a deletion file holding rows (strictly ascending). Caller frees *out. */
lp_status lp__deletion_encode_arrow(const uint32_t *rows, size_t n, uint8_t **out, size_t *out_len, lp_error *err);
lp_status lp__deletion_encode_bitmap(const uint32_t *rows, size_t n, uint8_t **out, size_t *out_len, lp_error *err);

/* Write _deletions/{fragment_id}-{read_version}-{random id}.{arrow|bin} (temp file + rename, not fsynced:
 * the commit that refers to it does that, see lp__plan_sync; `durable` fsyncs the table directory when
 * this creates _deletions/). *out_id = the id; *out_path (may be NULL) = a copy of the path (caller frees). */
lp_status lp__deletion_write(const char *table_dir, uint64_t fragment_id, uint64_t read_version, const uint32_t *rows,
                             size_t n, lp__deletion_kind kind, bool durable, uint64_t *out_id, char **out_path,
                             lp_error *err);

#endif
