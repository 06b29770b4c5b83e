/* Fuzz target: the auxiliary.idx reader of compaction's index remapping (write/index_remap.c): the file
 * descriptor's two fields, the `lance:ivf` partition ranges, the storage_metadata JSON (transposed PQ
 * codes) and the _rowid and code/vector columns, remapped partition by partition. Input: the file. */
#include <stddef.h>
#include <stdint.h>

#include "write/write_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)lp__index_remap_parse(data, size, NULL);
  return 0;
}
