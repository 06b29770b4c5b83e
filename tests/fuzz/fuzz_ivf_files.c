/* Fuzz target: the files of one LanceDB IVF index delta (index.idx: the IVF model in a global buffer,
 * `lance:index` JSON; auxiliary.idx: partition ranges, PQ storage_metadata JSON and codebook tensor, the
 * _rowid and code/vector columns) read as the indexed search reads them. Input: 1 byte flags (bit 0: PQ),
 * u16 dimension, u32 length of index.idx, then index.idx, then auxiliary.idx (the rest). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "query/search_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 7) return 0;
  bool pq = data[0] & 1;
  uint32_t dim = (uint32_t)data[1] | (uint32_t)data[2] << 8;
  size_t n1 = (size_t)data[3] | (size_t)data[4] << 8 | (size_t)data[5] << 16 | (size_t)data[6] << 24;
  if (n1 > size - 7) return 0;
  (void)lp__ivf_parse_files(data + 7, n1, data + 7 + n1, size - 7 - n1, pq, dim, NULL);
  return 0;
}
