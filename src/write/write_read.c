/* Reading a fragment's live rows back for rewriting (compaction) and key lookups (upsert). Internal. */
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "table/table.h"
#include "write/write_int.h"

#define READ_ROWS 65536 /* rows per batch read back */

lp_status lp__frag_live_batches(lp_table *t, const lp__fragment *f, const size_t *cols, size_t n_cols,
                                struct ArrowArray **out, size_t *out_n, lp_error *err) {
  *out = NULL;
  *out_n = 0;
  const lp__schema *s = &t->m->schema;
  lp__frag_reader r;
  LP_TRY(lp__frag_reader_open(t, f, &r, err));
  size_t nc = cols ? n_cols : s->n_fields;
  struct ArrowSchema *fs = calloc(nc ? nc : 1, sizeof *fs);
  uint64_t *rows = malloc(READ_ROWS * sizeof *rows);
  lp_status rc = (fs && rows) ? LP_OK : lp_error_set(err, LP_ENOMEM, "out of memory");
  size_t made = 0;
  for (size_t k = 0; rc == LP_OK && k < nc; k++) {
    rc = lp__field_to_arrow(&s->fields[cols ? cols[k] : k], &fs[k], err);
    if (rc == LP_OK) made++;
  }
  const uint32_t *del = r.deleted ? r.deleted->rows : NULL;
  size_t n_del = r.deleted ? r.deleted->n_rows : 0, di = 0;
  uint64_t next = 0;
  size_t cap = 0;
  while (rc == LP_OK && next < f->physical_rows) {
    size_t n = 0;
    while (n < READ_ROWS && next < f->physical_rows) {
      while (di < n_del && del[di] < next) di++;
      if (!(di < n_del && del[di] == next)) rows[n++] = next;
      next++;
    }
    if (n == 0) continue;
    struct ArrowArray *kids = calloc(nc ? nc : 1, sizeof *kids);
    if (kids == NULL) {
      rc = lp_error_set(err, LP_ENOMEM, "out of memory");
      break;
    }
    bool contiguous = rows[n - 1] - rows[0] + 1 == n;
    size_t got = 0;
    for (size_t k = 0; rc == LP_OK && k < nc; k++) {
      rc = lp__frag_read_field(t, &r, &s->fields[cols ? cols[k] : k], &fs[k], rows[0], contiguous ? NULL : rows, n,
                               &kids[k], err);
      if (rc == LP_OK) got++;
    }
    if (rc == LP_OK && *out_n == cap) {
      cap = cap ? cap * 2 : 4;
      struct ArrowArray *nb = realloc(*out, cap * sizeof *nb);
      if (nb == NULL) rc = lp_error_set(err, LP_ENOMEM, "out of memory");
      else *out = nb;
    }
    if (rc == LP_OK) {
      rc = lp__arrow_struct_make(&(*out)[*out_n], kids, nc, (int64_t)n, NULL, 0, err);
      if (rc == LP_OK) (*out_n)++;
    } else {
      for (size_t k = 0; k < got; k++) lp__arrow_release(&kids[k]);
    }
    free(kids);
  }
  for (size_t k = 0; k < made; k++) fs[k].release(&fs[k]);
  free(fs);
  free(rows);
  lp__frag_reader_close(&r);
  if (rc != LP_OK) {
    lp__batches_free(*out, *out_n);
    *out = NULL;
    *out_n = 0;
  }
  return rc;
}
