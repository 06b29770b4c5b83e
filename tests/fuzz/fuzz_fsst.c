/* Fuzz target: FSST symbol-table parsing and string decoding. Input: u16 table length, the table, then
 * strings each prefixed by a one-byte length. Seeds: symbol tables and values of LanceDB 0.31.0 pages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/datafile_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t tl = (size_t)data[0] | (size_t)data[1] << 8;
  if (tl > size - 2) tl = size - 2;
  lp__fsst_table t;
  if (lp__fsst_table_parse(data + 2, tl, &t, NULL) != LP_OK) return 0;
  const uint8_t *p = data + 2 + tl;
  size_t left = size - 2 - tl;
  uint8_t out[256 * 8];
  while (left > 0) {
    size_t l = p[0];
    if (l > left - 1) l = left - 1;
    size_t got;
    (void)lp__fsst_decode(&t, p + 1, l, out, sizeof out, &got, NULL);
    p += 1 + l;
    left -= 1 + l;
  }
  return 0;
}
