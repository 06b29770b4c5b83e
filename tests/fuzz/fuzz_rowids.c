/* Fuzz target: stable row id sequences (DataFragment.inline_row_ids). The first two bytes give the
 * fragment's row count (little-endian, so at most 65535), the rest is the RowIdSequence message. A decoded
 * sequence must hold exactly that many ids, the same ones each time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/rowids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint64_t n_rows = (uint64_t)data[0] | (uint64_t)data[1] << 8;
  uint64_t *ids = NULL;
  if (lp__rowid_seq_decode(data + 2, size - 2, n_rows, "fuzz", &ids, NULL) != LP_OK) {
    if (ids != NULL) abort();
    return 0;
  }
  /* Decoding is deterministic and fills every id (memcmp reads them all: a short buffer shows under ASan). */
  uint64_t *again = NULL;
  if (lp__rowid_seq_decode(data + 2, size - 2, n_rows, "fuzz", &again, NULL) != LP_OK) abort();
  if (n_rows > 0 && memcmp(ids, again, n_rows * sizeof *ids) != 0) abort();
  free(ids);
  free(again);
  return 0;
}
