/* Fuzz target: deletion file bytes, decoded both as an Arrow IPC .arrow file and as a roaring .bin bitmap.
 * A decoded vector must be strictly ascending. */
#include <stdint.h>
#include <stdlib.h>

#include "format/deletion.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (int kind = 0; kind < 2; kind++) {
    lp__deletion_vec *v = NULL;
    if (lp__deletion_parse(data, size, (lp__deletion_kind)kind, "fuzz", &v, NULL) != LP_OK) continue;
    for (size_t i = 1; i < v->n_rows; i++)
      if (v->rows[i] <= v->rows[i - 1]) abort();
    lp__deletion_vec_unref(v);
  }
  return 0;
}
