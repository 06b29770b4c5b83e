/* Fuzz target: general compression framing (zstd with a u64 size prefix or bare, LZ4 blocks with a u32
 * size prefix). Input: byte 0 picks the scheme, the rest is the compressed buffer. */
#include <stdint.h>
#include <stdlib.h>

#include "format/datafile_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t *out = NULL;
  size_t n = 0;
  if (lp__general_decompress(1 + (data[0] & 1), data + 1, size - 1, &out, &n, NULL) == LP_OK) free(out);
  return 0;
}
