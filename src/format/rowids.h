/* Stable row id sequences: the `_rowid` of every physical row of a fragment, which LanceDB stores in the
 * manifest (DataFragment.inline_row_ids, a serialized lance.table.RowIdSequence, proto/rowids.proto) when
 * a table was created with stable row ids. Internal. */
#ifndef LP_FORMAT_ROWIDS_H
#define LP_FORMAT_ROWIDS_H

#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

/* Decode a RowIdSequence's bytes into one id per physical row: exactly n_rows of them (the fragment's
 * physical rows), else LP_ECORRUPT. `what` names the fragment in messages. Caller frees *out. */
LP_MUST_CHECK lp_status lp__rowid_seq_decode(const uint8_t *bytes, size_t len, uint64_t n_rows, const char *what,
                                             uint64_t **out, lp_error *err);

#endif
