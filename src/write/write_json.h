/* JSON rows (the CLI's `dump` mapping) to Arrow record batches for the write path. Internal.
 * Mapping: integers as JSON integers, floats as numbers or "NaN"/"Infinity"/"-Infinity", binary as
 * base64, timestamps as integers in their unit, date32 as days, lists as arrays, structs as objects,
 * null or a missing key as null. */
#ifndef LP_WRITE_WRITE_JSON_H
#define LP_WRITE_WRITE_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "format/schema.h"
#include "lancepool/arrow_c.h"

/* Build one struct array (a record batch of the schema's top-level columns) from n JSON objects.
 * `lines` gives each row's line number for messages ("line 7: field \"v\": expected 384 numbers, found 3");
 * an object key that is not a column is an error too. Caller owns *out. */
lp_status lp__json_rows_to_batch(const lp__schema *schema, json_t *const *rows, const size_t *lines, size_t n,
                                 struct ArrowArray *out, lp_error *err);

/* An ArrowArrayStream over batches (moved in; the array of batches is freed by the stream). */
lp_status lp__batches_stream(const lp__schema *schema, struct ArrowArray *batches, size_t n,
                             struct ArrowArrayStream *out, lp_error *err);

#endif
