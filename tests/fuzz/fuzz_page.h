/* Shared harness of the page-layout fuzz targets: the input is one page (a field shape, a row count, a
 * serialized PageLayout and up to four buffers) which is wrapped in a one-column data file
 * (tests/unit/datafile_builder.h) and read back: a full range, a range from the middle, a take.
 *   u8 shape | u32 rows | u32 layout_len | layout | u8 n_bufs | n_bufs x (u32 len | bytes)
 * Seeds: pages cut from LanceDB 0.31.0 files. */
#ifndef LP_FUZZ_PAGE_H
#define LP_FUZZ_PAGE_H

#include "fuzz_shapes.h"
#include "format/arrow_util.h"
#include "format/datafile.h"
#include "unit/datafile_builder.h"

#define FUZZ_PAGE_MAX_ROWS 20000

static inline int fuzz_u32(const uint8_t **p, size_t *left, uint32_t *out) {
  if (*left < 4) return -1;
  memcpy(out, *p, 4);
  *p += 4;
  *left -= 4;
  return 0;
}

static inline void fuzz_page(const uint8_t *data, size_t size, Lance__Encodings21__PageLayout__LayoutCase want) {
  if (size < 1) return;
  const uint8_t *p = data + 1;
  size_t left = size - 1;
  uint32_t rows = 0, ll = 0; /* set by fuzz_u32; initialised for GCC -Og, which cannot see that */
  if (fuzz_u32(&p, &left, &rows) || rows > FUZZ_PAGE_MAX_ROWS || fuzz_u32(&p, &left, &ll) || ll > left) return;
  Lance__Encodings21__PageLayout *pl = lance__encodings21__page_layout__unpack(NULL, ll, p);
  p += ll;
  left -= ll;
  if (pl == NULL) return;
  if (pl->layout_case != want || left < 1) {
    lance__encodings21__page_layout__free_unpacked(pl, NULL);
    return;
  }
  tcol col;
  memset(&col, 0, sizeof col);
  col.n_pages = 1;
  tpage *pg = &col.pages[0];
  pg->n_rows = rows;
  pg->layout = pl;
  size_t nb = p[0] > 4 ? 4 : p[0];
  p++;
  left--;
  for (size_t k = 0; k < nb; k++) {
    uint32_t bl;
    if (fuzz_u32(&p, &left, &bl)) break;
    if (bl > left) bl = (uint32_t)left;
    tb_put(&pg->bufs[k], p, bl);
    p += bl;
    left -= bl;
    pg->n_bufs = k + 1;
  }
  size_t len;
  uint8_t *file = tb_build_file(&col, 1, rows, &len);
  lp__datafile_meta *m = NULL;
  if (lp__datafile_meta_parse(file, len, "fuzz.lance", &m, NULL) == LP_OK) {
    lp__datafile_src src = {.fd = -1, .bytes = file, .path = "fuzz.lance", .meta = m};
    lp__field f = fuzz_shape(data[0] % FUZZ_N_SHAPES);
    struct ArrowArray a;
    if (lp__datafile_read_range(&src, &f, 0, 0, rows, &a, NULL) == LP_OK) lp__arrow_release(&a);
    if (rows > 2 && lp__datafile_read_range(&src, &f, 0, rows / 2, rows - rows / 2, &a, NULL) == LP_OK)
      lp__arrow_release(&a);
    uint64_t r[3] = {0, rows / 3, rows - 1};
    if (rows > 3 && lp__datafile_take(&src, &f, 0, r, 3, &a, NULL) == LP_OK) lp__arrow_release(&a);
    lp__datafile_meta_unref(m);
  }
  free(file);
  tcols_free(&col, 1);
  lance__encodings21__page_layout__free_unpacked(pl, NULL);
}

#endif
