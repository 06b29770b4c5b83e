/* Fuzz target: decoding every page layout and encoding of a whole data file. Each column of a parsed file
 * is read as every field shape of fuzz_shapes.h (most fail fast on a layer or width mismatch): a full
 * range, a range from the middle and a take of a few rows. Seeds: small LanceDB 0.31.0 files. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_shapes.h"
#include "format/arrow_util.h"
#include "format/datafile.h"

#define MAX_ROWS 20000 /* keeps allocations proportional to the input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lp__datafile_meta *m = NULL;
  if (lp__datafile_meta_parse(data, size, "fuzz.lance", &m, NULL) != LP_OK) return 0;
  uint64_t n = lp__datafile_meta_num_rows(m);
  lp__datafile_src src = {.fd = -1, .bytes = data, .path = "fuzz.lance", .meta = m};
  if (n <= MAX_ROWS) {
    for (uint32_t c = 0; c < lp__datafile_meta_num_columns(m) && c < 8; c++) {
      for (int s = 0; s < FUZZ_N_SHAPES; s++) {
        lp__field f = fuzz_shape(s);
        struct ArrowArray a;
        if (lp__datafile_read_range(&src, &f, c, 0, n, &a, NULL) == LP_OK) lp__arrow_release(&a);
        if (n > 2 && lp__datafile_read_range(&src, &f, c, n / 2, n - n / 2, &a, NULL) == LP_OK) lp__arrow_release(&a);
        uint64_t rows[3] = {0, n / 3, n - 1};
        if (n > 3 && lp__datafile_take(&src, &f, c, rows, 3, &a, NULL) == LP_OK) lp__arrow_release(&a);
      }
    }
  }
  lp__datafile_meta_unref(m);
  return 0;
}
