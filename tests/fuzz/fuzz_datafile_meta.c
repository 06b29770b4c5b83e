/* Fuzz target: the data-file metadata parser (footer, offset tables, schema buffer, column metadata and
 * page layouts) via lp__datafile_meta_parse, plus the page describer. Seeds: small LanceDB 0.31.0 files
 * (tests/interop/node/make_datafile_seeds.mjs). */
#include <stdint.h>
#include <stdlib.h>

#include "format/datafile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lp__datafile_meta *m = NULL;
  if (lp__datafile_meta_parse(data, size, "fuzz.lance", &m, NULL) != LP_OK) return 0;
  char buf[512];
  for (uint32_t c = 0; c < lp__datafile_meta_num_columns(m) && c < 64; c++)
    for (size_t p = 0; p < lp__datafile_column_num_pages(m, c) && p < 64; p++)
      (void)lp__datafile_describe_page(m, c, p, buf, sizeof buf, NULL);
  lp__datafile_meta_unref(m);
  return 0;
}
