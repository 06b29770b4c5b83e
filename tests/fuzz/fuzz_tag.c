/* Fuzz target: the bytes of a tag file (_refs/tags/NAME.json). A parsed tag names a version >= 1. */
#include <stdint.h>
#include <stdlib.h>

#include "table/tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t version = 0;
  if (lp__tag_parse(data, size, "fuzz", &version, NULL) == LP_OK && version == 0) abort();
  return 0;
}
