/* Fuzz target: the allnull page layout and the encodings it uses, one page at a time (see fuzz_page.h). */
#include "fuzz_page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_page(data, size, LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_CONSTANT_LAYOUT);
  return 0;
}
