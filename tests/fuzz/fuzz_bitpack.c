/* Fuzz target: FastLanes bit-unpacking of one block and the level decoders built on it (inline and
 * out-of-line bit-packed u16 levels). Input: byte 0 picks the word width and byte 1 the packed width;
 * byte 2 the level count; the rest is the packed data. Seeds: blocks cut from LanceDB 0.31.0 pages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/datafile_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  static const unsigned T[4] = {8, 16, 32, 64};
  unsigned t = T[data[0] & 3], w = data[1] % 66;
  static uint64_t out[1024];
  (void)lp__bitunpack_block(data + 3, size - 3, t, w, out, NULL);
  /* the same bytes as levels */
  uint64_t n = (uint64_t)data[2] * 17;
  uint16_t *lv = malloc((n + 1) * 2);
  Lance__Encodings21__Flat fl = LANCE__ENCODINGS21__FLAT__INIT;
  fl.bits_per_value = w % 17;
  Lance__Encodings21__CompressiveEncoding inner = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__INIT;
  inner.compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FLAT;
  inner.flat = &fl;
  Lance__Encodings21__OutOfLineBitpacking ool = LANCE__ENCODINGS21__OUT_OF_LINE_BITPACKING__INIT;
  ool.uncompressed_bits_per_value = 16;
  ool.values = &inner;
  Lance__Encodings21__InlineBitpacking ibp = LANCE__ENCODINGS21__INLINE_BITPACKING__INIT;
  ibp.uncompressed_bits_per_value = 16;
  Lance__Encodings21__CompressiveEncoding e = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__INIT;
  e.compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_OUT_OF_LINE_BITPACKING;
  e.out_of_line_bitpacking = &ool;
  (void)lp__block_levels_decode(&e, data + 3, size - 3, n, lv, NULL);
  e.compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_INLINE_BITPACKING;
  e.inline_bitpacking = &ibp;
  (void)lp__block_levels_decode(&e, data + 3, size - 3, n, lv, NULL);
  free(lv);
  return 0;
}
